"""Weight bytes of a GGUF file, tensor by tensor."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..quants import STORAGE
from ..schema import Architecture
from .recipe import storage_types
from .tensors import Cat, enumerate_tensors


@dataclass(frozen=True)
class WeightsSize:
    total_bytes: int
    read_per_token_bytes: int  # weights a decode step reads: active experts only, one embedding row
    embedding_bytes: int  # the input token-embedding table
    by_type: tuple[tuple[str, int], ...]  # storage type -> bytes, largest first


@cache
def weights_size(a: Architecture, fmt: str) -> WeightsSize:
    tensors = enumerate_tensors(a)
    types = storage_types(a, fmt, tensors)
    total = read = embedding = 0
    by_type: dict[str, int] = {}
    for tensor, kind in zip(tensors, types, strict=True):
        size = round(tensor.weights * STORAGE[kind].bits_per_weight / 8)
        total += size
        by_type[kind] = by_type.get(kind, 0) + size
        if tensor.cat is Cat.TOKEN_EMBD:
            embedding = size
        if tensor.cat is Cat.TOKEN_EMBD and not a.tied_embeddings:
            continue  # a lookup reads one row per token, not the whole table
        read += round(size * tensor.active_experts / tensor.experts)
    ranked = tuple(sorted(by_type.items(), key=lambda kv: -kv[1]))
    return WeightsSize(total_bytes=total, read_per_token_bytes=read, embedding_bytes=embedding, by_type=ranked)

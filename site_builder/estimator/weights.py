"""Weight bytes of a GGUF file, tensor by tensor."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ..quants import STORAGE
from ..schema import Architecture
from .recipe import ModelFacts, Position, position, storage_type
from .tensors import Cat, enumerate_tensors


@dataclass(frozen=True)
class WeightsSize:
    total_bytes: int
    read_per_token_bytes: int  # weights a decode step reads: active experts only, one embedding row
    embedding_bytes: int  # the input token-embedding table
    by_type: tuple[tuple[str, int], ...]  # storage type -> bytes, largest first


@dataclass(frozen=True)
class TensorGroup:
    """Tensors the recipe cannot tell apart, with their weights summed."""

    cat: Cat
    ncols: int
    experts: int
    active_experts: int
    pos: Position
    weights: int
    count: int


@cache
def tensor_groups(a: Architecture) -> tuple[ModelFacts, tuple[TensorGroup, ...]]:
    tensors = enumerate_tensors(a)
    n_attn_v = sum(t.cat is Cat.ATTN_V for t in tensors)
    facts = ModelFacts(gqa=a.attention_heads // a.kv_heads, n_expert=a.experts or 0, is_70b=a.layers == 80,
                       tied=a.tied_embeddings)  # fmt: skip
    groups: dict[tuple, list[int]] = {}
    v_index = down_index = 0
    for t in tensors:
        pos = position(t.cat, t.layer, a.layers, v_index, n_attn_v, down_index)
        v_index += t.cat is Cat.ATTN_V
        down_index += t.cat is Cat.FFN_DOWN
        entry = groups.setdefault((t.cat, t.ncols, t.experts, t.active_experts, pos), [0, 0])
        entry[0] += t.weights
        entry[1] += 1
    return facts, tuple(TensorGroup(*key, weights, count) for key, (weights, count) in groups.items())


@cache
def weights_size(a: Architecture, fmt: str) -> WeightsSize:
    facts, groups = tensor_groups(a)
    total = read = embedding = 0
    by_type: dict[str, int] = {}
    for g in groups:
        kind = storage_type(fmt, g.cat, g.ncols, g.experts, g.pos, facts)
        size = round(g.weights * STORAGE[kind].bits_per_weight / 8)
        total += size
        by_type[kind] = by_type.get(kind, 0) + size
        if g.cat is Cat.TOKEN_EMBD:
            embedding = size
            if not a.tied_embeddings:
                continue  # a lookup reads one row per token, not the whole table
        read += round(size * g.active_experts / g.experts)
    ranked = tuple(sorted(by_type.items(), key=lambda kv: -kv[1]))
    return WeightsSize(total_bytes=total, read_per_token_bytes=read, embedding_bytes=embedding, by_type=ranked)


@cache
def weights_in_device_memory(a: Architecture, fmt: str, separate_host: bool) -> int:
    """llama.cpp keeps the input embedding table in host RAM when a GPU has its own memory."""
    size = weights_size(a, fmt)
    if separate_host and not a.tied_embeddings:
        return size.total_bytes - size.embedding_bytes
    return size.total_bytes

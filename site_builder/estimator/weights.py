"""Weight bytes of a GGUF file, tensor by tensor."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from site_builder.content.schema import Architecture
from site_builder.estimator.quants import STORAGE
from site_builder.estimator.recipe import ModelFacts, Position, position, storage_type
from site_builder.estimator.settings import CACHE_SIZE
from site_builder.estimator.tensors import Cat, Tensor, block_plan, enumerate_tensors


@dataclass(frozen=True)
class WeightsSize:
    total_bytes: int  # the file's tensor data, what people download
    memory_bytes: int  # what llama.cpp loads: the file less the blocks it skips (MTP)
    read_per_token_bytes: int  # weights a decode step reads: active experts only, one embedding row
    embedding_bytes: int  # the input token-embedding tables
    expert_bytes: int  # routed experts (a decode step reads experts_per_token / experts of them)
    by_type: tuple[tuple[str, int], ...]  # storage type -> bytes, largest first


@dataclass(frozen=True)
class TensorGroup:
    """Tensors the recipe cannot tell apart, with their weights summed."""

    cat: Cat
    ncols: int
    experts: int
    active_experts: int
    pos: Position
    in_memory: bool
    embedding: bool
    weights: int
    count: int


def model_facts(a: Architecture) -> ModelFacts:
    is_70b = a.layers == 80 and a.gguf_arch in (None, "llama") and a.kv_heads < a.attention_heads  # LLM_TYPE_70B
    return ModelFacts(gqa=a.attention_heads // a.kv_heads, n_expert=a.experts or 0, is_70b=is_70b,
                      tied=a.tied_embeddings)  # fmt: skip


def positioned_tensors(a: Architecture) -> list[tuple[Tensor, Cat, Position]]:
    """Every tensor with the category and position llama.cpp's recipe sees, in file order (its counters run
    over the tensors in this order)."""
    tensors = enumerate_tensors(a)
    n_attn_v = sum(t.cat in (Cat.ATTN_V, Cat.ATTN_QKV) for t in tensors)
    n_layer_all = len(block_plan(a))  # llama.cpp's n_layer_all: MTP blocks included
    out = []
    v_index = down_index = 0
    for t in tensors:
        cat = Cat.ATTN_V if t.cat is Cat.ATTN_QKV else t.cat  # llama.cpp's category_is_attn_v
        layer = t.layer if a.is_moe else down_index  # MoE files read the layer from the name, dense ones count
        out.append((t, cat, position(cat, layer, n_layer_all, v_index, n_attn_v, down_index)))
        v_index += cat is Cat.ATTN_V
        down_index += cat is Cat.FFN_DOWN
    return out


@lru_cache(maxsize=CACHE_SIZE)
def tensor_groups(a: Architecture) -> tuple[ModelFacts, tuple[TensorGroup, ...]]:
    groups: dict[tuple, list[int]] = {}
    for t, cat, pos in positioned_tensors(a):
        entry = groups.setdefault((cat, t.ncols, t.experts, t.active_experts, pos, t.in_memory, t.embedding), [0, 0])
        entry[0] += t.weights
        entry[1] += 1
    return model_facts(a), tuple(TensorGroup(*key, weights, count) for key, (weights, count) in groups.items())


@dataclass(frozen=True)
class BlockBytes:
    """Where a file's bytes are, block by block: what multi-GPU placement and offload move around."""

    weights: np.ndarray  # per block (blk.N), bytes loaded (0 for blocks llama.cpp skips)
    experts: np.ndarray  # per block, routed-expert bytes among them
    read: np.ndarray  # per block, bytes one generated token reads
    output: int  # output projection and norm: on the device that holds the output layer
    lookups: int  # input lookup tables (token embeddings): host RAM beside a GPU
    lookup_read: int  # bytes of them one token reads


@lru_cache(maxsize=CACHE_SIZE)
def block_bytes(a: Architecture, fmt: str) -> BlockBytes:
    facts = model_facts(a)
    n = len(block_plan(a))
    weights, experts, read = np.zeros(n, np.int64), np.zeros(n, np.int64), np.zeros(n, np.float64)
    output = lookups = lookup_read = 0
    for t, cat, pos in positioned_tensors(a):
        kind = tensor_type(a, fmt, cat, t.ncols, t.experts, pos, facts)
        size = round(t.weights * STORAGE[kind].bits_per_weight / 8)
        if not t.in_memory:
            continue
        if t.embedding:
            lookups += size
            lookup_read += round(size / a.vocab_size)
        elif t.layer < 0:
            output += size
        else:
            weights[t.layer] += size
            read[t.layer] += size * t.active_experts / t.experts
            if t.experts > 1:
                experts[t.layer] += size
    return BlockBytes(weights, experts, read, output, lookups, lookup_read)


def tensor_type(a: Architecture, fmt: str, cat: Cat, ncols: int, experts: int, pos: Position, facts: ModelFacts) -> str:
    if a.expert_format and experts > 1:
        return a.expert_format  # experts released quantized stay as they are (gpt-oss: MXFP4)
    return storage_type(fmt, cat, ncols, experts, pos, facts)


@lru_cache(maxsize=CACHE_SIZE)
def weights_size(a: Architecture, fmt: str) -> WeightsSize:
    facts, groups = tensor_groups(a)
    total = memory = read = embedding = experts = 0
    by_type: dict[str, int] = {}
    for g in groups:
        kind = tensor_type(a, fmt, g.cat, g.ncols, g.experts, g.pos, facts)
        size = round(g.weights * STORAGE[kind].bits_per_weight / 8)
        total += size
        by_type[kind] = by_type.get(kind, 0) + size
        if not g.in_memory:
            continue
        memory += size
        if g.experts > 1:
            experts += size
        if g.embedding:
            embedding += size
            continue  # a lookup reads one row per token, not the whole table
        read += round(size * g.active_experts / g.experts)
    ranked = tuple(sorted(by_type.items(), key=lambda kv: -kv[1]))
    return WeightsSize(total, memory, read, embedding, experts, ranked)


@lru_cache(maxsize=CACHE_SIZE)
def weights_in_device_memory(a: Architecture, fmt: str, separate_host: bool) -> int:
    """llama.cpp keeps the input lookup tables in host RAM when a GPU has its own memory (a tied table is also
    the output projection and stays on the GPU)."""
    size = weights_size(a, fmt)
    return size.memory_bytes - size.embedding_bytes if separate_host else size.memory_bytes

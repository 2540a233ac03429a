"""Weight bytes of a GGUF file, tensor by tensor.

llama.cpp's recipe picks a storage type per tensor from its category, row length, expert count and position
(recipe.py). A model's ~1,000 tensors fall into a few dozen groups the recipe cannot tell apart; each group
keeps its weights per block, so a format's bytes per block are one product of the groups' bits per weight with
that matrix.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from site_builder.content.schema import Architecture
from site_builder.estimator.quants import STORAGE
from site_builder.estimator.recipe import ModelFacts, Position, position, storage_type
from site_builder.estimator.settings import CACHE_SIZE
from site_builder.estimator.tensors import Cat, block_plan, enumerate_tensors


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


@dataclass(frozen=True, eq=False)
class Groups:
    facts: ModelFacts
    groups: tuple[TensorGroup, ...]
    per_block: np.ndarray  # [groups, blocks]: each group's weights in each block (blk.N)
    outside: np.ndarray  # [groups]: weights outside the blocks (embeddings, output, output norm)


def model_facts(a: Architecture) -> ModelFacts:
    is_70b = a.layers == 80 and a.gguf_arch in (None, "llama") and a.kv_heads < a.attention_heads  # LLM_TYPE_70B
    return ModelFacts(gqa=a.attention_heads // a.kv_heads, n_expert=a.experts or 0, is_70b=is_70b,
                      tied=a.tied_embeddings)  # fmt: skip


@lru_cache(maxsize=CACHE_SIZE)
def grouped(a: Architecture) -> Groups:
    """Every tensor with the category and position llama.cpp's recipe sees, in file order (its counters run over
    the tensors in this order), summed into groups."""
    tensors = enumerate_tensors(a)
    n_attn_v = sum(t.cat in (Cat.ATTN_V, Cat.ATTN_QKV) for t in tensors)
    n_blocks = len(block_plan(a))  # llama.cpp's n_layer_all: MTP blocks included
    keys: dict[tuple, int] = {}
    per_block: list[np.ndarray] = []
    outside: list[int] = []
    counts: list[int] = []
    v_index = down_index = 0
    for t in tensors:
        cat = Cat.ATTN_V if t.cat is Cat.ATTN_QKV else t.cat  # llama.cpp's category_is_attn_v
        layer = t.layer if a.is_moe else down_index  # MoE files read the layer from the name, dense ones count
        pos = position(cat, layer, n_blocks, v_index, n_attn_v, down_index)
        v_index += cat is Cat.ATTN_V
        down_index += cat is Cat.FFN_DOWN
        key = (cat, t.ncols, t.experts, t.active_experts, pos, t.in_memory, t.embedding)
        if key not in keys:
            keys[key] = len(keys)
            per_block.append(np.zeros(n_blocks, np.float64))
            outside.append(0)
            counts.append(0)
        g = keys[key]
        counts[g] += 1
        if t.layer < 0:
            outside[g] += t.weights
        else:
            per_block[g][t.layer] += t.weights
    groups = tuple(TensorGroup(*key, int(per_block[g].sum()) + outside[g], counts[g]) for key, g in keys.items())
    return Groups(model_facts(a), groups, np.array(per_block), np.array(outside, np.float64))


def tensor_type(a: Architecture, fmt: str, cat: Cat, ncols: int, experts: int, pos: Position, facts: ModelFacts) -> str:
    if a.expert_format and experts > 1:
        return a.expert_format  # experts released quantized stay as they are (gpt-oss: MXFP4)
    return storage_type(fmt, cat, ncols, experts, pos, facts)


def _bytes_per_weight(a: Architecture, fmt: str, g: Groups) -> tuple[list[str], np.ndarray]:
    kinds = [tensor_type(a, fmt, t.cat, t.ncols, t.experts, t.pos, g.facts) for t in g.groups]
    return kinds, np.array([STORAGE[k].bits_per_weight / 8 for k in kinds])


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
    g = grouped(a)
    _, per_weight = _bytes_per_weight(a, fmt, g)
    loaded = np.array([t.in_memory for t in g.groups])
    expert = np.array([t.experts > 1 for t in g.groups])
    active = np.array([t.active_experts / t.experts for t in g.groups])
    lookup = np.array([t.embedding for t in g.groups])
    blocks = (per_weight * loaded)[:, None] * g.per_block  # [groups, blocks]
    outside = per_weight * g.outside * loaded
    lookups = float(outside[lookup].sum())
    return BlockBytes(
        weights=np.rint(blocks.sum(axis=0)).astype(np.int64),
        experts=np.rint(blocks[expert].sum(axis=0)).astype(np.int64),
        read=(blocks * active[:, None]).sum(axis=0),
        output=round(float(outside[~lookup].sum())),
        lookups=round(lookups),
        lookup_read=round(lookups / a.vocab_size),
    )


@lru_cache(maxsize=CACHE_SIZE)
def weights_size(a: Architecture, fmt: str) -> WeightsSize:
    g = grouped(a)
    kinds, per_weight = _bytes_per_weight(a, fmt, g)
    total = memory = read = embedding = experts = 0
    by_type: dict[str, int] = {}
    for t, kind, bpw in zip(g.groups, kinds, per_weight, strict=True):
        size = round(t.weights * bpw)
        total += size
        by_type[kind] = by_type.get(kind, 0) + size
        if not t.in_memory:
            continue
        memory += size
        if t.experts > 1:
            experts += size
        if t.embedding:
            embedding += size
            continue  # a lookup reads one row per token, not the whole table
        read += round(size * t.active_experts / t.experts)
    ranked = tuple(sorted(by_type.items(), key=lambda kv: -kv[1]))
    return WeightsSize(total, memory, read, embedding, experts, ranked)


@lru_cache(maxsize=CACHE_SIZE)
def weights_in_device_memory(a: Architecture, fmt: str, separate_host: bool) -> int:
    """llama.cpp keeps the input lookup tables in host RAM when a GPU has its own memory (a tied table is also
    the output projection and stays on the GPU)."""
    size = weights_size(a, fmt)
    return size.memory_bytes - size.embedding_bytes if separate_host else size.memory_bytes

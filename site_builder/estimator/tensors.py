"""The tensors of a GGUF file, enumerated from a model's architecture.

Names follow llama.cpp's GGUF tensor names, because its quantization recipe picks storage types by name
(see `recipe.py`). Norm vectors and biases are tiny and kept only where llama.cpp always has them.

A block (llama.cpp's `blk.N`) has a token mixer (attention, a recurrent mixer, both in parallel, or neither)
and a feed-forward part (dense, mixture of experts, or none); `block_plan` decides which block has which.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import lru_cache
from typing import NamedTuple

from site_builder.content.schema import Architecture, Recurrent, RecurrentKind
from site_builder.estimator.settings import CACHE_SIZE


class Cat(Enum):
    TOKEN_EMBD = "token_embd"
    OUTPUT = "output"
    ATTN_Q = "attn_q"
    ATTN_K = "attn_k"
    ATTN_V = "attn_v"
    ATTN_QKV = "attn_qkv"  # fused Q, K and V (Phi-3): llama.cpp treats it like attn_v
    ATTN_OUTPUT = "attn_output"
    FFN_UP = "ffn_up"
    FFN_GATE = "ffn_gate"
    FFN_DOWN = "ffn_down"
    OTHER = "other"  # quantized with the file's default type
    F32 = "f32"  # never quantized: norms, MoE routers, convolutions


@dataclass(frozen=True)
class Tensor:
    cat: Cat
    layer: int  # -1 for tensors outside the blocks
    ncols: int  # ne[0]: the row length the block size must divide
    weights: int
    experts: int = 1  # >1: one 3-D tensor holding every routed expert
    active_experts: int = 1  # how many of `experts` a token reads
    in_memory: bool = True  # False: in the file but not loaded for inference (llama.cpp skips MTP blocks)
    embedding: bool = False  # a lookup table: a token reads one row; llama.cpp keeps it in host RAM beside a GPU

    @property
    def active_weights(self) -> float:
        """Weights read to generate one token (routed experts: only the chosen ones)."""
        return self.weights * self.active_experts / self.experts


class Block(NamedTuple):
    attention: bool
    recurrent: bool
    ffn: str  # "dense", "moe" or ""
    in_memory: bool = True


FUSED_QKV_ARCHS = {"phi3"}  # llama.cpp's converter keeps these architectures' qkv projection as one tensor


def _spread(n: int, count: int) -> set[int]:
    """`count` of the indices 0..n-1, evenly spaced and ending at the last (every k-th from the k-th)."""
    if count >= n:
        return set(range(n))
    return {n - 1 - int(i * n / count) for i in range(count)}


@lru_cache(maxsize=CACHE_SIZE)
def block_plan(a: Architecture) -> tuple[Block, ...]:
    n = a.layers
    r = a.recurrent.layers if a.recurrent else 0
    attention = _spread(n, a.attention_layers or n) if r or a.attention_layers else set(range(n))
    others = [i for i in range(n) if i not in attention]
    if r <= len(others):
        recurrent = set(others[len(others) - r :])
    else:  # parallel mixers (Falcon-H1): every block without attention, then blocks with it too
        recurrent = set(others) | set(sorted(attention)[: r - len(others)])
    with_ffn = _ffn_blocks(a, attention | recurrent)
    blocks = []
    for i in range(n):
        ffn = "" if i not in with_ffn else ("moe" if _is_moe(a, i) else "dense")
        blocks.append(Block(i in attention, i in recurrent, ffn))
    # MTP (next-token prediction) blocks: full attention + MoE layers stored after the others
    blocks += [Block(True, False, "moe" if a.is_moe else "dense", False)] * (a.nextn_layers or 0)
    return tuple(blocks)


def _ffn_blocks(a: Architecture, mixers: set[int]) -> set[int]:
    wanted = a.layers if a.ffn_layers is None else a.ffn_layers
    bare = [i for i in range(a.layers) if i not in mixers]  # Nemotron-H: MLP-only blocks
    rest = [i for i in range(a.layers) if i in mixers]
    return set((bare + rest)[:wanted])


def _is_moe(a: Architecture, i: int) -> bool:
    if not a.is_moe or i < (a.dense_layers or 0):
        return False
    return (i + 1) % (a.moe_layer_step or 1) == 0


def enumerate_tensors(a: Architecture) -> list[Tensor]:
    h = a.hidden_size
    # A tied table is also the output projection, read whole for every token: not a lookup table then.
    out = [Tensor(Cat.TOKEN_EMBD, -1, h, a.vocab_size * h, embedding=not a.tied_embeddings)]
    if a.per_layer_embedding_size:  # Gemma 3n: per_layer_token_embd, also looked up by token
        width = a.layers * a.per_layer_embedding_size
        out.append(Tensor(Cat.TOKEN_EMBD, -1, width, a.vocab_size * width, embedding=True))
        out.append(Tensor(Cat.F32, -1, h, h * width))  # per_layer_model_proj, kept as it is
    if not a.tied_embeddings:
        out.append(Tensor(Cat.OUTPUT, -1, h, a.vocab_size * h))
    out.append(Tensor(Cat.F32, -1, h, h))  # output_norm
    for layer, block in enumerate(block_plan(a)):
        mine = []
        if block.attention:
            mine += _attention(a, layer)
        if block.recurrent:
            mine += _recurrent(a.recurrent, h, layer)
        if block.ffn == "dense":
            mine += _dense_ffn(h, a.intermediate_size or a.moe_intermediate_size, layer, a.ffn_gated)
        elif block.ffn == "moe":
            mine += _moe_ffn(a, layer)
        if a.per_layer_embedding_size:
            mine.append(Tensor(Cat.OTHER, layer, h, 2 * h * a.per_layer_embedding_size))  # inp_gate + proj
        mine.append(Tensor(Cat.F32, layer, h, 2 * h))  # attn_norm + ffn_norm
        out += mine if block.in_memory else [_not_loaded(t) for t in mine]
    return out


def _not_loaded(t: Tensor) -> Tensor:
    return Tensor(t.cat, t.layer, t.ncols, t.weights, t.experts, t.active_experts, False, t.embedding)


def _attention(a: Architecture, layer: int) -> list[Tensor]:
    h, heads, kv = a.hidden_size, a.attention_heads, a.kv_heads
    if a.is_mla:
        return _latent_attention(a, layer)
    d = a.head_size
    q = h * heads * d * (2 if a.attention_gate else 1)
    out = [Tensor(Cat.ATTN_OUTPUT, layer, heads * d, heads * d * h)]
    if a.gguf_arch in FUSED_QKV_ARCHS:
        return [Tensor(Cat.ATTN_QKV, layer, h, q + 2 * h * kv * d), *out]
    return [Tensor(Cat.ATTN_Q, layer, h, q), Tensor(Cat.ATTN_K, layer, h, h * kv * d),
            Tensor(Cat.ATTN_V, layer, h, h * kv * d), *out]  # fmt: skip


def _latent_attention(a: Architecture, layer: int) -> list[Tensor]:
    """DeepSeek V2/V3 multi-head latent attention, as llama.cpp's converter splits kv_b into k_b and v_b."""
    h, heads = a.hidden_size, a.attention_heads
    rope, nope, v_dim, rank = a.qk_rope_head_dim, a.qk_nope_head_dim, a.v_head_dim, a.kv_lora_rank
    q_dim = heads * (nope + rope)
    if a.q_lora_rank:
        q = [
            Tensor(Cat.OTHER, layer, h, h * a.q_lora_rank),
            Tensor(Cat.OTHER, layer, a.q_lora_rank, a.q_lora_rank * q_dim),
        ]
    else:
        q = [Tensor(Cat.ATTN_Q, layer, h, h * q_dim)]
    return [
        *q,
        Tensor(Cat.OTHER, layer, h, h * (rank + rope)),  # attn_kv_a_mqa
        Tensor(Cat.OTHER, layer, nope, heads * nope * rank),  # attn_k_b
        Tensor(Cat.OTHER, layer, rank, heads * rank * v_dim),  # attn_v_b
        Tensor(Cat.ATTN_OUTPUT, layer, heads * v_dim, heads * v_dim * h),
    ]


def recurrent_widths(r: Recurrent, h: int) -> tuple[int, int, int]:
    """(input projection width, inner width, channels of the convolution) of one recurrent mixer."""
    if r.kind is RecurrentKind.MAMBA2:
        inner = r.heads * r.head_dim
        conv = inner + 2 * r.groups * r.state_size
        return inner + conv + r.heads, inner, conv  # z, x, B, C and dt from one in_proj
    if r.kind is RecurrentKind.GATED_DELTANET:
        keys, values = r.key_heads * r.key_head_dim, r.value_heads * r.value_head_dim
        return 2 * keys + 2 * values + 2 * r.value_heads, values, 2 * keys + values  # qkvz and beta/alpha
    return 3 * h, h, h  # short convolution: B, C and x from in_proj


def recurrent_state_elements(r: Recurrent, h: int) -> int:
    """f32 elements one sequence's state holds in one recurrent block: convolution tail and SSM state."""
    _, inner, conv = recurrent_widths(r, h)
    state = {
        RecurrentKind.MAMBA2: inner * (r.state_size or 0),
        RecurrentKind.GATED_DELTANET: (r.value_heads or 0) * (r.key_head_dim or 0) * (r.value_head_dim or 0),
        RecurrentKind.SHORT_CONV: 0,
    }[r.kind]
    return (r.conv_kernel - 1) * conv + state


def _recurrent(r: Recurrent, h: int, layer: int) -> list[Tensor]:
    proj, inner, conv = recurrent_widths(r, h)
    return [
        Tensor(Cat.OTHER, layer, h, h * proj),  # ssm_in / shortconv.in_proj
        Tensor(Cat.F32, layer, r.conv_kernel, conv * r.conv_kernel),  # ssm_conv1d: never quantized
        Tensor(Cat.OTHER, layer, inner, inner * h),  # ssm_out / shortconv.out_proj
    ]


def _moe_ffn(a: Architecture, layer: int) -> list[Tensor]:
    h = a.hidden_size
    m = a.moe_intermediate_size or a.intermediate_size
    n, k = a.experts, a.experts_per_token
    out = [
        Tensor(Cat.F32, layer, h, h * n),  # ffn_gate_inp: the router stays F32
        Tensor(Cat.FFN_DOWN, layer, m, n * m * h, n, k),
        *([Tensor(Cat.FFN_GATE, layer, h, n * h * m, n, k)] if a.ffn_gated else []),
        Tensor(Cat.FFN_UP, layer, h, n * h * m, n, k),
    ]
    shared = a.shared_expert_intermediate_size or (a.shared_experts or 0) * m
    if shared:
        out.extend(_dense_ffn(h, shared, layer, a.ffn_gated))
    return out


def _dense_ffn(h: int, width: int, layer: int, gated: bool = True) -> list[Tensor]:
    return [
        Tensor(Cat.FFN_DOWN, layer, width, width * h),
        *([Tensor(Cat.FFN_GATE, layer, h, h * width)] if gated else []),
        Tensor(Cat.FFN_UP, layer, h, h * width),
    ]


@lru_cache(maxsize=CACHE_SIZE)
def count_params(a: Architecture) -> tuple[int, int]:
    """(total, active per token) parameter counts implied by the architecture, MTP blocks excluded: publishers
    count the model that generates text."""
    tensors = [t for t in enumerate_tensors(a) if t.in_memory]
    return sum(t.weights for t in tensors), round(sum(t.active_weights for t in tensors))

"""The tensors of a GGUF file, enumerated from a model's architecture.

Names follow llama.cpp's GGUF tensor names, because its quantization recipe picks storage types by name
(see `recipe.py`). Norm vectors and biases are tiny and kept only where llama.cpp always has them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from functools import cache

from ..schema import Architecture


class Cat(Enum):
    TOKEN_EMBD = "token_embd"
    OUTPUT = "output"
    ATTN_Q = "attn_q"
    ATTN_K = "attn_k"
    ATTN_V = "attn_v"
    ATTN_OUTPUT = "attn_output"
    FFN_UP = "ffn_up"
    FFN_GATE = "ffn_gate"
    FFN_DOWN = "ffn_down"
    OTHER = "other"  # quantized with the file's default type
    F32 = "f32"  # never quantized: norms, MoE routers


@dataclass(frozen=True)
class Tensor:
    cat: Cat
    layer: int  # -1 for tensors outside the blocks
    ncols: int  # ne[0]: the row length the block size must divide
    weights: int
    experts: int = 1  # >1: one 3-D tensor holding every routed expert
    active_experts: int = 1  # how many of `experts` a token reads

    @property
    def active_weights(self) -> float:
        """Weights read to generate one token (routed experts: only the chosen ones)."""
        return self.weights * self.active_experts / self.experts


def enumerate_tensors(a: Architecture) -> list[Tensor]:
    h = a.hidden_size
    out = [Tensor(Cat.TOKEN_EMBD, -1, h, a.vocab_size * h)]
    if not a.tied_embeddings:
        out.append(Tensor(Cat.OUTPUT, -1, h, a.vocab_size * h))
    out.append(Tensor(Cat.F32, -1, h, h))  # output_norm
    for layer in range(a.layers):
        out.extend(_attention(a, layer))
        out.extend(_ffn(a, layer))
        out.append(Tensor(Cat.F32, layer, h, 2 * h))  # attn_norm + ffn_norm
    return out


def _attention(a: Architecture, layer: int) -> list[Tensor]:
    h, heads, kv = a.hidden_size, a.attention_heads, a.kv_heads
    if a.is_mla:
        return _latent_attention(a, layer)
    d = a.head_size
    return [
        Tensor(Cat.ATTN_Q, layer, h, h * heads * d),
        Tensor(Cat.ATTN_K, layer, h, h * kv * d),
        Tensor(Cat.ATTN_V, layer, h, h * kv * d),
        Tensor(Cat.ATTN_OUTPUT, layer, heads * d, heads * d * h),
    ]


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


def _ffn(a: Architecture, layer: int) -> list[Tensor]:
    h = a.hidden_size
    if not a.is_moe or layer < (a.dense_layers or 0):
        return _dense_ffn(h, a.intermediate_size, layer)
    m = a.moe_intermediate_size or a.intermediate_size
    n, k = a.experts, a.experts_per_token
    out = [
        Tensor(Cat.F32, layer, h, h * n),  # ffn_gate_inp: the router stays F32
        Tensor(Cat.FFN_DOWN, layer, m, n * m * h, n, k),
        Tensor(Cat.FFN_GATE, layer, h, n * h * m, n, k),
        Tensor(Cat.FFN_UP, layer, h, n * h * m, n, k),
    ]
    if a.shared_experts:
        out.extend(_dense_ffn(h, a.shared_experts * m, layer))
    return out


def _dense_ffn(h: int, width: int, layer: int) -> list[Tensor]:
    return [
        Tensor(Cat.FFN_DOWN, layer, width, width * h),
        Tensor(Cat.FFN_GATE, layer, h, h * width),
        Tensor(Cat.FFN_UP, layer, h, h * width),
    ]


@cache
def count_params(a: Architecture) -> tuple[int, int]:
    """(total, active per token) parameter counts implied by the architecture."""
    tensors = enumerate_tensors(a)
    return sum(t.weights for t in tensors), round(sum(t.active_weights for t in tensors))

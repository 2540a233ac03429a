"""Which storage type each tensor gets in a GGUF file of a given format.

This mirrors `llama_tensor_get_type_impl` and `tensor_type_fallback` in ggml-org/llama.cpp
src/llama-quant.cpp (commit 007dbbf), for files quantized without `--pure` or per-tensor overrides.
An importance matrix changes the recipe for a few formats; we assume one only where llama.cpp requires it
(IQ2 family), which reproduces llama.cpp's own Llama-3.1-8B size table (tools/quantize/README.md).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..quants import QUANTS, STORAGE
from ..schema import Architecture
from .tensors import Cat, Tensor

IQ2_FAMILY = {"IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ2_S", "IQ2_M", "IQ1_M"}
IQ2_S_OR_M = {"IQ2_S", "IQ2_M"}
IQ1 = {"IQ1_S", "IQ1_M"}
OUTPUT_Q5K_FORMATS = IQ2_FAMILY | {"IQ3_XXS"}
# Formats whose tensors llama.cpp refuses to quantize without an importance matrix (tensor_requires_imatrix).
IMATRIX_REQUIRED = IQ2_FAMILY | {"IQ3_XXS", "IQ3_XS", "Q2_K_S"}
FALLBACK = {
    "IQ1_S": "IQ4_NL", "IQ1_M": "IQ4_NL", "IQ2_XXS": "IQ4_NL", "IQ2_XS": "IQ4_NL", "IQ2_S": "IQ4_NL",
    "IQ3_XXS": "IQ4_NL", "IQ3_S": "IQ4_NL", "IQ4_XS": "IQ4_NL",
    "Q2_K": "Q4_0", "Q3_K": "Q4_0", "Q4_K": "Q5_0", "Q5_K": "Q5_1", "Q6_K": "Q8_0",
}  # fmt: skip


def use_more_bits(i: int, n: int) -> bool:
    return i < n // 8 or i >= 7 * n // 8 or (i - n // 8) % 3 == 2


@dataclass
class _State:
    """llama.cpp's running counters: the i-th attn_v / ffn_down tensor seen so far."""

    n_attention_wv: int
    n_layers: int
    imatrix: bool = False
    i_attention_wv: int = 0
    i_ffn_down: int = 0


def storage_types(a: Architecture, fmt: str, tensors: list[Tensor], imatrix: bool | None = None) -> list[str]:
    """The storage type of every tensor, in file order."""
    quant = QUANTS[fmt]
    if imatrix is None:
        imatrix = fmt in IMATRIX_REQUIRED
    state = _State(n_attention_wv=sum(t.cat is Cat.ATTN_V for t in tensors), n_layers=a.layers, imatrix=imatrix)
    return [_storage_type(a, quant.name, quant.default_type, t, state, imatrix) for t in tensors]


def _storage_type(a: Architecture, fmt: str, default: str, t: Tensor, st: _State, imatrix: bool) -> str:
    if t.cat is Cat.F32:
        return "F32"
    if default in ("F16", "BF16", "F32"):
        return default
    chosen = _recipe(a, fmt, default, t, st, imatrix)
    return _fallback(chosen, t.ncols)


def _fallback(kind: str, ncols: int) -> str:
    if ncols % STORAGE[kind].block_weights == 0:
        return kind
    kind = FALLBACK.get(kind, "F16")
    return kind if ncols % STORAGE[kind].block_weights == 0 else "F16"


def _recipe(a: Architecture, fmt: str, new: str, t: Tensor, st: _State, imatrix: bool) -> str:  # noqa: C901
    gqa = a.attention_heads // a.kv_heads
    n_expert = a.experts or 0
    tied = a.tied_embeddings
    if t.cat is Cat.OUTPUT or (tied and t.cat is Cat.TOKEN_EMBD):
        if fmt == "MXFP4" or t.ncols % STORAGE[new].block_weights:
            return "Q8_0"
        if fmt in OUTPUT_Q5K_FORMATS:
            return "Q5_K"
        return new if new == "Q8_0" else "Q6_K"
    if fmt == "MXFP4":
        return "MXFP4" if t.experts > 1 else "Q8_0"
    if t.cat is Cat.TOKEN_EMBD:
        if fmt in {"IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M"}:
            return "Q2_K"
        return "IQ3_S" if fmt in IQ2_S_OR_M | {"IQ3_XXS"} else new
    if fmt in IQ2_FAMILY:
        return _iq2_recipe(a, fmt, new, t, st, gqa, n_expert)
    if t.cat is Cat.ATTN_V:
        return _attn_v(a, fmt, new, st, gqa, n_expert)
    if t.cat is Cat.ATTN_K:
        return "Q8_0" if n_expert == 8 else {"IQ3_XS": "IQ3_XXS", "IQ3_XXS": "IQ2_S"}.get(fmt, new)
    if t.cat is Cat.ATTN_Q:
        return {"IQ3_XS": "IQ3_XXS", "IQ3_XXS": "IQ2_S"}.get(fmt, new)
    if t.cat is Cat.FFN_DOWN:
        return _ffn_down(fmt, new, t.layer, a.layers, n_expert, imatrix)
    if t.cat is Cat.ATTN_OUTPUT:
        if n_expert == 8:
            eight = {"Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M", "IQ3_S", "IQ3_M"}
            return "Q5_K" if fmt in eight | {"IQ4_XS"} else new
        return {"Q2_K": "Q3_K", "IQ3_XXS": "IQ3_S", "Q3_K_M": "Q4_K", "Q3_K_L": "Q5_K", "IQ3_M": "Q4_K"}.get(fmt, new)
    if t.cat in (Cat.FFN_GATE, Cat.FFN_UP) and fmt == "IQ3_XS" and a.layers // 8 <= t.layer < 7 * a.layers // 8:
        return "IQ3_XXS"
    return new


def _iq2_recipe(a: Architecture, fmt: str, new: str, t: Tensor, st: _State, gqa: int, n_expert: int) -> str:
    low = "IQ3_S" if fmt in IQ2_S_OR_M else "Q2_K"
    if t.cat is Cat.ATTN_V:
        st.i_attention_wv += 1
        return "Q4_K" if gqa >= 4 or n_expert >= 4 else low
    if n_expert == 8 and t.cat is Cat.ATTN_K:
        return "Q4_K"
    if t.cat is Cat.FFN_DOWN:
        first = st.i_ffn_down < st.n_layers // 8
        st.i_ffn_down += 1
        return low if first else new
    if t.cat is Cat.ATTN_OUTPUT:
        if n_expert == 8:
            return "Q5_K"
        return "IQ2_XXS" if fmt in IQ1 else ("IQ3_S" if fmt in IQ2_S_OR_M else new)
    return new


def _attn_v(a: Architecture, fmt: str, new: str, st: _State, gqa: int, n_expert: int) -> str:
    i, n = st.i_attention_wv, st.n_attention_wv
    st.i_attention_wv += 1
    if fmt == "Q2_K":
        new = "Q4_K" if gqa >= 4 else "Q3_K"
    elif fmt == "Q2_K_S" and gqa >= 4:
        new = "Q4_K"
    elif fmt == "IQ3_XXS":
        new = "Q4_K" if gqa >= 4 else ("IQ3_XXS" if st.imatrix else "IQ3_S")
    elif fmt in ("IQ3_XS", "IQ3_S") and gqa >= 4:
        new = "Q4_K"
    elif fmt == "IQ3_M":
        new = "Q4_K"
    elif fmt == "Q3_K_M":
        new = "Q5_K" if i < 2 else "Q4_K"
    elif fmt == "Q3_K_L" or fmt == "IQ4_XS" and gqa >= 4:
        new = "Q5_K"
    elif fmt in ("Q4_K_M", "Q5_K_M") and use_more_bits(i, n):
        new = "Q6_K"
    elif fmt == "Q4_K_S" and i < 4:
        new = "Q5_K"
    if a.layers == 80 and new in ("Q3_K", "Q4_K"):  # llama.cpp's LLM_TYPE_70B bump
        new = "Q5_K"
    return "Q8_0" if n_expert == 8 else new


def _ffn_down(fmt: str, new: str, i: int, n: int, n_expert: int, imatrix: bool) -> str:
    if fmt == "Q2_K":
        return "Q3_K"
    if fmt == "Q2_K_S":
        return "Q4_K" if i < n // 8 else new
    if fmt == "IQ3_XXS" and not imatrix:
        return "Q4_K" if i < n // 8 else "Q3_K"
    if fmt == "Q3_K_M":
        return "Q5_K" if i < n // 16 else "Q4_K"
    if fmt == "IQ3_M" and (i < n // 8 or (n_expert == 8 and use_more_bits(i, n))):
        return "Q4_K"
    if fmt == "Q3_K_L":
        return "Q5_K"
    if fmt == "Q4_K_M":
        return "Q6_K" if use_more_bits(i, n) else new
    if fmt in ("IQ4_NL", "IQ4_XS") and i < n // 8 and not imatrix:
        return "Q5_K"
    if fmt == "Q5_K_M" and use_more_bits(i, n):
        return "Q6_K"
    if fmt == "Q4_K_S" and i < n // 8:
        return "Q5_K"
    if fmt in ("Q4_0", "Q5_0") and imatrix and i < n // 8:
        return "Q4_1" if fmt == "Q4_0" else "Q5_1"
    return new

"""Which storage type each tensor gets in a GGUF file of a given format.

This mirrors `llama_tensor_get_type_impl` and `tensor_type_fallback` in ggml-org/llama.cpp
src/llama-quant.cpp (commit 007dbbf), for files quantized without `--pure` or per-tensor overrides.
An importance matrix changes the recipe for a few formats; we assume one only where llama.cpp requires it
(the formats in IMATRIX_REQUIRED), which reproduces llama.cpp's own Llama-3.1-8B size table
(tools/quantize/README.md).

llama.cpp walks the tensors in order and keeps counters (the i-th attention-V tensor, the i-th
feed-forward-down tensor). Everything the rules read from a tensor's position is reduced here to a few
yes/no facts (`Position`), so the rule is a pure function that can be memoised: a model's ~300 tensors
collapse into a dozen distinct cases.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from site_builder.estimator.quants import QUANTS, STORAGE
from site_builder.estimator.settings import CACHE_SIZE
from site_builder.estimator.tensors import Cat

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


class ModelFacts(NamedTuple):  # tuples hash and compare in C: these are memo keys for ~200,000 lookups
    """What the rules read from the model as a whole."""

    gqa: int  # attention heads per KV head
    n_expert: int
    is_70b: bool  # llama.cpp's LLM_TYPE_70B: 80 layers
    tied: bool


class Position(NamedTuple):
    """What the rules read from a tensor's place in the file."""

    v_more_bits: bool = False  # attention-V counter: use_more_bits(i, n)
    v_first_two: bool = False
    v_first_four: bool = False
    first_eighth: bool = False  # layer < n/8
    first_sixteenth: bool = False
    layer_more_bits: bool = False  # use_more_bits(layer, n)
    middle: bool = False  # n/8 <= layer < 7n/8
    down_counter_first_eighth: bool = False  # the i-th ffn_down tensor, i < n/8 (IQ2 branch counts tensors)


@lru_cache(maxsize=CACHE_SIZE)
def position(cat: Cat, layer: int, n_layers: int, attn_v_index: int, n_attn_v: int, ffn_down_index: int) -> Position:
    if cat is Cat.ATTN_V:
        return Position(
            v_more_bits=use_more_bits(attn_v_index, n_attn_v),
            v_first_two=attn_v_index < 2,
            v_first_four=attn_v_index < 4,
        )
    if cat is Cat.FFN_DOWN:
        return Position(
            first_eighth=layer < n_layers // 8,
            first_sixteenth=layer < n_layers // 16,
            layer_more_bits=use_more_bits(layer, n_layers),
            down_counter_first_eighth=ffn_down_index < n_layers // 8,
        )
    if cat in (Cat.FFN_GATE, Cat.FFN_UP):
        return Position(middle=n_layers // 8 <= layer < 7 * n_layers // 8)
    return Position()


@lru_cache(maxsize=CACHE_SIZE)
def storage_type(fmt: str, cat: Cat, ncols: int, experts: int, pos: Position, m: ModelFacts) -> str:
    """The storage type of one tensor; memoised, since a model repeats the same few cases per layer."""
    if cat is Cat.F32:
        return "F32"
    default = QUANTS[fmt].default_type
    if default in ("F16", "BF16", "F32"):
        return default
    imatrix = fmt in IMATRIX_REQUIRED
    return _fallback(_recipe(fmt, default, cat, ncols, experts, pos, m, imatrix), ncols)


def _fallback(kind: str, ncols: int) -> str:
    if ncols % STORAGE[kind].block_weights == 0:
        return kind
    kind = FALLBACK.get(kind, "F16")
    return kind if ncols % STORAGE[kind].block_weights == 0 else "F16"


def _recipe(fmt: str, new: str, cat: Cat, ncols: int, experts: int, p: Position, m: ModelFacts, imatrix: bool) -> str:  # noqa: C901
    if cat is Cat.OUTPUT or (m.tied and cat is Cat.TOKEN_EMBD):
        if fmt == "MXFP4" or ncols % STORAGE[new].block_weights:
            return "Q8_0"
        if fmt in OUTPUT_Q5K_FORMATS:
            return "Q5_K"
        return new if new == "Q8_0" else "Q6_K"
    if fmt == "MXFP4":
        return "MXFP4" if experts > 1 else "Q8_0"
    if cat is Cat.TOKEN_EMBD:
        if fmt in {"IQ2_XXS", "IQ2_XS", "IQ1_S", "IQ1_M"}:
            return "Q2_K"
        return "IQ3_S" if fmt in IQ2_S_OR_M | {"IQ3_XXS"} else new
    if fmt in IQ2_FAMILY:
        return _iq2_recipe(fmt, new, cat, p, m)
    if cat is Cat.ATTN_V:
        return _attn_v(fmt, new, p, m, imatrix)
    if cat is Cat.ATTN_K:
        return "Q8_0" if m.n_expert == 8 else {"IQ3_XS": "IQ3_XXS", "IQ3_XXS": "IQ2_S"}.get(fmt, new)
    if cat is Cat.ATTN_Q:
        return {"IQ3_XS": "IQ3_XXS", "IQ3_XXS": "IQ2_S"}.get(fmt, new)
    if cat is Cat.FFN_DOWN:
        return _ffn_down(fmt, new, p, m.n_expert, imatrix)
    if cat is Cat.ATTN_OUTPUT:
        if m.n_expert == 8:
            eight = {"Q2_K", "IQ3_XS", "IQ3_XXS", "Q3_K_S", "Q3_K_M", "IQ4_NL", "Q4_K_S", "Q4_K_M", "IQ3_S", "IQ3_M"}
            return "Q5_K" if fmt in eight | {"IQ4_XS"} else new
        return {"Q2_K": "Q3_K", "IQ3_XXS": "IQ3_S", "Q3_K_M": "Q4_K", "Q3_K_L": "Q5_K", "IQ3_M": "Q4_K"}.get(fmt, new)
    if cat in (Cat.FFN_GATE, Cat.FFN_UP) and fmt == "IQ3_XS" and p.middle:
        return "IQ3_XXS"
    return new


def _iq2_recipe(fmt: str, new: str, cat: Cat, p: Position, m: ModelFacts) -> str:
    low = "IQ3_S" if fmt in IQ2_S_OR_M else "Q2_K"
    if cat is Cat.ATTN_V:
        return "Q4_K" if m.gqa >= 4 or m.n_expert >= 4 else low
    if m.n_expert == 8 and cat is Cat.ATTN_K:
        return "Q4_K"
    if cat is Cat.FFN_DOWN:
        return low if p.down_counter_first_eighth else new
    if cat is Cat.ATTN_OUTPUT:
        if m.n_expert == 8:
            return "Q5_K"
        return "IQ2_XXS" if fmt in IQ1 else ("IQ3_S" if fmt in IQ2_S_OR_M else new)
    return new


def _attn_v(fmt: str, new: str, p: Position, m: ModelFacts, imatrix: bool) -> str:
    if fmt == "Q2_K":
        new = "Q4_K" if m.gqa >= 4 else "Q3_K"
    elif fmt == "Q2_K_S" and m.gqa >= 4:
        new = "Q4_K"
    elif fmt == "IQ3_XXS":
        new = "Q4_K" if m.gqa >= 4 else ("IQ3_XXS" if imatrix else "IQ3_S")
    elif fmt in ("IQ3_XS", "IQ3_S") and m.gqa >= 4:
        new = "Q4_K"
    elif fmt == "IQ3_M":
        new = "Q4_K"
    elif fmt == "Q3_K_M":
        new = "Q5_K" if p.v_first_two else "Q4_K"
    elif fmt == "Q3_K_L":
        new = "Q5_K"
    elif fmt in ("IQ4_NL", "IQ4_XS") and m.gqa >= 4:
        new = "Q5_K"
    elif fmt in ("Q4_K_M", "Q5_K_M") and p.v_more_bits:
        new = "Q6_K"
    elif fmt == "Q4_K_S" and p.v_first_four:
        new = "Q5_K"
    if m.is_70b and new in ("Q3_K", "Q4_K"):  # llama.cpp's LLM_TYPE_70B bump
        new = "Q5_K"
    return "Q8_0" if m.n_expert == 8 else new


def _ffn_down(fmt: str, new: str, p: Position, n_expert: int, imatrix: bool) -> str:
    if fmt == "Q2_K":
        return "Q3_K"
    if fmt == "Q2_K_S":
        return "Q4_K" if p.first_eighth else new
    if fmt == "IQ3_XXS" and not imatrix:
        return "Q4_K" if p.first_eighth else "Q3_K"
    if fmt == "Q3_K_M":
        return "Q5_K" if p.first_sixteenth else "Q4_K"
    if fmt == "IQ3_M" and (p.first_eighth or (n_expert == 8 and p.layer_more_bits)):
        return "Q4_K"
    if fmt == "Q3_K_L":
        return "Q5_K"
    if fmt == "Q4_K_M":
        return "Q6_K" if p.layer_more_bits else new
    if fmt in ("IQ4_NL", "IQ4_XS") and p.first_eighth and not imatrix:
        return "Q5_K"
    if fmt == "Q5_K_M" and p.layer_more_bits:
        return "Q6_K"
    if fmt == "Q4_K_S" and p.first_eighth:
        return "Q5_K"
    if fmt in ("Q4_0", "Q5_0") and imatrix and p.first_eighth:
        return "Q4_1" if fmt == "Q4_0" else "Q5_1"
    return new

"""GGUF quantization formats: storage types, what each file format is, and how good it is.

Facts come from llama.cpp (sources in `QUANT_SOURCES`); the per-tensor recipe that decides which tensor of a
file gets which storage type lives in `estimator/weights.py`.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class StorageType:
    """A ggml tensor storage type: `block_bytes` bytes hold `block_weights` weights."""

    name: str
    block_weights: int
    block_bytes: int

    @property
    def bits_per_weight(self) -> float:
        return self.block_bytes * 8 / self.block_weights


# ggml/src/ggml-common.h block structs (ggml-org/llama.cpp; the reference table of quant types cites the commit).
STORAGE = {
    t.name: t
    for t in [
        StorageType("F32", 1, 4),
        StorageType("F16", 1, 2),
        StorageType("BF16", 1, 2),
        StorageType("Q4_0", 32, 18),
        StorageType("Q4_1", 32, 20),
        StorageType("Q5_0", 32, 22),
        StorageType("Q5_1", 32, 24),
        StorageType("Q8_0", 32, 34),
        StorageType("Q2_K", 256, 84),
        StorageType("Q3_K", 256, 110),
        StorageType("Q4_K", 256, 144),
        StorageType("Q5_K", 256, 176),
        StorageType("Q6_K", 256, 210),
        StorageType("IQ2_XXS", 256, 66),
        StorageType("IQ2_XS", 256, 74),
        StorageType("IQ2_S", 256, 82),
        StorageType("IQ3_XXS", 256, 98),
        StorageType("IQ3_S", 256, 110),
        StorageType("IQ1_S", 256, 50),
        StorageType("IQ1_M", 256, 56),
        StorageType("IQ4_NL", 32, 18),
        StorageType("IQ4_XS", 256, 136),
        StorageType("MXFP4", 32, 17),
    ]
}


@dataclass(frozen=True)
class QuantFormat:
    """A GGUF file type people download (`llama-quantize` ftype)."""

    name: str
    default_type: str  # storage type of most tensors (llama_ftype_get_default_type)
    ppl_delta: float | None  # llama-quantize's measured perplexity increase, see `ppl_reference`
    ppl_reference: str | None
    description: str
    rank: int  # 0 = smallest; orders the table and the "bigger quant" laws
    listed: bool = True

    @property
    def nominal_bits(self) -> float:
        return STORAGE[self.default_type].bits_per_weight


# Perplexity deltas: QUANT_OPTIONS in ggml-org/llama.cpp tools/quantize/quantize.cpp (commit 03161a4).
# Listed from smallest to largest file; `rank` is the position in this list.
_FORMAT_ROWS = [
    ("IQ1_S", "IQ1_S", None, None, "1.56-bit i-quant; experiments only"),
    ("IQ1_M", "IQ1_M", None, None, "1.75-bit i-quant; experiments only"),
    ("IQ2_XXS", "IQ2_XXS", None, None, "2.06-bit i-quant"),
    ("IQ2_XS", "IQ2_XS", None, None, "2.31-bit i-quant"),
    ("IQ2_S", "IQ2_XS", None, None, "2.5-bit i-quant"),
    ("IQ2_M", "IQ2_S", None, None, "2.7-bit i-quant; needs an importance matrix; last resort"),
    ("Q2_K_S", "Q2_K", 3.1836, "Llama-3-8B", "2-bit k-quant, small variant; needs an importance matrix"),
    ("Q2_K", "Q2_K", 3.5199, "Llama-3-8B", "2-bit k-quant; large quality loss"),
    ("IQ3_XXS", "IQ3_XXS", None, None, "3.06-bit i-quant"),
    ("IQ3_XS", "IQ3_S", None, None, "3.3-bit i-quant"),
    ("Q3_K_S", "Q3_K", 1.6321, "Llama-3-8B", "3-bit k-quant, smallest variant"),
    ("IQ3_S", "IQ3_S", None, None, "3.44-bit i-quant"),
    ("IQ3_M", "IQ3_S", None, None, "3.7-bit i-quant; better than Q3_K_S at similar size"),
    ("Q3_K_M", "Q3_K", 0.6569, "Llama-3-8B", "3-bit k-quant with sensitive tensors at 4-5 bits"),
    ("Q3_K_L", "Q3_K", 0.5562, "Llama-3-8B", "3-bit k-quant with sensitive tensors at 5 bits"),
    ("IQ4_XS", "IQ4_XS", None, None, "4.25-bit i-quant; close to Q4_K_S quality, smaller"),
    ("Q4_0", "Q4_0", 0.4685, "Llama-3-8B", "legacy 4-bit; fast on many backends"),
    ("Q4_K_S", "Q4_K", 0.2689, "Llama-3-8B", "4-bit k-quant, small variant"),
    ("IQ4_NL", "IQ4_NL", None, None, "4.5-bit non-linear quant"),
    ("MXFP4", "MXFP4", None, None, "4-bit microscaling float; the native format of gpt-oss"),
    ("Q4_K_M", "Q4_K", 0.1754, "Llama-3-8B", "4-bit k-quant; the usual balance of size and quality"),
    ("Q4_1", "Q4_1", 0.4511, "Llama-3-8B", "legacy 4-bit with offsets"),
    ("Q5_0", "Q5_0", 0.1316, "Llama-3-8B", "legacy 5-bit"),
    ("Q5_K_S", "Q5_K", 0.1049, "Llama-3-8B", "5-bit k-quant, small variant"),
    ("Q5_K_M", "Q5_K", 0.0569, "Llama-3-8B", "5-bit k-quant; very close to the original"),
    ("Q6_K", "Q6_K", 0.0217, "Llama-3-8B", "6-bit k-quant; practically lossless"),
    ("Q8_0", "Q8_0", 0.0026, "Llama-3-8B", "8-bit; indistinguishable from the original"),
    ("BF16", "BF16", -0.0050, "Mistral-7B", "16-bit brain float; the original weights"),
    ("F16", "F16", 0.0020, "Mistral-7B", "16-bit float; the original weights"),
]
# Estimated and accepted in measurements, but not offered in model tables: rarely downloaded or superseded.
UNLISTED = {
    *("IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "Q2_K_S"),
    *("IQ3_XXS", "IQ3_XS", "IQ3_S", "IQ4_NL", "Q4_1", "Q5_0"),
}
FORMATS = [QuantFormat(*row, rank=i, listed=row[0] not in UNLISTED) for i, row in enumerate(_FORMAT_ROWS)]
QUANTS = {q.name: q for q in FORMATS}
QUANT_NAMES = tuple(QUANTS)
DEFAULT_QUANT = "Q4_K_M"
STANDARD_QUANTS = tuple(q.name for q in FORMATS if q.listed and q.name != "MXFP4")


@dataclass(frozen=True)
class Quality:
    label: str
    level: int  # 0 (best) .. 5, for styling
    measured: bool  # False: no published delta, the label is read off the measured formats by size


QUALITY_STEPS = ((0.01, "Lossless"), (0.06, "Excellent"), (0.2, "Very good"), (0.5, "Good"), (1.0, "Fair"))
# Whole-file bits per weight of llama.cpp's Llama-3.1-8B files (tools/quantize/README.md), used to place
# formats with no published perplexity delta between the measured ones.
LLAMA31_8B_FILE_BPW = {
    "IQ1_S": 2.0042, "IQ1_M": 2.146, "IQ2_XXS": 2.3824, "IQ2_XS": 2.5882, "IQ2_S": 2.7403, "IQ2_M": 2.9294,
    "Q2_K_S": 2.9697, "Q2_K": 3.1593, "IQ3_XXS": 3.2548, "IQ3_XS": 3.4977, "Q3_K_S": 3.6429, "IQ3_S": 3.6606,
    "IQ3_M": 3.7628, "Q3_K_L": 4.2979, "IQ4_XS": 4.4597, "Q4_K_S": 4.6672, "IQ4_NL": 4.6818, "Q4_K_M": 4.8944,
    "Q5_K_S": 5.5704, "Q5_K_M": 5.7036, "Q6_K": 6.5633, "Q8_0": 8.5008, "F16": 16.0005,
}  # fmt: skip


def _label(delta: float) -> tuple[str, int]:
    for level, (limit, label) in enumerate(QUALITY_STEPS):
        if delta <= limit:
            return label, level
    return "Poor", len(QUALITY_STEPS)


def quality(name: str) -> Quality:
    q = QUANTS[name]
    if q.ppl_delta is not None:
        return Quality(*_label(q.ppl_delta), measured=True)
    if name == "MXFP4":
        return Quality("Native", 0, measured=False)  # the weights were trained and released in this format
    bpw = LLAMA31_8B_FILE_BPW[name]
    below = [n for n, b in LLAMA31_8B_FILE_BPW.items() if b <= bpw and QUANTS[n].ppl_delta is not None]
    nearest = max(below, key=LLAMA31_8B_FILE_BPW.get) if below else "Q2_K_S"
    return Quality(*_label(QUANTS[nearest].ppl_delta), measured=False)

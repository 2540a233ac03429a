"""Real GGUF files the weights estimate is checked against (tests and the methodology page).

Sizes are tensor data: llama-bench's `size` column and llama.cpp's tables print GiB; file pages print GB.
"""

from __future__ import annotations

from dataclasses import dataclass

GIB = 2**30

LLAMA_CPP_README = "ggml-org/llama.cpp tools/quantize/README.md (commit 311c2c9f), table meta-llama/Llama-3.1-8B"
PR_4766 = "https://github.com/ggml-org/llama.cpp/pull/4766 (llama-bench size column)"
TENSORBLOCK = "https://huggingface.co/tensorblock/Mixtral-8x7B-Instruct-v0.1-GGUF (llama.cpp b4242)"
BENCH_QWEN3_MOE = "llama-bench output 'qwen3moe 30B.A3B', e.g. ggml-org/llama.cpp benchmark threads"
IK_683 = "https://github.com/ikawrakow/ik_llama.cpp/pull/683 (ggml-org/gpt-oss-20b-GGUF, llama-bench)"
PR_19922 = "https://github.com/ggml-org/llama.cpp/pull/19922 (gpt-oss 120B MXFP4 MoE, llama-bench)"
LLAMA_70B = "llama-bench output 'llama 70B Q4_K - Medium | 39.59 GiB | 70.55 B' (Meta-Llama-3.1-70B-Instruct)"
DSV2_LITE = "llama-bench output 'deepseek2 16B Q4_K - Medium | 9.65 GiB | 15.71 B'"
BENCH_README = "ggml-org/llama.cpp tools/llama-bench/README.md (commit 5a32f10): model_size 4677120000"
BARTOWSKI_GEMMA = "https://huggingface.co/bartowski/gemma-2-9b-it-GGUF"
# gpt-oss keeps its MXFP4 experts in every k-quant file: Q4_K_M to Q6_K differ only in the other tensors.
BARTOWSKI_GPT_OSS = "https://huggingface.co/bartowski/openai_gpt-oss-20b-GGUF (model card table, GB)"
LHL_GPT_OSS = "lhl/strix-halo-testing llm-bench/gpt-oss-{}-F16/results.jsonl (commit 5ee14b5), llama-bench model_size"
BARTOWSKI_QWEN3 = "https://huggingface.co/bartowski/Qwen_Qwen3-30B-A3B-GGUF (model card table, GB; made with b5200)"


@dataclass(frozen=True)
class KnownFile:
    model: str
    quant: str
    size_bytes: float
    source: str


_LLAMA_31_8B = {
    "IQ1_S": 1.87, "IQ1_M": 2.01, "IQ2_XXS": 2.23, "IQ2_XS": 2.42, "IQ2_S": 2.56, "IQ2_M": 2.74, "IQ3_XXS": 3.04,
    "IQ3_XS": 3.27, "IQ3_S": 3.42, "IQ3_M": 3.52, "IQ4_XS": 4.17, "IQ4_NL": 4.38, "Q2_K_S": 2.78, "Q2_K": 2.95,
    "Q3_K_S": 3.41, "Q3_K_L": 4.02, "Q4_K_S": 4.36, "Q4_K_M": 4.58, "Q5_K_S": 5.21, "Q5_K_M": 5.33, "Q6_K": 6.14,
    "Q8_0": 7.95, "F16": 14.96,
}  # fmt: skip

KNOWN_FILES = [
    *(KnownFile("llama-3-1-8b-instruct", q, gib * GIB, LLAMA_CPP_README) for q, gib in _LLAMA_31_8B.items()),
    KnownFile("llama-2-7b-chat", "F16", 12.55 * GIB, PR_4766),
    KnownFile("llama-2-7b-chat", "Q8_0", 6.67 * GIB, PR_4766),
    KnownFile("llama-2-7b-chat", "Q4_0", 3.56 * GIB, PR_4766),
    KnownFile("mixtral-8x7b-instruct", "Q2_K", 17.311e9, TENSORBLOCK),
    KnownFile("mixtral-8x7b-instruct", "Q3_K_M", 22.546e9, TENSORBLOCK),
    KnownFile("mixtral-8x7b-instruct", "Q4_0", 26.444e9, TENSORBLOCK),
    KnownFile("mixtral-8x7b-instruct", "Q4_K_M", 28.448e9, TENSORBLOCK),
    KnownFile("mixtral-8x7b-instruct", "Q5_K_M", 33.230e9, TENSORBLOCK),
    KnownFile("qwen3-30b-a3b", "Q4_K_M", 17.28 * GIB, BENCH_QWEN3_MOE),
    KnownFile("qwen3-30b-a3b", "Q8_0", 30.25 * GIB, BENCH_QWEN3_MOE),
    KnownFile("gpt-oss-20b", "MXFP4", 11.27 * GIB, IK_683),
    KnownFile("gpt-oss-20b", "Q4_K_M", 11.67e9, BARTOWSKI_GPT_OSS),
    KnownFile("gpt-oss-20b", "Q6_K", 12.04e9, BARTOWSKI_GPT_OSS),
    KnownFile("gpt-oss-20b", "F16", 13_779_630_336, LHL_GPT_OSS.format("20b")),
    KnownFile("gpt-oss-120b", "F16", 65_355_994_368, LHL_GPT_OSS.format("120b")),
    KnownFile("qwen3-30b-a3b", "Q5_K_S", 21.10e9, BARTOWSKI_QWEN3),
    KnownFile("qwen3-30b-a3b", "Q5_K_M", 21.74e9, BARTOWSKI_QWEN3),
    KnownFile("qwen3-30b-a3b", "Q6_K", 25.10e9, BARTOWSKI_QWEN3),
    KnownFile("qwen3-30b-a3b", "BF16", 61.10e9, BARTOWSKI_QWEN3),
    KnownFile("gpt-oss-120b", "MXFP4", 59.02 * GIB, PR_19922),
    KnownFile("llama-3-1-70b-instruct", "Q4_K_M", 39.59 * GIB, LLAMA_70B),
    KnownFile("deepseek-v2-lite-chat", "Q4_K_M", 9.65 * GIB, DSV2_LITE),
    KnownFile("qwen2-5-7b-instruct", "Q4_K_M", 4_677_120_000, BENCH_README),
    KnownFile("gemma-2-9b-it", "Q4_K_M", 5.76e9, BARTOWSKI_GEMMA),
    KnownFile("gemma-2-9b-it", "Q8_0", 9.83e9, BARTOWSKI_GEMMA),
]

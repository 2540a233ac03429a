"""The estimator on numbers checked by hand or against real files."""

import pytest

from site_builder.estimator.estimate import estimate
from site_builder.estimator.known_files import KNOWN_FILES
from site_builder.estimator.memory import apple_gpu_fraction, kv_cache_bytes, usable_bytes
from site_builder.estimator.tensors import count_params
from site_builder.estimator.tiers import grade
from site_builder.estimator.weights import weights_size

GIB = 2**30
MIB = 2**20

REAL_FILES = [(f.model, f.quant, f.size_bytes) for f in KNOWN_FILES]


@pytest.mark.parametrize(("slug", "quant", "real"), REAL_FILES, ids=[f"{s}-{q}" for s, q, _ in REAL_FILES])
def test_weights_match_real_gguf_files_within_2_percent(catalogue, slug, quant, real):
    a = catalogue.model(slug).card.architecture
    assert weights_size(a, quant).total_bytes == pytest.approx(real, rel=0.02)


def test_llama_31_8b_q4_k_m_is_within_a_few_mib_of_its_file(catalogue):
    a = catalogue.model("llama-3-1-8b-instruct").card.architecture
    assert weights_size(a, "Q4_K_M").total_bytes / GIB == pytest.approx(4.58, abs=0.01)


def test_parameter_counts_from_architecture(catalogue):
    assert count_params(catalogue.model("llama-3-1-8b-instruct").card.architecture) == (8_030_261_248, 8_030_261_248)
    total, active = count_params(catalogue.model("mixtral-8x7b-instruct").card.architecture)
    assert round(total / 1e9, 2) == 46.70  # llama.cpp prints "model params = 46.70 B"
    assert round(active / 1e9, 1) == 12.9


# KV cache, computed by hand: cells x layers x 2 (K and V) x kv_heads x head_dim x 2 bytes (f16).
KV_CASES = [
    # Mistral 7B v0.3, full attention, GQA with 8 KV heads: 32 x 8192 x 2 x 8 x 128 x 2 B
    ("mistral-7b-instruct-v0-3", 8192, 1024 * MIB),
    # Mistral 7B v0.1 declares a 4096 window but llama.cpp's llama architecture caches everything
    ("mistral-7b-instruct-v0-1", 8192, 1024 * MIB),
    # Mixtral (MoE): attention as Mistral 7B, experts do not change the cache
    ("mixtral-8x7b-instruct", 8192, 1024 * MIB),
    # Gemma 2 9B, local/global alternating: 21 global x 8192 + 21 local x (4096 + 512) cells, 8 KiB each
    ("gemma-2-9b-it", 8192, (21 * 8192 + 21 * 4608) * 8192),
    # Gemma 3 27B, 5 local : 1 global, window 1024: 10 global x 32768 + 52 local x 1536 cells, 8 KiB each
    ("gemma-3-27b-it", 32768, (10 * 32768 + 52 * 1536) * 8192),
    # gpt-oss-20b, window 128 (+512 ubatch, padded to 768): 12 x 8192 + 12 x 768 cells, 2 KiB each
    ("gpt-oss-20b", 8192, (12 * 8192 + 12 * 768) * 2048),
    # DeepSeek V3 latent attention: 61 layers x (512 + 64) x 2 B per token
    ("deepseek-v3", 32768, 61 * 576 * 2 * 32768),
    # Qwen3-Next: only 12 of 48 layers keep a KV cache: 12 x 2 x 2 x 256 x 2 B per token
    ("qwen3-next-80b-a3b-instruct", 32768, 12 * 2 * 2 * 256 * 2 * 32768),
]


@pytest.mark.parametrize(("slug", "ctx", "expected"), KV_CASES, ids=[c[0] for c in KV_CASES])
def test_kv_cache_by_hand(catalogue, slug, ctx, expected):
    assert kv_cache_bytes(catalogue.model(slug).card.architecture, ctx) == expected


def test_deepseek_v3_kv_matches_the_llama_cpp_log(catalogue):
    # "KV self size = 2196.00 MiB" at 32K context (ggml-org/llama.cpp PR #11446 discussion)
    assert kv_cache_bytes(catalogue.model("deepseek-v3").card.architecture, 32768) == 2196 * MIB


def test_kv_cache_types(catalogue):
    a = catalogue.model("mistral-7b-instruct-v0-3").card.architecture
    assert kv_cache_bytes(a, 8192, "q8_0") == 1024 * MIB * 34 // 64
    assert kv_cache_bytes(a, 8192, "q4_0") == 1024 * MIB * 18 // 64


def test_usable_memory(catalogue):
    assert usable_bytes(catalogue.device("rtx-4060")) == 7 * GIB  # 8 GiB less the 1 GiB driver reserve
    assert usable_bytes(catalogue.device("apple-m2-max-30c-32gb")) == round(32 * GIB * 2 / 3)
    assert usable_bytes(catalogue.device("apple-m2-max-30c-64gb")) == 48 * GIB
    assert apple_gpu_fraction(36) == 2 / 3 and apple_gpu_fraction(48) == 0.75


@pytest.mark.parametrize(
    ("runs", "offloaded", "headroom", "speed", "tier"),
    [
        (True, False, 0.25, 50, "S"),
        (True, False, 0.2499, 50, "A"),
        (True, False, 0.5, 49.9, "A"),
        (True, False, 0.15, 25, "A"),
        (True, False, 0.15, 24.9, "B"),
        (True, False, 0.05, 10, "B"),
        (True, False, 0.049, 25, "B"),  # tight, yet fast: what a spill at that speed gets
        (True, False, 0.049, 24.9, "C"),
        (True, False, 0.5, 9.9, "C"),
        (True, True, -0.2, 100, "B"),  # part in system RAM: B at most
        (True, True, -0.2, 25, "B"),
        (True, True, -0.2, 24.9, "C"),
        (True, True, -0.2, 10, "C"),
        (True, True, -0.2, 9.9, "D"),
        (False, True, -2.0, 0, "F"),
    ],
)
def test_tier_thresholds(runs, offloaded, headroom, speed, tier):
    assert grade(runs, offloaded, headroom, speed).letter == tier


def test_mistral_7b_on_rtx_4060(catalogue):
    m, d = catalogue.model("mistral-7b-instruct-v0-3"), catalogue.device("rtx-4060")
    e = estimate(m.card, m.slug, "Q4_K_M", d)
    assert e.context == 8192
    assert e.kv_cache_bytes == 1024 * MIB
    assert e.weights_bytes == e.file_bytes - weights_size(m.card.architecture, "Q4_K_M").embedding_bytes
    assert e.total_bytes == e.weights_bytes + e.kv_cache_bytes + e.overhead_bytes
    assert e.fits and e.offload_fraction == 0
    assert e.decode_tok_s_low < e.decode_tok_s < e.decode_tok_s_high


def test_seventy_b_on_an_8_gb_card_cannot_run_at_q4_k_m(catalogue):
    m, d = catalogue.model("llama-3-1-70b-instruct"), catalogue.device("rtx-4060")
    e = estimate(m.card, m.slug, "Q4_K_M", d)
    assert (e.fits, e.runs, e.tier, e.max_context) == (False, False, "F", 0)


def test_a_dense_70b_half_in_system_ram_barely_runs(catalogue):
    m, d = catalogue.model("llama-3-1-70b-instruct"), catalogue.device("rtx-4090")
    e = estimate(m.card, m.slug, "Q4_K_M", d)
    assert (e.runs, e.fits, round(e.offload_fraction, 2), e.tier) == (True, False, 0.49, "D")


def test_two_gpus_split_a_70b_by_layers_like_llama_cpp(catalogue):
    """llama.cpp's default split of 80 layers + the output layer over two identical cards: layer i goes to card
    floor(2 i / 81), so card 0 holds layers 0-40 and card 1 layers 41-79 with the output layer. Each card holds
    its layers' KV cache and a compute buffer; the output layer's card also the logits."""
    from site_builder.estimator.settings import Setup
    from site_builder.estimator.weights import block_bytes

    m, d = catalogue.model("llama-3-3-70b-instruct"), catalogue.device("rtx-3090")
    e = estimate(m.card, m.slug, "Q4_K_M", d, context=8192, setup=Setup(gpus=2))
    layer = block_bytes(m.card.architecture, "Q4_K_M").weights  # per layer: the recipe's own tests check these
    kv_per_layer = 8192 * 8 * 128 * 2 * 2  # tokens x KV heads x head size x (K, V) x f16: 32 MiB
    compute = 4 * 512 * (2 * 28672 + 4 * 8192)  # f32 activations of one 512-token micro-batch
    logits = 4 * 512 * 128256
    card0 = int(layer[:41].sum()) + 41 * kv_per_layer + compute
    card1 = int(layer[41:].sum()) + 39 * kv_per_layer + compute + 861_913_088 + logits  # Q6_K output layer
    assert (e.gpus, e.total_bytes, e.per_card_bytes) == (2, card0 + card1, max(card0, card1))
    assert e.per_card_bytes == card1 == 22_665_150_464
    assert e.fits and e.tier == "B"


def test_vision_projector_memory_on_a_gemma_3_model(built_site):
    import json

    doc = json.loads((built_site / "api" / "models" / "gemma-3-27b-it.json").read_text())
    assert doc["with_images_extra_bytes"] == doc["projector"]["file_bytes"] == 857_739_168  # the mmproj file
    page = (built_site / "models" / "gemma-3-27b-it" / "index.html").read_text()
    assert "+0.8 GiB with images" in page


def test_context_is_capped_at_the_model_maximum(catalogue):
    m, d = catalogue.model("gemma-2-9b-it"), catalogue.device("rtx-4090")
    assert estimate(m.card, m.slug, "Q4_K_M", d, context=131072).context == 8192

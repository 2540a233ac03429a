"""Laws the estimator must keep, checked on generated architectures and devices (hypothesis)."""

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from site_builder.content.records import Device
from site_builder.content.schema import Architecture, DeviceKind, DeviceSpec, ModelCard
from site_builder.estimator.estimate import estimate
from site_builder.estimator.memory import kv_cache_bytes
from site_builder.estimator.quants import STANDARD_QUANTS
from site_builder.estimator.tiers import tier_rank
from site_builder.estimator.weights import weights_size


@st.composite
def architectures(draw, aligned: bool = False):
    """Transformer shapes like real ones: attention width near the hidden size, FFN wider than both.

    `aligned` keeps every row a multiple of 256 weights so k-quant blocks fit (no llama.cpp fallbacks)."""
    kv = draw(st.sampled_from([1, 2, 4, 8, 16]))
    heads = kv * draw(st.sampled_from([2, 4, 8] if aligned else [1, 2, 4, 8]))
    head_dim = draw(st.sampled_from([128, 256] if aligned else [64, 80, 128, 256]))
    ratio = draw(st.sampled_from([0.75, 1.0, 1.25]))
    hidden = max(256, round(heads * head_dim * ratio / 256) * 256) if aligned else draw(st.integers(8, 128)) * 64
    ffn = hidden * draw(st.sampled_from([2, 3, 4])) + (0 if aligned else draw(st.sampled_from([0, 64, 128])))
    moe = draw(st.booleans())
    experts = draw(st.sampled_from([4, 8, 16, 64, 128])) if moe else None
    window = draw(st.sampled_from([None, 128, 1024, 4096]))
    return Architecture(
        layers=draw(st.integers(1, 96)),
        hidden_size=hidden,
        intermediate_size=ffn,
        attention_heads=heads,
        kv_heads=kv,
        head_dim=head_dim,
        vocab_size=draw(st.sampled_from([32000, 128256, 151936, 256000])),
        context_length=draw(st.sampled_from([4096, 32768, 131072])),
        experts=experts,
        experts_per_token=draw(st.integers(1, min(experts, 8))) if moe else None,
        # narrow experts only come in large numbers (Qwen3, DeepSeek); 8-expert models have wide ones (Mixtral)
        moe_intermediate_size=draw(st.sampled_from([None, 768, 2048])) if moe and experts >= 64 else None,
        sliding_window=window,
        sliding_window_pattern=draw(st.sampled_from([2, 6])) if window else None,
        tied_embeddings=draw(st.booleans()),
    )


def card(a: Architecture) -> ModelCard:
    return ModelCard(
        name="Generated", family="G", publisher="P", params_b=1.0, active_params_b=1.0 if a.experts else None,
        architecture=a, license="MIT", summary="s", sources=["https://example.org"],
    )  # fmt: skip


def device(memory_gb: float, bandwidth: float, kind: DeviceKind, vendor: str) -> Device:
    spec = DeviceSpec(
        name="D", vendor=vendor, kind=kind, memory_gb=memory_gb, memory_bandwidth_gbps=bandwidth,
        sources=["https://example.org"],
    )  # fmt: skip
    return Device("d", "d.md", "D", spec, memory_gb, "d", "", {})


KINDS = st.sampled_from(
    [(DeviceKind.DISCRETE_GPU, "NVIDIA"), (DeviceKind.UNIFIED_MEMORY, "Apple"), (DeviceKind.CPU, "Generic"),
     (DeviceKind.DISCRETE_GPU, "AMD"), (DeviceKind.TPU, "Google")]
)  # fmt: skip
QUANT = st.sampled_from(STANDARD_QUANTS)
CHAINS = [
    ("Q2_K", "Q3_K_S", "Q3_K_M", "Q3_K_L", "Q4_K_S", "Q4_K_M", "Q5_K_S", "Q5_K_M", "Q6_K", "Q8_0", "F16"),
    ("IQ2_M", "IQ3_M", "IQ4_XS", "Q8_0"),
    ("Q4_0", "Q8_0", "BF16"),
]
CONTEXT = st.sampled_from([512, 4096, 8192, 32768, 131072])


@settings(max_examples=150, deadline=None)
@given(architectures(), QUANT, KINDS, st.floats(2, 512), st.floats(1.01, 4), st.floats(20, 4000), CONTEXT)
def test_more_memory_never_lowers_the_tier(a, quant, kind, memory, factor, bandwidth, ctx):
    small = device(memory, bandwidth, *kind)
    big = replace(small, memory_gb=memory * factor)
    e_small = estimate(card(a), "m", quant, small, ctx)
    e_big = estimate(card(a), "m", quant, big, ctx)
    assert tier_rank(e_big.tier) <= tier_rank(e_small.tier)
    assert e_big.max_context >= e_small.max_context


@settings(max_examples=150, deadline=None)
@given(architectures(), QUANT, KINDS, st.floats(2, 512), st.floats(20, 4000), st.floats(1.01, 4), CONTEXT)
def test_more_bandwidth_is_never_slower(a, quant, kind, memory, bandwidth, factor, ctx):
    slow = device(memory, bandwidth, *kind)
    fast = device(memory, bandwidth * factor, *kind)
    e_slow = estimate(card(a), "m", quant, slow, ctx)
    e_fast = estimate(card(a), "m", quant, fast, ctx)
    assert e_fast.decode_tok_s >= e_slow.decode_tok_s
    assert tier_rank(e_fast.tier) <= tier_rank(e_slow.tier)


@settings(max_examples=200, deadline=None)
@given(architectures(), st.sampled_from(["f16", "q8_0", "q4_0"]), CONTEXT, CONTEXT)
def test_longer_context_never_needs_less_memory(a, kv_type, c1, c2):
    short, long = sorted((c1, c2))
    assert kv_cache_bytes(a, long, kv_type) >= kv_cache_bytes(a, short, kv_type)


@settings(max_examples=200, deadline=None)
@given(architectures(aligned=True))
def test_bigger_quant_never_needs_less_memory(a):
    # "Bigger" within a family; across families the order depends on the shape (an attention-heavy model's
    # Q3_K_L, with attention at 5 bits, can outweigh its IQ4_XS), so the catalogue test below checks that.
    for chain in CHAINS:
        sizes = [weights_size(a, q).total_bytes for q in chain]
        assert sizes == sorted(sizes), chain


def test_unaligned_rows_fall_back_like_llama_cpp(catalogue):
    # gpt-oss's 2880-wide rows do not fit 256-weight k-quant blocks: llama.cpp falls back to 32-weight
    # types, so a "Q2_K" file is no smaller than Q4_0 (unsloth/gpt-oss-20b-GGUF: both 11.5 GB).
    a = catalogue.model("gpt-oss-20b").card.architecture
    assert weights_size(a, "Q2_K").total_bytes == pytest.approx(weights_size(a, "Q4_0").total_bytes, rel=0.01)


def test_catalogue_quants_are_ordered_by_size_within_a_family(catalogue):
    """Across families the order depends on the shape: Phi-4-mini's Q3_K_L (attention at 5 bits) outweighs its
    IQ4_XS and Q4_0; within a family it never does."""
    unordered = []
    for model in catalogue.models:
        a = model.card.architecture
        if a.hidden_size % 256 or (a.intermediate_size or 256) % 256 or (a.moe_intermediate_size or 256) % 256:
            continue
        for chain in CHAINS:
            sizes = [weights_size(a, q).total_bytes for q in chain]
            if sizes != sorted(sizes):
                unordered.append((model.slug, chain))
    assert unordered == []

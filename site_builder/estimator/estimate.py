"""One estimate with everything the CLI and a page show: the sweep over a single device, plus first-token time
and largest context."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from site_builder.content.records import Device
from site_builder.content.schema import Architecture, ModelCard
from site_builder.estimator.memory import host_usable_bytes, largest_contexts
from site_builder.estimator.settings import DEFAULT_CONTEXT, DEFAULT_SETUP, SETTINGS, Settings, Setup
from site_builder.estimator.speed import Calibration, ClassConstants, load_calibration, prefill_tok_s
from site_builder.estimator.sweep import Core, device_arrays, sweep
from site_builder.estimator.tensors import count_params
from site_builder.estimator.weights import weights_size

TTFT_PROMPT = 4096


@dataclass(frozen=True)
class Estimate:
    model: str
    device: str
    quant: str
    context: int
    kv_cache_type: str
    gpus: int  # identical cards the model is split over (1 where the device cannot take several)
    system_ram_gb: int  # of the PC around a discrete GPU: where offloaded layers or experts go
    file_bytes: int  # the GGUF's tensor data, what people download
    weights_bytes: int  # weights held in device memory
    kv_cache_bytes: int
    overhead_bytes: int  # compute buffers and recurrent state
    total_bytes: int
    per_card_bytes: int  # the fullest card's share
    usable_memory_bytes: int  # per card
    fits: bool
    runs: bool
    headroom: float  # share of usable memory left free on the fullest card; negative when it does not fit
    offload_fraction: float  # share of the weights that must live in system RAM (0 when it fits)
    decode_tok_s: float  # average while the context fills from empty (llama-bench tgN convention)
    decode_tok_s_low: float
    decode_tok_s_high: float
    speed_calibrated: bool
    prefill_tok_s: float | None
    ttft_s: float | None  # time to first token for a 4,096-token prompt (None when offloaded: not estimated)
    max_context: int  # largest context that runs at this quant (0: not even a short one); memory.largest_contexts
    tier: str
    tier_words: str


def context_for(card: ModelCard, context: int | None) -> int:
    return min(context or DEFAULT_CONTEXT, card.architecture.context_length)


def core(a: Architecture, quant: str, device: Device, ctx: int, cal: Calibration, setup: Setup, s: Settings) -> Core:
    """One model, format, context and device: the sweep over a single device."""
    return sweep(a, (quant,), (ctx,), device_arrays((device,), cal, s), cal, setup, s).core(quant, ctx, 0)


def estimate(
    card: ModelCard,
    model_slug: str,
    quant: str,
    device: Device,
    context: int | None = None,
    setup: Setup = DEFAULT_SETUP,
    calibration: Calibration | None = None,
    s: Settings = SETTINGS,
) -> Estimate:
    ctx = context_for(card, context)
    cal = calibration or load_calibration()
    c = core(card.architecture, quant, device, ctx, cal, setup, s)
    return from_core(card, model_slug, quant, device, ctx, setup, c, cal, s)


def from_core(
    card: ModelCard,
    slug: str,
    quant: str,
    device: Device,
    ctx: int,
    setup: Setup,
    c: Core,
    cal: Calibration,
    s=SETTINGS,
) -> Estimate:
    """The full estimate around a Core already computed (by `sweep`), adding what only pages show."""
    a = card.architecture
    prefill = prefill_speed(a, device, c.consts, TTFT_PROMPT / 2) if c.fits else None
    spread = cal.spread(a.gguf_arch)
    return Estimate(
        model=slug,
        device=device.slug,
        quant=quant,
        context=ctx,
        kv_cache_type=setup.kv_type,
        gpus=c.cards,
        system_ram_gb=setup.system_ram_gb,
        file_bytes=weights_size(a, quant).total_bytes,
        weights_bytes=c.weights,
        kv_cache_bytes=c.kv,
        overhead_bytes=c.overhead,
        total_bytes=c.total,
        per_card_bytes=c.per_card,
        usable_memory_bytes=c.usable,
        fits=c.fits,
        runs=c.runs,
        headroom=c.headroom,
        offload_fraction=round(c.offload, 4),
        decode_tok_s=c.decode,
        decode_tok_s_low=c.decode * c.consts.ratio_p10 / spread,
        decode_tok_s_high=c.decode * c.consts.ratio_p90 * spread,
        speed_calibrated=c.consts.calibrated,
        prefill_tok_s=prefill,
        ttft_s=TTFT_PROMPT / prefill if prefill else None,
        max_context=max_context(a, c, setup, s),
        tier=c.tier.letter,
        tier_words=c.tier.words,
    )


def prefill_flops_per_token(a: Architecture, cached_tokens: float) -> float:
    _, active = count_params(a)
    matmul = 2 * (active - a.vocab_size * a.hidden_size * (0 if a.tied_embeddings else 1))
    attention_layers = a.attention_layers or a.layers
    attention = 4 * attention_layers * a.attention_heads * a.head_size * cached_tokens
    return matmul + attention


def prefill_speed(a: Architecture, device: Device, c: ClassConstants, cached_tokens: float) -> float | None:
    return prefill_tok_s(prefill_flops_per_token(a, cached_tokens), device.spec.fp16_tflops, c)


def max_context(a: Architecture, c: Core, setup: Setup, s: Settings = SETTINGS) -> int:
    """Largest context that runs at this format (memory.largest_contexts, the rule every page uses)."""
    if not c.runs:
        return 0
    on_gpu = np.array([c.usable * c.cards - (c.total - c.kv)], float)
    ram = host_usable_bytes(setup, s)
    return int(largest_contexts(a, setup.kv_type, on_gpu, c.kv, c.host_needed, ram, c.separate, s)[0])

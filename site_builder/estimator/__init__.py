"""The estimator: (model, quant, device, context) -> Estimate. Pure Python: no files, no templates.

Memory follows what llama.cpp allocates (weights per tensor, KV cache per layer, compute buffer);
speed is bytes moved / calibrated bandwidth plus a calibrated fixed cost per token.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from ..records import Device
from ..schema import Architecture, DeviceKind, ModelCard
from .memory import cache_profile, kv_bytes, kv_cache_bytes, kv_read_bytes, overhead_bytes, usable_bytes
from .settings import DEFAULT_CONTEXT, KV_TYPES, SETTINGS, Settings
from .speed import Calibration, ClassConstants, load_calibration, prefill_tok_s
from .tensors import count_params
from .tiers import Tier, grade
from .weights import weights_size

TTFT_PROMPT = 4096


@dataclass(frozen=True)
class Estimate:
    model: str
    device: str
    quant: str
    context: int
    kv_cache_type: str
    file_bytes: int  # the GGUF's tensor data, what people download
    weights_bytes: int  # weights held in device memory
    kv_cache_bytes: int
    overhead_bytes: int
    total_bytes: int
    usable_memory_bytes: int
    fits: bool
    runs: bool
    headroom: float  # share of usable memory left free; negative when it does not fit
    offload_fraction: float  # share of the weights that must live in system RAM (0 when it fits)
    decode_tok_s: float  # average while the context fills from empty (llama-bench tgN convention)
    decode_tok_s_low: float
    decode_tok_s_high: float
    speed_calibrated: bool
    prefill_tok_s: float | None
    ttft_s: float | None  # time to first token for a 4,096-token prompt
    max_context: int  # largest context that fits at this quant (0: not even a short one)
    tier: str
    tier_words: str


def context_for(card: ModelCard, context: int | None) -> int:
    return min(context or DEFAULT_CONTEXT, card.architecture.context_length)


class Core(NamedTuple):
    """The numbers a tier depends on; cheap enough to compute for every format, context and device."""

    weights: int
    kv: int
    overhead: int
    total: int
    usable: int
    offload: float
    decode: float
    consts: ClassConstants
    tier: Tier

    @property
    def fits(self) -> bool:
        return self.total <= self.usable

    @property
    def runs(self) -> bool:
        return self.fits or self.offload < 1.0

    @property
    def headroom(self) -> float:
        return (self.usable - self.total) / self.usable if self.usable else -1.0


def core(a: Architecture, quant: str, device: Device, ctx: int, kv_type: str, cal: Calibration, s: Settings) -> Core:
    return sweep(a, (quant,), (ctx,), (device,), kv_type, cal, s)[quant, ctx][0]


def cores(
    a: Architecture, quants: tuple[str, ...], device: Device, ctx: int, kv_type: str, cal: Calibration, s: Settings
) -> list[Core]:
    table = sweep(a, quants, (ctx,), (device,), kv_type, cal, s)
    return [table[q, ctx][0] for q in quants]


def sweep(
    a: Architecture,
    quants: tuple[str, ...],
    contexts: tuple[int, ...],
    devices: tuple[Device, ...],
    kv_type: str,
    cal: Calibration,
    s: Settings = SETTINGS,
) -> dict[tuple[str, int], list[Core]]:
    """Every (format, context) -> one Core per device. What does not depend on the inner loop is hoisted out,
    because a build grades every model on every device in every format and context."""
    cpu = cal.classes.get("CPU", cal.pooled)
    host_rate = cpu.bandwidth_efficiency * s.system_ram_bandwidth_gbps * 1e9
    places = []
    for d in devices:
        c = cal.for_device(d)
        places.append(
            (c, has_separate_host_memory(d), usable_bytes(d, s), d.bandwidth_gbps * c.bandwidth_efficiency * 1e9)
        )
    formats = [
        (q, _weights_in_device_memory(a, q, True), _weights_in_device_memory(a, q, False),
         weights_size(a, q).read_per_token_bytes * cal.format_cost.get(q, 1.0))
        for q in quants
    ]  # fmt: skip
    overhead = overhead_bytes(a, s)
    out: dict[tuple[str, int], list[Core]] = {}
    for ctx in contexts:
        kv = kv_cache_bytes(a, ctx, kv_type, s)
        kv_read = kv_read_bytes(a, ctx / 2, kv_type)
        for q, w_separate, w_unified, read in formats:
            row = out[q, ctx] = []
            append = row.append
            for consts, separate, usable, device_rate in places:
                weights = w_separate if separate else w_unified
                total = weights + kv + overhead
                if total <= usable:
                    decode = decode_speed(read, kv_read, device_rate, 0.0, consts.fixed_ms, host_rate)
                    tier = grade(True, False, (usable - total) / usable, decode)
                    append(Core(weights, kv, overhead, total, usable, 0.0, decode, consts, tier))
                    continue
                offload = offload_share(total, usable, weights, separate, s)
                runs = offload < 1.0
                decode = decode_speed(read, kv_read, device_rate, offload, consts.fixed_ms, host_rate) if runs else 0.0
                headroom = (usable - total) / usable if usable else -1.0
                append(
                    Core(
                        weights,
                        kv,
                        overhead,
                        total,
                        usable,
                        offload,
                        decode,
                        consts,
                        grade(runs, True, headroom, decode),
                    )
                )
    return out


def estimate(
    card: ModelCard,
    model_slug: str,
    quant: str,
    device: Device,
    context: int | None = None,
    kv_cache_type: str = "f16",
    calibration: Calibration | None = None,
    s: Settings = SETTINGS,
) -> Estimate:
    ctx = context_for(card, context)
    c = core(card.architecture, quant, device, ctx, kv_cache_type, calibration or load_calibration(), s)
    return from_core(card, model_slug, quant, device, ctx, kv_cache_type, c, s)


def from_core(
    card: ModelCard, model_slug: str, quant: str, device: Device, ctx: int, kv_type: str, c: Core, s=SETTINGS
) -> Estimate:
    """The full estimate around a Core already computed (by `sweep`), adding what only pages show."""
    a = card.architecture
    prefill = prefill_speed(a, device, c.consts, TTFT_PROMPT / 2)
    return Estimate(
        model=model_slug,
        device=device.slug,
        quant=quant,
        context=ctx,
        kv_cache_type=kv_type,
        file_bytes=weights_size(a, quant).total_bytes,
        weights_bytes=c.weights,
        kv_cache_bytes=c.kv,
        overhead_bytes=c.overhead,
        total_bytes=c.total,
        usable_memory_bytes=c.usable,
        fits=c.fits,
        runs=c.runs,
        headroom=c.headroom,
        offload_fraction=round(c.offload, 4),
        decode_tok_s=c.decode,
        decode_tok_s_low=c.decode * c.consts.ratio_p10,
        decode_tok_s_high=c.decode * c.consts.ratio_p90,
        speed_calibrated=c.consts.calibrated,
        prefill_tok_s=prefill,
        ttft_s=TTFT_PROMPT / prefill if prefill else None,
        max_context=max_context(card, quant, device, kv_type, s),
        tier=c.tier.letter,
        tier_words=c.tier.words,
    )


def has_separate_host_memory(device: Device) -> bool:
    return device.kind in (DeviceKind.DISCRETE_GPU, DeviceKind.DATACENTER_GPU)


def device_weights_bytes(a: Architecture, quant: str, device: Device) -> int:
    return _weights_in_device_memory(a, quant, has_separate_host_memory(device))


@cache
def _weights_in_device_memory(a: Architecture, quant: str, separate_host: bool) -> int:
    """llama.cpp keeps the input embedding table in host RAM when a GPU has its own memory."""
    size = weights_size(a, quant)
    if separate_host and not a.tied_embeddings:
        return size.total_bytes - size.embedding_bytes
    return size.total_bytes


def offload_share(total: int, usable: int, weights: int, separate_host: bool, s: Settings) -> float:
    """Share of the weights that would have to sit in system RAM; 1.0 means it cannot run."""
    if not separate_host:
        return 1.0
    spill = total - usable
    if spill > weights or spill > s.system_ram_bytes - s.cpu_reserve_bytes:
        return 1.0
    return spill / weights


def decode_speed(
    weights_read: float, kv_read: float, device_rate: float, offload: float, fixed_ms: float, host_rate: float
) -> float:
    """Tokens per second when each token reads `weights_read` (format cost applied) and `kv_read` bytes at
    `device_rate` bytes/s (the class's efficiency times the spec bandwidth), plus a fixed cost per token.

    With an offload, the share in system RAM streams at `host_rate` bytes/s (the CPU class's efficiency times
    the assumed RAM bandwidth). Time is linear in the share, so the best split is either the most the GPU can
    hold or none at all (a GPU slower than the host's RAM); taking the better keeps "more memory is never
    slower" true.
    """
    fixed = fixed_ms / 1000 + kv_read / device_rate
    at_split = fixed + weights_read * (1 - offload) / device_rate + weights_read * offload / host_rate
    if not offload:
        return 1 / at_split
    return 1 / min(at_split, fixed + weights_read / host_rate)


def prefill_flops_per_token(a: Architecture, cached_tokens: float) -> float:
    _, active = count_params(a)
    matmul = 2 * (active - a.vocab_size * a.hidden_size * (0 if a.tied_embeddings else 1))
    attention_layers = a.attention_layers or a.layers
    attention = 4 * attention_layers * a.attention_heads * a.head_size * cached_tokens
    return matmul + attention


def prefill_speed(a: Architecture, device: Device, c: ClassConstants, cached_tokens: float) -> float | None:
    return prefill_tok_s(prefill_flops_per_token(a, cached_tokens), device.spec.fp16_tflops, c)


def max_context(card: ModelCard, quant: str, device: Device, kv_type: str = "f16", s: Settings = SETTINGS) -> int:
    """Largest context (in steps of 256 tokens) whose memory fits the device; 0 if none does."""
    a = card.architecture
    room = usable_bytes(device, s) - device_weights_bytes(a, quant, device) - overhead_bytes(a, s)
    profile, per_element = cache_profile(a), KV_TYPES[kv_type]
    low, high = 0, a.context_length // s.kv_pad
    while low < high:
        mid = (low + high + 1) // 2
        if kv_bytes(profile, mid * s.kv_pad, per_element, s) <= room:
            low = mid
        else:
            high = mid - 1
    return min(low * s.kv_pad, a.context_length)

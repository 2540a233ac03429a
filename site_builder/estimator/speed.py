"""Decode and prefill speed: physics (bytes moved, FLOPs done) plus per-token costs, with constants fitted per
device class.

Decode, seconds per generated token:

    t = (weight bytes x format cost + KV bytes x kv_cost) / (efficiency x bandwidth)
        + fixed + blocks x per-block + MoE blocks x per-MoE-block + (GPUs - 1) x per-hop
        (+ bytes read from system RAM / its bandwidth, when part of the model is offloaded)

then divided by the architecture family's fitted factor (young kernels run below the bandwidth bound). The
per-block and per-MoE-block terms are what a token costs beyond its bytes: every block launches its kernels,
and an MoE block also routes, picks its top-k experts and runs several small expert products, which is why a
3B-active MoE is far slower than a 3B dense model reading the same bytes.

The constants live in `calibration.json`, written by `site-builder calibrate` from the measurements in
content/benchmarks/ (its fitting split only). Nothing here is hand-tuned.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from site_builder.content.records import Device
from site_builder.content.schema import DeviceKind

GPU_VENDORS = ("NVIDIA", "AMD", "Intel", "Apple")
CLASSES = (*GPU_VENDORS, "CPU")


@dataclass(frozen=True)
class ClassConstants:
    name: str
    bandwidth_efficiency: float  # share of the spec bandwidth a decode step achieves
    fixed_ms: float  # per-token cost that does not scale with bytes or blocks (sampling, sync)
    ratio_p10: float  # measured / predicted on this class's fitting rows: the range shown beside a speed
    ratio_p90: float
    rows: int
    calibrated: bool  # False: too few measurements for this class, pooled constants stand in
    prefill_efficiency: float | None  # share of dense FP16 TFLOPS a 512-token prefill achieves
    prefill_rows: int
    block_us: float = 0.0  # per block and token: kernel launches of attention/mixer and FFN
    moe_block_us: float = 0.0  # per MoE block and token, on top: routing, top-k, expert dispatch
    gpu_hop_ms: float = 0.0  # per extra GPU of a layer split and token: the hand-over between cards
    old_block_us: float = 0.0  # extra per block in builds before ERA_CUTOFF (before CUDA graphs and fused kernels)


@dataclass(frozen=True)
class FamilyFactor:
    """measured / predicted speed of an architecture family (llama.cpp's general.architecture), where it
    differs from the device-class fit: kernels for a new architecture start below the bandwidth bound."""

    factor: float
    rows: int


@dataclass(frozen=True)
class Calibration:
    classes: dict[str, ClassConstants]
    pooled: ClassConstants
    fitted_on: str
    format_cost: dict[str, float]  # decode time per byte relative to Q8_0/F16 (dequantization work)
    digest: str = ""  # of the JSON it was read from: what caches of estimates key on
    families: dict[str, FamilyFactor] = field(default_factory=dict)
    measured_families: tuple[str, ...] = ()  # families with measurements (the others are "uncalibrated")
    kv_cost: float = 1.0  # decode time per KV byte relative to a weight byte
    uncalibrated_spread: float = 1.0  # how much wider a range gets for a family with no measurement

    def for_device(self, device: Device) -> ClassConstants:
        return self.classes.get(device_class(device)) or self.pooled

    def family_factor(self, gguf_arch: str | None) -> float:
        hit = self.families.get(gguf_arch or "")
        return hit.factor if hit else 1.0

    def family_measured(self, gguf_arch: str | None) -> bool:
        return (gguf_arch or "") in self.measured_families

    def spread(self, gguf_arch: str | None) -> float:
        """How much wider a speed range is drawn: 1 for a measured architecture family, more for one without."""
        return 1.0 if self.family_measured(gguf_arch) else self.uncalibrated_spread


def device_class(device: Device) -> str:
    if device.kind is DeviceKind.CPU:
        return "CPU"
    return device.vendor if device.vendor in GPU_VENDORS else "pooled"


@cache
def load_calibration() -> Calibration:
    text = resources.files("site_builder.estimator").joinpath("calibration.json").read_text()
    return calibration_from_dict(json.loads(text), hashlib.blake2b(text.encode(), digest_size=16).hexdigest())


def calibration_from_dict(raw: dict, digest: str = "") -> Calibration:
    classes = {name: ClassConstants(name=name, **values) for name, values in raw["classes"].items()}
    pooled = ClassConstants(name="pooled", **raw["pooled"])
    families = {name: FamilyFactor(**values) for name, values in raw.get("families", {}).items()}
    return Calibration(
        classes=classes,
        pooled=pooled,
        fitted_on=raw["fitted_on"],
        format_cost=raw.get("format_cost", {}),
        digest=digest,
        families=families,
        measured_families=tuple(raw.get("measured_families", ())),
        kv_cost=raw.get("kv_cost", 1.0),
        uncalibrated_spread=raw.get("uncalibrated_spread", 1.0),
    )


ERA_CUTOFF = "2024-07"  # measurements dated before this come from builds with a higher per-block cost


def decode_seconds(device_bytes, bandwidth_bps, c, blocks=0, moe_blocks=0, extra_gpus=0, host_seconds=0.0):
    """Seconds per generated token. `device_bytes`: weight bytes (times the format's cost) plus KV bytes (times
    kv_cost) read from the device's own memory; `host_seconds`: time reading offloaded bytes from system RAM.
    `c` is one ClassConstants or a Rates of arrays (one entry per device): the sweep, the calibration fit and the
    accuracy tables all use this one formula."""
    return (
        device_bytes / (c.bandwidth_efficiency * bandwidth_bps)
        + c.fixed_ms / 1000
        + blocks * c.block_us / 1e6
        + moe_blocks * c.moe_block_us / 1e6
        + extra_gpus * c.gpu_hop_ms / 1000
        + host_seconds
    )


def prefill_flops(fp16_tflops: float | None, c: ClassConstants) -> float | None:
    """FLOP/s a device sustains in prefill: calibrated efficiency x spec FP16 throughput; None if unknown."""
    if not fp16_tflops or not c.prefill_efficiency:
        return None
    return c.prefill_efficiency * fp16_tflops * 1e12


def prefill_tok_s(flops_per_token: float, fp16_tflops: float | None, c: ClassConstants) -> float | None:
    rate = prefill_flops(fp16_tflops, c)
    return rate / flops_per_token if rate else None

"""Decode and prefill speed: physics (bytes moved, FLOPs done) scaled by constants fitted per device class.

The constants live in `calibration.json`, written by `site-builder calibrate` from the measured rows in
content/benchmarks/ that are marked `calibration: true` (the ../shared/reference/ rows). Nothing here is
hand-tuned.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from site_builder.content.records import Device
from site_builder.content.schema import DeviceKind

GPU_VENDORS = ("NVIDIA", "AMD", "Intel", "Apple")
CLASSES = (*GPU_VENDORS, "TPU", "CPU")


@dataclass(frozen=True)
class ClassConstants:
    name: str
    bandwidth_efficiency: float  # share of the spec bandwidth a decode step achieves
    fixed_ms: float  # per-token cost that does not scale with bytes (kernel launches, sync, sampling)
    ratio_p10: float  # measured / predicted on this class's calibration rows
    ratio_p90: float
    rows: int
    calibrated: bool  # False: no measurements for this class, pooled constants stand in
    prefill_efficiency: float | None  # share of dense FP16 TFLOPS a 512-token prefill achieves
    prefill_rows: int


@dataclass(frozen=True)
class Calibration:
    classes: dict[str, ClassConstants]
    pooled: ClassConstants
    fitted_on: str
    format_cost: dict[str, float]  # decode time per byte relative to Q8_0/F16 (dequantization work)
    digest: str = ""  # of the JSON it was read from: what caches of estimates key on

    def for_device(self, device: Device) -> ClassConstants:
        return self.classes.get(device_class(device)) or self.pooled


def device_class(device: Device) -> str:
    if device.kind is DeviceKind.TPU:
        return "TPU"
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
    return Calibration(classes, pooled, raw["fitted_on"], raw.get("format_cost", {}), digest)


def decode_seconds(peak_seconds, efficiency, fixed_s):
    """Seconds per generated token: the time its bytes take at the spec bandwidth (`peak_seconds`), over the
    share of that bandwidth a decode step achieves, plus the per-token cost that does not scale with bytes.
    The sweep (numpy arrays), the calibration fit and the accuracy tables all use this one formula."""
    return peak_seconds / efficiency + fixed_s


def prefill_flops(fp16_tflops: float | None, c: ClassConstants) -> float | None:
    """FLOP/s a device sustains in prefill: calibrated efficiency x spec FP16 throughput; None if unknown."""
    if not fp16_tflops or not c.prefill_efficiency:
        return None
    return c.prefill_efficiency * fp16_tflops * 1e12


def prefill_tok_s(flops_per_token: float, fp16_tflops: float | None, c: ClassConstants) -> float | None:
    rate = prefill_flops(fp16_tflops, c)
    return rate / flops_per_token if rate else None

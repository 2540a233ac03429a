"""Published measurements joined to the model and device they name, with the physics each one implies: the
bytes a decode step reads or the FLOPs a prefill does. The build (measured-vs-estimated tables) and the fitting
tool (`site-builder calibrate`) both start from here."""

from __future__ import annotations

import math
from dataclasses import dataclass

from site_builder.content.records import Content, Device, Measurement, ModelEntry
from site_builder.estimator.estimate import prefill_flops_per_token
from site_builder.estimator.memory import kv_read_bytes
from site_builder.estimator.speed import device_class
from site_builder.estimator.weights import weights_size

SHORT_DECODE_MAX = 512  # "decode at short context": tg128 and tg512 rows


@dataclass(frozen=True)
class Point:
    measurement: Measurement
    model: ModelEntry
    device: Device
    cls: str
    tokens: int  # N of tgN / ppN
    peak_seconds: float  # decode: bytes / spec bandwidth; prefill: FLOPs / spec FLOPS

    @property
    def measured_seconds(self) -> float:
        return 1 / self.measurement.row.tok_s


def resolve_device(content: Content, slug: str) -> Device | None:
    exact = [d for d in content.devices if d.slug == slug]
    return (exact or [d for d in content.devices if d.base_slug == slug] or [None])[0]


def resolve_model(content: Content, slug: str) -> ModelEntry | None:
    return next((m for m in content.models if m.slug == slug), None)


def points(content: Content, kind: str, format_cost: dict[str, float], calibration_only: bool = True) -> list[Point]:
    """Measurements of one kind ('tg' decode or 'pp' prefill) joined to their model and device.

    Where one device, model, format, test and backend were measured more than once (different llama.cpp
    builds), only the fastest counts: kernels only got faster, and estimates are for current builds.
    """
    chosen = [m for m in content.measurements if m.benchmark.calibration or not calibration_only]
    out = []
    for m in _fastest(chosen):
        if m.benchmark.relative or not m.row.test.startswith(kind):
            continue
        model, device = resolve_model(content, m.row.model), resolve_device(content, m.row.device)
        if model is None or device is None:
            continue
        tokens = int(m.row.test[2:])
        a = model.card.architecture
        if kind == "tg":
            peak = decode_bytes(a, m.row.quant, tokens, format_cost) / (device.bandwidth_gbps * 1e9)
        else:
            if not device.spec.fp16_tflops:
                continue
            peak = prefill_flops_per_token(a, tokens / 2) / (device.spec.fp16_tflops * 1e12)
        out.append(Point(m, model, device, device_class(device), tokens, peak))
    return sorted(out, key=lambda p: (p.cls, p.device.slug, p.measurement.path, p.measurement.line))


def _fastest(measurements) -> list[Measurement]:
    best: dict[tuple, Measurement] = {}
    for m in measurements:
        r = m.row
        key = (r.device, r.model, r.quant, r.test, r.backend, m.benchmark.relative)
        if key not in best or r.tok_s > best[key].row.tok_s:
            best[key] = m
    return list(best.values())


def decode_bytes(a, quant: str, tokens: int, format_cost: dict[str, float]) -> float:
    """Bytes a tgN run reads per token, weights scaled by the format's decode cost; KV at N/2 tokens."""
    weights = weights_size(a, quant).read_per_token_bytes * format_cost.get(quant, 1.0)
    return weights + kv_read_bytes(a, tokens / 2)


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)

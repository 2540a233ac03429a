"""Fit the estimator's per-device-class constants to the calibration measurements.

Only rows in content/benchmarks/ files marked `calibration: true` are used: they transcribe
../shared/reference/, so the error figures we publish stay honest when other measurements are added.
`site-builder calibrate` writes site_builder/estimator/calibration.json; running it again must
reproduce that file byte for byte.
"""

from __future__ import annotations

import json
import math
import statistics
from dataclasses import dataclass

from site_builder.config import CALIBRATION_PATH  # noqa: F401 (the CLI reads it from here)
from site_builder.content.records import Content, Device, Measurement, ModelEntry
from site_builder.estimator.estimate import prefill_flops_per_token
from site_builder.estimator.memory import kv_read_bytes
from site_builder.estimator.speed import CLASSES, device_class
from site_builder.estimator.weights import weights_size

SHORT_DECODE_MAX = 512  # "decode at short context": tg128 and tg512 rows
MIN_DEVICES = 3  # a class needs measurements on this many devices to get constants of its own


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


ANCHORS = ("Q8_0", "F16")  # formats assumed to decode at their size: scale-only dequantization


def fit_format_cost(content: Content) -> dict[str, float]:
    """How much slower than its byte count each format decodes, from one machine measuring every format.

    With t = fixed + cost * bytes / bandwidth and cost = 1 for the anchors, the two anchors give fixed and
    bandwidth; each other format's cost follows from its own time.
    """
    rows = [
        m
        for m in content.measurements
        if m.benchmark.relative and m.benchmark.calibration and m.row.test.startswith("tg")
    ]
    timing = {}
    for m in rows:
        model = resolve_model(content, m.row.model)
        if model is not None:
            tokens = int(m.row.test[2:])
            timing[m.row.quant] = (
                decode_bytes(model.card.architecture, m.row.quant, tokens, {}),
                1 / m.row.tok_s,
            )
    if not all(a in timing for a in ANCHORS):
        return {}
    (b1, t1), (b2, t2) = timing[ANCHORS[0]], timing[ANCHORS[1]]
    per_byte = (t2 - t1) / (b2 - b1)
    fixed = t1 - per_byte * b1
    return {q: max(1.0, (t - fixed) / (per_byte * b)) for q, (b, t) in sorted(timing.items()) if q not in ANCHORS}


def fit_decode(pts: list[Point]) -> tuple[float, float]:
    """Least squares on relative error of t = peak_seconds / efficiency + fixed; returns (efficiency, fixed_s)."""
    w = [1 / p.measured_seconds**2 for p in pts]
    x = [p.peak_seconds for p in pts]
    t = [p.measured_seconds for p in pts]
    sw = sum(w)
    sx = sum(wi * xi for wi, xi in zip(w, x, strict=True))
    sxx = sum(wi * xi * xi for wi, xi in zip(w, x, strict=True))
    st = sum(wi * ti for wi, ti in zip(w, t, strict=True))
    sxt = sum(wi * xi * ti for wi, xi, ti in zip(w, x, t, strict=True))
    det = sw * sxx - sx * sx
    slope = (sw * sxt - sx * st) / det if det else 0.0
    fixed = (st - slope * sx) / sw if det else 0.0
    if det == 0 or fixed < 0 or slope <= 0:
        fixed, slope = 0.0, sxt / sxx
    return 1 / slope, fixed


def predicted_decode_seconds(p: Point, efficiency: float, fixed_s: float) -> float:
    return p.peak_seconds / efficiency + fixed_s


def ratios(pts: list[Point], efficiency: float, fixed_s: float) -> list[float]:
    """measured tok/s divided by predicted tok/s, per point."""
    return [predicted_decode_seconds(p, efficiency, fixed_s) / p.measured_seconds for p in pts]


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def fit_prefill(pts: list[Point]) -> float | None:
    """Geometric mean of achieved / peak FLOPS."""
    if not pts:
        return None
    return math.exp(statistics.fmean(math.log(p.peak_seconds / p.measured_seconds) for p in pts))


def _class_entry(decode: list[Point], prefill: list[Point], constants: tuple[float, float], own: bool) -> dict:
    efficiency, fixed_s = constants
    r = ratios(decode, efficiency, fixed_s) if decode else [1.0]
    return {
        "bandwidth_efficiency": efficiency,
        "fixed_ms": fixed_s * 1000,
        "ratio_p10": quantile(r, 0.1),
        "ratio_p90": quantile(r, 0.9),
        "rows": len(decode),
        "calibrated": own,
        "prefill_efficiency": fit_prefill(prefill),
        "prefill_rows": len(prefill),
    }


def fit_all(content: Content) -> dict:
    cost = fit_format_cost(content)
    decode = [p for p in points(content, "tg", cost) if p.tokens <= SHORT_DECODE_MAX]
    prefill = [p for p in points(content, "pp", cost) if p.tokens == 512]
    pooled_constants = fit_decode(decode)
    pooled = _class_entry(decode, prefill, pooled_constants, True)
    classes = {}
    for cls in CLASSES:
        mine = [p for p in decode if p.cls == cls]
        mine_pp = [p for p in prefill if p.cls == cls]
        own = len({p.device.base_slug for p in mine}) >= MIN_DEVICES
        constants = fit_decode(mine) if own else pooled_constants
        entry = _class_entry(mine if own else decode, mine_pp or prefill, constants, own)
        entry["rows"] = len(mine)
        entry["prefill_rows"] = len(mine_pp)
        classes[cls] = entry
    return {
        "fitted_on": "content/benchmarks (calibration: true)",
        "format_cost": cost,
        "classes": classes,
        "pooled": pooled,
    }


def _round(value: object) -> object:
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def calibration_json(content: Content) -> str:
    return json.dumps(_round(fit_all(content)), indent=2, sort_keys=True) + "\n"

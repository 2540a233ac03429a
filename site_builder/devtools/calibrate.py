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

from site_builder.config import CALIBRATION_PATH  # noqa: F401 (the CLI reads it from here)
from site_builder.content.records import Content
from site_builder.estimator.measured import SHORT_DECODE_MAX, Point, decode_bytes, points, quantile, resolve_model
from site_builder.estimator.speed import CLASSES, decode_seconds

MIN_DEVICES = 3  # a class needs measurements on this many devices to get constants of its own


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


def ratios(pts: list[Point], efficiency: float, fixed_s: float) -> list[float]:
    """measured tok/s divided by predicted tok/s, per point."""
    return [decode_seconds(p.peak_seconds, efficiency, fixed_s) / p.measured_seconds for p in pts]


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

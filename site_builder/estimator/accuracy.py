"""How well the estimator's speeds match the measurements: the figures the methodology page publishes."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from site_builder.content.records import Content
from site_builder.estimator.measured import SHORT_DECODE_MAX, Point, points, quantile
from site_builder.estimator.speed import CLASSES, Calibration, decode_seconds

TARGET_MEDIAN = 0.10
TARGET_P90 = 0.25


@dataclass(frozen=True)
class Comparison:
    point: Point
    predicted_tok_s: float

    @property
    def measured_tok_s(self) -> float:
        return self.point.measurement.row.tok_s

    @property
    def error(self) -> float:
        """Signed relative error of the prediction: +0.2 means 20% too fast."""
        return self.predicted_tok_s / self.measured_tok_s - 1


@dataclass(frozen=True)
class ClassAccuracy:
    cls: str
    rows: int
    devices: int
    median_abs_error: float
    p90_abs_error: float
    calibrated: bool

    @property
    def meets_target(self) -> bool:
        return self.median_abs_error <= TARGET_MEDIAN and self.p90_abs_error <= TARGET_P90


def decode_comparisons(
    content: Content, cal: Calibration, short: bool | None = True, calibration_only: bool = True
) -> list[Comparison]:
    """Decode measurements beside our prediction for them; `short` None: at any context."""
    out = []
    for p in points(content, "tg", cal.format_cost, calibration_only):
        if short is not None and (p.tokens <= SHORT_DECODE_MAX) != short:
            continue
        c = cal.for_device(p.device)
        out.append(Comparison(p, 1 / decode_seconds(p.peak_seconds, c.bandwidth_efficiency, c.fixed_ms / 1000)))
    return out


def prefill_comparisons(content: Content, cal: Calibration) -> list[Comparison]:
    out = []
    for p in points(content, "pp", cal.format_cost):
        c = cal.for_device(p.device)
        if p.tokens == 512 and c.prefill_efficiency:
            out.append(Comparison(p, c.prefill_efficiency / p.peak_seconds))
    return out


def by_class(comparisons: list[Comparison], cal: Calibration) -> list[ClassAccuracy]:
    out = []
    for cls in CLASSES:
        mine = [c for c in comparisons if c.point.cls == cls]
        if not mine:
            continue
        errors = [abs(c.error) for c in mine]
        out.append(
            ClassAccuracy(
                cls=cls,
                rows=len(mine),
                devices=len({c.point.device.base_slug for c in mine}),
                median_abs_error=statistics.median(errors),
                p90_abs_error=quantile(errors, 0.9),
                calibrated=cal.classes[cls].calibrated,
            )
        )
    return out


def largest_misses(comparisons: list[Comparison], n: int = 5) -> list[Comparison]:
    return sorted(comparisons, key=lambda c: -abs(c.error))[:n]

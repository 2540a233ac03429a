"""How well the estimator's speeds match the measurements, each under its own condition: the figures the
methodology page publishes, split into the rows the constants were fitted on and the held-out validation rows."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from site_builder.content.records import Content
from site_builder.estimator.measured import Point, points, quantile
from site_builder.estimator.speed import CLASSES, Calibration

TARGET_MEDIAN = {"dense": 0.10, "moe": 0.12, "hybrid": 0.25}
TARGET_P90 = {"dense": 0.25, "moe": 0.25, "hybrid": 0.50}
ARCH_KINDS = ("dense", "moe", "hybrid")


@dataclass(frozen=True)
class Comparison:
    point: Point
    predicted_tok_s: float

    @property
    def measured_tok_s(self) -> float:
        return self.point.row.tok_s

    @property
    def error(self) -> float:
        """Signed relative error of the prediction: +0.2 means 20% too fast."""
        return self.predicted_tok_s / self.measured_tok_s - 1


@dataclass(frozen=True)
class Accuracy:
    """Errors of one group of comparisons (a device class, an architecture kind, ...)."""

    group: str
    rows: int
    devices: int
    median_abs_error: float
    p90_abs_error: float

    def meets(self, kind: str) -> bool:
        return self.median_abs_error <= TARGET_MEDIAN[kind] and self.p90_abs_error <= TARGET_P90[kind]


def decode_comparisons(content: Content, cal: Calibration) -> list[Comparison]:
    """Every decode measurement beside our prediction for it, under its own test, depth and GPU count."""
    return [Comparison(p, 1 / p.predicted_seconds(cal)) for p in points(content, "tg")]


def prefill_comparisons(content: Content, cal: Calibration) -> list[Comparison]:
    out = []
    for p in points(content, "pp"):
        c = cal.for_device(p.device)
        if p.tokens == 512 and p.depth == 0 and p.gpus == 1 and c.prefill_efficiency:
            out.append(Comparison(p, c.prefill_efficiency / p.prefill_peak_seconds()))
    return out


def accuracy(group: str, comparisons: list[Comparison]) -> Accuracy | None:
    if not comparisons:
        return None
    errors = [abs(c.error) for c in comparisons]
    devices = len({c.point.device.base_slug for c in comparisons})
    return Accuracy(group, len(errors), devices, statistics.median(errors), quantile(errors, 0.9))


def grouped(comparisons: list[Comparison], key: Callable[[Comparison], str], order: tuple[str, ...]) -> list[Accuracy]:
    out = [accuracy(g, [c for c in comparisons if key(c) == g]) for g in order]
    return [a for a in out if a is not None]


def by_class(comparisons: list[Comparison]) -> list[Accuracy]:
    return grouped(comparisons, lambda c: c.point.cls, CLASSES)


def by_kind(comparisons: list[Comparison]) -> list[Accuracy]:
    return grouped(comparisons, lambda c: c.point.arch_kind, ARCH_KINDS)


def largest_misses(comparisons: list[Comparison], n: int = 5) -> list[Comparison]:
    return sorted(comparisons, key=lambda c: -abs(c.error))[:n]

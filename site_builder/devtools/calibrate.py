"""Fit the estimator's speed constants to the measurements in content/benchmarks/ (`site-builder calibrate`).

Only the fitting split is used (estimator/measured.py holds out every fourth chip of each device class, whose
rows are only ever compared against). The decode model is linear in its unknowns, so each device class is a
weighted least-squares fit on relative error, with every constant kept non-negative:

    t = (weight bytes x format cost + KV bytes x kv_cost) / bandwidth / efficiency
        + fixed + blocks x per-block + MoE blocks x per-MoE-block + (GPUs - 1) x per-hop

A class with too few chips or rows takes the pooled fit over every class; a term the class's rows cannot pin
down (no MoE rows, one block count, no multi-GPU rows) takes the pooled value. kv_cost is the one value of a grid
that fits best overall; each architecture family with enough rows then gets the median of measured / predicted
as its factor. `site-builder calibrate` writes site_builder/estimator/calibration.json; running it again must
reproduce that file byte for byte.
"""

from __future__ import annotations

import itertools
import json
import math
import statistics

import numpy as np

from site_builder.config import CALIBRATION_PATH  # noqa: F401 (the CLI reads it from here)
from site_builder.content.records import Content
from site_builder.estimator.measured import VALIDATION_EVERY, Point, points, quantile, resolve_model, validation_chips
from site_builder.estimator.speed import CLASSES, Calibration, calibration_from_dict
from site_builder.estimator.weights import weights_size

MIN_DEVICES = 3  # a class needs measurements on this many chips to get constants of its own
MIN_ROWS = 8
MIN_TERM_ROWS = 5  # rows (on at least two chips) a term needs before a class fits it itself
FAMILY_MIN_ROWS = 5
KV_COST_GRID = tuple(round(0.5 + 0.25 * i, 2) for i in range(11))  # 0.5 ... 3.0
ANCHORS = ("Q8_0", "F16")  # formats assumed to decode at their size: scale-only dequantization
TERMS = ("inverse_efficiency", "fixed_ms", "block_us", "moe_block_us", "gpu_hop_ms", "old_block_us")
HUBER = 0.15  # rows further off than this (in log speed) count linearly, not squared: one odd row cannot steer
ROBUST_ROUNDS = 6


def fit_format_cost(content: Content) -> dict[str, float]:
    """How much slower than its byte count each format decodes, from one machine measuring every format.

    With t = fixed + cost * bytes / bandwidth and cost = 1 for the anchors, the two anchors give fixed and
    bandwidth; each other format's cost follows from its own time.
    """
    timing = {}
    for m in content.measurements:
        if not (m.benchmark.relative and m.row.test.startswith("tg") and m.row.tok_s):
            continue
        model = resolve_model(content, m.row.model)
        if model is not None:
            timing[m.row.quant] = (
                weights_size(model.card.architecture, m.row.quant).read_per_token_bytes,
                1 / m.row.tok_s,
            )
    if not all(a in timing for a in ANCHORS):
        return {}
    (b1, t1), (b2, t2) = timing[ANCHORS[0]], timing[ANCHORS[1]]
    per_byte = (t2 - t1) / (b2 - b1)
    fixed = t1 - per_byte * b1
    return {q: max(1.0, (t - fixed) / (per_byte * b)) for q, (b, t) in sorted(timing.items()) if q not in ANCHORS}


def _design(pts: list[Point], cost: dict[str, float], kv_cost: float) -> np.ndarray:
    """One row per point: the multiplier of each term of TERMS (seconds per unit of the term)."""
    rows = []
    for p in pts:
        blocks, moe = p.blocks
        device_bytes = p.weight_bytes * cost.get(p.row.quant, 1.0) + p.kv_bytes * kv_cost
        old = blocks * 1e-6 if p.old_build else 0.0
        rows.append([device_bytes / p.bandwidth_bps, 1e-3, blocks * 1e-6, moe * 1e-6, (p.gpus - 1) * 1e-3, old])
    return np.array(rows, float)


def _identifiable(pts: list[Point]) -> list[bool]:
    """Which terms these rows can pin down; the others are held at the fallback's values."""

    def enough(chosen: list[Point]) -> bool:
        return len(chosen) >= MIN_TERM_ROWS and len({p.device.base_slug for p in chosen}) >= 2

    block_counts = {p.blocks[0] for p in pts}
    old, new = [p for p in pts if p.old_build], [p for p in pts if not p.old_build]
    return [True, True, len(block_counts) >= 3, enough([p for p in pts if p.blocks[1]]),
            enough([p for p in pts if p.gpus > 1]), enough(old) and enough(new)]  # fmt: skip


def _nnls(x: np.ndarray, y: np.ndarray, free: list[bool]) -> np.ndarray:
    """Least squares with every coefficient >= 0, by trying each subset of the free terms (five at most)."""
    best, best_loss = np.zeros(x.shape[1]), math.inf
    candidates = [i for i, f in enumerate(free) if f and i != 0]
    for k in range(len(candidates) + 1):
        for subset in itertools.combinations(candidates, k):
            cols = [0, *subset]
            coef, *_ = np.linalg.lstsq(x[:, cols], y, rcond=None)
            if (coef < 0).any():
                continue
            loss = float(((x[:, cols] @ coef - y) ** 2).sum())
            if loss < best_loss - 1e-15:
                best, best_loss = np.zeros(x.shape[1]), loss
                best[cols] = coef
    return best


def fit_terms(pts: list[Point], cost: dict[str, float], kv_cost: float, fallback: np.ndarray | None) -> np.ndarray:
    """The TERMS coefficients for these rows: relative-error least squares, reweighted a few rounds so rows far
    off (Huber) weigh less."""
    x = _design(pts, cost, kv_cost)
    t = np.array([p.measured_seconds for p in pts])
    free = _identifiable(pts) if fallback is not None else [True] * len(TERMS)
    held = np.where(free, 0.0, fallback if fallback is not None else 0.0)
    y = (t - x @ held) / t  # the held terms' time is known: fit the rest
    a = x / t[:, None]
    weights = np.ones(len(t))
    for _ in range(ROBUST_ROUNDS):
        root = np.sqrt(weights)[:, None]
        coef = _nnls(a * root, y * root[:, 0], free)
        miss = np.abs(np.log(np.maximum(a @ coef + (x @ held) / t, 1e-9)))
        weights = np.where(miss <= HUBER, 1.0, HUBER / np.maximum(miss, 1e-12))
    return np.where(free, coef, held)


def constants(coef: np.ndarray) -> dict:
    inverse, fixed, block, moe, hop, old = (float(v) for v in coef)
    return {"bandwidth_efficiency": 1 / inverse if inverse else 1.0, "fixed_ms": fixed, "block_us": block,
            "moe_block_us": moe, "gpu_hop_ms": hop, "old_block_us": old}  # fmt: skip


def _error(pts: list[Point], cal: Calibration) -> float:
    """Huber loss of the log speed error: the same robustness as the fit itself."""
    total = 0.0
    for p in pts:
        miss = abs(math.log(p.measured_seconds / p.predicted_seconds(cal)))
        total += miss * miss if miss <= HUBER else HUBER * (2 * miss - HUBER)
    return total


def fit_classes(pts: list[Point], cost: dict[str, float], kv_cost: float) -> tuple[dict, dict[str, dict]]:
    pooled_coef = fit_terms(pts, cost, kv_cost, None)
    pooled = constants(pooled_coef)
    classes = {}
    for cls in CLASSES:
        mine = [p for p in pts if p.cls == cls]
        own = len({p.device.base_slug for p in mine}) >= MIN_DEVICES and len(mine) >= MIN_ROWS
        classes[cls] = (constants(fit_terms(mine, cost, kv_cost, pooled_coef)) if own else dict(pooled)) | {
            "calibrated": own,
            "rows": len(mine),
        }
    return pooled | {"calibrated": True, "rows": len(pts)}, classes


def _calibration(cost, kv_cost, pooled, classes, families=None) -> Calibration:
    stub = {"ratio_p10": 1.0, "ratio_p90": 1.0, "prefill_efficiency": None, "prefill_rows": 0}
    raw = {"classes": {k: stub | v for k, v in classes.items()}, "pooled": stub | pooled, "fitted_on": "",
           "format_cost": cost, "kv_cost": kv_cost, "families": families or {}}  # fmt: skip
    return calibration_from_dict(raw)


def fit_kv_cost(pts: list[Point], cost: dict[str, float]) -> float:
    """The grid value that fits the rows best; 1.0 when no row sees a long context (nothing to learn from)."""
    if not any(p.depth or p.tokens > 512 for p in pts):
        return 1.0
    scores = {k: _error(pts, _calibration(cost, k, *fit_classes(pts, cost, k))) for k in KV_COST_GRID}
    return min(KV_COST_GRID, key=lambda k: (scores[k], k))


def fit_families(pts: list[Point], cal: Calibration) -> dict[str, dict]:
    families = {}
    for family in sorted({p.family for p in pts if p.family}):
        mine = [p for p in pts if p.family == family]
        if len(mine) >= FAMILY_MIN_ROWS and len({p.device.base_slug for p in mine}) >= 2:
            ratios = [p.predicted_seconds(cal) / p.measured_seconds for p in mine]
            families[family] = {"factor": statistics.median(ratios), "rows": len(mine)}
    return families


def _ratios(pts: list[Point], cal: Calibration) -> list[float]:
    """measured tok/s divided by predicted tok/s, per point."""
    return [p.predicted_seconds(cal) / p.measured_seconds for p in pts] or [1.0]


def fit_prefill(pts: list[Point]) -> float | None:
    """Geometric mean of achieved / peak FLOPS."""
    if not pts:
        return None
    return math.exp(statistics.fmean(math.log(p.prefill_peak_seconds() / p.measured_seconds) for p in pts))


def fit_all(content: Content) -> dict:
    cost = fit_format_cost(content)
    decode = [p for p in points(content, "tg") if not p.validation]
    prefill = [p for p in points(content, "pp") if not p.validation and p.tokens == 512 and not p.depth and p.gpus == 1]
    kv_cost = fit_kv_cost(decode, cost)
    pooled, classes = fit_classes(decode, cost, kv_cost)
    families = fit_families(decode, _calibration(cost, kv_cost, pooled, classes))
    cal = _calibration(cost, kv_cost, pooled, classes, families)
    spread = [abs(math.log(f["factor"])) for f in families.values()]
    for name, entry in [("pooled", pooled), *classes.items()]:
        mine = [p for p in decode if p.cls == name] if entry is not pooled and entry["calibrated"] else decode
        mine_pp = [p for p in prefill if p.cls == name] if entry is not pooled else prefill
        r = _ratios(mine, cal)
        entry |= {"ratio_p10": quantile(r, 0.1), "ratio_p90": quantile(r, 0.9),
                  "prefill_efficiency": fit_prefill(mine_pp or prefill), "prefill_rows": len(mine_pp)}  # fmt: skip
    return {
        "fitted_on": f"content/benchmarks, every chip but each class's {VALIDATION_EVERY}th by slug hash",
        "validation_chips": sorted(validation_chips(content)),
        "format_cost": cost,
        "kv_cost": kv_cost,
        "classes": classes,
        "pooled": pooled,
        "families": families,
        "measured_families": sorted({p.family for p in decode if p.family}),
        "uncalibrated_spread": math.exp(quantile(spread, 0.9)) if spread else 1.0,
    }


def _round(value: object) -> object:
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: _round(v) for k, v in value.items()}
    return value


def calibration_json(content: Content) -> str:
    return json.dumps(_round(fit_all(content)), indent=2, sort_keys=True) + "\n"

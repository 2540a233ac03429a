"""The one recommendation rule: which format to run on a device, and the two alternatives beside it.

Every page that names a format for a device (the verdict card, the model x device page, device pages, compare,
the API) takes it from here; the browser only shows what this computed. RULE says it in words (the methodology
page prints it); STAGES below is the same rule as a lookup table.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from site_builder.estimator.quants import QUANTS, quality
from site_builder.estimator.tiers import TIER_INDEX

RULE = (
    "Quality first among formats that fit and run well: the highest-quality format at tier A or better, if its "
    "quality is Good or better; else the highest-quality Good one that fits at tier B.",
    "Otherwise the best tier any format reaches. Among the formats at that tier that fit (no system RAM), the "
    "highest-quality Good one; else, one tier lower, the fastest Very good format that fits, else the fastest "
    "Good one (a Fair format is not worth a tier won by a few percent of speed at a threshold, and that far down "
    "speed is short); else the highest-quality one at the best tier that is not low quality (2-bit and below).",
    "When every format at that tier that is not low quality spills to system RAM, speed matters more than a last "
    "bit of quality: the fastest format of Very good quality at that tier, else the fastest Good one, else the "
    "fastest one that is not low quality. That is nearly always the smallest; a larger format is picked only "
    "where it is also faster, and a larger one that is slower never is.",
    "When nothing but low-quality formats reaches that tier, a format one tier lower that is not low quality, in "
    "the same order (Very good, Good, the rest; fastest first). Only then a low-quality one, marked with a warning "
    "wherever it is graded.",
    "16-bit formats only when nothing else is offered: Q8_0 is as good and twice as fast.",
)
ALTERNATIVES = ("Beside the recommendation: the fastest format of Good quality or better that runs, and the "
                "highest-quality format that runs.")  # fmt: skip
FULL_PRECISION = ("F16", "BF16")
VERY_GOOD, GOOD = 2, 3  # quality levels (0 Lossless ... 5 Poor)
LOW_QUALITY_PREFIXES = ("Q2_", "IQ2_", "IQ1_")
NONE = -1  # no format runs


def is_low_quality(fmt: str) -> bool:
    return fmt.startswith(LOW_QUALITY_PREFIXES)


class Picks(NamedTuple):
    """Per device, indices into the formats (NONE where nothing runs)."""

    recommended: np.ndarray
    fastest_good: np.ndarray
    best_quality: np.ndarray


def candidates(formats: tuple[str, ...]) -> np.ndarray:
    """Formats the rule may pick: everything but 16-bit, unless only 16-bit is offered."""
    keep = np.array([f not in FULL_PRECISION for f in formats])
    return keep if keep.any() else np.ones(len(formats), bool)


# The stages of the rule, first to last, as (fits, good, tier <= A, tier <= B, at the best tier, very good, low
# quality, one tier below the best) -> stage; within a stage the highest-quality (largest) format wins in stages
# 0-2, 5 and 12, the fastest in the others (slow or spilled, where speed is short; 13: what is left).
NO_STAGE = 14
LARGEST_FIRST = (0, 1, 2, 5, 12)


def _stage(fits: bool, good: bool, a_ok: bool, b_ok: bool, at_best: bool, very_good: bool, low: bool,
           next_best: bool) -> int:  # fmt: skip
    conditions = (
        fits and good and a_ok,
        fits and good and b_ok,
        at_best and fits and good,
        # A Good format that fits one tier down beats a Fair one at the best tier: near a threshold (10 tok/s for
        # B) a quarter less quality buys only a few percent of speed. Down there speed is short: the fastest.
        next_best and fits and very_good,
        next_best and fits and good,
        at_best and fits and not low,
        at_best and very_good,
        at_best and good,
        at_best and not low,
        # Before a low-quality format at the best tier: anything better one tier down, spilled or not.
        next_best and very_good,
        next_best and good,
        next_best and not low,
        at_best and fits,
        at_best,
    )
    return next((k for k, ok in enumerate(conditions) if ok), NO_STAGE)


STAGES = np.array([_stage(*(bool(code >> bit & 1) for bit in range(8))) for code in range(256)], np.int32)


def recommend(formats: tuple[str, ...], tiers: np.ndarray, spills: np.ndarray, decode: np.ndarray) -> Picks:
    """`formats` ordered smallest to largest; `tiers`, `spills` (part in system RAM) and `decode` are arrays of
    formats x devices (any trailing shape)."""
    n = len(formats)
    shape = (n,) + (1,) * (tiers.ndim - 1)
    allowed = candidates(formats).reshape(shape)
    level = np.array([quality(f).level for f in formats])
    static = (level <= GOOD) * 2 + (level <= VERY_GOOD) * 32 + np.array([is_low_quality(f) for f in formats]) * 64
    rank = np.arange(n).reshape(shape)
    runs = allowed & (tiers < TIER_INDEX["F"])
    best = np.where(runs, tiers, 99).min(axis=0)
    code = (runs & ~spills).astype(np.int32) + static.reshape(shape)
    code += (tiers <= TIER_INDEX["A"]) * 4 + (tiers <= TIER_INDEX["B"]) * 8 + (runs & (tiers == best)) * 16
    code += (runs & (tiers == best + 1)) * 128
    stage = STAGES[code]
    stage[~runs] = NO_STAGE
    largest_first = np.isin(stage, LARGEST_FIRST)
    score = (NO_STAGE - stage) * (n + 1) + np.where(largest_first, rank, speed_rank(decode, rank))
    pick = np.where(stage.min(axis=0) < NO_STAGE, score.argmax(axis=0), NONE)
    good = (level <= GOOD).reshape(shape)
    speed = np.where(runs & good, decode + rank * 1e-9, -1.0)  # ties: the higher quality
    fastest = np.where(speed.max(axis=0) > 0, speed.argmax(axis=0), NONE)
    finest = np.where(runs.any(axis=0), n - 1 - np.argmax(runs[::-1], axis=0), NONE)
    return Picks(pick, fastest, finest)


def speed_rank(decode: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Each format's place by speed on each device, 0 the slowest; among equal speeds the smaller format ranks
    higher. The stages that want speed take the fastest, which is nearly always the smallest; where the fitted
    per-format costs say a larger format is faster (Q3_K_M beside Q3_K_S on a CPU), the larger one, which is also
    the better."""
    n = decode.shape[0]
    order = np.argsort(decode - rank * 1e-9, axis=0, kind="stable")
    places = np.empty_like(order)
    np.put_along_axis(places, order, np.broadcast_to(np.arange(n).reshape(rank.shape), order.shape), axis=0)
    return places


def ordered(formats) -> tuple[str, ...]:
    return tuple(sorted(formats, key=lambda f: QUANTS[f].rank))

"""The one recommendation rule: which format to run on a device, and the two alternatives beside it.

Every page that names a format for a device (the verdict card, the model x device page, device pages, compare,
the API) takes it from here; the browser only shows what this computed.

1. Quality first among formats that fit and run well: the highest-quality one at tier A or better, if it is of
   Good quality or better; else the highest-quality Good one that fits at tier B.
2. Otherwise the best tier any format reaches. Among the formats at that tier that fit (no offload), the
   highest-quality Good one, else the highest-quality one that is not low quality (the Q2/IQ2/IQ1 class).
3. When every format at that tier spills to system RAM, speed matters more than a last bit of quality: the
   smallest format of Very good quality or better at that tier, else the smallest Good one, else the smallest
   that is not low quality. A larger format is never picked when it is slower and no better a tier.
4. 16-bit formats only when nothing else is offered: Q8_0 is as good and twice as fast.
A low-quality format is only ever picked when nothing better reaches its tier; pages mark it with a warning.

The alternatives: the fastest format of Good quality or better that runs, and the highest-quality one that runs.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from site_builder.estimator.quants import QUANTS, quality
from site_builder.estimator.tiers import TIER_INDEX

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


def recommend(formats: tuple[str, ...], tiers: np.ndarray, spills: np.ndarray, decode: np.ndarray) -> Picks:
    """`formats` ordered smallest to largest; `tiers`, `spills` (part in system RAM) and `decode` are arrays of
    formats x devices."""
    n = len(formats)
    allowed = candidates(formats)[:, None]
    level = np.array([quality(f).level for f in formats])[:, None]
    low = np.array([is_low_quality(f) for f in formats])[:, None]
    runs = allowed & (tiers < TIER_INDEX["F"])
    fits = runs & ~spills
    good, very_good = level <= GOOD, level <= VERY_GOOD

    def largest(mask):  # the highest-quality (last) eligible format per device, NONE where none is
        return np.where(mask.any(axis=0), n - 1 - np.argmax(mask[::-1], axis=0), NONE)

    def smallest(mask):
        return np.where(mask.any(axis=0), np.argmax(mask, axis=0), NONE)

    best = np.where(runs, tiers, 99).min(axis=0)
    at_best = runs & (tiers == best)
    fit_at_best = at_best & fits
    pick = first_of(
        largest(fits & good & (tiers <= TIER_INDEX["A"])),
        largest(fits & good & (tiers <= TIER_INDEX["B"])),
        largest(fit_at_best & good),
        largest(fit_at_best & ~low),
        largest(fit_at_best),
        smallest(at_best & very_good),
        smallest(at_best & good),
        smallest(at_best & ~low),
        smallest(at_best),
    )
    speed = np.where(runs & good, decode, -1.0)
    fastest = np.where((speed > 0).any(axis=0), np.argmax(speed + np.arange(n)[:, None] * 1e-9, axis=0), NONE)
    return Picks(pick, fastest, largest(runs))


def first_of(*choices: np.ndarray) -> np.ndarray:
    out = choices[-1].copy()
    for choice in reversed(choices[:-1]):
        out = np.where(choice != NONE, choice, out)
    return out


def ordered(formats) -> tuple[str, ...]:
    return tuple(sorted(formats, key=lambda f: QUANTS[f].rank))

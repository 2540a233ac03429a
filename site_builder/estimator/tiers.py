"""Tiers: one letter and a few words that answer "how well does it run?".

The rule only looks at headroom (share of usable memory left free), whether part of the model sits in system RAM,
and decode speed, with fixed thresholds, so more memory or more bandwidth can never lower a tier: a model that
spills can reach B at most, and a tight fit can always reach what a spill at the same speed reaches.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Tier:
    letter: str
    words: str
    rule: str


TIERS = (
    Tier("S", "Runs great", "fits with at least 25% of usable memory to spare and decodes at 50 tok/s or more"),
    Tier("A", "Runs well", "fits with at least 15% to spare and decodes at 25 tok/s or more"),
    Tier(
        "B",
        "Good enough",
        "fits with at least 5% to spare and decodes at 10 tok/s or more, or decodes at 25 tok/s "
        "or more with less to spare or with part of the model in system RAM (an MoE's experts, typically)",
    ),
    Tier("C", "Struggles", "fits but is slower or tighter than B, or needs system RAM and decodes at 10 to 25 tok/s"),
    Tier("D", "Barely runs", "part of the model must sit in system RAM and decoding is below 10 tok/s"),
    Tier("F", "Won't run", "does not fit even with system RAM, or the device cannot offload"),
)
TIER_BY_LETTER = {t.letter: t for t in TIERS}
TIER_INDEX = {t.letter: i for i, t in enumerate(TIERS)}
THRESHOLDS = (("S", 0.25, 50.0), ("A", 0.15, 25.0), ("B", 0.05, 10.0))
OFFLOAD_C_SPEED = 10.0
OFFLOAD_B_SPEED = 25.0  # spilled or tight, yet as fast as A asks: good enough to use
S, A, B, C, D, F = range(6)  # indices into TIERS


def tier_indices(fits, runs, headroom, decode_tok_s) -> np.ndarray:
    """The tier rule as an index into TIERS, for arrays (the sweep grades every device at once) or scalars."""
    tier = np.full(np.shape(headroom), C, np.int8)
    for letter, min_headroom, min_speed in reversed(THRESHOLDS):  # B, then A, then S overwrite
        tier[(np.asarray(headroom) >= min_headroom) & (np.asarray(decode_tok_s) >= min_speed)] = "SABCDF".index(letter)
    fast = np.asarray(decode_tok_s) >= OFFLOAD_B_SPEED
    tier = np.where(fast & (tier == C), B, tier)
    offloaded = np.where(fast, B, np.where(decode_tok_s >= OFFLOAD_C_SPEED, C, D))
    return np.where(fits, tier, np.where(runs, offloaded, F)).astype(np.int8)


def grade(runs: bool, offloaded: bool, headroom: float, decode_tok_s: float) -> Tier:
    return TIERS[int(tier_indices(runs and not offloaded, runs, headroom, decode_tok_s))]


def tier_rank(letter: str) -> int:
    """0 for S ... 5 for F: lower is better."""
    return "SABCDF".index(letter)

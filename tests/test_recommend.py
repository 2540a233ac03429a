"""The one recommendation rule (estimator/recommend.py), on exact cases and over every model x device x context
of the shipped catalogue at the default setup."""

from __future__ import annotations

import numpy as np
import pytest

from site_builder.estimator.quants import quality
from site_builder.estimator.recommend import FULL_PRECISION, NONE, VERY_GOOD, is_low_quality, recommend
from site_builder.estimator.tiers import TIERS


def recommended(site, model: str, device: str) -> tuple[str, str]:
    view = site.model(model)
    i = next(i for i, d in enumerate(site.places.devices) if d.slug == device)
    k = int(view.picks.recommended[i])
    fmt = view.formats[k]
    return fmt, TIERS[int(view.sweep.columns[fmt, view.default_context].tier[i])].letter


@pytest.mark.parametrize(
    "model, device, expected",
    [
        ("llama-3-1-8b-instruct", "rtx-4060", ("Q4_K_M", "A")),  # Q5_K_M would leave under 15% free: B
        ("llama-3-1-8b-instruct", "rtx-3090", ("Q8_0", "S")),  # 16-bit formats are never recommended
        ("qwen3-30b-a3b", "rtx-3090", ("Q4_K_M", "A")),  # not Q4_K_S, which would be S: quality first
        # spills: the fastest Very good format, not Q8_0 (the example: 20 tok/s where Q4_K_M gives 33)
        ("qwen3-30b-a3b", "rtx-4060", ("Q4_K_M", "B")),
        ("llama-3-1-70b-instruct", "rx-7900-xtx", ("Q4_K_M", "D")),  # not Q5_K_M: larger and slower
        # only Fair Q3_K_M reaches B (10 tok/s): Q4_K_M one tier down, not Q8_0 (larger, slower, same tier)
        ("llama-3-1-70b-instruct", "apple-m4-max-40c-128gb", ("Q4_K_M", "C")),
        ("deepseek-r1-distill-qwen-14b", "rtx-3060-12gb", ("Q5_K_S", "B")),  # tight but fast; Q5_K_M spills
        # only IQ2_M (low quality) reaches A; one tier down no Very good format (Q4_K_M spills to C), so the
        # smallest Good one: Q4_0, 14% in system RAM at 26 tok/s
        ("gemma-2-9b-it", "rtx-4060", ("Q4_0", "B")),
        # 86% in system RAM: the CPU runs Q3_K_M (Fair) faster than Q3_K_S (Poor), so the larger one, not the smallest
        ("llama-3-3-70b-instruct", "rtx-4060", ("Q3_K_M", "D")),
    ],
)
def test_recommended_format(shipped_site, model, device, expected):
    assert recommended(shipped_site, model, device) == expected


def cells(site):
    """Every model x context at the default setup: (view, context, tiers [F, D], decode, spills, picks)."""
    for view in site.models:
        for c in view.contexts:
            cols = [view.sweep.columns[f, c] for f in view.formats]
            tiers = np.stack([col.tier for col in cols])
            decode = np.stack([col.decode for col in cols])
            spills = np.stack([col.offload > 0 for col in cols])
            yield view, c, tiers, decode, spills, recommend(view.formats, tiers, spills, decode).recommended


def test_the_rule_over_every_model_device_and_context(shipped_site):
    broken = []
    for view, c, tiers, decode, spills, picks in cells(shipped_site):
        levels = np.array([quality(f).level for f in view.formats])
        low = np.array([is_low_quality(f) for f in view.formats])
        sixteen = np.array([f in FULL_PRECISION for f in view.formats])
        runs = (tiers < len(TIERS) - 1) & ((~sixteen if not sixteen.all() else sixteen)[:, None])
        for i, k in enumerate(picks.tolist()):
            where = f"{view.slug} at {c} on {shipped_site.places.devices[i].slug}"
            if k == NONE:
                if runs[:, i].any():
                    broken.append(f"{where}: nothing recommended, yet {view.formats[runs[:, i].argmax()]} runs")
                continue
            if sixteen[k] and not sixteen.all():
                broken.append(f"{where}: a 16-bit format recommended")
            same = runs[:, i] & (tiers[:, i] <= tiers[k, i])
            if low[k] and (runs[:, i] & (tiers[:, i] <= tiers[k, i] + 1) & ~low).any():
                broken.append(f"{where}: low-quality {view.formats[k]} while a better format is at most a tier lower")
            # never a format beaten on every count: a larger one as good, no lower a tier, no more in RAM, faster
            larger = runs[:, i] & (np.arange(len(levels)) > k) & (levels <= levels[k]) & (tiers[:, i] <= tiers[k, i])
            if (larger & (spills[:, i] <= spills[k, i]) & (decode[:, i] > decode[k, i] * 1.000001)).any():
                broken.append(f"{where}: {view.formats[k]} while a larger format as good, as placed, is faster")
            if spills[k, i]:
                as_good = (levels <= max(levels[k], VERY_GOOD)) & (~low | low[k])
                smaller = same & (np.arange(len(levels)) < k) & as_good
                if (smaller & (decode[:, i] > decode[k, i])).any():
                    broken.append(f"{where}: {view.formats[k]} spills while a smaller, faster format as good runs")
    assert broken == []


def test_the_rule_reaches_the_device_pages_and_the_api(shipped_site):
    """The device pages' rows and the model documents' best_quant are the rule's picks at the default setup."""
    from site_builder.site.api import model_document

    for view in shipped_site.models[::9]:
        best = model_document(view, lambda p: p)["best_quant"]
        assert best == [view.formats[k] if k != NONE else None for k in view.picks.recommended.tolist()]
    for dv in shipped_site.devices[::23]:
        for row in dv.rows:
            k = int(row.model.picks.recommended[dv.index])
            assert row.fmt == row.model.formats[max(k, 0)]

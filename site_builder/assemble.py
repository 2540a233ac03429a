"""Stage 4-5: run the estimator over the catalogue and assemble what each page shows.

Each model is swept once over every format, context preset and device (`estimator.sweep`); its pages,
its API document and the device pages all read from that sweep.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from .estimator import Core, DeviceArrays, Estimate, Sweep, context_for, device_arrays, from_core, sweep
from .estimator.memory import kv_cache_bytes, overhead_bytes, usable_bytes
from .estimator.settings import CONTEXT_PRESETS
from .estimator.speed import Calibration, load_calibration
from .estimator.tensors import count_params
from .estimator.tiers import TIERS, Tier
from .estimator.weights import weights_size
from .markdown import render_markdown
from .methodology import Methodology, build_methodology
from .quants import DEFAULT_QUANT, QUANTS, STANDARD_QUANTS, Quality, QuantFormat, quality
from .records import Content, Device, Measurement, ModelEntry

FULL_PRECISION = ("F16", "BF16")


@dataclass(frozen=True)
class QuantRow:
    quant: QuantFormat
    file_bytes: int
    memory_bytes: int  # weights + KV cache at the default context + compute buffer, all in one memory pool
    memory_by_context: tuple[tuple[int, int], ...]  # (context preset, bytes) for presets the model supports
    bits_per_weight: float  # whole file, embeddings and all
    quality: Quality
    recommended: bool


@dataclass(frozen=True)
class GridRow:
    """One device in a model's grid. `estimate` is filled on the main grid (largest context, first token)."""

    device: Device
    core: Core
    measured: Measurement | None
    estimate: Estimate | None = None

    @property
    def tier(self) -> Tier:
        return self.core.tier


@dataclass(frozen=True)
class TierGroup:
    tier: Tier
    rows: tuple


@dataclass(frozen=True, eq=False)
class ModelView:
    entry: ModelEntry
    content: Content
    quants: tuple[QuantRow, ...]
    recommended: str
    context: int  # the default context preset for this model
    contexts: tuple[int, ...]
    sweep: Sweep  # every format x context x device, device order as in content.devices
    grid: tuple[TierGroup, ...]  # recommended format, default context, with full estimates
    params_computed: int
    active_computed: int
    smallest: QuantRow

    @property
    def slug(self) -> str:
        return self.entry.slug

    @property
    def card(self):
        return self.entry.card

    @cached_property
    def body_html(self) -> str:
        return render_markdown(self.entry.body)

    def grid_for(self, quant: str, ctx: int) -> tuple[TierGroup, ...]:
        rows = [
            GridRow(d, self.sweep.core(quant, ctx, i), find_measurement(self.content, self.slug, quant, d))
            for i, d in enumerate(self.content.devices)
        ]
        return group_by_tier(rows)


@dataclass(frozen=True)
class DeviceModelRow:
    model: ModelEntry
    estimate: Estimate  # at the best format for this device

    @property
    def tier(self) -> Tier:
        return next(t for t in TIERS if t.letter == self.estimate.tier)


@dataclass(frozen=True, eq=False)
class DeviceView:
    device: Device
    groups: tuple[tuple[Tier, tuple[DeviceModelRow, ...]], ...]
    measurements: tuple[Measurement, ...]
    usable_bytes: int

    @property
    def slug(self) -> str:
        return self.device.slug

    @cached_property
    def body_html(self) -> str:
        return render_markdown(self.device.body)


@dataclass(frozen=True)
class Site:
    models: tuple[ModelView, ...]
    devices: tuple[DeviceView, ...]
    content: Content
    calibration: Calibration
    methodology: Methodology


def offered_quants(entry: ModelEntry) -> tuple[str, ...]:
    chosen = entry.card.quants or STANDARD_QUANTS
    return tuple(sorted(chosen, key=lambda q: QUANTS[q].rank))


def recommended_quant(entry: ModelEntry) -> str:
    offered = offered_quants(entry)
    return DEFAULT_QUANT if DEFAULT_QUANT in offered else offered[0]


def context_presets(entry: ModelEntry) -> tuple[int, ...]:
    """The site's presets the model supports, plus its own maximum when that falls between them."""
    limit = entry.card.architecture.context_length
    presets = [c for c in CONTEXT_PRESETS if c <= limit]
    if not presets or (limit not in presets and limit < CONTEXT_PRESETS[-1]):
        presets.append(limit)
    return tuple(presets)


def quant_rows(entry: ModelEntry, presets: tuple[int, ...]) -> tuple[QuantRow, ...]:
    a = entry.card.architecture
    ctx = context_for(entry.card, None)
    total_params, _ = count_params(a)
    rec = recommended_quant(entry)
    rows = []
    for name in offered_quants(entry):
        size = weights_size(a, name).total_bytes
        by_ctx = tuple((c, size + kv_cache_bytes(a, c) + overhead_bytes(a)) for c in presets)
        memory = size + kv_cache_bytes(a, ctx) + overhead_bytes(a)
        rows.append(QuantRow(QUANTS[name], size, memory, by_ctx, size * 8 / total_params, quality(name), name == rec))
    return tuple(rows)


def find_measurement(content: Content, model: str, quant: str, device: Device) -> Measurement | None:
    found = content.measurements_for(model, quant, device)
    return min(found, key=lambda m: (int(m.row.test[2:]), -m.row.tok_s), default=None)


def group_by_tier(rows: list, key=None) -> tuple[TierGroup, ...]:
    key = key or (lambda r: (-r.core.decode, r.device.name))
    groups = []
    for tier in TIERS:
        mine = sorted((r for r in rows if r.tier is tier), key=key)
        if mine:
            groups.append(TierGroup(tier, tuple(mine)))
    return tuple(groups)


def best_quants(view: ModelView) -> list[str]:
    """Per device, the highest-quality format that reaches the best tier the device can reach for the model.
    16-bit formats only when nothing else is offered: Q8_0 is as good and twice as fast."""
    offered = [q for q in offered_quants(view.entry) if q not in FULL_PRECISION] or list(offered_quants(view.entry))
    tiers = np.stack([view.sweep.columns[q, view.context].tier for q in offered])  # formats x devices, best first
    best = tiers.min(axis=0)
    # offered is ordered by rank, so the last format reaching the best tier is the highest-quality one
    last = len(offered) - 1 - np.argmax((tiers == best)[::-1], axis=0)
    return [offered[i] for i in last]


def _best_per_device(view: ModelView, key: tuple, devices: tuple[Device, ...], cache: dict) -> list[Estimate]:
    """The model's best estimate on every device, reused while the model view is."""
    entry = cache.get(("best", view.slug))
    if entry is None or entry[0] != key:
        quants = best_quants(view)
        estimates = [best_estimate(view, i, d, quants[i]) for i, d in enumerate(devices)]
        entry = cache[("best", view.slug)] = (key, estimates)
    return entry[1]


def best_estimate(view: ModelView, index: int, device: Device, quant: str) -> Estimate:
    c = view.sweep.core(quant, view.context, index)
    return from_core(view.card, view.slug, quant, device, view.context, "f16", c)


def assemble_site(content: Content, cal: Calibration | None = None, cache: dict | None = None) -> Site:
    """`cache` (kept by `make serve`) reuses the views of models whose file, the devices and the measurements
    are unchanged since the last build."""
    cal = cal or load_calibration()
    places = device_arrays(content.devices, cal)
    cache = {} if cache is None else cache
    models, keys = [], []
    for m in content.models:
        key = (m.digest, content.devices_digest, content.benchmarks_digest, id(cal))
        if cache.get(m.slug, (None,))[0] != key:
            cache[m.slug] = (key, model_view(m, content, cal, places))
        models.append(cache[m.slug][1])
        keys.append(key)
    models = tuple(models)
    best = [_best_per_device(view, key, content.devices, cache) for view, key in zip(models, keys, strict=True)]
    devices = tuple(
        device_view(d, [(m, b[i]) for m, b in zip(models, best, strict=True)], content)
        for i, d in enumerate(content.devices)
    )
    method = build_methodology(content, cal)
    return Site(models=models, devices=devices, content=content, calibration=cal, methodology=method)


def model_view(entry: ModelEntry, content: Content, cal: Calibration, places: DeviceArrays) -> ModelView:
    presets = context_presets(entry)
    rows = quant_rows(entry, presets)
    rec = recommended_quant(entry)
    ctx = context_for(entry.card, None)
    total, active = count_params(entry.card.architecture)
    table = sweep(entry.card.architecture, offered_quants(entry), presets, places, "f16", cal)
    main = []
    for i, d in enumerate(content.devices):
        c = table.core(rec, ctx, i)
        full = from_core(entry.card, entry.slug, rec, d, ctx, "f16", c)
        main.append(GridRow(d, c, find_measurement(content, entry.slug, rec, d), full))
    return ModelView(
        entry=entry,
        content=content,
        quants=rows,
        recommended=rec,
        context=ctx,
        contexts=presets,
        sweep=table,
        grid=group_by_tier(main),
        params_computed=total,
        active_computed=active,
        smallest=min(rows, key=lambda r: r.memory_bytes),
    )


def device_view(device: Device, best: list[tuple[ModelView, Estimate]], content: Content) -> DeviceView:
    rows = [DeviceModelRow(m.entry, estimate) for m, estimate in best]
    groups = group_by_tier(rows, key=lambda r: (-r.model.card.params_b, r.model.name))
    measured = tuple(m for m in content.measurements if m.row.device in (device.slug, device.base_slug))
    return DeviceView(
        device=device,
        groups=tuple((g.tier, g.rows) for g in groups),
        measurements=measured,
        usable_bytes=usable_bytes(device),
    )

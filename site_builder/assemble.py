"""Stage 4-5: run the estimator over the catalogue and assemble what each page shows."""

from __future__ import annotations

from dataclasses import dataclass

from .estimator import Estimate, context_for, cores, estimate
from .estimator.memory import kv_cache_bytes, overhead_bytes
from .estimator.settings import CONTEXT_PRESETS, SETTINGS
from .estimator.speed import Calibration, load_calibration
from .estimator.tensors import count_params
from .estimator.tiers import TIERS, Tier, tier_rank
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
    device: Device
    estimate: Estimate
    measured: Measurement | None


@dataclass(frozen=True)
class TierGroup:
    tier: Tier
    rows: tuple[GridRow, ...]


@dataclass(frozen=True)
class ModelView:
    entry: ModelEntry
    body_html: str
    quants: tuple[QuantRow, ...]
    recommended: str
    context: int
    grid: tuple[TierGroup, ...]
    params_computed: int
    active_computed: int
    smallest: QuantRow

    @property
    def slug(self) -> str:
        return self.entry.slug

    @property
    def card(self):
        return self.entry.card


@dataclass(frozen=True)
class DeviceModelRow:
    model: ModelEntry
    estimate: Estimate  # at the best format for this device


@dataclass(frozen=True)
class DeviceView:
    device: Device
    body_html: str
    groups: tuple[tuple[Tier, tuple[DeviceModelRow, ...]], ...]
    measurements: tuple[Measurement, ...]

    @property
    def slug(self) -> str:
        return self.device.slug


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


def quant_rows(entry: ModelEntry) -> tuple[QuantRow, ...]:
    a = entry.card.architecture
    ctx = context_for(entry.card, None)
    total_params, _ = count_params(a)
    rec = recommended_quant(entry)
    presets = context_presets(entry)
    rows = []
    for name in offered_quants(entry):
        size = weights_size(a, name).total_bytes
        by_ctx = tuple((c, size + kv_cache_bytes(a, c) + overhead_bytes(a)) for c in presets)
        memory = size + kv_cache_bytes(a, ctx) + overhead_bytes(a)
        bpw = size * 8 / total_params
        rows.append(QuantRow(QUANTS[name], size, memory, by_ctx, bpw, quality(name), name == rec))
    return tuple(rows)


def context_presets(entry: ModelEntry) -> tuple[int, ...]:
    """The site's presets the model supports, plus its own maximum when that falls between them."""
    limit = entry.card.architecture.context_length
    presets = [c for c in CONTEXT_PRESETS if c <= limit]
    if not presets or (limit not in presets and limit < CONTEXT_PRESETS[-1]):
        presets.append(limit)
    return tuple(presets)


def find_measurement(content: Content, model: str, quant: str, device: Device) -> Measurement | None:
    found = [
        m
        for m in content.measurements
        if m.row.model == model
        and m.row.quant == quant
        and m.row.device in (device.slug, device.base_slug)
        and m.row.test.startswith("tg")
    ]
    return min(found, key=lambda m: (int(m.row.test[2:]), -m.row.tok_s), default=None)


def model_grid(entry: ModelEntry, quant: str, content: Content, cal: Calibration) -> tuple[TierGroup, ...]:
    rows = []
    for device in content.devices:
        est = estimate(entry.card, entry.slug, quant, device, calibration=cal)
        rows.append(GridRow(device, est, find_measurement(content, entry.slug, quant, device)))
    return group_by_tier(rows, key=lambda r: (-r.estimate.decode_tok_s, r.device.name))


def group_by_tier(rows: list, key) -> tuple:
    groups = []
    for tier in TIERS:
        mine = sorted((r for r in rows if r.estimate.tier == tier.letter), key=key)
        if mine:
            groups.append(TierGroup(tier, tuple(mine)))
    return tuple(groups)


def best_estimate(entry: ModelEntry, device: Device, cal: Calibration) -> Estimate:
    """The highest-quality format that reaches the best tier this device can reach for the model."""
    offered = [q for q in offered_quants(entry) if q not in FULL_PRECISION] or list(offered_quants(entry))
    a, ctx = entry.card.architecture, context_for(entry.card, None)
    graded = zip(offered, cores(a, tuple(offered), device, ctx, "f16", cal, SETTINGS), strict=True)
    best, _ = min(graded, key=lambda qc: (tier_rank(qc[1].tier.letter), -QUANTS[qc[0]].rank))
    return estimate(entry.card, entry.slug, best, device, calibration=cal)


def assemble_site(content: Content, cal: Calibration | None = None) -> Site:
    cal = cal or load_calibration()
    models = tuple(model_view(m, content, cal) for m in content.models)
    devices = tuple(device_view(d, content, cal) for d in content.devices)
    method = build_methodology(content, cal)
    return Site(models=models, devices=devices, content=content, calibration=cal, methodology=method)


def model_view(entry: ModelEntry, content: Content, cal: Calibration) -> ModelView:
    rows = quant_rows(entry)
    rec = recommended_quant(entry)
    total, active = count_params(entry.card.architecture)
    return ModelView(
        entry=entry,
        body_html=render_markdown(entry.body),
        quants=rows,
        recommended=rec,
        context=context_for(entry.card, None),
        grid=model_grid(entry, rec, content, cal),
        params_computed=total,
        active_computed=active,
        smallest=min(rows, key=lambda r: r.memory_bytes),
    )


def device_view(device: Device, content: Content, cal: Calibration) -> DeviceView:
    rows = [DeviceModelRow(m, best_estimate(m, device, cal)) for m in content.models]
    groups = tuple((g.tier, g.rows) for g in group_by_tier(rows, key=lambda r: (-r.model.card.params_b, r.model.name)))
    measured = tuple(m for m in content.measurements if m.row.device in (device.slug, device.base_slug))
    return DeviceView(device=device, body_html=render_markdown(device.body), groups=groups, measurements=measured)

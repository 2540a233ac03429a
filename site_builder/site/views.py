"""Stage 4-5: run the estimator over the catalogue and assemble what each page shows.

Each model is swept once over every format, context preset and device (`estimator.sweep`); its pages,
its API document and the device pages all read from that sweep.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

import numpy as np

from site_builder.content.records import Content, Device, Measurement, ModelEntry
from site_builder.estimator.accuracy import Comparison, decode_comparisons
from site_builder.estimator.estimate import TTFT_PROMPT, Estimate, context_for, from_core, prefill_flops_per_token
from site_builder.estimator.memory import kv_cache_bytes, max_contexts, overhead_bytes, usable_bytes
from site_builder.estimator.quants import DEFAULT_QUANT, QUANTS, STANDARD_QUANTS, Quality, QuantFormat, quality
from site_builder.estimator.settings import CONTEXT_PRESETS
from site_builder.estimator.speed import Calibration, load_calibration
from site_builder.estimator.sweep import Columns, DeviceArrays, Sweep, device_arrays, sweep
from site_builder.estimator.tensors import count_params
from site_builder.estimator.tiers import TIERS, Tier
from site_builder.estimator.weights import weights_size
from site_builder.site.markdown import render_markdown
from site_builder.site.methodology import Methodology, build_methodology

FULL_PRECISION = ("F16", "BF16")
TIER_INDEX = {t.letter: i for i, t in enumerate(TIERS)}
GOOD_QUALITY = 3  # quality level of "Good" (Q4_0, Q4_K_S): what people are happy to run


@dataclass(frozen=True)
class QuantRow:
    quant: QuantFormat
    file_bytes: int
    memory_bytes: int  # weights + KV cache at the default context + compute buffer, all in one memory pool
    memory_by_context: tuple[tuple[int, int], ...]  # (context preset, bytes) for presets the model supports
    bits_per_weight: float  # whole file, embeddings and all
    quality: Quality
    recommended: bool


class Grid(NamedTuple):
    """One format at one context on every device, in display order: best tier first, then fastest, then by name."""

    quant: str
    ctx: int
    places: DeviceArrays
    columns: Columns
    order: np.ndarray  # device indices
    measured: dict[int, Measurement]  # device index -> the decode measurement shown beside the estimate
    max_context: list[int] | None = None  # per device; on the model page's main grid only
    ttft: list[float | None] | None = None  # seconds to first token of a 4K prompt, likewise

    @property
    def full(self) -> bool:
        return self.max_context is not None


@dataclass(frozen=True, eq=False)
class ModelView:
    entry: ModelEntry
    content: Content
    quants: tuple[QuantRow, ...]
    recommended: str
    context: int  # the default context preset for this model
    contexts: tuple[int, ...]
    sweep: Sweep  # every format x context x device, device order as in content.devices
    calibration: Calibration
    measured: dict[str, dict[int, Measurement]]  # format -> device index -> measurement
    ttft: list[float | None]  # per device, seconds to the first token of a 4K prompt
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

    def grid_for(self, quant: str, ctx: int) -> Grid:
        col, places = self.sweep.columns[quant, ctx], self.sweep.places
        order = np.lexsort((places.name_rank, -col.decode, col.tier))
        return Grid(quant, ctx, places, col, order, self.measured.get(quant, {}))

    @cached_property
    def grid(self) -> Grid:
        """The model page's grid: recommended format, default context, with largest context and first token."""
        main = self.grid_for(self.recommended, self.context)
        return main._replace(max_context=self.max_contexts(self.recommended).tolist(), ttft=self.ttft)

    def max_contexts(self, quant: str) -> np.ndarray:
        """Per device, the largest context that fits at this format."""
        hit = self._max_contexts.get(quant)
        if hit is None:
            s, a = self.sweep, self.card.architecture
            col = s.columns[quant, self.context]
            room = s.places.usable * col.cards - (col.total - s.kv[self.context])
            hit = self._max_contexts[quant] = max_contexts(a, room, s.setup.kv_type)
        return hit

    @cached_property
    def _max_contexts(self) -> dict[str, np.ndarray]:
        return {}

    @cached_property
    def best(self) -> Best:
        """The model at its recommended format on every device (kept with the view by `make serve`)."""
        return best_columns(self)


class DeviceModelRow(NamedTuple):
    """A model at its best format on one device."""

    model: ModelEntry
    quant: str
    tier: Tier
    decode: float  # tokens/s, 0 when it cannot run
    low: float
    high: float
    total: int  # bytes needed
    usable: int
    max_context: int


class BestTable(NamedTuple):
    """Every model at its recommended format on every device: one row per model (in device-page order), one
    column per device. Device pages read their column."""

    models: tuple[ModelEntry, ...]
    quant: tuple[tuple[str, ...], ...]  # per model, the names `pick` indexes
    pick: np.ndarray
    tier: np.ndarray
    decode: np.ndarray
    total: np.ndarray
    max_context: np.ndarray


@dataclass(frozen=True, eq=False)
class DeviceView:
    device: Device
    index: int  # the device's column in `best`
    best: BestTable
    low: float  # speed-range factors of the device
    high: float
    measured: tuple[Comparison, ...]  # measurements on this device beside our estimate for them
    usable_bytes: int
    key: tuple  # everything the page shows of other files: a model's body edit leaves device pages alone

    @property
    def slug(self) -> str:
        return self.device.slug

    @cached_property
    def groups(self) -> tuple[tuple[Tier, tuple[DeviceModelRow, ...]], ...]:
        """Models grouped by tier, largest first within a tier (built only when the page is rendered)."""
        b, i = self.best, self.index
        columns = (b.pick[:, i].tolist(), b.tier[:, i].tolist(), b.decode[:, i].tolist(), b.total[:, i].tolist(),
                   b.max_context[:, i].tolist())  # fmt: skip
        by_tier: dict[int, list[DeviceModelRow]] = {}
        for model, names, pick, tier, decode, total, ctx in zip(b.models, b.quant, *columns, strict=True):
            row = DeviceModelRow(model, names[pick], TIERS[tier], decode, decode * self.low, decode * self.high,
                                 total, self.usable_bytes, ctx)  # fmt: skip
            by_tier.setdefault(tier, []).append(row)
        return tuple((TIERS[t], tuple(rows)) for t, rows in sorted(by_tier.items()))

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


def measured_by_device(content: Content, model: str) -> dict[str, dict[int, Measurement]]:
    """Format -> device index -> the decode measurement of this model to show: on the device itself or, for a
    memory variant, on its chip; the shortest test, then the fastest result."""
    found: dict[str, dict[int, list[Measurement]]] = {}
    mine = content.measurements_of(model)
    for i, d in enumerate(content.devices if mine else ()):
        for m in mine:
            if m.row.device in (d.slug, d.base_slug):
                found.setdefault(m.row.quant, {}).setdefault(i, []).append(m)
    return {q: {i: _shown(ms) for i, ms in by_device.items()} for q, by_device in found.items()}


def find_measurement(content: Content, model: str, quant: str, device: Device) -> Measurement | None:
    found = [
        m
        for m in content.measurements_of(model)
        if m.row.quant == quant and m.row.device in (device.slug, device.base_slug)
    ]
    return _shown(found) if found else None


def _shown(measurements: list[Measurement]) -> Measurement:
    return min(measurements, key=lambda m: (int(m.row.test[2:]), -m.row.tok_s))


def best_quants(view: ModelView) -> list[str]:
    offered, pick = _best_indices(view)
    return [offered[i] for i in pick.tolist()]


def _best_indices(view: ModelView) -> tuple[tuple[str, ...], np.ndarray]:
    """Per device, the format to recommend, quality first within what runs comfortably:
    1. the highest-quality format that runs well (tier A or better), if its quality is Good or better;
    2. else the highest-quality format of Good quality or better that is still Good enough (tier B);
    3. else the highest-quality format at the best tier the device reaches (A at most).
    So a 12 GB card gets a 14B model at Q4_K_M (B) rather than IQ4_XS (A, Fair quality), and Qwen3 30B-A3B
    on 24 GB gets Q4_K_M (A) rather than Q4_K_S (S). 16-bit formats only when nothing else is offered: Q8_0 is as good
    and twice as fast."""
    offered = tuple(q for q in offered_quants(view.entry) if q not in FULL_PRECISION) or offered_quants(view.entry)
    tiers = np.stack([view.sweep.columns[q, view.context].tier for q in offered])  # formats x devices
    good = np.array([quality(q).level <= GOOD_QUALITY for q in offered])[:, None]
    # offered is ordered by rank: the last eligible format is the highest-quality one
    last = lambda eligible: len(offered) - 1 - np.argmax(eligible[::-1], axis=0)  # noqa: E731
    runs_well = tiers <= TIER_INDEX["A"]
    best_well = last(runs_well)
    good_well = runs_well.any(axis=0) & good[best_well, 0]
    good_enough = (tiers <= TIER_INDEX["B"]) & good
    fallback = last(tiers <= np.maximum(tiers.min(axis=0), TIER_INDEX["A"]))
    pick = np.where(good_well, best_well, np.where(good_enough.any(axis=0), last(good_enough), fallback))
    return offered, pick


class Best(NamedTuple):
    """One model at its recommended format on every device."""

    quants: tuple[str, ...]
    pick: np.ndarray  # index into quants, per device
    tier: np.ndarray
    decode: np.ndarray
    total: np.ndarray
    max_context: np.ndarray


def best_columns(view: ModelView) -> Best:
    offered, pick = _best_indices(view)
    devices = np.arange(len(pick))
    field = lambda name: np.stack([getattr(view.sweep.columns[q, view.context], name) for q in offered])  # noqa: E731
    contexts = np.zeros(len(pick), np.int64)
    for k in np.unique(pick).tolist():
        chosen = pick == k
        contexts[chosen] = view.max_contexts(offered[k])[chosen]
    picked = lambda matrix: matrix[pick, devices]  # noqa: E731
    return Best(offered, pick, picked(field("tier")), picked(field("decode")), picked(field("total")), contexts)


def best_table(models: tuple[ModelView, ...], best: list[Best]) -> BestTable:
    """Stacked in device-page order: largest model first, then by name."""
    order = sorted(range(len(models)), key=lambda m: (-models[m].card.params_b, models[m].entry.name))
    stack = lambda name: np.stack([getattr(best[m], name) for m in order]) if order else np.zeros((0, 0))  # noqa: E731
    return BestTable(
        models=tuple(models[m].entry for m in order),
        quant=tuple(best[m].quants for m in order),
        pick=stack("pick"),
        tier=stack("tier"),
        decode=stack("decode"),
        total=stack("total"),
        max_context=stack("max_context"),
    )


def best_estimate(view: ModelView, index: int, device: Device, quant: str) -> Estimate:
    c = view.sweep.core(quant, view.context, index)
    return from_core(view.card, view.slug, quant, device, view.context, view.sweep.setup, c, view.calibration)


class ViewCache:
    """What `make serve` keeps of the assembly between builds: each model's view and the measurement tables,
    with the digests they were made from. Entries of models that are gone are dropped, so it never grows."""

    def __init__(self) -> None:
        self.models: dict[str, tuple[tuple, ModelView]] = {}
        self.measured: tuple[tuple, dict, Methodology] | None = None

    def model(self, slug: str, key: tuple, make: Callable[[], ModelView]) -> ModelView:
        hit = self.models.get(slug)
        if hit is None or hit[0] != key:
            hit = self.models[slug] = (key, make())
        return hit[1]

    def measurements(self, key: tuple, make: Callable[[], tuple[dict, Methodology]]) -> tuple[dict, Methodology]:
        if self.measured is None or self.measured[0] != key:
            self.measured = (key, *make())
        return self.measured[1], self.measured[2]

    def keep_only(self, slugs: set[str]) -> None:
        for gone in self.models.keys() - slugs:
            del self.models[gone]


class NoViewCache(ViewCache):
    """One-shot builds: everything is made once."""

    def model(self, slug: str, key: tuple, make: Callable[[], ModelView]) -> ModelView:
        return make()

    def measurements(self, key: tuple, make: Callable[[], tuple[dict, Methodology]]) -> tuple[dict, Methodology]:
        return make()


def assemble_site(content: Content, cache: ViewCache | None = None, cal: Calibration | None = None) -> Site:
    """`cache` (kept by `make serve`) reuses the views of models whose file, the devices and the measurements
    are unchanged since the last build."""
    cal = cal or load_calibration()
    cache = cache if cache is not None else NoViewCache()
    places = device_arrays(content.devices, cal)
    shared = (content.devices_digest, content.benchmarks_digest, cal.digest)
    models = tuple(
        cache.model(m.slug, (m.digest, *shared), lambda m=m: model_view(m, content, cal, places))
        for m in content.models
    )
    cache.keep_only({m.slug for m in content.models})
    table = best_table(models, [view.best for view in models])
    listing = tuple((m.slug, m.name, m.card.params_b) for m in table.models)
    everything = (content.models_digest, *shared)
    measured, method = cache.measurements(everything, lambda: _measured_and_methodology(content, cal))
    devices = tuple(
        device_view(d, i, table, places, listing, measured.get(d.slug, ()) + measured.get(d.base_slug, ()))
        for i, d in enumerate(content.devices)
    )
    return Site(models=models, devices=devices, content=content, calibration=cal, methodology=method)


def _measured_and_methodology(content: Content, cal: Calibration) -> tuple[dict, Methodology]:
    """Measurements beside our estimates, and the methodology page's figures: both walk every measurement."""
    measured = comparisons_by_device(decode_comparisons(content, cal))
    return measured, build_methodology(content, cal)


def model_view(entry: ModelEntry, content: Content, cal: Calibration, places: DeviceArrays) -> ModelView:
    presets = context_presets(entry)
    rows = quant_rows(entry, presets)
    a = entry.card.architecture
    total, active = count_params(a)
    # prefill tok/s = efficiency x FLOPS / FLOPs per token; NaN where a device has no FLOPS or efficiency
    seconds = TTFT_PROMPT / (places.prefill_flops / prefill_flops_per_token(a, TTFT_PROMPT / 2))
    ttft = [None if x != x else x for x in seconds.tolist()]  # x != x: NaN
    return ModelView(
        entry=entry,
        content=content,
        quants=rows,
        recommended=recommended_quant(entry),
        context=context_for(entry.card, None),
        contexts=presets,
        sweep=sweep(a, offered_quants(entry), presets, places, cal),
        calibration=cal,
        measured=measured_by_device(content, entry.slug),
        ttft=ttft,
        params_computed=total,
        active_computed=active,
        smallest=min(rows, key=lambda r: r.memory_bytes),
    )


def device_view(
    device: Device, i: int, table: BestTable, places: DeviceArrays, listing: tuple, measured: tuple[Comparison, ...]
) -> DeviceView:
    # The page's key holds its column of the table exactly: a change elsewhere leaves the page alone.
    column = np.stack([table.pick[:, i], table.tier[:, i], table.decode[:, i].view(np.int64), table.total[:, i],
                       table.max_context[:, i]]).tobytes() if table.models else b""  # fmt: skip
    return DeviceView(
        device=device,
        index=i,
        best=table,
        low=float(places.low[i]),
        high=float(places.high[i]),
        measured=measured,
        usable_bytes=usable_bytes(device),
        key=(device.digest, listing, column, tuple((c.point.measurement.row, c.predicted_tok_s) for c in measured)),
    )


def comparisons_by_device(comparisons) -> dict[str, tuple[Comparison, ...]]:
    """Measurements (with our estimate for them) by the device slug their row names (a chip or one variant)."""
    out: dict[str, list[Comparison]] = {}
    for c in comparisons:
        out.setdefault(c.point.measurement.row.device, []).append(c)
    return {slug: tuple(sorted(cs, key=_comparison_order)) for slug, cs in out.items()}


def _comparison_order(c: Comparison) -> tuple:
    row = c.point.measurement.row
    return (row.model, QUANTS[row.quant].rank if row.quant in QUANTS else 99, int(row.test[2:]), row.tok_s)

"""Stage: run the estimator over the catalogue and assemble what the pages show.

Each model is swept once over every format, context preset and device at the default setup (one GPU, 32 GB of
system RAM, f16 KV cache): its grids, its device-page rows and its API document read from that sweep. Verdicts
for every other setup (GPU counts, RAM, KV types) come from `ModelView.sweeps`, made only when an output needs
them. The recommendation for a device is always estimator/recommend.py's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from site_builder.content.records import Content, Device, Measurement, ModelEntry
from site_builder.estimator.accuracy import Comparison, decode_comparisons
from site_builder.estimator.estimate import TTFT_PROMPT, prefill_flops_per_token
from site_builder.estimator.measured import resolve_device
from site_builder.estimator.memory import (
    host_usable_bytes,
    kv_cache_bytes,
    largest_contexts,
    overhead_bytes,
    recurrent_state_bytes,
)
from site_builder.estimator.quants import DEFAULT_QUANT, QUANTS, STANDARD_QUANTS, Quality, QuantFormat, quality
from site_builder.estimator.recommend import NONE, Picks, recommend
from site_builder.estimator.settings import CONTEXT_PRESETS, DEFAULT_CONTEXT, DEFAULT_SETUP
from site_builder.estimator.speed import Calibration, load_calibration
from site_builder.estimator.sweep import DeviceArrays, Sweep, device_arrays
from site_builder.estimator.sweep import sweep as sweep_all
from site_builder.estimator.tensors import count_params
from site_builder.estimator.verdict import ModelSweeps
from site_builder.estimator.weights import weights_size
from site_builder.site.methodology import Methodology, build_methodology


@dataclass(frozen=True)
class QualityMeasure:
    """A format's quality measured on this very model (KL divergence or perplexity), with its source."""

    kld: float | None
    ppl_delta: float | None  # perplexity increase over the 16-bit model, same text
    source: str


@dataclass(frozen=True)
class QuantRow:
    quant: QuantFormat
    file_bytes: int
    memory_by_context: tuple[tuple[int, int], ...]  # (context preset, bytes): weights + f16 KV + buffers, one pool
    bits_per_weight: float  # whole file, embeddings and all
    quality: Quality  # llama.cpp's reference-model rating
    measured: QualityMeasure | None  # this model's own figure, where a source gives one
    repo: str | None  # a Hugging Face GGUF repository that holds this format
    ollama: str | None  # an Ollama tag that pulls it
    default: bool  # the format the model's grid shows


@dataclass(frozen=True, eq=False, repr=False)  # a full repr runs to gigabytes (pytest prints it)
class ModelView:
    entry: ModelEntry
    formats: tuple[str, ...]  # offered, smallest first
    default_format: str
    contexts: tuple[int, ...]
    default_context: int
    quants: tuple[QuantRow, ...]
    sweep: Sweep  # default setup, every graded device (the order of `places.devices`)
    places: DeviceArrays
    calibration: Calibration
    measured: dict[tuple[str, int], Measurement]  # (format, device index) -> decode measurement to show
    ttft: np.ndarray  # per device, seconds to the first token of a 4K prompt (NaN: no FP16 figure)
    picks: Picks  # the recommendation per device at the default setup and context
    params_computed: int
    active_computed: int
    family_measured: bool  # the architecture family has measurements: its speeds are calibrated for it

    @property
    def slug(self) -> str:
        return self.entry.slug

    @property
    def spread(self) -> float:
        return self.calibration.spread(self.card.architecture.gguf_arch)

    @property
    def card(self):
        return self.entry.card

    @cached_property
    def smallest(self) -> QuantRow:
        return min(self.quants, key=lambda r: r.memory_by_context[0][1])

    @cached_property
    def _quant_rows(self) -> dict[str, QuantRow]:
        return {r.quant.name: r for r in self.quants}

    def quant_row(self, fmt: str) -> QuantRow:
        return self._quant_rows[fmt]

    def max_contexts(self, fmt: str, ctx: int | None = None) -> np.ndarray:
        """Per device, the largest context that runs at this format (default setup; memory.largest_contexts)."""
        key = (fmt, ctx or self.default_context)
        if key not in self._max_contexts:
            self._max_contexts[key] = self._largest(*key)
        return self._max_contexts[key]

    @cached_property
    def _max_contexts(self) -> dict[tuple[str, int], np.ndarray]:
        return {}  # device pages ask once per device: ~280 times per format

    def _largest(self, fmt: str, ctx: int) -> np.ndarray:
        col, s = self.sweep.columns[fmt, ctx], self.sweep
        on_gpu = self.places.usable * col.cards - (col.total - s.kv[ctx])
        largest = largest_contexts(self.card.architecture, s.setup.kv_type, on_gpu, s.kv[ctx], col.host_needed,
                                   host_usable_bytes(s.setup), self.places.separate)  # fmt: skip
        return np.where(col.offload < 1.0, largest, 0)

    def all_setups(self) -> ModelSweeps:
        """Every setup: made when an output needs a verdict beyond the default setup, and not kept with the view
        (it is large: one sweep per GPU count and KV type)."""
        return ModelSweeps(self.card.architecture, self.formats, self.contexts, self.places, self.calibration)


@dataclass(frozen=True)
class DeviceRow:
    """One model at the format recommended for one device (default setup and context)."""

    model: ModelView
    fmt: str
    tier: int
    decode: float
    total: int
    offload: float
    max_context: int


@dataclass(frozen=True, eq=False, repr=False)
class DeviceView:
    device: Device
    index: int | None  # column in the graded devices; None: llama.cpp does not run on it (TPUs)
    usable_bytes: int
    low: float  # speed-range factors of its class
    high: float
    rows: tuple[DeviceRow, ...]  # every model, largest first
    measured: tuple[Comparison, ...]  # measurements on this device beside our estimate under the same condition

    @property
    def slug(self) -> str:
        return self.device.slug


@dataclass(frozen=True, repr=False)
class Site:
    models: tuple[ModelView, ...]
    devices: tuple[DeviceView, ...]  # every device file variant, graded or not
    places: DeviceArrays  # the graded devices, in grid order
    content: Content
    calibration: Calibration
    methodology: Methodology
    comparisons: dict[str, tuple[Comparison, ...]]  # device base slug or slug -> measurements beside estimates

    def model(self, slug: str) -> ModelView:
        return next(m for m in self.models if m.slug == slug)


def offered_formats(entry: ModelEntry) -> tuple[str, ...]:
    chosen = entry.card.quants or STANDARD_QUANTS
    return tuple(sorted(chosen, key=lambda q: QUANTS[q].rank))


def default_format(formats: tuple[str, ...]) -> str:
    return DEFAULT_QUANT if DEFAULT_QUANT in formats else formats[0]


def context_presets(entry: ModelEntry) -> tuple[int, ...]:
    """The site's presets the model supports, plus its own maximum when that falls between them."""
    limit = entry.card.architecture.context_length
    presets = [c for c in CONTEXT_PRESETS if c <= limit]
    if not presets or (limit not in presets and limit < CONTEXT_PRESETS[-1]):
        presets.append(limit)
    return tuple(presets)


def default_context(entry: ModelEntry) -> int:
    """The one default context of every page, API document and verdict for this model."""
    return min(DEFAULT_CONTEXT, entry.card.architecture.context_length)


def quality_measures(content: Content, slug: str) -> dict[str, QualityMeasure]:
    out: dict[str, QualityMeasure] = {}
    for m in content.measurements:
        r = m.row
        if r.model != slug or r.test not in ("kld", "ppl"):
            continue
        old = out.get(r.quant)
        kld = r.kld if r.test == "kld" else (old.kld if old else None)
        delta = r.ppl - r.ppl_base if r.test == "ppl" else (old.ppl_delta if old else None)
        out[r.quant] = QualityMeasure(kld, delta, m.benchmark.source)
    return out


def quant_rows(entry: ModelEntry, content: Content, formats, presets, default: str) -> tuple[QuantRow, ...]:
    a = entry.card.architecture
    total_params, _ = count_params(a)
    own = quality_measures(content, entry.slug)
    repos = {q: r.repo for r in reversed(entry.card.gguf) for q in r.quants}  # the first repo listed wins
    tags = {t.quant: t.tag for t in reversed(entry.card.ollama)}
    rows = []
    for name in formats:
        size = weights_size(a, name).total_bytes
        extra = overhead_bytes(a) + recurrent_state_bytes(a)
        by_ctx = tuple((c, size + kv_cache_bytes(a, c) + extra) for c in presets)
        rows.append(QuantRow(QUANTS[name], size, by_ctx, size * 8 / total_params, quality(name), own.get(name),
                             repos.get(name), tags.get(name), name == default))  # fmt: skip
    return tuple(rows)


def measured_by_device(content: Content, model: str, places: DeviceArrays) -> dict[tuple[str, int], Measurement]:
    """(format, device index) -> the decode measurement of this model to show beside the estimate: on the device
    itself or, for a memory variant, on its chip; one GPU, no offload; the shortest test, then the fastest."""
    found: dict[tuple[str, int], list[Measurement]] = {}
    mine = [m for m in content.measurements_of(model) if m.row.gpus == 1 and not m.row.offload and not m.row.depth]
    for i, d in enumerate(places.devices if mine else ()):
        for m in mine:
            if m.row.device in (d.slug, d.base_slug):
                found.setdefault((m.row.quant, i), []).append(m)
    return {key: min(ms, key=lambda m: (int(m.row.test[2:]), -m.row.tok_s)) for key, ms in found.items()}


def model_view(entry: ModelEntry, content: Content, cal: Calibration, places: DeviceArrays) -> ModelView:
    a = entry.card.architecture
    formats, presets = offered_formats(entry), context_presets(entry)
    fmt, ctx = default_format(formats), default_context(entry)
    swept = sweep_all(a, formats, presets, places, cal, DEFAULT_SETUP)
    cols = [swept.columns[f, ctx] for f in formats]
    picks = recommend(formats, np.stack([c.tier for c in cols]), np.stack([c.offload > 0 for c in cols]),
                      np.stack([c.decode for c in cols]))  # fmt: skip
    total, active = count_params(a)
    ttft = TTFT_PROMPT * prefill_flops_per_token(a, TTFT_PROMPT / 2) / places.prefill_flops
    return ModelView(
        entry=entry,
        formats=formats,
        default_format=fmt,
        contexts=presets,
        default_context=ctx,
        quants=quant_rows(entry, content, formats, presets, fmt),
        sweep=swept,
        places=places,
        calibration=cal,
        measured=measured_by_device(content, entry.slug, places),
        ttft=ttft,
        picks=picks,
        params_computed=total,
        active_computed=active,
        family_measured=cal.family_measured(a.gguf_arch),
    )


def device_rows(models: tuple[ModelView, ...], i: int) -> tuple[DeviceRow, ...]:
    rows = []
    for view in sorted(models, key=lambda m: (-m.card.params_b, m.entry.name)):
        k = int(view.picks.recommended[i])
        fmt = view.formats[k if k != NONE else 0]
        col = view.sweep.columns[fmt, view.default_context]
        rows.append(DeviceRow(view, fmt, int(col.tier[i]), float(col.decode[i]), int(col.total[i]),
                              float(col.offload[i]), int(view.max_contexts(fmt)[i])))  # fmt: skip
    return tuple(rows)


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
    graded = tuple(d for d in content.devices if d.runs_llama_cpp)
    places = device_arrays(graded, cal)
    shared = (content.devices_digest, content.benchmarks_digest, cal.digest)
    models = tuple(
        cache.model(m.slug, (m.digest, *shared), lambda m=m: model_view(m, content, cal, places))
        for m in content.models
    )
    cache.keep_only({m.slug for m in content.models})
    everything = (content.models_digest, *shared)
    comparisons, method = cache.measurements(everything, lambda: _measured_and_methodology(content, cal))
    index = {d.slug: i for i, d in enumerate(graded)}
    devices = tuple(device_view(d, index.get(d.slug), models, places, comparisons) for d in content.devices)
    return Site(models, devices, places, content, cal, method, comparisons)


def _measured_and_methodology(content: Content, cal: Calibration) -> tuple[dict, Methodology]:
    """Measurements beside our estimates, and the methodology page's figures: both walk every measurement."""
    return comparisons_by_device(content, decode_comparisons(content, cal)), build_methodology(content, cal)


def device_view(device: Device, i: int | None, models, places: DeviceArrays, comparisons) -> DeviceView:
    base = comparisons.get(device.base_slug, ()) if device.base_slug != device.slug else ()
    measured = comparisons.get(device.slug, ()) + base
    if i is None:
        return DeviceView(device, None, 0, 1.0, 1.0, (), measured)
    return DeviceView(device, i, int(places.usable[i]), float(places.low[i]), float(places.high[i]),
                      device_rows(models, i), measured)  # fmt: skip


def comparisons_by_device(content: Content, comparisons: list[Comparison]) -> dict[str, tuple[Comparison, ...]]:
    """Measurements (with our estimate for them) by the device slug their row names (a chip or one variant)."""
    out: dict[str, list[Comparison]] = {}
    for c in comparisons:
        device = resolve_device(content, c.point.row.device)
        if device is not None:
            out.setdefault(c.point.row.device, []).append(c)
    return {slug: tuple(sorted(cs, key=_comparison_order)) for slug, cs in out.items()}


def _comparison_order(c: Comparison) -> tuple:
    row = c.point.row
    return (row.model, QUANTS[row.quant].rank if row.quant in QUANTS else 99, row.gpus, row.depth, int(row.test[2:]),
            row.tok_s)  # fmt: skip

"""The methodology page's data: every figure on it comes from the same code and content as the estimates."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from site_builder.content.records import Content, ModelEntry
from site_builder.content.schema import Architecture
from site_builder.estimator.accuracy import (
    ARCH_KINDS,
    TARGET_MEDIAN,
    TARGET_P90,
    Accuracy,
    Comparison,
    accuracy,
    by_class,
    decode_comparisons,
    largest_misses,
    prefill_comparisons,
)
from site_builder.estimator.known_files import KNOWN_FILES, KnownFile
from site_builder.estimator.measured import EXCLUSIONS, points, validation_chips
from site_builder.estimator.memory import activation_bytes, kv_cache_bytes, logits_bytes, overhead_bytes
from site_builder.estimator.recommend import ALTERNATIVES, RULE
from site_builder.estimator.speed import CLASSES, ERA_CUTOFF, Calibration
from site_builder.estimator.sweep import placement
from site_builder.estimator.tensors import block_plan
from site_builder.estimator.weights import block_bytes, weights_size
from site_builder.site.charts import Series, scatter_log

OVERHEAD_EXAMPLE = "llama-3-8b-instruct"
KV_EXAMPLES = ("mistral-7b-instruct-v0-3", "gemma-2-9b-it", "gemma-3-27b-it", "gpt-oss-20b", "deepseek-v3",
               "qwen3-next-80b-a3b-instruct", "granite-4-0-h-small")  # fmt: skip
SPLIT_EXAMPLE = ("llama-3-3-70b-instruct", "Q4_K_M", 8192, 2)
VISION_EXAMPLE = "gemma-3-27b-it"


@dataclass(frozen=True)
class FileCheck:
    known: KnownFile
    model: ModelEntry
    estimated_bytes: int

    @property
    def error(self) -> float:
        return self.estimated_bytes / self.known.size_bytes - 1


@dataclass(frozen=True)
class KvExample:
    model: ModelEntry
    context: int
    bytes: int
    naive_bytes: int  # every layer caching full K and V for every attention head group


@dataclass(frozen=True)
class KindRow:
    """One architecture kind's error on the validation split and on the fitted rows, against its target."""

    kind: str
    validation: Accuracy | None
    fitted: Accuracy | None
    target_median: float
    target_p90: float

    @property
    def met(self) -> bool | None:
        return None if self.validation is None else self.validation.meets(self.kind)


@dataclass(frozen=True)
class CardShare:
    card: int
    blocks: str  # "0-40"
    weights: int
    kv: int
    buffers: int
    output: bool  # this card holds the output layer and the logits

    @property
    def total(self) -> int:
        return self.weights + self.kv + self.buffers


@dataclass(frozen=True)
class SplitExample:
    model: ModelEntry
    fmt: str
    context: int
    cards: tuple[CardShare, ...]
    units: int  # blocks + the output layer


@dataclass(frozen=True)
class Methodology:
    files: tuple[FileCheck, ...]
    kv: tuple[KvExample, ...]
    kinds: tuple[KindRow, ...]
    decode: tuple[Accuracy, ...]  # validation rows, by device class
    decode_fit: tuple[Accuracy, ...]  # the rows the constants were fitted on
    decode_long: tuple[Accuracy, ...]  # validation rows at long contexts or depth
    prefill: tuple[Accuracy, ...]
    misses: tuple[Comparison, ...]
    scatter_svg: str
    measured_sources: tuple[str, ...]
    rows_fitted: int
    rows_held: int
    validation_chips: tuple[str, ...]
    excluded: tuple[tuple[str, int], ...]  # (reason, rows)
    era: tuple[Accuracy | None, Accuracy | None]  # rows from old builds: with the era term, without it
    calibration: Calibration
    split: SplitExample | None
    vision: tuple[ModelEntry, int] | None  # a model and the extra bytes its projector needs
    overhead_example: tuple[ModelEntry, int] | None  # a model and its compute buffer, to set beside a llama.cpp log
    rule: tuple[str, ...] = RULE  # the recommendation rule in words (estimator/recommend.py)
    alternatives: str = ALTERNATIVES


def naive_kv(a: Architecture, context: int) -> int:
    """Every layer caching full keys and values at f16; for latent attention, the decompressed heads."""
    if a.is_mla:
        per_token = a.attention_heads * (a.qk_nope_head_dim + a.qk_rope_head_dim + a.v_head_dim)
    else:
        per_token = 2 * a.kv_heads * a.head_size
    return a.layers * context * per_token * 2


def split_example(models: dict[str, ModelEntry]) -> SplitExample | None:
    """llama.cpp's default layer split of one model over identical cards, card by card."""
    slug, fmt, ctx, cards = SPLIT_EXAMPLE
    if slug not in models:
        return None
    a = models[slug].card.architecture
    from site_builder.estimator.memory import kv_by_block

    bb, kv = block_bytes(a, fmt), kv_by_block(a, ctx)
    loaded = [i for i, b in enumerate(block_plan(a)) if b.in_memory]
    units = len(loaded) + 1
    card_of = (np.arange(units) * cards) // units
    shares = []
    for c in range(cards):
        mine = [loaded[u] for u in range(units - 1) if card_of[u] == c]
        holds_output = card_of[-1] == c
        weights = int(bb.weights[mine].sum()) + (bb.output if holds_output else 0)
        buffers = activation_bytes(a) + (logits_bytes(a) if holds_output else 0)
        shares.append(CardShare(c, f"{mine[0]}–{mine[-1]}" if mine else "—", weights, int(kv[mine].sum()), buffers,
                                bool(holds_output)))  # fmt: skip
    assert sum(s.total for s in shares) == placement(a, fmt, ctx, cards, True, "f16", _settings()).total
    return SplitExample(models[slug], fmt, ctx, tuple(shares), units)


def _settings():
    from site_builder.estimator.settings import SETTINGS

    return SETTINGS


def build_methodology(content: Content, cal: Calibration) -> Methodology:
    models = {m.slug: m for m in content.models}
    files = tuple(FileCheck(k, models[k.model], weights_size(models[k.model].card.architecture, k.quant).total_bytes)
                  for k in KNOWN_FILES if k.model in models)  # fmt: skip
    kv = tuple(
        KvExample(
            models[slug],
            ctx,
            kv_cache_bytes(models[slug].card.architecture, ctx),
            naive_kv(models[slug].card.architecture, ctx),
        )  # fmt: skip
        for slug in KV_EXAMPLES
        if slug in models
        for ctx in (8192, 32768)
        if ctx <= models[slug].card.architecture.context_length
    )
    every = decode_comparisons(content, cal)
    held = [c for c in every if c.point.validation]
    fitted = [c for c in every if not c.point.validation]
    kinds = tuple(KindRow(k, accuracy(k, [c for c in held if c.point.arch_kind == k]),
                          accuracy(k, [c for c in fitted if c.point.arch_kind == k]), TARGET_MEDIAN[k], TARGET_P90[k])
                  for k in ARCH_KINDS)  # fmt: skip
    prefill = prefill_comparisons(content, cal)
    excluded = Counter(p.exclusion for p in points(content, "tg", excluded=True))
    old = [c for c in every if c.point.old_build]
    plain = replace(cal, classes={k: replace(v, old_block_us=0.0) for k, v in cal.classes.items()},
                    pooled=replace(cal.pooled, old_block_us=0.0))  # fmt: skip
    without = [Comparison(c.point, 1 / c.point.predicted_seconds(plain)) for c in old]
    vision = models.get(VISION_EXAMPLE)
    return Methodology(
        files=files,
        kv=kv,
        kinds=kinds,
        decode=tuple(by_class(held)),
        decode_fit=tuple(by_class(fitted)),
        decode_long=tuple(by_class([c for c in held if not c.point.short])),
        prefill=tuple(by_class(prefill)),
        misses=tuple(largest_misses(held, 8)),
        scatter_svg=_scatter(held),
        measured_sources=tuple(sorted({c.point.measurement.benchmark.title for c in every + prefill})),
        rows_fitted=len(fitted),
        rows_held=len(held),
        validation_chips=tuple(sorted(validation_chips(content))),
        excluded=tuple((EXCLUSIONS[k], n) for k, n in sorted(excluded.items())),
        era=(accuracy(f"before {ERA_CUTOFF}", old), accuracy("without", without)),
        calibration=cal,
        split=split_example(models),
        vision=(vision, vision.card.projector.file_bytes) if vision and vision.card.projector else None,
        overhead_example=(models[OVERHEAD_EXAMPLE], overhead_bytes(models[OVERHEAD_EXAMPLE].card.architecture))
        if OVERHEAD_EXAMPLE in models
        else None,
    )


def _scatter(comparisons: list[Comparison]) -> str:
    series = [
        Series(cls, tuple((c.measured_tok_s, c.predicted_tok_s) for c in comparisons if c.point.cls == cls))
        for cls in CLASSES
    ]
    return scatter_log(
        [s for s in series if s.points],
        title="Predicted against measured decode speed, held-out rows",
        description=(
            "Each mark is one validation measurement, never fitted on (tokens per second under its own test, depth "
            "and GPU count, log scale). Marks on the diagonal are predicted exactly; the shaded corridor is plus or "
            "minus 25 percent."
        ),
        x_label="measured tok/s",
        y_label="predicted tok/s",
        band=0.25,
        ident="scatter",
    )

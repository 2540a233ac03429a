"""The methodology page's data: every figure on it comes from the same code and content as the estimates."""

from __future__ import annotations

from dataclasses import dataclass

from site_builder.content.records import Content, ModelEntry
from site_builder.content.schema import Architecture
from site_builder.estimator.accuracy import (
    Accuracy,
    Comparison,
    by_class,
    by_kind,
    decode_comparisons,
    largest_misses,
    prefill_comparisons,
)
from site_builder.estimator.known_files import KNOWN_FILES, KnownFile
from site_builder.estimator.memory import kv_cache_bytes, overhead_bytes
from site_builder.estimator.speed import CLASSES, Calibration
from site_builder.estimator.weights import weights_size
from site_builder.site.charts import Series, scatter_log

OVERHEAD_EXAMPLE = "llama-3-8b-instruct"
KV_EXAMPLES = ("mistral-7b-instruct-v0-3", "gemma-2-9b-it", "gemma-3-27b-it", "gpt-oss-20b", "deepseek-v3",
               "qwen3-next-80b-a3b-instruct")  # fmt: skip


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
class Methodology:
    files: tuple[FileCheck, ...]
    kv: tuple[KvExample, ...]
    decode: tuple[Accuracy, ...]  # validation rows, by device class
    decode_fit: tuple[Accuracy, ...]  # the rows the constants were fitted on
    kinds: tuple[Accuracy, ...]  # validation rows, by architecture kind
    kinds_fit: tuple[Accuracy, ...]
    decode_long: tuple[Accuracy, ...]
    prefill: tuple[Accuracy, ...]
    misses: tuple[Comparison, ...]
    scatter_svg: str
    measured_sources: tuple[str, ...]
    rows_used: int
    overhead_example: tuple[ModelEntry, int] | None  # a model and its compute buffer, to set beside a llama.cpp log


def naive_kv(a: Architecture, context: int) -> int:
    """Every layer caching full keys and values at f16; for latent attention, the decompressed heads."""
    if a.is_mla:
        per_token = a.attention_heads * (a.qk_nope_head_dim + a.qk_rope_head_dim + a.v_head_dim)
    else:
        per_token = 2 * a.kv_heads * a.head_size
    return a.layers * context * per_token * 2


def build_methodology(content: Content, cal: Calibration) -> Methodology:
    models = {m.slug: m for m in content.models}
    files = tuple(
        FileCheck(k, models[k.model], weights_size(models[k.model].card.architecture, k.quant).total_bytes)
        for k in KNOWN_FILES
        if k.model in models
    )
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
    short = [c for c in held if c.point.short]
    long = [c for c in held if not c.point.short]
    prefill = prefill_comparisons(content, cal)
    sources = sorted({c.point.measurement.benchmark.title for c in every + prefill})
    return Methodology(
        files=files,
        kv=kv,
        decode=tuple(by_class(held)),
        decode_fit=tuple(by_class(fitted)),
        kinds=tuple(by_kind(held)),
        kinds_fit=tuple(by_kind(fitted)),
        decode_long=tuple(by_class(long)),
        prefill=tuple(by_class(prefill)),
        misses=tuple(largest_misses(held, 6)),
        scatter_svg=_scatter(every),
        measured_sources=tuple(sources),
        rows_used=len(fitted),
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
        title="Predicted against measured decode speed",
        description=(
            "Each mark is one calibration measurement (tokens per second at short context, log scale). "
            "Marks on the diagonal are predicted exactly; the shaded corridor is plus or minus 25 percent."
        ),
        x_label="measured tok/s",
        y_label="predicted tok/s",
        band=0.25,
        ident="scatter",
    )

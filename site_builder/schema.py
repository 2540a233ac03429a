"""Pydantic schemas for content frontmatter. No I/O here: loading lives in `load.py`.

Numbers are strict (a quoted "7.24" or YAML's string reading of 7.24e9 is an error, not silently coerced),
NaN and infinity are refused, unknown keys are refused (`extra="forbid"` catches `contxt_length`).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from .quants import QUANT_NAMES

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
URL_RE = re.compile(r"^https?://[^\s<>\"'`]+$")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _http_url(value: str) -> str:
    if not URL_RE.match(value):
        raise ValueError("must be an http(s):// address")
    return value


def _source(value: str) -> str:
    text = value.strip()
    if not text:
        raise ValueError("must not be empty")
    head = text.split()[0]
    if head.lower().startswith(("http://", "https://")):
        _http_url(head)
    elif re.match(r"^[a-z][a-z0-9+.-]*:", text, re.IGNORECASE):  # javascript:, data:, file:, ...
        raise ValueError("a source must be an http(s) address or an 'owner/repo path' citation")
    return text


def _quant_name(value: str) -> str:
    if value not in QUANT_NAMES:
        raise ValueError(f"unknown quantization {value!r}; known: {', '.join(QUANT_NAMES)}")
    return value


HttpUrl = Annotated[str, AfterValidator(_http_url)]
Source = Annotated[str, AfterValidator(_source)]
QuantName = Annotated[str, AfterValidator(_quant_name)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
PosInt = Annotated[int, Field(gt=0)]
PosFloat = Annotated[float, Field(gt=0)]
Sources = Annotated[list[Source], Field(min_length=1)]


_HASHES: dict[int, tuple[object, int]] = {}


class Architecture(Strict):
    layers: Annotated[int, Field(gt=0, le=1000)]
    hidden_size: PosInt
    intermediate_size: PosInt | None = None  # dense FFN width; may be absent when every layer is MoE
    attention_heads: PosInt
    kv_heads: PosInt
    head_dim: PosInt | None = None
    vocab_size: PosInt
    context_length: PosInt
    sliding_window: PosInt | None = None
    sliding_window_pattern: Annotated[int, Field(ge=2)] | None = None
    attention_layers: PosInt | None = None
    experts: Annotated[int, Field(ge=2)] | None = None
    experts_per_token: PosInt | None = None
    moe_intermediate_size: PosInt | None = None
    shared_experts: Annotated[int, Field(ge=0)] | None = None
    dense_layers: Annotated[int, Field(ge=0)] | None = None
    tied_embeddings: bool = False
    kv_lora_rank: PosInt | None = None
    q_lora_rank: PosInt | None = None
    qk_rope_head_dim: PosInt | None = None
    qk_nope_head_dim: PosInt | None = None
    v_head_dim: PosInt | None = None

    def __hash__(self) -> int:
        # The estimator's caches key on architectures; pydantic would rehash every field on each lookup.
        entry = _HASHES.get(id(self))
        if entry is None or entry[0] is not self:
            entry = _HASHES[id(self)] = (self, hash(tuple(self.__dict__.values())))
        return entry[1]

    @model_validator(mode="after")
    def _consistent(self) -> Architecture:
        problems = []
        if self.attention_heads % self.kv_heads:
            problems.append(("kv_heads", f"must divide attention_heads ({self.attention_heads}), got {self.kv_heads}"))
        if not self.intermediate_size and not (self.experts and self.moe_intermediate_size and not self.dense_layers):
            problems.append(("intermediate_size", "required unless every layer is MoE with moe_intermediate_size"))
        if self.experts and not self.experts_per_token:
            problems.append(("experts_per_token", "required when experts is set"))
        if self.experts_per_token and self.experts and self.experts_per_token > self.experts:
            problems.append(("experts_per_token", f"cannot exceed experts ({self.experts})"))
        if self.experts_per_token and not self.experts:
            problems.append(("experts", "required when experts_per_token is set"))
        if self.sliding_window_pattern and not self.sliding_window:
            problems.append(("sliding_window", "required when sliding_window_pattern is set"))
        if self.attention_layers and self.attention_layers > self.layers:
            problems.append(("attention_layers", f"cannot exceed layers ({self.layers})"))
        if self.dense_layers is not None and self.dense_layers >= self.layers:
            problems.append(("dense_layers", f"must be fewer than layers ({self.layers})"))
        if self.kv_lora_rank and not (self.qk_rope_head_dim and self.qk_nope_head_dim and self.v_head_dim):
            problems.append(
                ("kv_lora_rank", "latent attention also needs qk_rope_head_dim, qk_nope_head_dim, v_head_dim")
            )
        if problems:
            raise FieldProblems(problems)
        return self

    @property
    def head_size(self) -> int:
        return self.head_dim or self.hidden_size // self.attention_heads

    @property
    def is_moe(self) -> bool:
        return bool(self.experts)

    @property
    def is_mla(self) -> bool:
        return bool(self.kv_lora_rank)


class ModelCard(Strict):
    name: Text
    slug: str | None = None
    family: Text
    publisher: Text
    params_b: Annotated[float, Field(gt=0, le=10_000)]
    active_params_b: Annotated[float, Field(gt=0)] | None = None
    vision_params_b: Annotated[float, Field(gt=0)] | None = None  # in a separate mmproj file for llama.cpp
    architecture: Architecture
    license: Text
    release_date: Annotated[dt.date, Field(strict=False)] | None = None
    summary: Annotated[str, Field(min_length=1, max_length=400)]
    run_command: Annotated[str, Field(max_length=200)] | None = None
    links: dict[Text, HttpUrl] = {}
    tags: list[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]] = []
    quants: list[QuantName] | None = None
    sources: Sources

    @model_validator(mode="after")
    def _consistent(self) -> ModelCard:
        problems = []
        if self.active_params_b and self.active_params_b > self.params_b:
            problems.append(("active_params_b", f"cannot exceed params_b ({self.params_b})"))
        if self.architecture.is_moe and not self.active_params_b:
            problems.append(("active_params_b", "required for a mixture-of-experts model"))
        if problems:
            raise FieldProblems(problems)
        return self


class DeviceKind(StrEnum):
    DISCRETE_GPU = "discrete-gpu"
    DATACENTER_GPU = "datacenter-gpu"
    UNIFIED_MEMORY = "unified-memory"
    TPU = "tpu"
    CPU = "cpu"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    DeviceKind.DISCRETE_GPU: "Discrete GPU",
    DeviceKind.DATACENTER_GPU: "Datacenter GPU",
    DeviceKind.UNIFIED_MEMORY: "Unified memory",
    DeviceKind.TPU: "TPU",
    DeviceKind.CPU: "CPU only",
}

MemorySize = Annotated[float, Field(gt=0, le=4096)]


class DeviceSpec(Strict):
    """A device file; a list in `memory_gb` expands into one `Device` per memory size."""

    name: Text
    slug: str | None = None
    vendor: Text
    kind: Annotated[DeviceKind, Field(strict=False)]
    family: Text | None = None
    memory_gb: MemorySize | Annotated[list[MemorySize], Field(min_length=1)]
    memory_type: Text | None = None
    memory_bus_bits: PosInt | None = None
    memory_data_rate_gbps: PosFloat | None = None
    memory_bandwidth_gbps: Annotated[float, Field(gt=0, le=100_000)]
    fp16_tflops: PosFloat | None = None
    gpu_cores: PosInt | None = None
    release_year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    sources: Sources


class BenchmarkRow(Strict):
    model: str
    quant: QuantName
    device: str | None = None  # only a `relative: true` set may leave it out
    test: Annotated[str, Field(pattern=r"^(tg|pp)\d+$")]
    tok_s: PosFloat
    backend: Text
    build: Text | None = None
    model_size_gib: PosFloat | None = None


class BenchmarkSet(Strict):
    title: Text
    source: Source
    runtime: Text
    date: Text | None = None
    calibration: bool = False
    relative: bool = False  # hardware not stated: only ratios between rows mean something
    notes: Annotated[str, Field(max_length=1000)] | None = None
    rows: Annotated[list[BenchmarkRow], Field(min_length=1)]

    @model_validator(mode="after")
    def _devices(self) -> BenchmarkSet:
        missing = [i for i, row in enumerate(self.rows) if row.device is None]
        if missing and not self.relative:
            raise FieldProblems([(f"rows[{missing[0]}].device", "required unless the set is `relative: true`")])
        return self


class FieldProblems(ValueError):
    """Several cross-field problems from one validator, each tied to its own field."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))

"""Pydantic schemas for content frontmatter. No I/O here: loading lives in `load.py`.

Numbers are strict (a quoted "7.24" or YAML's string reading of 7.24e9 is an error, not silently coerced),
NaN and infinity are refused, unknown keys are refused (`extra="forbid"` catches `contxt_length`).
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from site_builder.estimator.quants import QUANT_NAMES

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]*\Z")
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


Count = Annotated[int, Field(ge=0, le=100_000)]
Width = Annotated[int, Field(gt=0, le=1_000_000)]
GgufArch = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$", max_length=40)]


class RecurrentKind(StrEnum):
    """Token mixers with a fixed-size state instead of a KV cache that grows with the context."""

    MAMBA2 = "mamba2"  # Granite 4 H, Nemotron-H, Falcon-H1
    GATED_DELTANET = "gated-deltanet"  # Qwen3-Next, Kimi Linear (linear attention)
    SHORT_CONV = "short-conv"  # LFM2


class Recurrent(Strict):
    """The non-attention layers of a hybrid model, with the sizes their weights and state follow from."""

    kind: Annotated[RecurrentKind, Field(strict=False)]
    layers: Annotated[int, Field(gt=0, le=1000)]  # blocks whose mixer is this kind
    conv_kernel: Annotated[int, Field(ge=1, le=64)]
    # mamba2: d_inner = heads x head_dim, d_state, n_groups
    heads: Width | None = None
    head_dim: Width | None = None
    state_size: Width | None = None
    groups: Width | None = None
    # gated-deltanet: key/value heads and their dimensions
    key_heads: Width | None = None
    value_heads: Width | None = None
    key_head_dim: Width | None = None
    value_head_dim: Width | None = None

    @model_validator(mode="after")
    def _sizes(self) -> Recurrent:
        need = {
            RecurrentKind.MAMBA2: ("heads", "head_dim", "state_size", "groups"),
            RecurrentKind.GATED_DELTANET: ("key_heads", "value_heads", "key_head_dim", "value_head_dim"),
            RecurrentKind.SHORT_CONV: (),
        }[self.kind]
        missing = [(name, f"required for a {self.kind.value} mixer") for name in need if getattr(self, name) is None]
        if missing:
            raise FieldProblems(missing)
        return self


class Architecture(Strict):
    gguf_arch: GgufArch | None = None  # llama.cpp's `general.architecture` (LLM_ARCH_NAMES in src/llama-arch.cpp)
    layers: Annotated[int, Field(gt=0, le=1000)]
    hidden_size: Width
    intermediate_size: Width | None = None  # dense FFN width; may be absent when every layer is MoE
    attention_heads: Annotated[int, Field(gt=0, le=10_000)]
    kv_heads: Annotated[int, Field(gt=0, le=10_000)]
    head_dim: Width | None = None
    vocab_size: Annotated[int, Field(gt=0, le=10_000_000)]
    context_length: Annotated[int, Field(gt=0, le=16_777_216)]
    sliding_window: Annotated[int, Field(gt=0, le=16_777_216)] | None = None
    sliding_window_pattern: Annotated[int, Field(ge=2, le=1000)] | None = None
    attention_layers: Annotated[int, Field(gt=0, le=1000)] | None = None  # blocks with attention (and a KV cache)
    attention_gate: bool = False  # attn_q also emits an output gate (Qwen3-Next gated attention): q is twice as wide
    kv_shared_layers: Annotated[int, Field(ge=0, le=1000)] | None = None  # last blocks reuse an earlier block's KV
    per_layer_embedding_size: Width | None = None  # Gemma 3n: a token-embedding row of this width for every block
    recurrent: Recurrent | None = None  # the other blocks of a hybrid model
    ffn_layers: Annotated[int, Field(ge=0, le=1000)] | None = None  # blocks with a feed-forward part (default: all)
    ffn_gated: bool = True  # False: feed-forward blocks (and experts) have up and down projections only (ReLU^2)
    experts: Annotated[int, Field(ge=2, le=100_000)] | None = None
    experts_per_token: Annotated[int, Field(gt=0, le=100_000)] | None = None
    moe_intermediate_size: Width | None = None
    moe_layer_step: Annotated[int, Field(ge=1, le=1000)] | None = None  # every k-th block is MoE (Llama 4, Qwen MoE)
    shared_experts: Count | None = None  # shared experts of moe_intermediate_size width (DeepSeek, GLM)
    shared_expert_intermediate_size: Width | None = None  # width of the shared expert (Qwen MoE, Llama 4)
    dense_layers: Annotated[int, Field(ge=0, le=1000)] | None = None  # leading blocks with a dense FFN
    nextn_layers: Annotated[int, Field(ge=0, le=100)] | None = None  # MTP blocks kept in the GGUF after `layers`
    expert_format: Literal["MXFP4"] | None = None  # experts ship pre-quantized
    tied_embeddings: bool = False
    kv_lora_rank: Width | None = None
    q_lora_rank: Width | None = None
    qk_rope_head_dim: Width | None = None
    qk_nope_head_dim: Width | None = None
    v_head_dim: Width | None = None

    _hash: int = PrivateAttr(default=0)

    def model_post_init(self, context: object) -> None:
        # The estimator's caches key on architectures by value; hashing every field on each lookup is slow, so the
        # hash is computed once, with the object.
        self._hash = hash(tuple(self.__dict__.values()))

    def __hash__(self) -> int:
        return self._hash

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
        if self.recurrent and self.recurrent.layers > self.layers:
            problems.append(("recurrent.layers", f"cannot exceed layers ({self.layers})"))
        if self.kv_shared_layers and self.kv_shared_layers >= (self.attention_layers or self.layers):
            problems.append(("kv_shared_layers", "must be fewer than the layers with attention"))
        if self.ffn_layers is not None and self.ffn_layers > self.layers:
            problems.append(("ffn_layers", f"cannot exceed layers ({self.layers})"))
        if (self.moe_layer_step or self.shared_expert_intermediate_size or self.expert_format) and not self.experts:
            problems.append(("experts", "required by moe_layer_step, shared_expert_intermediate_size, expert_format"))
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


Tag = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=40)]
HfRepo = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$", max_length=120)]
Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=100)]


class GgufRepo(Strict):
    """A Hugging Face repository of GGUF files and the formats it offers (its file list is the source)."""

    repo: HfRepo
    quants: Annotated[list[QuantName], Field(min_length=1)]


OLLAMA_TAG = r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)?(:[A-Za-z0-9._-]+)?$"


class OllamaTag(Strict):
    """A tag in Ollama's library (ollama.com/library) and the GGUF format it pulls."""

    tag: Annotated[str, Field(pattern=OLLAMA_TAG, max_length=80)]
    quant: QuantName


class Projector(Strict):
    """The vision encoder llama.cpp loads from a separate mmproj GGUF (`--mmproj`)."""

    file_bytes: Annotated[int, Field(gt=0, le=100 * 2**30)]  # size of a real mmproj file
    type: Literal["F32", "F16", "BF16", "Q8_0"]  # its storage type
    repo: HfRepo | None = None  # where that file is
    image_tokens: Annotated[int, Field(gt=0, le=100_000)] | None = None  # encoder patches per image (before merging)
    encoder_hidden_size: Width | None = None
    encoder_heads: Annotated[int, Field(gt=0, le=1000)] | None = None


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
    tags: Annotated[list[Tag], Field(max_length=20)] = []
    quants: list[QuantName] | None = None
    gguf: Annotated[list[GgufRepo], Field(max_length=10)] = []
    ollama: Annotated[list[OllamaTag], Field(max_length=30)] = []
    projector: Projector | None = None
    caveat: Annotated[str, Field(min_length=1, max_length=400)] | None = None  # what the estimate cannot represent
    supersedes: Annotated[list[Slug], Field(max_length=20)] = []  # older cards this one replaces
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


class FormFactor(StrEnum):
    DESKTOP = "desktop"
    LAPTOP = "laptop"
    WORKSTATION = "workstation"
    SERVER = "server"
    MINI_PC = "mini-pc"
    PHONE = "phone"
    TABLET = "tablet"
    EMBEDDED = "embedded"  # single-board computers and modules (Raspberry Pi, Jetson)


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
    memory_bus_bits: Annotated[int, Field(gt=0, le=100_000)] | None = None
    memory_data_rate_gbps: Annotated[float, Field(gt=0, le=1000)] | None = None
    memory_bandwidth_gbps: Annotated[float, Field(gt=0, le=100_000)]
    fp16_tflops: Annotated[float, Field(gt=0, le=100_000)] | None = None  # dense FP16/BF16 tensor, no sparsity
    gpu_cores: Annotated[int, Field(gt=0, le=1_000_000)] | None = None
    release_year: Annotated[int, Field(ge=1990, le=2100)] | None = None
    form_factor: Annotated[FormFactor, Field(strict=False)] | None = None
    os_reserve_gb: Annotated[float, Field(ge=0, le=64)] | None = None  # memory its OS keeps (CPU and unified memory)
    sources: Sources


class BenchmarkRow(Strict):
    model: str
    quant: QuantName
    device: str | None = None  # only a `relative: true` set may leave it out
    test: Annotated[str, Field(pattern=r"^((tg|pp)\d{1,7}|kld|ppl)$")]  # llama-bench tgN / ppN; quality: kld, ppl
    tok_s: Annotated[float, Field(gt=0, le=1_000_000)] | None = None  # tgN and ppN rows
    depth: Annotated[int, Field(ge=0, le=16_777_216)] = 0  # llama-bench -d: tokens already in the context
    gpus: Annotated[int, Field(ge=1, le=64)] = 1  # identical cards in the run
    split_mode: Literal["layer", "row"] = "layer"
    flash_attn: bool | None = None
    kv_cache_type: Literal["f16", "q8_0", "q4_0"] = "f16"
    offload: Annotated[str, Field(max_length=80)] | None = None  # partial offload, e.g. "-ngl 20" or "--n-cpu-moe 30"
    backend: Text | None = None
    build: Text | None = None  # commit as llama-bench prints it
    build_number: Annotated[int, Field(gt=0, le=10_000_000)] | None = None  # the number llama-bench prints after it
    model_size_gib: Annotated[float, Field(gt=0, le=100_000)] | None = None
    model_params_b: Annotated[float, Field(gt=0, le=100_000)] | None = None
    kld: Annotated[float, Field(ge=0, le=100)] | None = None  # mean KL divergence from the 16-bit model
    ppl: Annotated[float, Field(gt=0, le=1_000_000)] | None = None  # perplexity of this format
    ppl_base: Annotated[float, Field(gt=0, le=1_000_000)] | None = None  # perplexity of the 16-bit model, same text

    @model_validator(mode="after")
    def _fields_of_test(self) -> BenchmarkRow:
        need = {"kld": ("kld",), "ppl": ("ppl", "ppl_base")}.get(self.test, ("tok_s", "backend"))
        missing = [(name, f"required for a {self.test} row") for name in need if getattr(self, name) is None]
        if missing:
            raise FieldProblems(missing)
        return self


class BenchmarkSet(Strict):
    title: Text
    source: Source
    runtime: Text
    date: Annotated[str, Field(pattern=r"^\d{4}(-\d{2}(-\d{2})?)?$")] | None = None  # when the rows were measured
    relative: bool = False  # hardware not stated: only ratios between rows mean something
    notes: Annotated[str, Field(max_length=1000)] | None = None
    rows: Annotated[list[BenchmarkRow], Field(min_length=1)]

    @model_validator(mode="after")
    def _devices(self) -> BenchmarkSet:
        missing = [i for i, row in enumerate(self.rows) if row.device is None]
        if missing and not self.relative:
            raise FieldProblems([(("rows", missing[0], "device"), "required unless the set is `relative: true`")])
        return self


class FieldProblems(ValueError):
    """Several cross-field problems from one validator, each tied to its own field: a name, or a path of keys and
    indices below the validated object."""

    def __init__(self, problems: list[tuple[str | tuple, str]]):
        self.problems = [((f,) if isinstance(f, str) else tuple(f), m) for f, m in problems]
        super().__init__("; ".join(f"{'.'.join(map(str, f))}: {m}" for f, m in self.problems))

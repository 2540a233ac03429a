"""The in-memory content records the rest of the pipeline works on (after validation)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cached_property

from site_builder.content.schema import BenchmarkRow, BenchmarkSet, DeviceKind, DeviceSpec, FormFactor, ModelCard

DEFAULT_FORM_FACTOR = {
    DeviceKind.DISCRETE_GPU: FormFactor.DESKTOP,
    DeviceKind.DATACENTER_GPU: FormFactor.SERVER,
    DeviceKind.UNIFIED_MEMORY: FormFactor.LAPTOP,
    DeviceKind.CPU: FormFactor.DESKTOP,
    DeviceKind.TPU: FormFactor.SERVER,
}


@dataclass(frozen=True, eq=False)
class ModelEntry:
    slug: str
    path: str
    card: ModelCard
    body: str  # Markdown source
    lines: dict[str, int]  # line of each top-level frontmatter key, for cross-file checks
    digest: str = ""  # of the file's bytes

    @property
    def name(self) -> str:
        return self.card.name


@dataclass(frozen=True, eq=False)  # identity equality: cheap to hash, and each variant is one object
class Device:
    """One memory variant of a device file (a file with `memory_gb: [36, 96]` gives two)."""

    slug: str
    path: str
    name: str
    spec: DeviceSpec
    memory_gb: float
    base_slug: str  # the file's slug; variants of one chip share it
    body: str
    lines: dict[str, int]
    digest: str = ""  # of the file's bytes and the memory variant
    shown_digest: str = ""  # of what other pages show of it: everything but its body and sources

    @property
    def vendor(self) -> str:
        return self.spec.vendor

    @property
    def form_factor(self) -> FormFactor:
        return self.spec.form_factor or DEFAULT_FORM_FACTOR[self.spec.kind]

    @property
    def runs_llama_cpp(self) -> bool:
        """llama.cpp has no TPU backend: TPUs are shown with their specs but never graded."""
        return self.spec.kind is not DeviceKind.TPU

    @property
    def kind(self) -> DeviceKind:
        return self.spec.kind

    @property
    def bandwidth_gbps(self) -> float:
        return self.spec.memory_bandwidth_gbps

    @property
    def memory_bytes(self) -> int:
        # Memory sizes are sold as "GB" but are binary: an "8 GB" card holds 8 GiB.
        return round(self.memory_gb * 2**30)


@dataclass(frozen=True)
class Measurement:
    set_slug: str
    path: str
    line: int
    benchmark: BenchmarkSet
    row: BenchmarkRow
    field_lines: dict[str, int]  # line of each key of this row

    def line_of(self, field: str) -> int:
        return self.field_lines.get(field, self.line)

    @property
    def source(self) -> str:
        return self.benchmark.source


@dataclass(frozen=True, eq=False, repr=False)
class Content:
    models: tuple[ModelEntry, ...]
    devices: tuple[Device, ...]
    measurements: tuple[Measurement, ...]
    benchmarks_digest: str = ""

    @cached_property
    def models_digest(self) -> str:
        return _combine(m.digest for m in self.models)

    @cached_property
    def devices_digest(self) -> str:
        """Changes when any model page would: a device's body or sources are shown on its own page only."""
        return _combine(d.shown_digest for d in self.devices)

    @cached_property
    def _decode_index(self) -> dict[str, tuple[Measurement, ...]]:
        index: dict[str, list[Measurement]] = {}
        for m in self.measurements:
            if m.row.test.startswith("tg") and m.row.device:
                index.setdefault(m.row.model, []).append(m)
        return {model: tuple(ms) for model, ms in index.items()}

    def measurements_of(self, model: str) -> tuple[Measurement, ...]:
        """Decode measurements of this model on a named device."""
        return self._decode_index.get(model, ())

    def model(self, slug: str) -> ModelEntry:
        return next(m for m in self.models if m.slug == slug)

    def device(self, slug: str) -> Device:
        return next(d for d in self.devices if d.slug == slug)


def _combine(digests) -> str:
    return hashlib.blake2b("".join(digests).encode(), digest_size=16).hexdigest()

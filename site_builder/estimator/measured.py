"""Published measurements joined to the model and device they name, with the physics each one implies under its
own condition (test, depth, GPUs, KV type): the bytes a decode step reads, the blocks it runs, the FLOPs a
prefill does. The build (measured-vs-estimated tables), the fitting tool (`site-builder calibrate`) and the
accuracy tables all start from here.

The split: within each device class, the chips (base device slugs) with mixture-of-experts rows and those with
dense rows only are each ordered by a hash of their slug, and every fourth chip of each is kept for validation:
its rows are never fitted on. A whole chip is held out so the published error is the error on hardware the fit
has not seen, as on most devices of the site; the two strata keep MoE rows in both halves.

Rows that do not measure what we estimate are left out of fitting and of the error tables, each with its reason
(EXCLUSIONS): a file of another size than the one we estimate (Unsloth's dynamic quants, 16-bit files that
dequantize pre-quantized experts), 16-bit formats on Vulkan (a slow fallback path the format costs do not cover),
and rows with part of the model on the CPU.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from functools import cached_property

from site_builder.content.records import Content, Device, Measurement, ModelEntry
from site_builder.estimator.estimate import prefill_flops_per_token
from site_builder.estimator.memory import kv_read_bytes
from site_builder.estimator.speed import ERA_CUTOFF, Calibration, decode_seconds, device_class
from site_builder.estimator.tensors import block_plan
from site_builder.estimator.weights import weights_size

SHORT_DECODE_MAX = 512  # "decode at short context": tg128 and tg512 rows at depth 0
VALIDATION_EVERY = 4
SIZE_TOLERANCE = 0.05  # a printed model size further than this from our file estimate is another file
EXCLUSIONS = {
    "other-file": "its printed model size is not the file we estimate (a dynamic or re-packed quant)",
    "16-bit-vulkan": "16-bit weights on Vulkan run a slow fallback path the format costs do not cover",
}


@dataclass(frozen=True)
class Point:
    measurement: Measurement
    model: ModelEntry
    device: Device
    cls: str
    kind: str  # "tg" decode or "pp" prefill
    tokens: int  # N of tgN / ppN
    validation: bool  # held out: never fitted on

    @property
    def row(self):
        return self.measurement.row

    @property
    def old_build(self) -> bool:
        date = self.measurement.benchmark.date
        return bool(date) and date < ERA_CUTOFF

    @property
    def exclusion(self) -> str | None:
        """Why this row does not measure what we estimate (a key of EXCLUSIONS), or None."""
        printed = self.row.model_size_gib
        if (
            printed
            and abs(weights_size(self.model.card.architecture, self.row.quant).total_bytes / 2**30 / printed - 1)
            > SIZE_TOLERANCE
        ):
            return "other-file"
        if self.row.quant in ("F16", "BF16") and (self.row.backend or "").startswith("Vulkan"):
            return "16-bit-vulkan"
        return None

    @property
    def measured_seconds(self) -> float:
        return 1 / self.row.tok_s

    @property
    def depth(self) -> int:
        return self.row.depth

    @property
    def gpus(self) -> int:
        return self.row.gpus

    @property
    def family(self) -> str:
        return self.model.card.architecture.gguf_arch or ""

    @property
    def arch_kind(self) -> str:
        return arch_kind(self.model)

    @property
    def short(self) -> bool:
        return self.tokens <= SHORT_DECODE_MAX and self.depth == 0

    @cached_property
    def weight_bytes(self) -> float:
        """Weight bytes a generated token reads (not yet scaled by the format's decode cost)."""
        return weights_size(self.model.card.architecture, self.row.quant).read_per_token_bytes

    @cached_property
    def kv_bytes(self) -> float:
        """KV bytes a decode step reads, on average over the run: depth plus half the generated tokens."""
        return kv_read_bytes(self.model.card.architecture, self.depth + self.tokens / 2, self.row.kv_cache_type)

    @cached_property
    def blocks(self) -> tuple[int, int]:
        plan = block_plan(self.model.card.architecture)
        return sum(b.in_memory for b in plan), sum(b.in_memory and b.ffn == "moe" for b in plan)

    @property
    def bandwidth_bps(self) -> float:
        return self.device.bandwidth_gbps * 1e9

    def device_bytes(self, cal: Calibration) -> float:
        return self.weight_bytes * cal.format_cost.get(self.row.quant, 1.0) + self.kv_bytes * cal.kv_cost

    def predicted_seconds(self, cal: Calibration) -> float:
        """Our decode time under this row's own condition: test, depth, GPUs, KV type and build era."""
        c = cal.for_device(self.device)
        blocks, moe = self.blocks
        t = decode_seconds(self.device_bytes(cal), self.bandwidth_bps, c, blocks, moe, self.gpus - 1)
        if self.old_build:
            t += blocks * c.old_block_us / 1e6
        return t / cal.family_factor(self.family)

    def prefill_peak_seconds(self) -> float | None:
        """Seconds per prompt token at the spec FP16 throughput (None without a figure)."""
        if not self.device.spec.fp16_tflops:
            return None
        flops = prefill_flops_per_token(self.model.card.architecture, self.tokens / 2)
        return flops / (self.device.spec.fp16_tflops * 1e12)


def arch_kind(model: ModelEntry) -> str:
    a = model.card.architecture
    return "hybrid" if a.recurrent else "moe" if a.is_moe else "dense"


def resolve_device(content: Content, slug: str) -> Device | None:
    exact = [d for d in content.devices if d.slug == slug]
    return (exact or [d for d in content.devices if d.base_slug == slug] or [None])[0]


def resolve_model(content: Content, slug: str) -> ModelEntry | None:
    return next((m for m in content.models if m.slug == slug), None)


def validation_chips(content: Content) -> frozenset[str]:
    """Every VALIDATION_EVERY-th measured chip of each class and stratum (with MoE rows, dense only), in the order
    of a hash of its slug."""
    chips: dict[str, str] = {}
    moe: set[str] = set()
    for m in content.measurements:
        device = resolve_device(content, m.row.device) if m.row.device else None
        model = resolve_model(content, m.row.model)
        if device is None or model is None or m.benchmark.relative or not m.row.test.startswith("tg"):
            continue
        chips[device.base_slug] = device_class(device)
        if model.card.architecture.is_moe:
            moe.add(device.base_slug)
    strata: dict[tuple[str, bool], list[str]] = {}
    for chip, cls in chips.items():
        strata.setdefault((cls, chip in moe), []).append(chip)
    held = set()
    for members in strata.values():
        ordered = sorted(members, key=lambda slug: hashlib.blake2b(slug.encode(), digest_size=8).hexdigest())
        held.update(ordered[VALIDATION_EVERY - 1 :: VALIDATION_EVERY])
    return frozenset(held)


def points(content: Content, kind: str, excluded: bool = False) -> list[Point]:
    """Measurements of one kind ('tg' decode or 'pp' prefill) joined to their model and device, each once.

    Where one device, model, format and condition were measured more than once (several llama.cpp builds),
    only the fastest counts: kernels only got faster, and estimates are for current builds. Rows with part of
    the model offloaded to the CPU are left out: their speed depends on a host we know nothing about. `excluded`:
    the rows left out for one of EXCLUSIONS instead (for the methodology page's count).
    """
    held = validation_chips(content)
    out = []
    for m in _fastest(content.measurements):
        r = m.row
        if m.benchmark.relative or not r.test.startswith(kind) or r.offload or r.tok_s is None:
            continue
        model, device = resolve_model(content, r.model), resolve_device(content, r.device)
        if model is None or device is None or not device.runs_llama_cpp:
            continue
        point = Point(m, model, device, device_class(device), kind, int(r.test[2:]), device.base_slug in held)
        if kind == "pp" and point.prefill_peak_seconds() is None:
            continue
        if (point.exclusion is not None) == excluded:
            out.append(point)
    return sorted(out, key=lambda p: (p.cls, p.device.slug, p.measurement.path, p.measurement.line))


def _fastest(measurements) -> list[Measurement]:
    best: dict[tuple, Measurement] = {}
    for m in measurements:
        r = m.row
        if r.tok_s is None:
            continue
        key = (r.device, r.model, r.quant, r.test, r.depth, r.gpus, r.split_mode, r.kv_cache_type, r.backend,
               r.offload, m.benchmark.relative)  # fmt: skip
        if key not in best or r.tok_s > best[key].row.tok_s:
            best[key] = m
    return list(best.values())


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    pos = q * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)

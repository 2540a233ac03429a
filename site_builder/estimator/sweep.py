"""Grade one model on many devices in every format and context at once, with numpy.

A build grades every model x format x context preset x device (about 540,000 estimates for the shipped
catalogue, 19 million for the 1,000 x 300 benchmark). Per device the arithmetic is a handful of
multiplications, so it runs as array operations over all devices: one code path, which `core()` also uses
for a single device, so pages, API and CLI can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from site_builder.content.records import Device
from site_builder.content.schema import Architecture
from site_builder.estimator.memory import (
    has_separate_memory,
    kv_cache_bytes,
    kv_read_bytes,
    overhead_bytes,
    usable_bytes,
)
from site_builder.estimator.settings import SETTINGS, Settings
from site_builder.estimator.speed import Calibration, ClassConstants, prefill_flops
from site_builder.estimator.tiers import TIERS, Tier, tier_indices
from site_builder.estimator.weights import weights_in_device_memory, weights_size


class Core(NamedTuple):
    """The numbers a tier depends on, for one model, format, context and device."""

    weights: int
    kv: int
    overhead: int
    total: int
    usable: int
    offload: float
    decode: float
    consts: ClassConstants
    tier: Tier

    @property
    def fits(self) -> bool:
        return self.total <= self.usable

    @property
    def runs(self) -> bool:
        return self.fits or self.offload < 1.0

    @property
    def headroom(self) -> float:
        return (self.usable - self.total) / self.usable if self.usable else -1.0


class Columns(NamedTuple):
    """One format at one context, one entry per device."""

    tier: np.ndarray  # int8 index into TIERS (0 = S ... 5 = F)
    decode: np.ndarray  # tokens/s, 0 where it cannot run
    total: np.ndarray  # bytes needed
    offload: np.ndarray  # share of the weights in system RAM (1.0: cannot run)


@dataclass(frozen=True, eq=False)
class DeviceArrays:
    """What the sweep needs from each device, as arrays in the order of `devices`."""

    devices: tuple[Device, ...]
    consts: tuple[ClassConstants, ...]
    separate: np.ndarray  # the GPU has its own memory (offload possible, embedding table stays in RAM)
    usable: np.ndarray
    rate: np.ndarray  # efficiency x spec bandwidth, bytes/s
    fixed: np.ndarray  # seconds per token
    low: np.ndarray  # speed-range factors (P10, P90 of measured / predicted)
    high: np.ndarray
    calibrated: np.ndarray
    name_rank: np.ndarray  # position of each device in alphabetical order, the last tie-break of a grid
    prefill_flops: np.ndarray  # calibrated FLOP/s for prefill; NaN where unknown


def device_arrays(devices: tuple[Device, ...], cal: Calibration, s: Settings = SETTINGS) -> DeviceArrays:
    consts = tuple(cal.for_device(d) for d in devices)
    return DeviceArrays(
        devices=devices,
        consts=consts,
        separate=np.array([has_separate_memory(d) for d in devices], bool),
        usable=np.array([usable_bytes(d, s) for d in devices], np.int64),
        rate=np.array(
            [c.bandwidth_efficiency * d.bandwidth_gbps * 1e9 for c, d in zip(consts, devices, strict=True)], float
        ),
        fixed=np.array([c.fixed_ms / 1000 for c in consts], float),
        low=np.array([c.ratio_p10 for c in consts], float),
        high=np.array([c.ratio_p90 for c in consts], float),
        calibrated=np.array([c.calibrated for c in consts], bool),
        name_rank=np.argsort(np.argsort([d.name for d in devices], kind="stable"), kind="stable"),
        prefill_flops=np.array(
            [prefill_flops(d.spec.fp16_tflops, c) or np.nan for c, d in zip(consts, devices, strict=True)]
        ),
    )


@dataclass(frozen=True, eq=False)
class Sweep:
    quants: tuple[str, ...]
    contexts: tuple[int, ...]
    places: DeviceArrays
    columns: dict[tuple[str, int], Columns]
    weights: dict[tuple[str, bool], int]  # (format, separate) -> weight bytes in device memory
    kv: dict[int, int]
    overhead: int

    def core(self, quant: str, ctx: int, i: int) -> Core:
        col, p = self.columns[quant, ctx], self.places
        weights = self.weights[quant, bool(p.separate[i])]
        return Core(weights, self.kv[ctx], self.overhead, int(col.total[i]), int(p.usable[i]), float(col.offload[i]),
                    float(col.decode[i]), p.consts[i], TIERS[int(col.tier[i])])  # fmt: skip


def sweep(
    a: Architecture,
    quants: tuple[str, ...],
    contexts: tuple[int, ...],
    places: DeviceArrays,
    kv_type: str,
    cal: Calibration,
    s: Settings = SETTINGS,
) -> Sweep:
    cpu = cal.classes.get("CPU", cal.pooled)
    host_rate = cpu.bandwidth_efficiency * s.system_ram_bandwidth_gbps * 1e9
    ram_limit = s.system_ram_bytes - s.cpu_reserve_bytes
    overhead = overhead_bytes(a, s)
    weights = {(q, sep): weights_in_device_memory(a, q, sep) for q in quants for sep in (True, False)}
    kv = {ctx: kv_cache_bytes(a, ctx, kv_type, s) for ctx in contexts}
    # One row per (context, format), one column per device: the whole model is graded in one pass.
    pairs = [(q, ctx) for ctx in contexts for q in quants]
    on_gpu = np.array([weights[q, True] for q, _ in pairs], np.int64)[:, None]
    in_one_pool = np.array([weights[q, False] for q, _ in pairs], np.int64)[:, None]
    w = np.where(places.separate, on_gpu, in_one_pool)
    total = w + np.array([kv[ctx] for _, ctx in pairs], np.int64)[:, None] + overhead
    cost = cal.format_cost
    read = np.array([weights_size(a, q).read_per_token_bytes * cost.get(q, 1.0) for q, _ in pairs])[:, None]
    kv_read = np.array([kv_read_bytes(a, ctx / 2, kv_type) for _, ctx in pairs])[:, None]
    graded = _grade(w, total, read, places.fixed + kv_read / places.rate, places, host_rate, ram_limit)
    columns = {pair: Columns(*(field[row] for field in graded)) for row, pair in enumerate(pairs)}
    return Sweep(quants, contexts, places, columns, weights, kv, overhead)


def _grade(w, total, read, fixed, p: DeviceArrays, host_rate: float, ram_limit: int) -> Columns:
    fits = total <= p.usable
    spill = total - p.usable
    possible = p.separate & (spill <= w) & (spill <= ram_limit)
    offload = np.where(fits, 0.0, np.where(possible, spill / w, 1.0))
    runs = offload < 1.0
    # Time is linear in the offloaded share: the best split is the most the GPU holds, or nothing on it.
    at_split = fixed + read * (1 - offload) / p.rate + read * offload / host_rate
    seconds = np.where(fits, at_split, np.minimum(at_split, fixed + read / host_rate))
    decode = np.where(runs, 1.0 / seconds, 0.0)
    headroom = np.where(p.usable > 0, (p.usable - total) / np.maximum(p.usable, 1), -1.0)
    return Columns(tier_indices(fits, runs, headroom, decode), decode, total, offload)

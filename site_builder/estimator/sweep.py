"""Grade one model on many devices in every format and context at once, with numpy.

A build grades every model x format x context x device for every setup (GPU count, system RAM, KV cache
type). Per device the arithmetic is a handful of multiplications, so it runs as array operations over all
devices: one code path, which `estimate.py` also uses for a single device, so pages, API and CLI can never
disagree.

Placement follows llama.cpp's defaults. One GPU holds every block, its KV cache, the output layer and the
compute buffer; the input lookup tables stay in system RAM. Several identical GPUs split the blocks by count
(`--split-mode layer`, tensor split proportional to free memory: unit i of n_layer + 1 goes to card
floor(i x cards / (n_layer + 1)), the output layer being the last unit), each card holding its blocks' KV
cache and a compute buffer, the last one the output layer and the logits. What does not fit spills to system
RAM, routed experts first for an MoE (`--n-cpu-moe`), whole layers otherwise (`-ngl`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from site_builder.content.records import Device
from site_builder.content.schema import Architecture
from site_builder.estimator.memory import (
    activation_bytes,
    has_separate_memory,
    host_usable_bytes,
    kv_by_block,
    kv_read_bytes,
    logits_bytes,
    state_by_block,
    takes_several,
    usable_bytes,
)
from site_builder.estimator.settings import DEFAULT_SETUP, SETTINGS, Settings, Setup
from site_builder.estimator.speed import Calibration, ClassConstants, decode_seconds, prefill_flops
from site_builder.estimator.tensors import block_plan
from site_builder.estimator.tiers import TIERS, F, Tier, tier_indices
from site_builder.estimator.weights import block_bytes, weights_size


class Core(NamedTuple):
    """The numbers a tier depends on, for one model, format, context, setup and device."""

    weights: int  # weight bytes on the device(s)
    kv: int
    overhead: int  # compute buffers and recurrent state
    total: int  # all of it, summed over cards
    per_card: int  # the fullest card's share (= total on one device)
    usable: int  # per card
    cards: int
    offload: float  # share of the weights in system RAM (1.0: cannot run)
    decode: float
    consts: ClassConstants
    tier: Tier

    @property
    def fits(self) -> bool:
        return self.offload == 0.0

    @property
    def runs(self) -> bool:
        return self.offload < 1.0

    @property
    def headroom(self) -> float:
        return (self.usable - self.per_card) / self.usable if self.usable else -1.0


class Columns(NamedTuple):
    """One format at one context, one entry per device."""

    tier: np.ndarray  # int8 index into TIERS (0 = S ... 5 = F)
    decode: np.ndarray  # tokens/s, 0 where it cannot run
    total: np.ndarray  # bytes needed, all cards together
    per_card: np.ndarray  # bytes on the fullest card
    offload: np.ndarray  # share of the weights in system RAM (0: fits; 1.0: cannot run)
    host_needed: np.ndarray  # system RAM the spilled part needs (0 when it fits); F when RAM is smaller
    cards: np.ndarray  # GPUs used per device (1 where a device cannot take several)

    def at_ram(self, ram_gb: int, s: Settings = SETTINGS) -> Columns:
        """The same, for a PC with this much system RAM: what spills runs only if the RAM holds it. Speeds and
        tiers of what runs do not depend on the RAM's size, so one sweep with the largest RAM serves them all."""
        enough = self.host_needed <= host_usable_bytes(Setup(system_ram_gb=ram_gb), s)
        runs = (self.offload < 1.0) & enough
        return self._replace(tier=np.where(runs, self.tier, F).astype(np.int8), decode=np.where(runs, self.decode, 0.0),
                             offload=np.where(runs, self.offload, 1.0))  # fmt: skip


class Rates(NamedTuple):
    """Class constants as arrays, one entry per device (same field names as ClassConstants)."""

    bandwidth_efficiency: np.ndarray
    fixed_ms: np.ndarray
    block_us: np.ndarray
    moe_block_us: np.ndarray
    gpu_hop_ms: np.ndarray


@dataclass(frozen=True, eq=False)
class DeviceArrays:
    """What the sweep needs from each device, as arrays in the order of `devices`."""

    devices: tuple[Device, ...]
    consts: tuple[ClassConstants, ...]
    separate: np.ndarray  # the GPU has its own memory (offload possible, lookup tables stay in RAM)
    several: np.ndarray  # a machine can hold several of these cards
    usable: np.ndarray  # per card
    bandwidth: np.ndarray  # spec bandwidth, bytes/s
    rates: Rates
    low: np.ndarray  # speed-range factors (P10, P90 of measured / predicted)
    high: np.ndarray
    calibrated: np.ndarray
    name_rank: np.ndarray  # position of each device in alphabetical order, the last tie-break of a grid
    prefill_flops: np.ndarray  # calibrated FLOP/s for prefill; NaN where unknown


def device_arrays(devices: tuple[Device, ...], cal: Calibration, s: Settings = SETTINGS) -> DeviceArrays:
    consts = tuple(cal.for_device(d) for d in devices)
    column = lambda name: np.array([getattr(c, name) for c in consts], float)  # noqa: E731
    return DeviceArrays(
        devices=devices,
        consts=consts,
        separate=np.array([has_separate_memory(d) for d in devices], bool),
        several=np.array([takes_several(d) for d in devices], bool),
        usable=np.array([usable_bytes(d, s) for d in devices], np.int64),
        bandwidth=np.array([d.bandwidth_gbps * 1e9 for d in devices], float),
        rates=Rates(*(column(name) for name in Rates._fields)),
        low=column("ratio_p10"),
        high=column("ratio_p90"),
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
    setup: Setup
    places: DeviceArrays
    columns: dict[tuple[str, int], Columns]
    weights: dict[tuple[str, bool], int]  # (format, separate memory) -> weight bytes on the device(s)
    kv: dict[int, int]
    overhead: int  # compute buffers of one device and recurrent state

    def core(self, quant: str, ctx: int, i: int) -> Core:
        col, p = self.columns[quant, ctx], self.places
        cards = int(col.cards[i])
        weights = self.weights[quant, bool(p.separate[i])]
        overhead = int(col.total[i]) - weights - self.kv[ctx]
        return Core(weights, self.kv[ctx], overhead, int(col.total[i]), int(col.per_card[i]), int(p.usable[i]), cards,
                    float(col.offload[i]), float(col.decode[i]), p.consts[i], TIERS[int(col.tier[i])])  # fmt: skip


class Placement(NamedTuple):
    """One format, context and card count: where the bytes go (the same on every device)."""

    total: int  # bytes on the GPUs (or the one device), all cards together
    per_card: int  # the fullest card
    weights: int  # weight bytes among them
    experts: int  # routed-expert bytes among them (what spills first)
    read: float  # weight bytes one token reads
    expert_read_share: float  # share of an expert byte a token reads (experts_per_token / experts)
    lookups: int  # input lookup tables left in system RAM beside a GPU (0 on unified memory)


def placement(
    a: Architecture, quant: str, ctx: int, cards: int, separate: bool, kv_type: str, s: Settings
) -> Placement:
    bb = block_bytes(a, quant)
    in_memory = [i for i, b in enumerate(block_plan(a)) if b.in_memory]
    per_block = (bb.weights + kv_by_block(a, ctx, kv_type, s) + state_by_block(a))[in_memory]
    units = len(in_memory) + 1  # the output layer is the last unit
    card_of = (np.arange(units) * cards) // units
    load = np.bincount(card_of[:-1], weights=per_block, minlength=cards) + activation_bytes(a, s)
    load[card_of[-1]] += bb.output + logits_bytes(a, s)
    lookups = 0 if separate else bb.lookups  # beside a GPU the lookup tables stay in system RAM
    load[0] += lookups
    weights = int(bb.weights.sum()) + bb.output + lookups
    share = (a.experts_per_token or 1) / (a.experts or 1)
    read = float(bb.read.sum()) + bb.output + bb.lookup_read
    host_tables = bb.lookups if separate else 0
    return Placement(int(load.sum()), int(load.max()), weights, int(bb.experts.sum()), read, share, host_tables)


def sweep(
    a: Architecture,
    quants: tuple[str, ...],
    contexts: tuple[int, ...],
    places: DeviceArrays,
    cal: Calibration,
    setup: Setup = DEFAULT_SETUP,
    s: Settings = SETTINGS,
) -> Sweep:
    plan = block_plan(a)
    blocks = sum(b.in_memory for b in plan)
    moe_blocks = sum(b.in_memory and b.ffn == "moe" for b in plan)
    cpu = cal.classes.get("CPU", cal.pooled)
    host_rate = cpu.bandwidth_efficiency * s.system_ram_bandwidth_gbps * 1e9
    cards = np.where(places.several, setup.gpus, 1)
    family = cal.family_factor(a.gguf_arch)
    columns = {}
    for ctx in contexts:
        kv_read = kv_read_bytes(a, ctx / 2, setup.kv_type) * cal.kv_cost
        for q in quants:
            cost = cal.format_cost.get(q, 1.0)
            shapes = {
                (n, sep): placement(a, q, ctx, n, sep, setup.kv_type, s)
                for n in {1, setup.gpus}
                for sep in (True, False)
            }
            columns[q, ctx] = _grade(
                shapes, cards, places, setup, cost, kv_read, blocks, moe_blocks, host_rate, family, s
            )
    weights = {
        (q, sep): placement(a, q, contexts[0], 1, sep, setup.kv_type, s).weights
        for q in quants
        for sep in (True, False)
    }
    kv = {ctx: int(kv_by_block(a, ctx, setup.kv_type, s).sum()) for ctx in contexts}
    overhead = activation_bytes(a, s) + logits_bytes(a, s) + int(state_by_block(a).sum())
    return Sweep(quants, contexts, setup, places, columns, weights, kv, overhead)


def _pick(shapes: dict, cards: np.ndarray, separate: np.ndarray, field: str) -> np.ndarray:
    """Per device, a Placement field for its card count and memory kind."""
    out = np.zeros(len(cards), float)
    for (n, sep), shape in shapes.items():
        out[(cards == n) & (separate == sep)] = getattr(shape, field)
    return out


def _grade(
    shapes, cards, p: DeviceArrays, setup: Setup, cost, kv_read, blocks, moe_blocks, host_rate, family, s
) -> Columns:
    field = lambda name: _pick(shapes, cards, p.separate, name)  # noqa: E731
    total, per_card, weights = field("total"), field("per_card"), field("weights")
    experts, read, share = field("experts"), field("read"), field("expert_read_share")
    capacity = p.usable * cards
    fits = (per_card <= p.usable) & (total <= capacity)
    spill = np.where(fits, 0.0, np.maximum(np.maximum(total - capacity, per_card - p.usable), 0.0))
    host_needed = np.where(fits, 0.0, spill + field("lookups"))
    possible = p.separate & (spill <= weights) & (host_needed <= host_usable_bytes(setup, s))
    host_needed = np.where(fits | (p.separate & (spill <= weights)), host_needed, np.inf)  # inf: no RAM is enough
    offload = np.where(fits, 0.0, np.where(possible, spill / np.maximum(weights, 1), 1.0))
    runs = offload < 1.0
    # An MoE spills routed experts first: a token reads only its experts' share of the bytes that moved.
    from_experts = np.minimum(spill, experts)
    dense_ratio = (read - experts * share) / np.maximum(weights - experts, 1)  # attention, shared experts: read whole
    host_read = np.minimum(from_experts * share + (spill - from_experts) * dense_ratio, read)
    device_bytes = (read - host_read) * cost + kv_read
    seconds = decode_seconds(
        device_bytes, p.bandwidth, p.rates, blocks, moe_blocks, cards - 1, host_read * cost / host_rate
    )
    all_host = decode_seconds(0.0, p.bandwidth, p.rates, blocks, moe_blocks, 0, (read * cost + kv_read) / host_rate)
    seconds = np.where(fits, seconds, np.minimum(seconds, all_host))
    decode = np.where(runs, family / seconds, 0.0)
    headroom = np.where(p.usable > 0, (p.usable - per_card) / np.maximum(p.usable, 1), -1.0)
    tier = tier_indices(fits, runs, headroom, decode)
    return Columns(tier, decode, total.astype(np.int64), per_card.astype(np.int64), offload, host_needed, cards)


def file_bytes(a: Architecture, quant: str) -> int:
    return weights_size(a, quant).total_bytes

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
from site_builder.estimator.tiers import TIERS, Tier, tier_indices
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
    host_needed: float = 0.0  # system RAM the spilled part needs
    separate: bool = True  # the GPU has memory of its own beside the system RAM

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


class Rates(NamedTuple):
    """Class constants as arrays, one entry per device (same field names as ClassConstants)."""

    bandwidth_efficiency: np.ndarray
    fixed_ms: np.ndarray
    block_us: np.ndarray
    moe_block_us: np.ndarray
    gpu_hop_ms: np.ndarray


@dataclass(frozen=True, eq=False, repr=False)
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

    def take(self, mask: np.ndarray) -> DeviceArrays:
        """The devices where `mask` is true, in the same order."""
        pick = lambda x: x[mask]  # noqa: E731
        chosen = np.flatnonzero(mask).tolist()
        return DeviceArrays(
            tuple(self.devices[i] for i in chosen), tuple(self.consts[i] for i in chosen), pick(self.separate),
            pick(self.several), pick(self.usable), pick(self.bandwidth), Rates(*(pick(r) for r in self.rates)),
            pick(self.low), pick(self.high), pick(self.calibrated), pick(self.name_rank), pick(self.prefill_flops),
        )  # fmt: skip


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


@dataclass(frozen=True, eq=False, repr=False)
class Sweep:
    quants: tuple[str, ...]
    contexts: tuple[int, ...]
    setup: Setup
    places: DeviceArrays
    columns: dict[tuple[str, int], Columns]
    weights: dict[tuple[str, bool], int]  # (format, separate memory) -> weight bytes on the device(s)
    kv: dict[int, int]
    overhead: int  # compute buffers of one device and recurrent state
    arrays: dict[str, np.ndarray] | None = None  # every Columns field as [formats, contexts, devices]

    def core(self, quant: str, ctx: int, i: int) -> Core:
        col, p = self.columns[quant, ctx], self.places
        cards = int(col.cards[i])
        weights = self.weights[quant, bool(p.separate[i])]
        overhead = int(col.total[i]) - weights - self.kv[ctx]
        return Core(weights, self.kv[ctx], overhead, int(col.total[i]), int(col.per_card[i]), int(p.usable[i]), cards,
                    float(col.offload[i]), float(col.decode[i]), p.consts[i], TIERS[int(col.tier[i])],
                    float(col.host_needed[i]), bool(p.separate[i]))  # fmt: skip


class Placement(NamedTuple):
    """One format, context and card count: where the bytes go (the same on every device)."""

    total: int  # bytes on the GPUs (or the one device), all cards together
    per_card: int  # the fullest card
    weights: int  # weight bytes among them
    experts: int  # routed-expert bytes among them (what spills first)
    read: float  # weight bytes one token reads
    expert_read_share: float  # share of an expert byte a token reads (experts_per_token / experts)
    lookups: int  # input lookup tables left in system RAM beside a GPU (0 on unified memory)


@dataclass(frozen=True, eq=False)
class Geometry:
    """Every format x context of one model for one card count and KV type, as arrays [formats, contexts]."""

    total: dict[bool, np.ndarray]  # separate memory -> bytes on the device(s)
    per_card: dict[bool, np.ndarray]
    weights: dict[bool, np.ndarray]  # [formats]
    experts: np.ndarray  # [formats]
    read: np.ndarray  # [formats]
    lookups: np.ndarray  # [formats]
    kv: np.ndarray  # [contexts]
    share: float


def geometry(a: Architecture, quants: tuple[str, ...], contexts: tuple[int, ...], cards: int, kv_type: str,
             s: Settings = SETTINGS) -> Geometry:  # fmt: skip
    loaded = [i for i, b in enumerate(block_plan(a)) if b.in_memory]
    bbs = [block_bytes(a, q) for q in quants]
    w = np.array([bb.weights[loaded] for bb in bbs], np.float64)  # [Q, B]
    kv = np.array([kv_by_block(a, c, kv_type, s)[loaded] for c in contexts], np.float64)  # [C, B]
    state = state_by_block(a)[loaded].astype(np.float64)
    units = len(loaded) + 1  # the output layer is the last unit
    card_of = (np.arange(units) * cards) // units
    one_hot = np.zeros((len(loaded), cards))
    one_hot[np.arange(len(loaded)), card_of[:-1]] = 1.0
    out = np.array([bb.output for bb in bbs], np.float64)
    lookups = np.array([bb.lookups for bb in bbs], np.float64)
    load = (w @ one_hot)[:, None, :] + (kv @ one_hot)[None, :, :] + (state @ one_hot) + activation_bytes(a, s)
    load[:, :, card_of[-1]] += out[:, None] + logits_bytes(a, s)
    unified = load.copy()
    unified[:, :, 0] += lookups[:, None]
    weights = w.sum(axis=1) + out
    return Geometry(
        total={True: load.sum(axis=2), False: unified.sum(axis=2)},
        per_card={True: load.max(axis=2), False: unified.max(axis=2)},
        weights={True: weights, False: weights + lookups},
        experts=np.array([bb.experts[loaded].sum() for bb in bbs], np.float64),
        read=np.array([bb.read[loaded].sum() + bb.output + bb.lookup_read for bb in bbs], np.float64),
        lookups=lookups,
        kv=kv.sum(axis=1),
        share=(a.experts_per_token or 1) / (a.experts or 1),
    )


def placement(
    a: Architecture, quant: str, ctx: int, cards: int, separate: bool, kv_type: str, s: Settings
) -> Placement:
    g = geometry(a, (quant,), (ctx,), cards, kv_type, s)
    return Placement(int(g.total[separate][0, 0]), int(g.per_card[separate][0, 0]), int(g.weights[separate][0]),
                     int(g.experts[0]), float(g.read[0]), g.share, int(g.lookups[0]) if separate else 0)  # fmt: skip


def sweep(
    a: Architecture,
    quants: tuple[str, ...],
    contexts: tuple[int, ...],
    places: DeviceArrays,
    cal: Calibration,
    setup: Setup = DEFAULT_SETUP,
    s: Settings = SETTINGS,
) -> Sweep:
    """Every format x context on every device at once: arrays of [formats x contexts, devices]."""
    plan = block_plan(a)
    blocks = sum(b.in_memory for b in plan)
    moe_blocks = sum(b.in_memory and b.ffn == "moe" for b in plan)
    cpu = cal.classes.get("CPU", cal.pooled)
    host_rate = cpu.bandwidth_efficiency * s.system_ram_bandwidth_gbps * 1e9
    cards = np.where(places.several, setup.gpus, 1)
    shapes = {n: geometry(a, quants, contexts, n, setup.kv_type, s) for n in sorted({1, setup.gpus})}
    nq, nc = len(quants), len(contexts)

    def per_device(field) -> np.ndarray:
        """[formats x contexts, devices] from a geometry field (by card count and memory kind)."""
        out = np.zeros((nq * nc, len(cards)))
        for n, g in shapes.items():
            for sep in (True, False):
                mask = (cards == n) & (places.separate == sep)
                if mask.any():
                    value = field(g, sep)
                    value = np.broadcast_to(value[:, None] if value.ndim == 1 else value, (nq, nc)).reshape(-1)
                    out[:, mask] = value[:, None]
        return out

    total = per_device(lambda g, sep: g.total[sep])
    per_card = per_device(lambda g, sep: g.per_card[sep])
    weights = per_device(lambda g, sep: g.weights[sep])
    lookups = per_device(lambda g, sep: g.lookups if sep else g.lookups * 0)
    one = shapes[1]
    experts = np.repeat(one.experts, nc)[:, None]
    read = np.repeat(one.read, nc)[:, None]
    cost = np.repeat([cal.format_cost.get(q, 1.0) for q in quants], nc)[:, None]
    kv_read = np.tile([kv_read_bytes(a, c / 2, setup.kv_type) * cal.kv_cost for c in contexts], nq)[:, None]
    graded = _grade(total, per_card, weights, lookups, experts, read, one.share, cost, kv_read, cards, places, setup,
                    blocks, moe_blocks, host_rate, cal.family_factor(a.gguf_arch), s)  # fmt: skip
    pairs = [(q, c) for q in quants for c in contexts]
    columns = {pair: Columns(*(f[row] for f in graded), cards) for row, pair in enumerate(pairs)}
    arrays = {name: f.reshape(nq, nc, -1) for name, f in zip(Columns._fields, graded, strict=False)}
    weights_by = {(q, sep): int(one.weights[sep][k]) for k, q in enumerate(quants) for sep in (True, False)}
    kv = {c: int(one.kv[k]) for k, c in enumerate(contexts)}
    overhead = activation_bytes(a, s) + logits_bytes(a, s) + int(state_by_block(a).sum())
    return Sweep(quants, contexts, setup, places, columns, weights_by, kv, overhead, arrays)


def _grade(total, per_card, weights, lookups, experts, read, share, cost, kv_read, cards, p: DeviceArrays, setup,
           blocks, moe_blocks, host_rate, family, s):  # fmt: skip
    capacity = p.usable * cards
    fits = (per_card <= p.usable) & (total <= capacity)
    spill = np.where(fits, 0.0, np.maximum(np.maximum(total - capacity, per_card - p.usable), 0.0))
    host_needed = np.where(fits, 0.0, spill + lookups)
    spill_ok = p.separate & (spill <= weights)
    possible = spill_ok & (host_needed <= host_usable_bytes(setup, s))
    host_needed = np.where(fits | spill_ok, host_needed, np.inf)  # inf: no RAM is enough
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
    # Beside system RAM faster than the card (a slow card), running from RAM is the better choice either way:
    # taken for every format, so more memory on the card never lowers a tier.
    seconds = np.where(p.separate, np.minimum(seconds, all_host), seconds)
    decode = np.where(runs, family / seconds, 0.0)
    headroom = np.where(p.usable > 0, (p.usable - per_card) / np.maximum(p.usable, 1), -1.0)
    tier = tier_indices(fits, runs, headroom, decode)
    return tier, decode, total.astype(np.int64), per_card.astype(np.int64), offload, host_needed


def file_bytes(a: Architecture, quant: str) -> int:
    return weights_size(a, quant).total_bytes

"""A model on every device under every setup the site offers, and the verdict for each: the recommended format
(the one rule in recommend.py) and its two alternatives, as integer arrays the site turns into strings.

A setup is a GPU count, the PC's system RAM, a context preset and a KV cache type. One sweep per GPU count and
KV type, made with the largest RAM, serves every RAM size: what spills runs only if the RAM holds it, and speeds
and tiers of what runs do not depend on the RAM's size. The rule then runs once per GPU count and KV type over
every RAM size, context and device together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from site_builder.content.schema import Architecture
from site_builder.estimator.memory import host_usable_bytes, largest_contexts
from site_builder.estimator.recommend import recommend
from site_builder.estimator.settings import GPU_COUNTS, KV_TYPES, SETTINGS, SYSTEM_RAM_GB, Settings, Setup
from site_builder.estimator.speed import Calibration
from site_builder.estimator.sweep import DeviceArrays, Sweep, sweep
from site_builder.estimator.tiers import F

LARGEST_RAM = max(SYSTEM_RAM_GB)


class Pick(NamedTuple):
    """One of the three picks on every setup and device: arrays of [gpus, ram, contexts, kv types, devices] in
    the order of GPU_COUNTS, SYSTEM_RAM_GB, the model's contexts and KV_TYPES."""

    fmt: np.ndarray  # index into the model's formats; NONE where nothing runs
    tier: np.ndarray
    decode: np.ndarray  # tokens/s
    total: np.ndarray  # bytes needed, all cards together
    offload: np.ndarray  # share of the weights in system RAM
    largest: np.ndarray  # largest context that runs at this format (memory.largest_contexts)


class Verdicts(NamedTuple):
    best: Pick
    fastest: Pick
    finest: Pick
    cards: np.ndarray  # [gpus, devices] cards used


@dataclass(frozen=True, eq=False, repr=False)
class ModelSweeps:
    """One model, every format and context preset, every device, every setup."""

    a: Architecture
    formats: tuple[str, ...]  # smallest first
    contexts: tuple[int, ...]
    places: DeviceArrays
    cal: Calibration
    s: Settings = SETTINGS

    def sweep(self, gpus: int, kv_type: str, places: DeviceArrays | None = None) -> Sweep:
        setup = Setup(gpus, LARGEST_RAM, kv_type)
        return sweep(self.a, self.formats, self.contexts, places or self.places, self.cal, setup, self.s)

    def verdicts(self) -> Verdicts:
        """Several cards change only the devices that take several: the others keep their one-card verdicts, and
        only the first are swept again."""
        nc, nd, nr = len(self.contexts), len(self.places.devices), len(SYSTEM_RAM_GB)
        shape = (len(GPU_COUNTS), nr, nc, len(KV_TYPES), nd)
        types = (np.int16, np.int8, np.float32, np.float64, np.float32, np.int64)  # the fields of Pick
        out = {name: Pick(*(np.zeros(shape, t) for t in types)) for name in ("best", "fastest", "finest")}
        cards = np.ones((len(GPU_COUNTS), nd), np.int64)
        several = self.places.several
        subset = self.places.take(several)
        for ki, kv in enumerate(KV_TYPES):
            for gi, g in enumerate(GPU_COUNTS):
                places, where = (self.places, slice(None)) if g == 1 else (subset, several)
                if g > 1:
                    for name in out:  # start from one card, then overwrite the devices that take several
                        for field in out[name]:
                            field[gi, :, :, ki] = field[0, :, :, ki]
                    cards[gi, several] = g
                for name, fields in self._picks(self.sweep(g, kv, places), places, g, kv).items():
                    for target, value in zip(out[name], fields, strict=True):
                        target[gi][:, :, ki][..., where] = value  # views: the mask picks the last axis
        return Verdicts(out["best"], out["fastest"], out["finest"], cards)

    def _picks(self, sw: Sweep, places: DeviceArrays, g: int, kv: str) -> dict[str, tuple[np.ndarray, ...]]:
        """The three picks on the devices of one sweep, each field [R, C, D]."""
        nr, nc, nd = len(SYSTEM_RAM_GB), len(self.contexts), len(places.devices)
        usable = np.array([host_usable_bytes(Setup(system_ram_gb=r), self.s) for r in SYSTEM_RAM_GB], float)
        t, d, o, h, tot = (sw.arrays[k] for k in ("tier", "decode", "offload", "host_needed", "total"))  # [F, C, D]
        cards = np.where(places.several, g, 1)
        kv_c = np.array([sw.kv[c] for c in self.contexts], float)[None, :, None]
        on_gpu = places.usable * cards - (tot - kv_c)  # [F, C, D]
        ram = usable[None, :, None, None]  # [1, R, 1, 1]
        runs = (o[:, None] < 1.0) & (h[:, None] <= usable[None, :, None, None])  # [F, R, C, D]
        tiers = np.where(runs, t[:, None], F)
        speeds = np.where(runs, d[:, None], 0.0)
        spills = np.broadcast_to(o[:, None] > 0, tiers.shape)
        r, c, dev = np.indices((nr, nc, nd))
        out = {}
        for name, k in zip(("best", "fastest", "finest"), recommend(self.formats, tiers, spills, speeds), strict=True):
            safe = np.maximum(k, 0)
            offload = np.where(runs[safe, r, c, dev], o[safe, c, dev], 1.0)
            largest = largest_contexts(self.a, kv, on_gpu[safe, c, dev], kv_c[0, c, 0], h[safe, c, dev],
                                       ram[0, r, 0, 0], places.separate[dev], self.s)  # fmt: skip
            largest = np.where(offload < 1.0, largest, 0)
            out[name] = (k, tiers[safe, r, c, dev], speeds[safe, r, c, dev], tot[safe, c, dev], offload, largest)
        return out


__all__ = ["LARGEST_RAM", "ModelSweeps", "Verdicts"]

"""The verdict for one model on one device under each setup, as the pages and the API show it.

A model's verdicts for every device and setup are integer rows (FIELDS); every string they stand for is made here
by site/formatting.py and shipped in the model's label document (`/api/models/<slug>/labels.json`). The browser
looks rows up and fills the strings into the card: it never formats or decides anything itself. A model x device
document holds its distinct rows (`rows`) and, per setup (GPU count x RAM x context x KV type, in the order of
its `gpus` and `system_ram_gb` and the labels' `contexts` and `kv_types`), which row applies (`index`). The pair
page's own card is the default setup's row, through the same labels.
"""

from __future__ import annotations

import numpy as np

from site_builder.estimator.estimate import TTFT_PROMPT, prefill_flops_per_token
from site_builder.estimator.recommend import NONE, is_low_quality
from site_builder.estimator.settings import CONTEXT_PRESETS, DEFAULT_SETUP, GPU_COUNTS, KV_TYPES, SYSTEM_RAM_GB
from site_builder.estimator.tiers import TIERS
from site_builder.estimator.verdict import Pick, Verdicts
from site_builder.site import context as ctx
from site_builder.site.formatting import GIB_TENTHS, TOK_S, context, seconds, tok_s_keys
from site_builder.site.run import commands
from site_builder.site.urls import pair_path

FIELDS = ("best", "best_tier", "speed", "low", "high", "memory", "usable", "spill", "largest", "first_token",
          "command", "fastest", "fastest_tier", "fastest_speed", "finest", "finest_tier", "finest_speed")  # fmt: skip
NO_TTFT = -1


def setup_axes(view, i: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The GPU counts and RAM sizes a device's verdicts cover: several cards only where a machine takes them,
    RAM sizes only beside a GPU with its own memory."""
    gpus = GPU_COUNTS if view.places.several[i] else (1,)
    rams = SYSTEM_RAM_GB if view.places.separate[i] else (DEFAULT_SETUP.system_ram_gb,)
    return gpus, rams


def context_for(view, asked: int) -> int:
    """The model's context preset a reader's choice maps to: the largest not above it, else the smallest."""
    fitting = [c for c in view.contexts if c <= asked]
    return max(fitting) if fitting else min(view.contexts)


HASH = np.random.default_rng(20261202).integers(1, 2**62, len(FIELDS), dtype=np.int64)


def distinct_rows(rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """np.unique(rows, axis=0, return_inverse=True), ten times faster: rows are told apart by one 64-bit hash
    (a sort of ints, not of rows), checked exactly afterwards."""
    with np.errstate(over="ignore"):
        keys = rows @ HASH
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    distinct = rows[first]
    if not np.array_equal(distinct[inverse], rows):  # a collision: never seen, but exact either way
        return np.unique(rows, axis=0, return_inverse=True)
    return distinct, inverse.reshape(-1)


def _gib_key(bytes_: np.ndarray) -> np.ndarray:
    return np.rint(np.nan_to_num(bytes_, posinf=0) / 2**30 * 10).astype(np.int64)


class ModelVerdicts:
    """Every device and setup of one model as integer rows, with the strings they stand for."""

    def __init__(self, view, verdicts: Verdicts, url):
        self.view, self.v, self.url = view, verdicts, url
        p = view.places
        spread = view.spread
        best, fast, fine = verdicts.best, verdicts.fastest, verdicts.finest
        cards = verdicts.cards[:, None, None, None, :]  # [G, 1, 1, 1, D]
        speed = lambda pick: np.where(pick.fmt != NONE, tok_s_keys(pick.decode), 0)  # noqa: E731
        flops = view.places.prefill_flops
        ttft = TTFT_PROMPT * prefill_flops_per_token(view.card.architecture, TTFT_PROMPT / 2) / flops
        ttft_key = np.where(np.isnan(flops), NO_TTFT, np.rint(np.nan_to_num(ttft) * 10)).astype(np.int64)
        runs_fully = (best.fmt != NONE) & (best.offload == 0)
        command = self._command_ids(best)
        self._commands: dict[int, tuple[str, str]] = {}
        self.rows = np.stack(
            [
                best.fmt,
                best.tier,
                speed(best),
                tok_s_keys(best.decode * p.low / spread),
                tok_s_keys(best.decode * p.high * spread),
                _gib_key(best.total),
                _gib_key(np.broadcast_to(p.usable * cards, best.total.shape)),
                np.rint(np.where((best.offload > 0) & (best.offload < 1), best.offload * 100, 0)),
                np.where(best.fmt != NONE, best.largest, 0),
                np.where(runs_fully, ttft_key, NO_TTFT),
                command,
                fast.fmt,
                fast.tier,
                speed(fast),
                fine.fmt,
                fine.tier,
                speed(fine),
            ],
            axis=-1,
        ).astype(np.int64)  # fmt: skip  [G, R, C, K, D, fields]
        # Distinct rows of the whole model, once: a device's document then picks its own from integer ids.
        flat = np.moveaxis(self.rows, 4, 0).reshape(-1, len(FIELDS))
        self.distinct, ids = distinct_rows(flat)
        self.ids = ids.reshape(self.rows.shape[4], *self.rows.shape[:4])  # [D, G, R, C, K]

    def _command_ids(self, best: Pick) -> np.ndarray:
        """A number per (format, context, KV type, offload flag) a row's command stands for."""
        view = self.view
        weights = np.array([view.sweep.weights[f, True] for f in view.formats])
        spill = best.offload * weights[np.maximum(best.fmt, 0)]
        spill = np.where((best.fmt != NONE) & (best.offload > 0) & (best.offload < 1), spill, 0.0)
        nc, nk = len(view.contexts), len(KV_TYPES)
        c = np.arange(nc)[None, None, :, None, None]
        k = np.arange(nk)[None, None, None, :, None]
        bucket = np.ceil(spill / 2**28).astype(np.int64)  # 256 MiB steps: the offload flag changes no finer
        return ((np.maximum(best.fmt, 0) * nc + c) * nk + k) * 100_000 + np.minimum(bucket, 99_999)

    def command(self, code: int) -> tuple[str, str]:
        hit = self._commands.get(code)
        if hit is None:
            hit = self._commands[code] = self._make_command(code)
        return hit

    def _make_command(self, code: int) -> tuple[str, str]:
        view = self.view
        bucket = code % 100_000
        fmt_ctx_kv = code // 100_000
        k, fmt_ctx = fmt_ctx_kv % len(KV_TYPES), fmt_ctx_kv // len(KV_TYPES)
        ci, fi = fmt_ctx % len(view.contexts), fmt_ctx // len(view.contexts)
        run = commands(view, view.formats[fi], view.contexts[ci], tuple(KV_TYPES)[k], bucket * 2**28)
        return run.llama_server, run.note

    def labels(self) -> dict:
        """Every string the rows of this model stand for."""
        column = dict(zip(FIELDS, self.distinct.T, strict=True))
        speeds = np.unique(np.concatenate([column[f] for f in ("speed", "low", "high", "fastest_speed",
                                                               "finest_speed")]))  # fmt: skip
        memory = np.unique(np.concatenate([column["memory"], column["usable"]]))
        view = self.view
        return {
            "formats": list(view.formats),
            "quality": [view.quant_row(f).quality.label for f in view.formats],
            "low_quality": [is_low_quality(f) for f in view.formats],
            "ollama": [f"ollama run {t}" if (t := view.quant_row(f).ollama) else None for f in view.formats],
            "tiers": [[t.letter, t.words] for t in TIERS],
            "speed": {str(k): TOK_S.make(int(k)) for k in speeds.tolist()},
            "memory": {str(k): GIB_TENTHS.make(int(k)) for k in memory.tolist()},
            "spill": {str(k): f"{k}% of the weights in system RAM" for k in np.unique(column["spill"]).tolist() if k},
            "context": {str(k): context(int(k)) if k else "—" for k in np.unique(column["largest"]).tolist()},
            "first_token": {str(k): seconds(k / 10) if k != NO_TTFT else "—"
                            for k in np.unique(column["first_token"]).tolist()},
            "commands": {str(k): list(self.command(int(k))) for k in np.unique(column["command"]).tolist()},
            "fields": list(FIELDS),
            "contexts": list(view.contexts),
            "kv_types": list(KV_TYPES),
            "default": {"gpus": DEFAULT_SETUP.gpus, "system_ram_gb": DEFAULT_SETUP.system_ram_gb,
                        "context": view.default_context, "kv_type": DEFAULT_SETUP.kv_type},
            "context_for": {str(c): context_for(view, c) for c in CONTEXT_PRESETS},
            "context_labels": {str(c): context(c) for c in view.contexts},
        }  # fmt: skip

    def document(self, i: int) -> dict:
        """Every setup's verdict for one model on one device (the verdict card reads it; the strings are in
        labels())."""
        view = self.view
        gpus, rams = setup_axes(view, i)
        g = [GPU_COUNTS.index(x) for x in gpus]
        r = [SYSTEM_RAM_GB.index(x) for x in rams]
        ids = self.ids[i][np.ix_(g, r)].reshape(-1)
        used, index = np.unique(ids, return_inverse=True)
        device = view.places.devices[i].slug
        return {"model": view.slug, "device": device, "page": self.url(pair_path(view.slug, device)),
                "gpus": list(gpus), "system_ram_gb": list(rams), "index": index.tolist(),
                "rows": self.distinct[used].tolist()}  # fmt: skip

    def default_row(self, i: int) -> dict[str, int]:
        """The default setup's row on device i."""
        view = self.view
        ri, ci = SYSTEM_RAM_GB.index(DEFAULT_SETUP.system_ram_gb), view.contexts.index(view.default_context)
        return dict(zip(FIELDS, self.rows[0, ri, ci, 0, i].tolist(), strict=True))

    def card(self, i: int, row: dict[str, int]) -> ctx.Verdict:
        """The default setup's verdict on device i (its default_row), as the pair page shows it: the same row the
        API holds."""
        view = self.view
        ram = DEFAULT_SETUP.system_ram_gb if view.places.separate[i] else None
        setup = setup_text(1, ram, context(view.default_context), DEFAULT_SETUP.kv_type)
        return card_from_row(view, row, self.command, view.places.devices[i].name, setup)


def setup_text(gpus: int, system_ram_gb: int | None, context_label: str, kv_type: str) -> str:
    """What a verdict assumes, as the card's heading says it (app.js writes the same for another setup)."""
    return (
        (f"{gpus} GPUs, " if gpus > 1 else "")
        + (f"{system_ram_gb} GB RAM, " if system_ram_gb else "")
        + (f"{context_label} context, {kv_type} KV")
    )


def card_from_row(view, row: dict, command, device_name: str, setup: str) -> ctx.Verdict:
    alt = lambda f, s: f"{view.formats[f]} · {TOK_S.make(s)} tok/s" if f != NONE else "none"  # noqa: E731
    fmt = view.formats[row["best"]] if row["best"] != NONE else ""
    llama, note = command(row["command"]) if fmt else ("—", "")
    tier = TIERS[row["best_tier"]] if row["best"] != NONE else TIERS[-1]
    q = view.quant_row(fmt) if fmt else None
    run = ctx.Run(llama, f"ollama run {q.ollama}" if q and q.ollama else None,
                  f"https://huggingface.co/{q.repo}" if q and q.repo else None, note)  # fmt: skip
    return ctx.Verdict(device_name, setup, fmt, tier.letter, tier.words, TOK_S.make(row["speed"]),
                       TOK_S.make(row["low"]), TOK_S.make(row["high"]),
                       GIB_TENTHS.make(row["memory"]) if fmt else "—", GIB_TENTHS.make(row["usable"]),
                       f"{row['spill']}% of the weights in system RAM" if row["spill"] else "",
                       context(row["largest"]) if row["largest"] else "—",
                       seconds(row["first_token"] / 10) if row["first_token"] != NO_TTFT else "—",
                       q.quality.label if q else "—", is_low_quality(fmt) if fmt else False,
                       alt(row["fastest"], row["fastest_speed"]), alt(row["finest"], row["finest_speed"]),
                       run)  # fmt: skip


__all__ = ["FIELDS", "ModelVerdicts", "card_from_row", "context_for", "setup_axes"]

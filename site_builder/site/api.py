"""The JSON API: the same numbers as the pages, for scripts and for the pages' own JavaScript.

/api/models.json            every model, summary fields
/api/models/<slug>.json     one model with estimates per format, context preset and device
/api/devices.json           every device
/api/devices/<slug>.json    one device with every model at its best format
Estimates are tables (a `columns` list, then rows) so a model with 16 formats x 4 contexts x 180 devices
stays small.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import orjson

from site_builder.content.records import Device
from site_builder.estimator.speed import device_class
from site_builder.estimator.sweep import DeviceArrays, Sweep
from site_builder.estimator.tiers import TIERS
from site_builder.output.write import Output
from site_builder.site.views import DeviceView, ModelView, Site

DEVICE_COLUMNS = ["slug", "usable_mib", "speed_low_factor", "speed_high_factor", "calibrated"]


LETTER_BYTES = np.frombuffer(b"SABCDF", np.uint8)


def dumps(data: object) -> str:
    """Compact UTF-8 JSON with sorted keys: the same bytes as json.dumps(..., ensure_ascii=False, sort_keys=True,
    separators=(",", ":")), ten times faster (model documents hold ~10,000 numbers each)."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE).decode()


def _speed(x: float) -> float:
    return float(f"{x:.3g}") if x else 0.0


def model_summary(view: ModelView, url) -> dict:
    card = view.card
    rec = next(r for r in view.quants if r.recommended)
    return {
        "slug": view.slug,
        "name": card.name,
        "family": card.family,
        "publisher": card.publisher,
        "params_b": card.params_b,
        "active_params_b": card.active_params_b,
        "context_length": card.architecture.context_length,
        "license": card.license,
        "release_date": card.release_date.isoformat() if card.release_date else None,
        "tags": list(card.tags),
        "summary": card.summary,
        "recommended_quant": rec.quant.name,
        "recommended_memory_bytes": rec.memory_bytes,
        "smallest_quant": view.smallest.quant.name,
        "smallest_memory_bytes": view.smallest.memory_bytes,
        "url": url(f"models/{view.slug}/"),
        "api": url(f"api/models/{view.slug}.json"),
    }


def device_summary(device: Device, usable: int, url) -> dict:
    spec = device.spec
    return {
        "slug": device.slug,
        "name": device.name,
        "vendor": device.vendor,
        "kind": device.kind.value,
        "class": device_class(device),
        "memory_gb": device.memory_gb,
        "usable_memory_bytes": usable,
        "memory_bandwidth_gbps": device.bandwidth_gbps,
        "fp16_tflops": spec.fp16_tflops,
        "release_year": spec.release_year,
        "url": url(f"devices/{device.slug}/"),
        "api": url(f"api/devices/{device.slug}.json"),
    }


def _estimates(sweep: Sweep, quant: str, ctx: int) -> dict:
    """One format at one context: lists aligned with the document's `devices` rows."""
    col = sweep.columns[quant, ctx]
    return {
        "tier": LETTER_BYTES[col.tier].tobytes().decode(),
        "decode_tok_s": col.decode.round(1).tolist(),
        "total_mib": (col.total >> 20).tolist(),
        "offload_percent": (col.offload * 100).round().astype(int).tolist(),
    }


@lru_cache(maxsize=4)  # the same table heads every model document of a build
def _device_rows(p: DeviceArrays) -> list[list]:
    return [
        [d.slug, u >> 20, round(low, 3), round(high, 3), cal]
        for d, u, low, high, cal in zip(
            p.devices, p.usable.tolist(), p.low.tolist(), p.high.tolist(), p.calibrated.tolist(), strict=True
        )
    ]


def model_document(view: ModelView, url) -> dict:
    card = view.card
    doc = model_summary(view, url)
    doc["architecture"] = card.architecture.model_dump(exclude_none=True)
    doc["sources"] = list(card.sources)
    doc["contexts"] = list(view.contexts)
    doc["quants"] = [
        {
            "name": r.quant.name,
            "file_bytes": r.file_bytes,
            "bits_per_weight": round(r.bits_per_weight, 3),
            "quality": r.quality.label,
            "ppl_delta": r.quant.ppl_delta,
            "memory_bytes": {str(ctx): b for ctx, b in r.memory_by_context},
            "recommended": r.recommended,
        }
        for r in view.quants
    ]
    doc["devices"] = {"columns": DEVICE_COLUMNS, "rows": _device_rows(view.sweep.places)}
    doc["estimates"] = {
        "note": (
            "by_quant[format][context] holds lists aligned with devices.rows: tier letters (one character per device), "
            "decode tokens/s averaged while the context fills (its range: times the device's speed factors), memory "
            "needed in MiB (2^20 bytes) and the percentage of the weights that would sit in system RAM."
        ),
        "by_quant": {
            row.quant.name: {str(ctx): _estimates(view.sweep, row.quant.name, ctx) for ctx in view.contexts}
            for row in view.quants
        },
    }
    return doc


def device_document(view: DeviceView, url) -> dict:
    d = view.device
    doc = device_summary(d, view.usable_bytes, url)
    doc["memory_type"] = d.spec.memory_type
    doc["sources"] = list(d.spec.sources)
    doc["models"] = [
        {
            "model": row.model.slug,
            "quant": row.quant,
            "tier": row.tier.letter,
            "decode_tok_s": _speed(row.decode),
            "total_bytes": row.total,
            "max_context": row.max_context,
        }
        for _, rows in view.groups
        for row in rows
    ]
    return doc


def api_outputs(site: Site, url, salt: tuple) -> list[Output]:
    """Every API document, keyed like pages by the digests of what it shows."""
    c = site.content
    models = [model_summary(v, url) for v in site.models]
    devices = [device_summary(v.device, v.usable_bytes, url) for v in site.devices]
    tiers = [{"letter": t.letter, "words": t.words, "rule": t.rule} for t in TIERS]
    outputs = [
        Output("api/models.json", (salt, c.models_digest), lambda: dumps({"models": models})),
        Output("api/devices.json", (salt, c.devices_digest), lambda: dumps({"devices": devices})),
        Output("api/tiers.json", (salt,), lambda: dumps({"tiers": tiers})),
    ]
    for view in site.models:
        outputs.append(Output(f"api/models/{view.slug}.json", (salt, view.entry.digest, c.devices_digest),
                              lambda view=view: dumps(model_document(view, url))))  # fmt: skip
    for view in site.devices:
        outputs.append(Output(f"api/devices/{view.slug}.json", (salt, view.key),
                              lambda view=view: dumps(device_document(view, url))))  # fmt: skip
    return outputs

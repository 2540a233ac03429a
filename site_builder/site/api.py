"""The JSON API: the same numbers as the pages, for scripts and for the pages' own JavaScript.

/api/models.json                      every model, summary fields
/api/models/<slug>.json               one model: every format x context preset x device (default setup), and
                                      per device the recommended format (best_quant)
/api/models/<slug>/on/<device>.json   one model on one device: the verdict for every setup (GPUs, RAM, context,
                                      KV type) as integer rows; the verdict card reads it
/api/models/<slug>/labels.json        the strings those integers stand for (site/verdicts.py)
/api/devices.json                     every device, and which setup choices apply to it
/api/devices/<slug>.json              one device: every model's verdict at the default setup and the model's
                                      default context (the home page's "on your device" column)
/api/tiers.json                       the tier letters, words and rules
Estimates are tables (lists aligned with `devices.rows`) so a model document stays small.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import orjson

from site_builder.estimator.recommend import NONE
from site_builder.estimator.speed import device_class
from site_builder.estimator.tiers import TIERS
from site_builder.output.write import Output
from site_builder.site.formatting import tok_s
from site_builder.site.urls import (
    device_api,
    device_path,
    labels_api,
    model_api,
    model_path,
    pair_api,
    pair_path,
    quant_path,
)
from site_builder.site.views import DeviceView, ModelView, Site

DEVICE_COLUMNS = ["slug", "usable_mib", "speed_low_factor", "speed_high_factor", "calibrated"]
LETTER_BYTES = np.frombuffer(b"SABCDF", np.uint8)


def dumps(data: object) -> str:
    """Compact UTF-8 JSON with sorted keys: the same bytes as json.dumps(..., ensure_ascii=False, sort_keys=True,
    separators=(",", ":")), ten times faster (model documents hold ~10,000 numbers each)."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE).decode()


def model_summary(view: ModelView, url) -> dict:
    card = view.card
    default = view.quant_row(view.default_format)
    at = view.contexts.index(view.default_context)
    return {
        "slug": view.slug, "name": card.name, "family": card.family, "publisher": card.publisher,
        "params_b": card.params_b, "active_params_b": card.active_params_b,
        "context_length": card.architecture.context_length, "license": card.license,
        "release_date": card.release_date.isoformat() if card.release_date else None, "tags": list(card.tags),
        "summary": card.summary, "default_quant": view.default_format, "default_context": view.default_context,
        "default_memory_bytes": default.memory_by_context[at][1], "smallest_quant": view.smallest.quant.name,
        "smallest_memory_bytes": view.smallest.memory_by_context[0][1], "url": url(model_path(view.slug)),
        "api": url(model_api(view.slug)),
    }  # fmt: skip


def device_summary(device, usable: int, several: bool, separate: bool, url) -> dict:
    spec = device.spec
    return {
        "slug": device.slug, "name": device.name, "vendor": device.vendor, "kind": device.kind.value,
        "form_factor": device.form_factor.value, "class": device_class(device), "memory_gb": device.memory_gb,
        "usable_memory_bytes": usable, "memory_bandwidth_gbps": device.bandwidth_gbps,
        "fp16_tflops": spec.fp16_tflops, "release_year": spec.release_year, "runs_llama_cpp": device.runs_llama_cpp,
        "takes_several_gpus": several, "system_ram_applies": separate, "url": url(device_path(device.slug)),
        "api": url(device_api(device.slug)),
    }  # fmt: skip


def _estimates(view: ModelView, fmt: str, ctx: int) -> dict:
    col = view.sweep.columns[fmt, ctx]
    return {
        "tier": LETTER_BYTES[col.tier].tobytes().decode(),
        "decode_tok_s": col.decode.round(1).tolist(),
        "total_mib": (col.total >> 20).tolist(),
        "offload_percent": (col.offload * 100).round().astype(int).tolist(),
    }


@lru_cache(maxsize=4)  # the same table heads every model document of a build
def _device_rows(places) -> list[list]:
    return [[d.slug, u >> 20, round(lo, 3), round(hi, 3), cal] for d, u, lo, hi, cal in
            zip(places.devices, places.usable.tolist(), places.low.tolist(), places.high.tolist(),
                places.calibrated.tolist(), strict=True)]  # fmt: skip


def model_document(view: ModelView, url) -> dict:
    doc = model_summary(view, url)
    doc["architecture"] = view.card.architecture.model_dump(exclude_none=True, exclude_defaults=True)
    doc["sources"] = list(view.card.sources)
    doc["contexts"] = list(view.contexts)
    doc["quants"] = [
        {"name": r.quant.name, "file_bytes": r.file_bytes, "bits_per_weight": round(r.bits_per_weight, 3),
         "quality": r.quality.label, "quality_reference": r.quant.ppl_reference, "ppl_delta": r.quant.ppl_delta,
         "memory_bytes": {str(c): b for c, b in r.memory_by_context}, "gguf_repo": r.repo, "ollama": r.ollama,
         "page": url(quant_path(view.slug, r.quant.name, view.default_format))}
        for r in view.quants
    ]  # fmt: skip
    doc["devices"] = {"columns": DEVICE_COLUMNS, "rows": _device_rows(view.places)}
    pick = view.picks.recommended
    doc["best_quant"] = [view.formats[k] if k != NONE else None for k in pick.tolist()]
    doc["estimates"] = {
        "note": "by_quant[format][context] holds lists aligned with devices.rows at the default setup (one GPU, "
        "32 GB of system RAM, f16 KV cache): tier letters (one character per device), decode tokens/s averaged while "
        "the context fills, memory needed in MiB (2^20 bytes) and the percentage of the weights in system RAM.",
        "by_quant": {f: {str(c): _estimates(view, f, c) for c in view.contexts} for f in view.formats},
    }
    if view.card.projector:
        doc["projector"] = view.card.projector.model_dump(exclude_none=True)
        doc["with_images_extra_bytes"] = view.card.projector.file_bytes
    return doc


def device_document(dv: DeviceView, site: Site, url) -> dict:
    d = dv.device
    i = dv.index
    several = bool(site.places.several[i]) if i is not None else False
    separate = bool(site.places.separate[i]) if i is not None else False
    doc = device_summary(d, dv.usable_bytes, several, separate, url)
    doc["memory_type"] = d.spec.memory_type
    doc["sources"] = list(d.spec.sources)
    if i is None:
        doc["models"] = {}
        return doc
    doc["models"] = {r.model.slug: {"quant": r.fmt, "tier": TIERS[r.tier].letter, "words": TIERS[r.tier].words,
                                    "decode": tok_s(r.decode), "decode_tok_s": round(r.decode, 1),
                                    "total_bytes": r.total, "max_context": r.max_context,
                                    "page": url(pair_path(r.model.slug, d.slug))} for r in dv.rows}  # fmt: skip
    return doc


def api_outputs(site: Site, url, salt: tuple, verdicts) -> list[Output]:
    """Every API document, keyed like pages by the digests of what it shows; `verdicts(view)` gives a model's
    verdicts for every setup."""
    c = site.content
    cal = site.calibration.digest
    models = [model_summary(v, url) for v in site.models]
    devices = [device_summary(v.device, v.usable_bytes, bool(site.places.several[v.index]) if v.index is not None
                              else False, bool(site.places.separate[v.index]) if v.index is not None else False, url)
               for v in site.devices]  # fmt: skip
    tiers = [{"letter": t.letter, "words": t.words, "rule": t.rule} for t in TIERS]
    outputs = [
        Output("api/models.json", (salt, c.models_digest, cal), lambda: dumps({"models": models})),
        Output("api/devices.json", (salt, c.devices_digest, cal), lambda: dumps({"devices": devices})),
        Output("api/tiers.json", (salt,), lambda: dumps({"tiers": tiers})),
    ]
    shared = (c.devices_digest, c.benchmarks_digest, cal)
    for view in site.models:
        outputs.append(Output(model_api(view.slug), (salt, view.entry.digest, *shared),
                              lambda view=view: dumps(model_document(view, url))))  # fmt: skip
        outputs.append(Output(labels_api(view.slug), (salt, view.entry.digest, *shared),
                              lambda view=view: dumps(verdicts(view).labels())))  # fmt: skip
        for i, d in enumerate(site.places.devices):
            outputs.append(Output(pair_api(view.slug, d.slug), (salt, view.entry.digest, *shared, d.digest),
                                  lambda view=view, i=i: dumps(verdicts(view).document(i))))  # fmt: skip
    for dv in site.devices:
        rows = [(r.model.slug, r.fmt, r.tier, round(r.decode, 3), r.total, r.max_context) for r in dv.rows]
        outputs.append(Output(device_api(dv.slug), (salt, dv.device.digest, repr(rows)),
                              lambda dv=dv: dumps(device_document(dv, site, url))))  # fmt: skip
    return outputs

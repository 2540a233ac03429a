"""The site map: which pages exist, with which template and which few named things each receives."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from site_builder.estimator.quants import FORMATS, LLAMA31_8B_FILE_BPW, quality
from site_builder.site.charts import bars
from site_builder.site.formatting import context as ctx_label
from site_builder.site.views import ModelView, Site, best_estimate, best_quants

# Editorial choices, each with a fallback when the catalogue lacks them.
# Devices people ask about most, one or two per price class: the speed chart on model pages shows these.
FEATURED_DEVICES = (
    "rtx-3060-12gb", "rtx-4060", "rtx-4060-ti-16gb", "rtx-4070", "rtx-3090", "rtx-4090", "rtx-5090",
    "rx-7900-xtx", "arc-b580", "apple-m2-10c-16gb", "apple-m3-pro-18c-36gb", "apple-m4-max-40c-128gb",
    "dgx-spark", "h100-sxm", "cpu-ddr5-5600-dual-channel-64gb", "raspberry-pi-5-8gb",
)  # fmt: skip
COMPARE_MODELS = ("llama-3-1-8b-instruct", "qwen3-8b")
COMPARE_DEVICES = ("rtx-4060", "rtx-4070")


@dataclass(frozen=True)
class PageInfo:
    title: str
    description: str
    path: str  # site-relative URL path: "" for the home page, "models/x/" for a model
    jsonld: dict | None = None  # schema.org description of the page's subject


@dataclass(frozen=True)
class PageSpec:
    output: str  # file path in the built site
    template: str
    info: PageInfo
    key: tuple  # digests of the content the page shows; same key, same page
    context: Callable[[], dict]  # the template's named things, gathered only when the page is rendered


def quant_path(slug: str, quant: str, recommended: str) -> str:
    return f"models/{slug}/" if quant == recommended else f"models/{slug}/{quant.lower().replace('_', '-')}/"


def context_path(slug: str, ctx: int, default: int) -> str:
    if ctx == default:
        return f"models/{slug}/"
    return f"models/{slug}/context-{ctx // 1024}k/" if ctx % 1024 == 0 else f"models/{slug}/context-{ctx}/"


def slices(view: ModelView) -> list[tuple[str, int, str]]:
    """(format, context, path) of every grid page besides the model page: each format at the default context,
    and the recommended format at every other context."""
    out = [(r.quant.name, view.context, quant_path(view.slug, r.quant.name, view.recommended)) for r in view.quants]
    out += [(view.recommended, c, context_path(view.slug, c, view.context)) for c in view.contexts]
    return [(q, c, path) for q, c, path in out if path != f"models/{view.slug}/"]


def page(path: str, template: str, title: str, description: str, key: tuple, context=dict, jsonld=None) -> PageSpec:
    return PageSpec(path + "index.html", template, PageInfo(title, description, path, jsonld), key, context)


def model_jsonld(view: ModelView, base_url: str) -> dict:
    card = view.card
    data = {
        "@context": "https://schema.org",
        "@type": "SoftwareApplication",
        "name": card.name,
        "applicationCategory": "Large language model",
        "description": card.summary,
        "url": f"{base_url}models/{view.slug}/",
        "license": card.license,
        "publisher": {"@type": "Organization", "name": card.publisher},
    }
    if card.release_date:
        data["datePublished"] = card.release_date.isoformat()
    return data


def device_jsonld(view, base_url: str) -> dict:
    d = view.device
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": d.name,
        "brand": {"@type": "Brand", "name": d.vendor},
        "description": f"{d.memory_gb:g} GB, {d.bandwidth_gbps:g} GB/s memory bandwidth",
        "url": f"{base_url}devices/{d.slug}/",
    }


def plan(site: Site, title: str, base_url: str) -> Iterator[PageSpec]:
    """Every page, with the digest of what it shows (`key`) and a function that gathers its context only
    when the page is not already rendered in the cache."""
    c = site.content
    everything = (c.models_digest, c.devices_digest, c.benchmarks_digest)
    home = f"Which of {len(site.models)} open LLMs run on your GPU, Mac or CPU, at which quantization, and how fast."
    website = {"@context": "https://schema.org", "@type": "WebSite", "name": title, "url": base_url}
    yield page("", "index.html", title, home, everything, lambda: {"models": site.models}, website)
    yield page("devices/", "devices.html", "Devices", "Every GPU, Apple chip, TPU and CPU on the site.", everything,
               lambda: {"devices": site.devices})  # fmt: skip
    yield page("compare/", "compare.html", "Compare", "Compare devices for a model, or models on a device.", everything,
               lambda: {"example": compare_example(site)})  # fmt: skip
    yield page("guides/", "guides/index.html", "Guides", "Quantization, tiers and how to read the numbers.", ())
    yield page("guides/quantization/", "guides/quantization.html", "Quantization formats",
               "What each GGUF format is, its bits per weight and its measured quality loss.", (),
               lambda: {"formats": format_guide(), "chart": format_chart()})  # fmt: skip
    yield page("guides/tiers/", "guides/tiers.html", "How tiers are decided", "The S to F grades and their rules.", ())
    yield page("guides/reading-the-numbers/", "guides/reading-the-numbers.html", "How to read the numbers",
               "GiB, tok/s, ranges, context and offloading explained.", ())  # fmt: skip
    yield page("api/", "api.html", "JSON API", "Every number on the site as static JSON.", everything,
               lambda: {"example": api_example(site)})  # fmt: skip
    about = "Formulas, constants, sources and measured error of every estimate."
    yield page("methodology/", "methodology.html", "How we estimate", about, everything,
               lambda: {"method": site.methodology})  # fmt: skip
    for view in site.models:
        deps = (view.entry.digest, c.devices_digest, c.benchmarks_digest)
        yield page(f"models/{view.slug}/", "model.html", view.card.name, view.card.summary, deps,
                   lambda view=view: {"model": view}, model_jsonld(view, base_url))  # fmt: skip
        for quant, ctx, path in slices(view):
            where = f"{quant}, {ctx_label(ctx)} context"
            yield page(path, "model-slice.html", f"{view.card.name} at {where}",
                       f"Which devices run {view.card.name} at {where}, and how fast.", deps,
                       lambda view=view, quant=quant, ctx=ctx: {"model": view, "quant": quant, "ctx": ctx,
                                                                "grid": view.grid_for(quant, ctx)})  # fmt: skip
    for view in site.devices:
        name = view.device.name
        yield page(f"devices/{view.slug}/", "device.html", name, f"Which LLMs run on the {name}, and how fast.",
                   view.key, lambda view=view: {"device": view},
                   device_jsonld(view, base_url))  # fmt: skip


def compare_example(site: Site) -> dict | None:
    """A comparison pre-rendered for readers without JavaScript."""
    models = [m for m in site.models if m.slug in COMPARE_MODELS] or list(site.models[:2])
    devices = [d for d in site.content.devices if d.slug in COMPARE_DEVICES] or list(site.content.devices[:2])
    if not models or not devices:
        return None
    index = {d.slug: i for i, d in enumerate(site.content.devices)}
    rows = []
    for m in models:
        best = best_quants(m)
        rows.append((m.entry, [best_estimate(m, index[d.slug], d, best[index[d.slug]]) for d in devices]))
    return {"models": [m.entry for m in models], "devices": devices, "rows": rows}


def format_guide() -> list[dict]:
    return [
        {"quant": q, "quality": quality(q.name), "file_bpw": LLAMA31_8B_FILE_BPW.get(q.name)}
        for q in FORMATS
        if q.listed
    ]


def format_chart() -> str:
    rows = [(q.name, LLAMA31_8B_FILE_BPW[q.name], "bar") for q in FORMATS if q.listed and q.name in LLAMA31_8B_FILE_BPW]
    about = "Whole-file bits per weight of Llama 3.1 8B in each GGUF format."
    return bars(rows, "Bits per weight by format", about, "bits", "formats")


def memory_chart(view: ModelView) -> str:
    rows = [(r.quant.name, r.memory_bytes / 2**30, "bar-rec" if r.recommended else "bar") for r in view.quants]
    about = f"GiB needed for a context of {ctx_label(view.context)} tokens, per format; the table above lists the same."
    return bars(rows, f"Memory needed by {view.card.name} per format", about, "GiB", "memory")


def speed_chart(view: ModelView) -> str:
    wanted = set(FEATURED_DEVICES)
    decode = view.sweep.columns[view.recommended, view.context].decode
    rows = [(d.name, float(decode[i]), "bar") for i, d in enumerate(view.content.devices) if d.slug in wanted]
    rows = sorted((r for r in rows if r[1]), key=lambda r: -r[1])
    about = "Estimated tokens per second on popular devices; the grid below lists every device."
    return bars(rows, f"Decode speed of {view.card.name} at {view.recommended}", about, "tok/s", "speed", label_w=250)


def api_example(site: Site) -> str:
    if not site.models or not site.content.devices:
        return ""
    view = site.models[0]
    c = view.sweep.core(view.recommended, view.context, 0)
    return "\n".join(
        [
            f"GET /api/models/{view.slug}.json",
            "{",
            '  "devices": {"columns": ["slug", "usable_mib", "speed_low_factor", "speed_high_factor", "calibrated"],',
            f'              "rows": [["{site.content.devices[0].slug}", {c.usable >> 20}, ...], ...]}},',
            f'  "estimates": {{"by_quant": {{"{view.recommended}": {{"{view.context}": {{',
            f'      "tier": "{c.tier.letter}...", "decode_tok_s": [{round(c.decode, 1)}, ...],',
            f'      "total_mib": [{c.total >> 20}, ...], "offload_percent": [{round(c.offload * 100)}, ...]}}}}}}}},',
            "  ...",
            "}",
        ]
    )

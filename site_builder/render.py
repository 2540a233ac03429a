"""Stage 6: render every page in memory with Jinja.

Template context (the whole contract between Python and templates):
  site      SiteInfo: title, base_url, base_path, counts, calibration, tiers, settings
  page      PageInfo: title, description, path (site-relative, used for canonical URLs and nav)
  model     ModelView            (model.html)
  device    DeviceView           (device.html)
  models / devices               (index.html, devices.html: the lists)
Autoescape is on and undefined names fail the build (StrictUndefined).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .api import api_files
from .assemble import Site, best_estimate
from .charts import bars
from .estimator.settings import SETTINGS
from .estimator.tiers import TIERS
from .formatting import FILTERS
from .fragments import make_grid_filter
from .quants import FORMATS, LLAMA31_8B_FILE_BPW, quality


@dataclass(frozen=True)
class SiteConfig:
    base_url: str = "http://127.0.0.1:8000/"
    title: str = "Can it run?"

    @property
    def base_path(self) -> str:
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


@dataclass(frozen=True)
class PageInfo:
    title: str
    description: str
    path: str  # "" for the home page, "models/x/" for a model


def make_environment(templates: Path, config: SiteConfig) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        autoescape=select_autoescape(["html", "xml", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.globals["url"] = lambda path="": config.base_path + path.lstrip("/")
    env.filters["grid"] = make_grid_filter(config.base_path)
    env.globals["quant_path"] = quant_path
    env.globals["memory_chart"] = memory_chart
    env.globals["speed_chart"] = speed_chart
    env.globals["context_path"] = context_path
    return env


def quant_path(slug: str, quant: str, recommended: str) -> str:
    return f"models/{slug}/" if quant == recommended else f"models/{slug}/{quant.lower().replace('_', '-')}/"


def context_path(slug: str, ctx: int, default: int) -> str:
    if ctx == default:
        return f"models/{slug}/"
    return f"models/{slug}/context-{ctx // 1024}k/" if ctx % 1024 == 0 else f"models/{slug}/context-{ctx}/"


def render_site(site: Site, templates: Path, config: SiteConfig) -> dict[str, str]:
    env = make_environment(templates, config)
    info = {
        "title": config.title,
        "base_url": config.base_url,
        "tiers": TIERS,
        "settings": SETTINGS,
        "calibration": site.calibration,
        "model_count": len(site.models),
        "device_count": len(site.devices),
    }
    pages: dict[str, str] = {}

    def emit(path: str, template: str, page: PageInfo, **context) -> None:
        pages[path] = env.get_template(template).render(site=info, page=page, **context)

    emit("index.html", "index.html", PageInfo(config.title, _home_description(site), ""), models=site.models)
    emit(
        "devices/index.html",
        "devices.html",
        PageInfo("Devices", "Every GPU, Apple chip, TPU and CPU on the site.", "devices/"),
        devices=site.devices,
    )
    emit("compare/index.html", "compare.html", PageInfo("Compare", "Compare devices for a model, or models on a device.",
         "compare/"), example=compare_example(site))  # fmt: skip
    emit("guides/index.html", "guides/index.html", PageInfo("Guides", "Quantization, tiers and how to read the numbers.",
         "guides/"))  # fmt: skip
    emit(
        "guides/quantization/index.html",
        "guides/quantization.html",
        PageInfo("Quantization formats", "What each GGUF format is, its bits per weight and its measured quality loss.",
                 "guides/quantization/"),
        formats=format_guide(),
        chart=format_chart(),
    )  # fmt: skip
    emit("guides/tiers/index.html", "guides/tiers.html",
         PageInfo("How tiers are decided", "The S to F grades and their rules.", "guides/tiers/"))  # fmt: skip
    emit("guides/reading-the-numbers/index.html", "guides/reading-the-numbers.html",
         PageInfo("How to read the numbers", "GiB, tok/s, ranges, context and offloading explained.",
                  "guides/reading-the-numbers/"))  # fmt: skip
    emit("api/index.html", "api.html", PageInfo("JSON API", "Every number on the site as static JSON.", "api/"),
         example=api_example(site))  # fmt: skip
    emit(
        "methodology/index.html",
        "methodology.html",
        PageInfo(
            "How we estimate", "Formulas, constants, sources and measured error of every estimate.", "methodology/"
        ),
        method=site.methodology,
    )
    for view in site.models:
        page = PageInfo(view.card.name, view.card.summary, f"models/{view.slug}/")
        emit(f"models/{view.slug}/index.html", "model.html", page, model=view)
        for quant, ctx, path in slices(view):
            title = f"{view.card.name} at {quant}, {FILTERS['ctx'](ctx)} context"
            description = (
                f"Which devices run {view.card.name} at {quant} with a {FILTERS['ctx'](ctx)} context, and how fast."
            )
            emit(path + "index.html", "model-slice.html", PageInfo(title, description, path), model=view,
                 quant=quant, ctx=ctx, groups=view.grid_for(quant, ctx))  # fmt: skip
    for view in site.devices:
        page = PageInfo(
            view.device.name,
            f"Which LLMs run on the {view.device.name}, and how fast.",
            f"devices/{view.slug}/",
        )
        emit(f"devices/{view.slug}/index.html", "device.html", page, device=view)
    pages.update(api_files(site, env.globals["url"]))
    return pages


# Devices people ask about most, one or two per price class: the speed chart on model pages shows these.
FEATURED_DEVICES = (
    "rtx-3060-12gb", "rtx-4060", "rtx-4060-ti-16gb", "rtx-4070", "rtx-3090", "rtx-4090", "rtx-5090",
    "rx-7900-xtx", "arc-b580", "apple-m2-10c-16gb", "apple-m3-pro-18c-36gb", "apple-m4-max-40c-128gb",
    "dgx-spark", "h100-sxm", "cpu-ddr5-5600-dual-channel-64gb", "raspberry-pi-5-8gb",
)  # fmt: skip


def memory_chart(view) -> str:
    rows = [(r.quant.name, r.memory_bytes / 2**30, "bar-rec" if r.recommended else "bar") for r in view.quants]
    return bars(rows, f"Memory needed by {view.card.name} per format",
                f"GiB needed at a {FILTERS['ctx'](view.context)} context for each format; the table above lists the same.",
                "GiB", "memory")  # fmt: skip


def speed_chart(view) -> str:
    wanted = set(FEATURED_DEVICES)
    rows = [
        (d.name, c.decode, "bar")
        for d, c in zip(view.content.devices, view.sweep[view.recommended, view.context], strict=True)
        if d.slug in wanted and c.decode
    ]
    rows.sort(key=lambda r: -r[1])
    return bars(rows, f"Decode speed of {view.card.name} at {view.recommended}",
                "Estimated tokens per second on popular devices; the grid below lists every device.", "tok/s",
                "speed", label_w=250)  # fmt: skip


def compare_example(site: Site):
    """A comparison pre-rendered for readers without JavaScript."""
    from .estimator import estimate

    wanted_models = [m for m in site.models if m.slug in ("llama-3-1-8b-instruct", "qwen3-8b")] or list(site.models[:2])
    wanted_devices = [d for d in site.content.devices if d.slug in ("rtx-4060", "rtx-4070")] or list(
        site.content.devices[:2]
    )
    if not wanted_models or not wanted_devices:
        return None
    rows = []
    for m in wanted_models:
        cells = []
        for d in wanted_devices:
            index = site.content.devices.index(d)
            cells.append(best_estimate(m, index, d, site.calibration))
        rows.append((m, cells))
    return {"models": [m.entry for m in wanted_models], "devices": wanted_devices, "rows": rows, "estimate": estimate}


def format_guide() -> list[dict]:
    return [
        {"quant": q, "quality": quality(q.name), "file_bpw": LLAMA31_8B_FILE_BPW.get(q.name)}
        for q in FORMATS
        if q.listed
    ]


def format_chart() -> str:
    rows = [(q.name, LLAMA31_8B_FILE_BPW[q.name], "bar") for q in FORMATS if q.listed and q.name in LLAMA31_8B_FILE_BPW]
    return bars(rows, "Bits per weight by format", "Whole-file bits per weight of Llama 3.1 8B in each GGUF format.",
                "bits", "formats")  # fmt: skip


def api_example(site: Site) -> str:
    if not site.models:
        return ""
    view = site.models[0]
    rows = view.sweep[view.recommended, view.context][:2]
    return (
        f"GET /api/models/{view.slug}.json\n"
        '{\n  "devices": {"columns": ["slug", "usable_mib", "speed_low_factor", "speed_high_factor", "calibrated"],\n'
        f'              "rows": [["{site.content.devices[0].slug}", {rows[0].usable >> 20}, ...], ...]}},\n'
        '  "estimates": {"columns": ["tier", "decode_tok_s", "total_mib", "offload_percent"],\n'
        f'                "by_quant": {{"{view.recommended}": {{"{view.context}": '
        f'[["{rows[0].tier.letter}", {round(rows[0].decode, 1)}, {rows[0].total >> 20}, {round(rows[0].offload * 100)}], ...]}}}}}},\n'
        "  ...\n}"
    )


def slices(view) -> list[tuple[str, int, str]]:
    """The (format, context, path) pages besides the model page: every format at the default context, and the
    recommended format at every other context."""
    out = [(r.quant.name, view.context, quant_path(view.slug, r.quant.name, view.recommended)) for r in view.quants]
    out += [(view.recommended, c, context_path(view.slug, c, view.context)) for c in view.contexts]
    return [(q, c, path) for q, c, path in out if path != f"models/{view.slug}/"]


def _home_description(site: Site) -> str:
    return f"Which of {len(site.models)} open LLMs run on your GPU, Mac or CPU, at which quantization, and how fast."

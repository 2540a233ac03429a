"""Stage 6: render every page in memory with Jinja.

Template context (the whole contract between Python and templates):
  site      dict: title, base_url, counts, calibration, tiers, settings (every page)
  page      PageInfo: title, description, path (site-relative; canonical URLs and navigation)
  + one or two names per page kind, listed in pages.plan(): `model` (ModelView) on model.html,
    `model`, `quant`, `ctx`, `groups` on model-slice.html, `device` (DeviceView) on device.html,
    `models` / `devices` on the lists, `method` on methodology.html, `example` on compare.html and api.html.
Globals: url(path), quant_path(), context_path(), memory_chart(model), speed_chart(model); filters in
formatting.FILTERS plus `grid` (fragments.py). Autoescape is on; undefined names fail the build.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .api import api_files
from .assemble import Site
from .estimator.settings import SETTINGS
from .estimator.tiers import TIERS
from .formatting import FILTERS
from .fragments import make_grid_filter
from .pages import context_path, memory_chart, plan, quant_path, speed_chart
from .webfiles import web_files


@dataclass(frozen=True)
class SiteConfig:
    base_url: str = "http://127.0.0.1:8000/"
    title: str = "Can it run?"

    @property
    def base_path(self) -> str:
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


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
    env.filters["grid"] = make_grid_filter(config.base_path)
    env.globals.update(
        url=lambda path="": config.base_path + path.lstrip("/"),
        quant_path=quant_path,
        context_path=context_path,
        memory_chart=memory_chart,
        speed_chart=speed_chart,
    )
    return env


def render_site(site: Site, templates: Path, config: SiteConfig) -> dict[str, str]:
    """Every page and API document, rendered in memory: {path in the site: text}."""
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
    files = {
        spec.output: env.get_template(spec.template).render(site=info, page=spec.info, **spec.context)
        for spec in plan(site, config.title, config.base_url)
    }
    files.update(api_files(site, env.globals["url"]))
    files.update(web_files(site, files, env, info, config))
    return files

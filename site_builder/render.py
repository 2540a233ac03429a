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

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from .api import api_files
from .assemble import Site
from .estimator.settings import SETTINGS
from .estimator.tiers import TIERS
from .formatting import FILTERS
from .fragments import device_models_html, make_grid_filter
from .pages import context_path, memory_chart, plan, quant_path, speed_chart
from .webfiles import web_files


@dataclass(frozen=True)
class SiteConfig:
    base_url: str = "http://127.0.0.1:8000/"
    title: str = "Can it run?"
    dev: bool = False  # `make serve`: build errors shown over the page; no Content-Security-Policy meta tag

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
    env.filters["device_models"] = lambda groups: device_models_html(groups, config.base_path)
    env.globals.update(
        url=lambda path="": config.base_path + path.lstrip("/"),
        quant_path=quant_path,
        context_path=context_path,
        memory_chart=memory_chart,
        speed_chart=speed_chart,
    )
    return env


def render_site(site: Site, templates: Path, config: SiteConfig, cache: dict | None = None) -> dict[str, str]:
    """Every page and API document, rendered in memory: {path in the site: text}.

    `cache` maps output paths to (key, text) from an earlier build in this process (`make serve`): a page
    whose key (templates, configuration and the digests of the content it shows) is unchanged is reused."""
    salt = (templates_digest(templates), config)
    cache = {} if cache is None else cache
    env = cache.get(("environment", salt))
    if env is None:  # compiling the templates again only when they changed
        env = cache[("environment", salt)] = make_environment(templates, config)
    info = {
        "title": config.title,
        "base_url": config.base_url,
        "dev": config.dev,
        "tiers": TIERS,
        "settings": SETTINGS,
        "calibration": site.calibration,
        "model_count": len(site.models),
        "device_count": len(site.devices),
    }
    files = {}
    for spec in plan(site, config.title, config.base_url):
        key = (salt, spec.key, spec.info)
        hit = cache.get(spec.output)
        if hit is None or hit[0] != key:
            text = env.get_template(spec.template).render(site=info, page=spec.info, **spec.context())
            hit = cache[spec.output] = (key, text)
        files[spec.output] = hit[1]
    files.update(api_files(site, env.globals["url"], cache, salt))
    files.update(web_files(site, files, env, info, config))
    return files


def templates_digest(templates: Path) -> str:
    """Templates and the code that fills them: a change to either re-renders every page."""
    h = hashlib.blake2b(digest_size=16)
    for folder in (templates, Path(__file__).parent):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".html", ".txt", ".xml", ".py", ".json"):
                h.update(path.as_posix().encode())
                h.update(path.read_bytes())
    return h.hexdigest()

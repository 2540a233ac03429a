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

from .assemble import Site
from .estimator.settings import SETTINGS
from .estimator.tiers import TIERS
from .formatting import FILTERS


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
    return env


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
    for view in site.devices:
        page = PageInfo(
            view.device.name,
            f"Which LLMs run on the {view.device.name}, and how fast.",
            f"devices/{view.slug}/",
        )
        emit(f"devices/{view.slug}/index.html", "device.html", page, device=view)
    return pages


def _home_description(site: Site) -> str:
    return f"Which of {len(site.models)} open LLMs run on your GPU, Mac or CPU, at which quantization, and how fast."

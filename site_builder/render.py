"""Stage 6: every output of the site (pages, API documents, web files) with the key it is made from; the
writer (write.py) renders those whose key changed.

Template context (the whole contract between Python and templates):
  site      dict: title, base_url, counts, calibration, tiers, settings (every page)
  page      PageInfo: title, description, path (site-relative; canonical URLs and navigation)
  + one or two names per page kind, listed in pages.plan(): `model` (ModelView) on model.html,
    `model`, `quant`, `ctx`, `grid` on model-slice.html, `device` (DeviceView) on device.html,
    `models` / `devices` on the lists, `method` on methodology.html, `example` on compare.html and api.html.
Globals: url(path), quant_path(), context_path(), switcher(), memory_chart(model), speed_chart(model); filters
in formatting.FILTERS plus `grid` and `device_models` (fragments.py). Autoescape is on; undefined names fail the build.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from jinja2 import Environment, FileSystemBytecodeCache, FileSystemLoader, StrictUndefined, select_autoescape

from .api import api_outputs
from .assemble import Site
from .estimator.settings import SETTINGS
from .estimator.tiers import TIERS
from .formatting import FILTERS
from .fragments import device_models_html, grid_html, switcher_html
from .pages import PageSpec, context_path, memory_chart, plan, quant_path, speed_chart
from .webfiles import web_files
from .write import Output


@dataclass(frozen=True)
class SiteConfig:
    base_url: str = "http://127.0.0.1:8000/"
    title: str = "Can it run?"
    dev: bool = False  # `make serve`: build errors shown over the page; no Content-Security-Policy meta tag
    built: str = ""  # date shown as the build's, from SOURCE_DATE_EPOCH (see build_date)

    @property
    def base_path(self) -> str:
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


def build_date() -> str:
    """The date a build shows: SOURCE_DATE_EPOCH's (reproducible builds; the Makefile sets it to the last
    commit's time) or today's, in UTC either way so the time zone cannot change the output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return moment.date().isoformat()


# Scripts, styles, images and fetches from the site's own origin only; no inline script or style (JSON-LD
# blocks are data, never executed). frame-ancestors is ignored in a <meta> tag, so _headers adds it.
CSP_META = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"
)
CSP_HEADER = CSP_META + "; frame-ancestors 'none'"

JINJA_CACHE = Path(__file__).resolve().parent.parent / ".cache" / "jinja"


def _bytecode_cache() -> FileSystemBytecodeCache | None:
    """Compiled templates, keyed by their source, kept between runs like Python's __pycache__: compiling
    every template takes ~0.15 s of each build otherwise."""
    try:
        JINJA_CACHE.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return FileSystemBytecodeCache(str(JINJA_CACHE))


def make_environment(templates: Path, config: SiteConfig) -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(templates)),
        bytecode_cache=_bytecode_cache(),
        autoescape=select_autoescape(["html", "xml", "j2"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    base = config.base_path
    env.filters["grid"] = lambda grid: grid_html(grid, base)
    env.filters["device_models"] = lambda groups: device_models_html(groups, base)
    env.globals.update(
        url=lambda path="": base + path.lstrip("/"),
        switcher=lambda model, quant, ctx: switcher_html(model, quant, ctx, base),
        quant_path=quant_path,
        context_path=context_path,
        memory_chart=memory_chart,
        speed_chart=speed_chart,
    )
    return env


class Renderer:
    """Every output of one site (pages, API documents, web files), each with the key it is made from.
    `make serve` passes the same `env_cache` every build, so templates are compiled again only when changed."""

    def __init__(self, site: Site, templates: Path, config: SiteConfig, env_cache: dict | None = None):
        self.site, self.config = site, config
        self.salt = (templates_digest(templates), config)
        env_cache = {} if env_cache is None else env_cache
        if self.salt not in env_cache:
            env_cache.clear()
            env_cache[self.salt] = make_environment(templates, config)
        self.env = env_cache[self.salt]
        self.info = {
            "title": config.title,
            "base_url": config.base_url,
            "built": config.built,
            "dev": config.dev,
            "csp": CSP_META,
            "csp_header": CSP_HEADER,
            "tiers": TIERS,
            "settings": SETTINGS,
            "calibration": site.calibration,
            "model_count": len(site.models),
            "device_count": len(site.devices),
        }
        self.specs = list(plan(site, config.title, config.base_url))

    def page(self, spec: PageSpec) -> str:
        return self.env.get_template(spec.template).render(site=self.info, page=spec.info, **spec.context())

    def outputs(self) -> list[Output]:
        pages = [Output(s.output, (self.salt, s.key, s.info), partial(self.page, s)) for s in self.specs]
        web = web_files(self.site, [s.output for s in self.specs], self.env, self.info, self.config)
        extras = [Output(path, None, lambda text=text: text) for path, text in web.items()]
        return pages + api_outputs(self.site, self.env.globals["url"], self.salt) + extras

    def compile_templates(self) -> None:
        """Compile every template up front, so that forked workers share the work."""
        for name in sorted({spec.template for spec in self.specs} | {"llms.txt", "404.html"}):
            self.env.get_template(name)


def templates_digest(templates: Path) -> str:
    """Templates and the code that fills them: a change to either re-renders every page."""
    h = hashlib.blake2b(digest_size=16)
    for folder in (templates, Path(__file__).parent):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".html", ".txt", ".xml", ".py", ".json"):
                h.update(path.as_posix().encode())
                h.update(path.read_bytes())
    return h.hexdigest()

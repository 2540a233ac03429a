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
from functools import partial
from pathlib import Path

from jinja2 import (
    Environment,
    FileSystemBytecodeCache,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    select_autoescape,
)

from site_builder.config import CSP_HEADER, CSP_META, JINJA_CACHE, PACKAGE, SiteConfig
from site_builder.errors import TemplateProblem
from site_builder.estimator.settings import SETTINGS
from site_builder.estimator.tiers import TIERS
from site_builder.output.write import Output
from site_builder.site.api import api_outputs
from site_builder.site.formatting import FILTERS
from site_builder.site.fragments import device_models_html, grid_html, switcher_html
from site_builder.site.sitemap import PageSpec, context_path, memory_chart, plan, quant_path, speed_chart
from site_builder.site.views import Site
from site_builder.site.webfiles import web_files


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


class TemplateCache:
    """The compiled Jinja environment, kept by `make serve`: made again only when a template, the code that
    fills them or the site config changes."""

    def __init__(self) -> None:
        self.salt: tuple | None = None
        self.env: Environment | None = None

    def environment(self, templates: Path, config: SiteConfig) -> tuple[tuple, Environment]:
        salt = (templates_digest(templates), config)
        if salt != self.salt:
            self.salt, self.env = salt, make_environment(templates, config)
        return salt, self.env


class Renderer:
    """Every output of one site (pages, API documents, web files), each with the key it is made from."""

    def __init__(self, site: Site, templates: Path, config: SiteConfig, cache: TemplateCache):
        self.site, self.config = site, config
        self.salt, self.env = cache.environment(templates, config)
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
        try:
            return self.env.get_template(spec.template).render(site=self.info, page=spec.info, **spec.context())
        except TemplateError as exc:
            raise TemplateProblem.from_exception(exc, spec.template, spec.output) from None

    def outputs(self) -> list[Output]:
        pages = [Output(s.output, (self.salt, s.key, s.info), partial(self.page, s)) for s in self.specs]
        web = web_files(self.site, [s.output for s in self.specs], self.env, self.info, self.config)
        extras = [Output(path, None, lambda text=text: text) for path, text in web.items()]
        return pages + api_outputs(self.site, self.env.globals["url"], self.salt) + extras

    def compile_templates(self) -> None:
        """Compile every template up front, so that forked workers share the work."""
        for name in sorted({spec.template for spec in self.specs} | {"llms.txt", "404.html"}):
            try:
                self.env.get_template(name)
            except TemplateError as exc:
                raise TemplateProblem.from_exception(exc, name, None) from None


def site_outputs(site: Site, templates: Path, config: SiteConfig, cache: TemplateCache, jobs: int) -> list[Output]:
    renderer = Renderer(site, templates, config, cache)
    if jobs > 1:
        renderer.compile_templates()
    return renderer.outputs()


def templates_digest(templates: Path) -> str:
    """Templates and the code that fills them: a change to either re-renders every page."""
    h = hashlib.blake2b(digest_size=16)
    for folder in (templates, PACKAGE):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and path.suffix in (".html", ".txt", ".xml", ".py", ".json"):
                h.update(path.as_posix().encode())
                h.update(path.read_bytes())
    return h.hexdigest()

"""Stage: every output of the site (pages, API documents, web files) with the key it is made from; the writer
(output/write.py) renders those whose key changed. The template context is documented in site/context.py.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
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
from markupsafe import Markup

from site_builder.config import CSP_HEADER, CSP_META, JINJA_CACHE, PACKAGE, SiteConfig
from site_builder.errors import TemplateProblem
from site_builder.output.write import Output
from site_builder.site.api import api_outputs
from site_builder.site.formatting import FILTERS
from site_builder.site.fragments import quality_warning, tier_badge
from site_builder.site.pages import popular_models, site_info
from site_builder.site.sitemap import PageSpec, plan
from site_builder.site.verdicts import ModelVerdicts
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
        # TemplateCache makes a new environment when a template changes; checking every file's mtime on each
        # get_template cost ~4% of a clean build.
        auto_reload=False,
    )
    env.filters.update(FILTERS)
    base = config.base_path
    env.globals.update(url=lambda path="": base + path.lstrip("/"), tier_badge=tier_badge,
                       quality_warning=quality_warning)  # fmt: skip
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
        self.url = self.env.globals["url"]
        self.info = site_info(site, config, CSP_META)
        self.verdicts = VerdictsCache(self.url)
        self.partials: dict[tuple[str, str], Markup] = {}
        self.specs = list(plan(site, config.title, config.base_url, self.url, config.base_path, self.verdicts))

    def once(self, name: str, section: str = "") -> Markup:
        """A partial that is the same on every page of a section (the header, the footer), rendered once."""
        key = (name, section)
        if key not in self.partials:
            self.partials[key] = Markup(self.env.get_template(name).render(site=self.info, section=section))
        return self.partials[key]

    def render(self, template: str, page, view) -> str:
        return self.env.get_template(template).render(site=self.info, page=page, view=view, once=self.once)

    def page(self, spec: PageSpec) -> str:
        try:
            return self.render(spec.template, spec.info, spec.view())
        except TemplateError as exc:
            raise TemplateProblem.from_exception(exc, spec.template, spec.output) from None

    def outputs(self) -> list[Output]:
        pages = [Output(s.output, (self.salt, self.info, s.reads, s.info), partial(self.page, s)) for s in self.specs]
        not_found = popular_models(self.site, self.url)
        web = web_files(self.site, [s.output for s in self.specs], self.render, self.info, self.config, CSP_HEADER,
                        not_found)  # fmt: skip
        extras = [Output(path, None, lambda text=text: text) for path, text in web.items()]
        return by_model(pages + api_outputs(self.site, self.url, self.salt, self.verdicts)) + extras

    def compile_templates(self) -> None:
        """Compile every template up front, so that forked workers share the work."""
        for name in sorted({spec.template for spec in self.specs} | {"llms.txt", "404.html"}):
            try:
                self.env.get_template(name)
            except TemplateError as exc:
                raise TemplateProblem.from_exception(exc, name, None) from None


class VerdictsCache:
    """Every-setup verdicts of the last few models. Outputs are ordered model by model (by_model) and the
    writer gives each worker a contiguous share, so each model's verdicts are made about once; they are too
    large to keep for the whole catalogue."""

    def __init__(self, url, size: int = 2):
        self.url, self.size = url, size
        self.entries: OrderedDict[str, tuple[object, ModelVerdicts]] = OrderedDict()

    def __call__(self, view) -> ModelVerdicts:
        hit = self.entries.get(view.slug)
        if hit is None or hit[0] is not view:
            hit = self.entries[view.slug] = (view, ModelVerdicts(view, view.all_setups().verdicts(), self.url))
        self.entries.move_to_end(view.slug)
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return hit[1]


def model_of(path: str) -> str:
    """The model an output belongs to ("" for none): its pages under models/<slug>/, its API documents under
    api/models/<slug>."""
    for prefix in ("models/", "api/models/"):
        if path.startswith(prefix):
            rest = path[len(prefix) :]
            return rest.split("/", 1)[0].removesuffix(".json") if "/" in rest or rest.endswith(".json") else ""
    return ""


def by_model(outputs: list[Output]) -> list[Output]:
    """Outputs of one model next to each other (a stable sort: the rest keeps its order, first)."""
    return sorted(outputs, key=lambda o: model_of(o.path))


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

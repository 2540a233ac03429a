"""The build as a recipe: load -> check -> assemble -> render -> write.

    load      content/ files -> validated records          (content/load.py)
    check     cross-file checks over the records           (content/check.py)
    assemble  run the estimator, make each page's views    (site/views.py)
    render    every output with the key it is made from    (site/render.py, site/sitemap.py)
    write     make what changed, swap the new site in      (output/write.py)

A one-shot build starts from empty caches; `make serve` keeps one BuildCache between rebuilds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from site_builder.config import PROJECT_ROOT, STATIC, TEMPLATES, SiteConfig
from site_builder.content.check import check_content
from site_builder.content.load import FileCache, NoFileCache, load_content
from site_builder.content.records import Content
from site_builder.output.write import OutputState, check_output_dir, static_outputs, write_outputs
from site_builder.site.render import TemplateCache, site_outputs
from site_builder.site.views import NoViewCache, ViewCache, assemble_site


@dataclass
class BuildCache:
    """What a build may reuse from the previous one, stage by stage; every entry is keyed by digests of its inputs."""

    files: FileCache = field(default_factory=FileCache)  # parsed content files
    views: ViewCache = field(default_factory=ViewCache)  # estimates and page views per model
    templates: TemplateCache = field(default_factory=TemplateCache)  # the compiled templates
    output: OutputState = field(default_factory=lambda: OutputState(serving=True))  # keys of the files written

    @classmethod
    def one_shot(cls) -> BuildCache:
        return cls(NoFileCache(), NoViewCache(), TemplateCache(), OutputState(serving=False))


@dataclass
class BuildResult:
    pages: int
    files: int
    seconds: float
    notices: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage
    made: int = 0  # outputs rendered (the rest were unchanged)
    written: int = 0  # files written or linked into the new folder


def check(content_dir: Path, notices: list[str] | None = None, cache: FileCache | None = None) -> Content:
    """Load and cross-check the content; raises ContentError listing every problem."""
    content = load_content(content_dir, notices, cache)
    check_content(content, notices)
    return content


def build(content_dir: Path, out_dir: Path, config: SiteConfig, cache: BuildCache | None = None, jobs: int = 1):
    cache = cache or BuildCache.one_shot()
    clock, notices = Stopwatch(), []
    check_output_dir(out_dir, [content_dir, TEMPLATES, STATIC, PROJECT_ROOT])
    content = clock.lap("load", load_content(content_dir, notices, cache.files))
    clock.lap("check", check_content(content, notices))
    site = clock.lap("assemble", assemble_site(content, cache.views))
    outputs = clock.lap("plan", site_outputs(site, TEMPLATES, config, cache.templates, jobs) + static_outputs(STATIC))
    report = clock.lap("render+write", write_outputs(outputs, out_dir, cache.output, jobs))
    pages = sum(o.path.endswith(".html") for o in outputs)
    return BuildResult(pages, len(outputs), clock.total(), notices, clock.laps, report.made, report.written)


class Stopwatch:
    def __init__(self):
        self.started = self.last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, name: str, value):
        now = time.perf_counter()
        self.laps[name] = now - self.last
        self.last = now
        return value

    def total(self) -> float:
        return time.perf_counter() - self.started

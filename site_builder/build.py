"""The build as a recipe: discover, parse + validate, cross-check, estimate + assemble, render, write."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from site_builder.config import PROJECT_ROOT, STATIC, TEMPLATES, SiteConfig
from site_builder.content.check import check_content
from site_builder.content.load import load_content
from site_builder.content.records import Content
from site_builder.output.write import OutputState, check_output_dir, static_outputs, write_outputs
from site_builder.site.render import Renderer
from site_builder.site.views import assemble_site


@dataclass
class BuildCache:
    """What `make serve` keeps between rebuilds; every entry is keyed by digests of its inputs."""

    files: dict = field(default_factory=dict)  # parsed content files, by path, size and mtime
    views: dict = field(default_factory=dict)  # model views
    environment: dict = field(default_factory=dict)  # the compiled templates
    output: OutputState = field(default_factory=OutputState)  # keys and digests of the files written


@dataclass
class BuildResult:
    pages: int
    files: int
    seconds: float
    notices: list[str] = field(default_factory=list)
    stages: dict[str, float] = field(default_factory=dict)  # seconds per stage
    made: int = 0  # outputs rendered (the rest were unchanged)
    written: int = 0  # files written or linked into the new folder


def check(content_dir: Path, notices: list[str] | None = None, cache: dict | None = None) -> Content:
    """Load and cross-check the content; raises ContentError listing every problem."""
    content = load_content(content_dir, notices, cache)
    check_content(content)
    return content


def build(
    content_dir: Path, out_dir: Path, config: SiteConfig, cache: BuildCache | None = None, jobs: int = 1
) -> BuildResult:
    """`cache` is given by `make serve`, which keeps it between rebuilds so that only what changed is made
    again; `jobs` processes render and write."""
    clock = Stopwatch()
    notices: list[str] = []
    check_output_dir(out_dir, [content_dir, TEMPLATES, STATIC, PROJECT_ROOT])
    serving = cache is not None
    content = clock.lap("load", check(content_dir, notices, cache.files if serving else None))
    site = clock.lap("assemble", assemble_site(content, cache=cache.views if serving else None))
    renderer = Renderer(site, TEMPLATES, config, cache.environment if serving else None)
    outputs = renderer.outputs() + static_outputs(STATIC)
    if jobs > 1:
        renderer.compile_templates()
    report = write_outputs(outputs, out_dir, cache.output if serving else None, jobs)
    clock.lap("render+write", None)
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

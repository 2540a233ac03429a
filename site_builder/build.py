"""The build as a recipe: discover, parse + validate, cross-check, estimate + assemble, render, write."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from .assemble import assemble_site
from .check import check_content
from .load import load_content
from .records import Content
from .render import SiteConfig, render_site
from .write import check_output_dir, read_static, write_site

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = PROJECT_ROOT / "templates"
STATIC = PROJECT_ROOT / "static"


@dataclass
class BuildCache:
    """What `make serve` keeps between rebuilds; every entry is keyed by digests of its inputs."""

    files: dict = field(default_factory=dict)  # parsed content files, by path, size and mtime
    views: dict = field(default_factory=dict)  # model views
    pages: dict = field(default_factory=dict)  # rendered pages and API documents
    written: dict = field(default_factory=dict)  # path -> (text, bytes) last written


@dataclass
class BuildResult:
    pages: int
    files: int
    seconds: float
    notices: list[str] = field(default_factory=list)


def check(content_dir: Path, notices: list[str] | None = None, cache: dict | None = None) -> Content:
    """Load and cross-check the content; raises ContentError listing every problem."""
    content = load_content(content_dir, notices, cache)
    check_content(content)
    return content


def build(content_dir: Path, out_dir: Path, config: SiteConfig, cache: BuildCache | None = None) -> BuildResult:
    started = time.perf_counter()
    cache = cache or BuildCache()
    notices: list[str] = []
    check_output_dir(out_dir, [content_dir, TEMPLATES, STATIC, PROJECT_ROOT])
    content = check(content_dir, notices, cache.files)
    site = assemble_site(content, cache=cache.views)
    rendered = render_site(site, TEMPLATES, config, cache.pages)
    files, unchanged = encode(rendered, cache.written)
    files |= read_static(STATIC)
    write_site(files, out_dir, unchanged)
    pages = sum(path.endswith(".html") for path in rendered)
    return BuildResult(pages, len(files), time.perf_counter() - started, notices)


def encode(rendered: dict[str, str], written: dict) -> tuple[dict[str, bytes], set[str]]:
    """UTF-8 bytes of every file, and which of them are the very text last written (to link, not rewrite)."""
    files, unchanged = {}, set()
    for path, text in rendered.items():
        previous = written.get(path)
        if previous is not None and previous[0] is text:
            files[path] = previous[1]
            unchanged.add(path)
        else:
            files[path] = text.encode("utf-8")
            written[path] = (text, files[path])
    return files, unchanged

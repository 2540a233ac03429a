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
class BuildResult:
    pages: int
    files: int
    seconds: float
    notices: list[str] = field(default_factory=list)


def check(content_dir: Path, notices: list[str] | None = None) -> Content:
    """Load and cross-check the content; raises ContentError listing every problem."""
    content = load_content(content_dir, notices)
    check_content(content)
    return content


def build(content_dir: Path, out_dir: Path, config: SiteConfig) -> BuildResult:
    started = time.perf_counter()
    notices: list[str] = []
    check_output_dir(out_dir, [content_dir, TEMPLATES, STATIC, PROJECT_ROOT])
    content = check(content_dir, notices)
    site = assemble_site(content)
    rendered = render_site(site, TEMPLATES, config)
    files = {path: text.encode("utf-8") for path, text in rendered.items()} | read_static(STATIC)
    write_site(files, out_dir)
    pages = sum(path.endswith(".html") for path in rendered)
    return BuildResult(pages, len(files), time.perf_counter() - started, notices)

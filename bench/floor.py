"""The plain floor `make bench` compares the pipeline against: the same pages, each its subject's Markdown
body rendered with markdown-it-py into one Jinja template and written, with nothing else (no validation,
no estimator, no grids, one process).

A page under models/<slug>/ shows that model's body (its format and context pages too), one under
devices/<slug>/ its device's body, any other page an empty body.

    python -m bench.floor CONTENT BUILT_SITE OUT
"""

from __future__ import annotations

import shutil
import sys
import time
from pathlib import Path

from jinja2 import Environment
from markdown_it import MarkdownIt

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><main><h1>{{ title }}</h1>{{ body|safe }}</main></body></html>
"""


def bodies(content: Path, kind: str) -> dict[str, str]:
    """slug -> Markdown body (text after the closing --- of the frontmatter)."""
    out = {}
    for path in sorted((content / kind).glob("*.md")):
        out[path.stem] = path.read_text(encoding="utf-8").split("---\n", 2)[2]
    return out


def pages_of(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


def subject(page: str, models: dict[str, str], devices: dict[str, str]) -> tuple[str, str]:
    parts = page.split("/")
    if len(parts) > 2 and parts[0] == "models":
        return parts[1], models.get(parts[1], "")
    if len(parts) > 2 and parts[0] == "devices":
        return parts[1], devices.get(parts[1]) or devices.get(parts[1].rsplit("-", 1)[0], "")
    return page, ""


def build(content: Path, pages: list[str], out: Path) -> float:
    started = time.perf_counter()
    md = MarkdownIt("js-default")
    template = Environment(autoescape=True).from_string(TEMPLATE)
    models, devices = bodies(content, "models"), bodies(content, "devices")
    shutil.rmtree(out, ignore_errors=True)
    for page in pages:
        title, body = subject(page, models, devices)
        target = out / page
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(template.render(title=title, body=md.render(body)), encoding="utf-8")
    return time.perf_counter() - started


if __name__ == "__main__":
    content, site, out = (Path(a) for a in sys.argv[1:4])
    print(f"{build(content, pages_of(site), out):.3f}")

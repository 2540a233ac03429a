"""Markdown bodies from untrusted contributors, rendered safely.

markdown-it-py's `js-default` preset escapes raw HTML (its docs recommend it for untrusted input); on top
of that only http(s), mailto and site-relative links survive, so `javascript:`, `vbscript:` and `data:`
never reach a page.
"""

from __future__ import annotations

import re

from markdown_it import MarkdownIt

SAFE_LINK = re.compile(r"^(https?://|mailto:|/|#|\./|\.\./|[\w-]+(/|\.html|$))", re.IGNORECASE)


def _validate_link(url: str) -> bool:
    return bool(SAFE_LINK.match(url.strip())) and ":" not in url.split("/")[0].replace("https:", "").replace(
        "http:", ""
    ).replace("mailto:", "")


def _make() -> MarkdownIt:
    md = MarkdownIt("js-default", {"typographer": False}).enable("table")
    md.validateLink = _validate_link
    return md


_MD = _make()


def render_markdown(source: str) -> str:
    return _MD.render(source)

"""Jinja filters: numbers as a reader wants them, with the unit spelled out."""

from __future__ import annotations

import json
import re

import numpy as np
from markupsafe import Markup

GIB = 2**30


class Labels:
    """The text of every integer key, made once and then looked up by numpy indexing: a build labels about
    a million numbers, and a lookup in C is ten times faster than formatting each in Python."""

    def __init__(self, make):
        self.make = make
        self.table = np.array([], dtype=object)

    def __call__(self, keys: np.ndarray) -> list[str]:
        largest = int(keys.max()) if keys.size else -1
        if largest >= len(self.table):
            size = max(largest + 1, 2 * len(self.table), 1024)
            self.table = np.array([self.make(k) for k in range(size)], dtype=object)
        return self.table[keys].tolist()


# Keys: 0 for "—"; 1 + tenths below 10 tok/s; 102 + whole tokens from 10 up (rounded half to even).
TOK_S = Labels(lambda k: "—" if k == 0 else f"{(k - 1) / 10:.1f}" if k < 102 else f"{k - 102:,}")
GIB_TENTHS = Labels(lambda k: f"{k / 10:,.1f} GiB")
GIB_TENTHS_BARE = Labels(lambda k: f"{k / 10:,.1f}")


def tok_s_keys(x: np.ndarray) -> np.ndarray:
    return np.where(x <= 0, 0, np.where(x < 10, 1 + np.rint(x * 10), 102 + np.rint(x))).astype(np.int64)


def tok_s_many(x: np.ndarray) -> list[str]:
    """Tokens per second: one decimal below 10, whole numbers above; "—" for none."""
    return TOK_S(tok_s_keys(x))


def tok_s(x: float | None) -> str:
    """One value as tok_s_many labels it (Python's round() rounds half to even, as np.rint does)."""
    x = x or 0.0
    return TOK_S.make(0 if x <= 0 else 1 + round(x * 10) if x < 10 else 102 + round(x))


def gib_many(n: np.ndarray) -> list[str]:
    """Sizes (never negative) in GiB with one decimal."""
    return GIB_TENTHS(np.rint(n / GIB * 10).astype(np.int64))


def gib_numbers(n: np.ndarray) -> list[str]:
    """Sizes in GiB with one decimal, without the unit (a column or a "needed / usable GiB" pair says it)."""
    return GIB_TENTHS_BARE(np.rint(n / GIB * 10).astype(np.int64))


def gib(n: float | None, digits: int = 1) -> str:
    if n is None:
        return "—"
    if digits == 1 and n >= 0:
        return GIB_TENTHS.make(round(n / GIB * 10))
    return f"{n / GIB:,.{digits}f} GiB"


def params(b: float) -> str:
    return f"{b:,.0f}B" if b >= 100 else f"{b:g}B"


def context(tokens: int) -> str:
    """Tokens in K of 1,024, as model cards and llama.cpp count them (8K = 8,192)."""
    if tokens >= 1024:
        k = tokens / 1024
        return f"{k:.0f}K" if k == int(k) or k >= 100 else f"{k:.1f}K"
    return f"{tokens:,}"


def percent(x: float, digits: int = 0) -> str:
    """Whole percents round as np.rint does (half to even), the rounding of every array-made percentage."""
    return f"{round(x * 100)}%" if digits == 0 else f"{x * 100:.{digits}f}%"


def seconds(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"


def gbps(x: float) -> str:
    return f"{x:,.0f} GB/s" if x >= 10 else f"{x:.1f} GB/s"


REPO_CITATION = re.compile(r"^([A-Za-z0-9][\w.-]*/[\w.-]+) ([^\s(]+)(?: \(commit ([0-9a-f]{7,40}))?")


def source_url(source: str) -> str | None:
    """Where a source entry points: its http(s) address, or for an `owner/repo path (commit abc1234)` citation
    the file on GitHub at that commit (the default branch when no commit is given)."""
    for word in source.replace("(", " ").replace(")", " ").replace(";", " ").split():
        if word.startswith(("https://", "http://")):
            return word.rstrip(".,")
    m = REPO_CITATION.match(source)
    if m:
        repo, path, commit = m.groups()
        return f"https://github.com/{repo}/blob/{commit or 'HEAD'}/{path.rstrip('.,;')}"
    return None


def jsonld(data: dict) -> Markup:
    """JSON for a <script type="application/ld+json"> block: nothing in it can close the script or open markup."""
    text = json.dumps(data, ensure_ascii=False, sort_keys=True)
    for char, code in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, code)
    return Markup(text)


FILTERS = {
    "jsonld": jsonld,
    "gib": gib,
    "tok_s": tok_s,
    "ctx": context,
    "percent": percent,
}

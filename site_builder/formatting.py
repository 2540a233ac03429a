"""Jinja filters: numbers as a reader wants them, with the unit spelled out."""

from __future__ import annotations

import json

import numpy as np
from markupsafe import Markup

GIB = 2**30


def gib(n: float | None, digits: int = 1) -> str:
    if n is None:
        return "—"
    return f"{n / GIB:,.{digits}f} GiB"


TENTHS = tuple(f"{k / 10:.1f}" for k in range(101))


def tok_s(x: float | None) -> str:
    """Tokens per second: one decimal below 10, whole numbers above (rounded half to even, as numpy does)."""
    if x is None or x <= 0:
        return "—"
    if x < 10:
        return TENTHS[round(x * 10)]
    return f"{round(x):,}"


def tok_s_many(x: np.ndarray) -> list[str]:
    """tok_s of every value, with the rounding done by numpy: a build formats ~600,000 speeds."""
    small = x < 10
    keys = np.where(small, np.rint(x * 10), np.rint(x)).astype(np.int64).tolist()
    return [
        ("—" if not positive else TENTHS[k]) if s else (str(k) if k < 1000 else f"{k:,}")
        for k, s, positive in zip(keys, small.tolist(), (x > 0).tolist(), strict=True)
    ]


def gib_many(n: np.ndarray) -> list[str]:
    return [f"{v:,.1f} GiB" for v in (n / GIB).tolist()]


def params(b: float) -> str:
    return f"{b:,.0f}B" if b >= 100 else f"{b:g}B"


def context(tokens: int) -> str:
    """Tokens in K of 1,024, as model cards and llama.cpp count them (8K = 8,192)."""
    if tokens >= 1024:
        k = tokens / 1024
        return f"{k:.0f}K" if k == int(k) or k >= 100 else f"{k:.1f}K"
    return f"{tokens:,}"


def percent(x: float, digits: int = 0) -> str:
    return f"{x * 100:.{digits}f}%"


def seconds(s: float | None) -> str:
    if s is None:
        return "—"
    return f"{s:.1f} s" if s < 10 else f"{s:.0f} s"


def gbps(x: float) -> str:
    return f"{x:,.0f} GB/s" if x >= 10 else f"{x:.1f} GB/s"


def source_url(source: str) -> str | None:
    """The http(s) address inside a source entry, if any (citations may be 'owner/repo path (...)')."""
    for word in source.replace("(", " ").replace(")", " ").replace(";", " ").split():
        if word.startswith(("https://", "http://")):
            return word.rstrip(".,")
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
    "params": params,
    "ctx": context,
    "percent": percent,
    "seconds": seconds,
    "gbps": gbps,
    "source_url": source_url,
}

"""Charts drawn at build time as inline SVG: no charting library reaches the browser.

Every chart comes with a text equivalent in the page (a table), and the SVG carries a title and a
description for screen readers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

PALETTE = ("#2456c8", "#c2410c", "#0d7a5f", "#9333ea", "#b45309", "#475569")
SHAPES = ("circle", "square", "diamond", "triangle", "circle", "square")


@dataclass(frozen=True)
class Series:
    label: str
    points: tuple[tuple[float, float], ...]


def _log_ticks(low: float, high: float) -> list[float]:
    ticks = []
    for exponent in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1):
        for mantissa in (1, 2, 5):
            value = mantissa * 10**exponent
            if low <= value <= high:
                ticks.append(value)
    return ticks


def _marker(shape: str, x: float, y: float, color: str) -> str:
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{color}"/>'
    if shape == "diamond":
        return f'<path d="M{x:.1f} {y - 4.5:.1f}l4.5 4.5-4.5 4.5-4.5-4.5z" fill="{color}"/>'
    if shape == "triangle":
        return f'<path d="M{x:.1f} {y - 4.5:.1f}l4.5 8h-9z" fill="{color}"/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{color}"/>'


def scatter_log(
    series: list[Series], title: str, description: str, x_label: str, y_label: str, band: float, ident: str
) -> str:
    """Predicted (y) against measured (x) on log axes, with the y = x line and a +-band corridor."""
    values = [v for s in series for p in s.points for v in p]
    if not values:
        return ""
    low, high = min(values) / 1.3, max(values) * 1.3
    width, height, left, bottom, top, right = 640, 440, 56, 44, 16, 16
    plot_w, plot_h = width - left - right, height - top - bottom

    def px(v: float) -> float:
        return left + (math.log(v) - math.log(low)) / (math.log(high) - math.log(low)) * plot_w

    def py(v: float) -> float:
        return top + plot_h - (math.log(v) - math.log(low)) / (math.log(high) - math.log(low)) * plot_h

    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>',
    ]
    corridor = [(low, low * (1 - band)), (high, high * (1 - band)), (high, high * (1 + band)), (low, low * (1 + band))]
    parts.append(
        '<path class="band" d="M'
        + "L".join(f"{px(x):.1f} {py(min(max(y, low), high)):.1f}" for x, y in corridor)
        + 'z"/>'
    )
    for tick in _log_ticks(low, high):
        x, y = px(tick), py(tick)
        parts.append(f'<line class="grid" x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + plot_h}"/>')
        parts.append(f'<line class="grid" x1="{left}" y1="{y:.1f}" x2="{left + plot_w}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{tick:g}</text>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick:g}</text>')
    parts.append(f'<line class="diag" x1="{px(low):.1f}" y1="{py(low):.1f}" x2="{px(high):.1f}" y2="{py(high):.1f}"/>')
    for i, s in enumerate(series):
        color, shape = PALETTE[i % len(PALETTE)], SHAPES[i % len(SHAPES)]
        parts.extend(_marker(shape, px(x), py(y), color) for x, y in s.points)
        lx, ly = left + 12, top + 14 + 18 * i
        parts.append(_marker(shape, lx, ly - 4, color))
        parts.append(f'<text class="legend" x="{lx + 10}" y="{ly}">{escape(s.label)} ({len(s.points)})</text>')
    parts.append(f'<text class="axis" x="{left + plot_w / 2:.1f}" y="{height - 6}" text-anchor="middle">')
    parts.append(f"{escape(x_label)}</text>")
    parts.append(
        f'<text class="axis" transform="translate(14 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle">'
        f"{escape(y_label)}</text>"
    )
    parts.append("</svg>")
    return "".join(parts)


def bars(
    rows: list[tuple[str, float, str]], title: str, description: str, unit: str, ident: str, label_w: int = 150
) -> str:
    """Horizontal bars: (label, value, css class). Labels sit left of the bars; values at their ends."""
    if not rows:
        return ""
    width, bar_h, gap, value_w = 640, 18, 6, 90
    height = len(rows) * (bar_h + gap) + gap
    top = max(v for _, v, _ in rows) or 1
    parts = [
        f'<svg class="chart bars" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-t {ident}-d" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{ident}-t">{escape(title)}</title><desc id="{ident}-d">{escape(description)}</desc>',
    ]
    scale = (width - label_w - value_w) / top
    for i, (label, value, css) in enumerate(rows):
        y = gap + i * (bar_h + gap)
        w = max(1.0, value * scale)
        parts.append(
            f'<text class="tick" x="{label_w - 8}" y="{y + bar_h - 5}" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(f'<rect class="{escape(css)}" x="{label_w}" y="{y}" width="{w:.1f}" height="{bar_h}" rx="3"/>')
        parts.append(
            f'<text class="tick" x="{label_w + w + 6:.1f}" y="{y + bar_h - 5}">{value:,.1f} {escape(unit)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)

"""The device grid as HTML, written in Python rather than Jinja.

A build renders about 200,000 grid rows (every model x format slice x device). Through a Jinja macro each
row cost ~60 µs; here the per-device cells are escaped once and a row is one f-string, ~3 µs. Everything
else stays in templates; the markup below mirrors what templates/partials used to hold.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from markupsafe import Markup, escape

from .assemble import GridRow, TierGroup
from .formatting import context, gib, percent, seconds, tok_s
from .records import Device

FULL_HEAD = '<th scope="col">Largest context</th><th scope="col">First token, 4K prompt</th>'
HEAD = (
    '<thead><tr><th scope="col">Device</th><th scope="col">Vendor</th><th scope="col">Tier</th>'
    '<th scope="col">tok/s <span class="range">(range)</span></th><th scope="col">Memory needed / usable</th>{}'
    "</tr></thead>"
)
UNCALIBRATED = ' <abbr title="no measurements for this class of device: pooled constants">uncal.</abbr>'


def tier_badge(letter: str, words: str) -> str:
    return f'<span class="tier tier-{letter.lower()}"><b>{letter}</b> {escape(words)}</span>'


@cache
def _device_cells(device: Device, base_path: str) -> str:
    href = escape(f"{base_path}devices/{device.slug}/")
    return f'<th scope="row"><a href="{href}">{escape(device.name)}</a></th><td>{escape(device.vendor)}</td>'


def _speed(row: GridRow) -> str:
    c = row.core
    if not c.decode:
        text = "—"
    else:
        low, high = tok_s(c.decode * c.consts.ratio_p10), tok_s(c.decode * c.consts.ratio_p90)
        text = f'{tok_s(c.decode)} <span class="range">({low}–{high})</span>'
        if not c.consts.calibrated:
            text += UNCALIBRATED
    if row.measured:
        m = row.measured
        text += (
            f'<br><span class="measured" title="{escape(m.source)}">measured {tok_s(m.row.tok_s)} '
            f"({escape(m.row.test)})</span>"
        )
    return text


def _memory(row: GridRow) -> str:
    c = row.core
    text = f"{gib(c.total)} / {gib(c.usable)}"
    if 0 < c.offload < 1:
        text += f'<br><span class="offload">{percent(c.offload)} of weights in system RAM</span>'
    return text


def _extra(row: GridRow) -> str:
    e = row.estimate
    largest = context(e.max_context) if e.max_context else "—"
    first = seconds(e.ttft_s) if e.runs else "—"
    return f'<td class="num">{largest}</td><td class="num">{first}</td>'


def grid_html(groups: tuple[TierGroup, ...], base_path: str, full: bool = False) -> Markup:
    parts = ['<div class="grid-groups">']
    for group in groups:
        t = group.tier
        badge = tier_badge(t.letter, t.words)
        n = len(group.rows)
        count = f'<span class="count">{n} device{"s" if n != 1 else ""}</span>'
        head = HEAD.format(FULL_HEAD if full else "")
        parts.append(
            f'<section class="tier-group" aria-labelledby="tier-{t.letter.lower()}">'
            f'<h3 id="tier-{t.letter.lower()}">{badge} {count}</h3>'
            f'<div class="table-scroll" tabindex="0"><table class="grid">{head}<tbody>'
        )
        for row in group.rows:
            extra = _extra(row) if full else ""
            parts.append(
                f'<tr data-device="{row.device.slug}">{_device_cells(row.device, base_path)}<td>{badge}</td>'
                f'<td class="num">{_speed(row)}</td><td class="num">{_memory(row)}</td>{extra}</tr>'
            )
        parts.append("</tbody></table></div></section>")
    parts.append("</div>")
    return Markup("".join(parts))


def make_grid_filter(base_path: str) -> Callable[..., Markup]:
    return lambda groups, full=False: grid_html(groups, base_path, full)


DEVICE_HEAD = (
    '<thead><tr><th scope="col">Model</th><th scope="col">Format</th><th scope="col">Tier</th>'
    '<th scope="col">tok/s <span class="range">(range)</span></th><th scope="col">Memory needed / usable</th>'
    '<th scope="col">Largest context</th></tr></thead>'
)


def device_models_html(groups, base_path: str) -> Markup:
    """A device page's table of every model at its best format, grouped by tier."""
    parts = ['<div class="grid-groups">']
    for tier, rows in groups:
        badge = tier_badge(tier.letter, tier.words)
        count = f"{len(rows)} model{'s' if len(rows) != 1 else ''}"
        parts.append(
            f'<section class="tier-group" aria-labelledby="tier-{tier.letter.lower()}">'
            f'<h3 id="tier-{tier.letter.lower()}">{badge} <span class="count">{count}</span></h3>'
            f'<div class="table-scroll" tabindex="0"><table class="grid">{DEVICE_HEAD}<tbody>'
        )
        for row in rows:
            e = row.estimate
            href = escape(f"{base_path}models/{row.model.slug}/")
            if e.runs:
                low, high = tok_s(e.decode_tok_s_low), tok_s(e.decode_tok_s_high)
                speed = f'{tok_s(e.decode_tok_s)} <span class="range">({low}–{high})</span>'
            else:
                speed = "—"
            largest = context(e.max_context) if e.max_context else "—"
            parts.append(
                f'<tr><th scope="row"><a href="{href}">{escape(row.model.name)}</a></th><td>{e.quant}</td>'
                f'<td>{badge}</td><td class="num">{speed}</td>'
                f'<td class="num">{gib(e.total_bytes)} / {gib(e.usable_memory_bytes)}</td>'
                f'<td class="num">{largest}</td></tr>'
            )
        parts.append("</tbody></table></div></section>")
    parts.append("</div>")
    return Markup("".join(parts))

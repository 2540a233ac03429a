"""The device grids and the format/context switcher as HTML, written in Python rather than Jinja.

A build renders about 200,000 grid rows (every model x format slice x device). Through a Jinja macro each
row cost ~60 µs; here the per-device cells are escaped once per build and a row is one f-string over plain
lists, ~1.5 µs. Everything else stays in templates.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

import numpy as np
from markupsafe import Markup, escape

from site_builder.content.records import Measurement, ModelEntry
from site_builder.estimator.sweep import DeviceArrays
from site_builder.estimator.tiers import TIERS, Tier
from site_builder.site.formatting import context, gib, gib_many, percent, seconds, tok_s, tok_s_many
from site_builder.site.sitemap import context_path, quant_path
from site_builder.site.views import Grid, ModelView

FULL_HEAD = '<th scope="col">Largest context</th><th scope="col">First token, 4K prompt</th>'
HEAD = (
    '<thead><tr><th scope="col">Device</th><th scope="col">Vendor</th><th scope="col">Tier</th>'
    '<th scope="col">tok/s <span class="range">(range)</span></th><th scope="col">Memory needed / usable</th>{}'
    "</tr></thead>"
)
UNCALIBRATED = ' <abbr title="no measurements for this class of device: pooled constants">uncal.</abbr>'


def tier_badge(letter: str, words: str) -> str:
    return f'<span class="tier tier-{letter.lower()}"><b>{letter}</b> {escape(words)}</span>'


@lru_cache(maxsize=4)  # one device list per build; `make serve` moves on to new ones
def _device_cells(places: DeviceArrays, base_path: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[bool, ...]]:
    """Per device, in sweep order: its first two cells, its usable memory and whether its class is calibrated."""
    cells = tuple(
        f'<tr data-device="{d.slug}"><th scope="row"><a href="{escape(f"{base_path}devices/{d.slug}/")}">'
        f"{escape(d.name)}</a></th><td>{escape(d.vendor)}</td>"
        for d in places.devices
    )
    return cells, tuple(gib(u) for u in places.usable.tolist()), tuple(places.calibrated.tolist())


def _measured(m: Measurement) -> str:
    return (
        f'<br><span class="measured" title="{escape(m.source)}">measured {tok_s(m.row.tok_s)} '
        f"({escape(m.row.test)})</span>"
    )


def _section(tier: Tier, n: int, what: str, head: str, table_class: str = "grid") -> str:
    badge = tier_badge(tier.letter, tier.words)
    count = f"{n} {what}{'s' if n != 1 else ''}"
    return (
        f'<section class="tier-group" aria-labelledby="tier-{tier.letter.lower()}">'
        f'<h3 id="tier-{tier.letter.lower()}">{badge} <span class="count">{count}</span></h3>'
        f'<div class="table-scroll" tabindex="0"><table class="{table_class}">{head}<tbody>'
    )


SECTION_END = "</tbody></table></div></section>"


def grid_html(grid: Grid, base_path: str) -> Markup:
    """Every device's row, grouped by tier. Numbers are labelled column by column (formatting.Labels), then
    each row is one f-string over plain lists: a build renders ~200,000 of these rows."""
    cells, usable, calibrated = _device_cells(grid.places, base_path)
    col = grid.columns
    order = grid.order.tolist()
    tiers, decode, offload = col.tier.tolist(), col.decode.tolist(), col.offload.tolist()
    mid = tok_s_many(col.decode)
    low, high = tok_s_many(col.decode * grid.places.low), tok_s_many(col.decode * grid.places.high)
    memory = gib_many(col.total)
    badges = [tier_badge(t.letter, t.words) for t in TIERS]
    head = HEAD.format(FULL_HEAD if grid.full else "")
    rows = []
    for i in order:
        if decode[i]:
            speed = f'{mid[i]} <span class="range">({low[i]}–{high[i]})</span>'
            if not calibrated[i]:
                speed += UNCALIBRATED
        else:
            speed = "—"
        if i in grid.measured:
            speed += _measured(grid.measured[i])
        needed = f"{memory[i]} / {usable[i]}"
        if 0 < offload[i] < 1:
            needed += f'<br><span class="offload">{percent(offload[i])} of weights in system RAM</span>'
        extra = _extra(grid, i, decode[i]) if grid.full else ""
        rows.append(f'{cells[i]}<td>{badges[tiers[i]]}</td><td class="num">{speed}</td><td class="num">{needed}</td>'
                    f"{extra}</tr>")  # fmt: skip
    parts, start = ['<div class="grid-groups">'], 0
    for t, n in sorted(Counter(tiers).items()):  # `order` runs through the tiers best first
        parts += [_section(TIERS[t], n, "device", head), *rows[start : start + n], SECTION_END]
        start += n
    parts.append("</div>")
    return Markup("".join(parts))


def _extra(grid: Grid, i: int, decode: float) -> str:
    largest = context(grid.max_context[i]) if grid.max_context[i] else "—"
    ttft = grid.ttft[i]
    first = seconds(ttft) if decode and ttft is not None else "—"
    return f'<td class="num">{largest}</td><td class="num">{first}</td>'


def switcher_html(model: ModelView, quant: str, ctx: int, base_path: str) -> Markup:
    """Links to the model's grid in every format and at every context; the current two marked."""
    base_path = escape(base_path)  # slugs and format names are validated to [A-Za-z0-9_-]
    formats, contexts = _pills(model, base_path)
    current = ' aria-current="page">'
    return Markup(
        f'<div class="switcher" data-model="{model.slug}" data-api="{base_path}api/models/{model.slug}.json" '
        f'data-quant="{quant}" data-context="{ctx}" data-default-context="{model.context}" '
        f'data-recommended="{model.recommended}">'
        '<nav class="pills" aria-label="Format"><span class="pills-label">Format</span>'
        + "".join(head + (current if q == quant else ">") + tail for q, head, tail in formats)
        + '</nav><nav class="pills" aria-label="Context"><span class="pills-label">Context</span>'
        + "".join(head + (current if c == ctx else ">") + tail for c, head, tail in contexts)
        + "</nav></div>"
    )


@lru_cache(maxsize=64)  # a model's pages are rendered one after another
def _pills(model: ModelView, base_path: str) -> tuple[tuple, tuple]:
    formats = tuple(
        (r.quant.name, f'<a href="{base_path}{quant_path(model.slug, r.quant.name, model.recommended)}" '
                       f'data-quant="{r.quant.name}"', f"{r.quant.name}</a>")
        for r in model.quants
    )  # fmt: skip
    contexts = tuple(
        (
            c,
            f'<a href="{base_path}{context_path(model.slug, c, model.context)}" data-context="{c}"',
            f"{context(c)}</a>",
        )
        for c in model.contexts
    )
    return formats, contexts


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
        parts.append(_section(tier, len(rows), "model", DEVICE_HEAD, "grid by-model"))
        mid, low, high = (tok_s_many(np.array([getattr(r, name) for r in rows])) for name in ("decode", "low", "high"))
        needed, usable = gib_many(np.array([r.total for r in rows])), gib(rows[0].usable)  # usable: the device's
        for i, row in enumerate(rows):
            speed = f'{mid[i]} <span class="range">({low[i]}–{high[i]})</span>' if row.decode else "—"
            largest = context(row.max_context) if row.max_context else "—"
            parts.append(
                f"{_model_cell(row.model, base_path)}<td>{row.quant}</td><td>{badge}</td>"
                f'<td class="num">{speed}</td><td class="num">{needed[i]} / {usable}</td>'
                f'<td class="num">{largest}</td></tr>'
            )
        parts.append(SECTION_END)
    parts.append("</div>")
    return Markup("".join(parts))


@lru_cache(maxsize=4096)
def _model_cell(model: ModelEntry, base_path: str) -> str:
    href = escape(f"{base_path}models/{model.slug}/")
    return f'<tr><th scope="row"><a href="{href}">{escape(model.name)}</a></th>'

"""HTML written in Python rather than Jinja: the device grids (a build renders ~40,000 of their rows), the tier
badge and the verdict card. Each exists once; the browser never builds markup, it only fills text into these.

Through a Jinja macro a grid row cost ~60 µs; here the per-device cells are escaped once per build and a row is
one f-string over plain lists, a few µs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

import numpy as np
from markupsafe import Markup, escape

from site_builder.content.schema import DeviceKind, FormFactor
from site_builder.estimator.recommend import is_low_quality
from site_builder.estimator.tiers import TIERS
from site_builder.site.formatting import context, gib, gib_many, gib_numbers, percent, seconds, tok_s, tok_s_many
from site_builder.site.urls import context_path, pair_link, pair_path, quant_path

GROUPS = (("consumer", "Laptops, desktops, Macs and mini PCs"), ("datacenter", "Workstation and datacenter"))
UNCALIBRATED = '<abbr class="uncal" title="no measurements for this class of device: pooled constants">uncal.</abbr>'


def tier_badge(letter: str, words: str | None = None) -> Markup:
    """The one tier badge of the site (templates call it as `tier_badge`)."""
    words = words if words is not None else next(t.words for t in TIERS if t.letter == letter)
    return Markup(f'<span class="tier tier-{letter.lower()}"><b>{letter}</b> {escape(words)}</span>')


def quality_warning(fmt: str) -> Markup:
    """Shown wherever a low-quality format (the Q2/IQ2/IQ1 class) is graded."""
    if not is_low_quality(fmt):
        return Markup("")
    return Markup('<span class="warn" title="2-bit and lower formats lose a lot of quality">low quality</span>')


BADGES = tuple(tier_badge(t.letter, t.words) for t in TIERS)
SHORT_BADGES = tuple(f'<b class="t{t.letter.lower()}">{t.letter}</b> {t.words}' for t in TIERS)  # grids: ~50,000 rows


def device_group(device) -> str:
    if device.kind is DeviceKind.DATACENTER_GPU or device.form_factor in (FormFactor.WORKSTATION, FormFactor.SERVER):
        return "datacenter"
    return "consumer"


@lru_cache(maxsize=4)  # one device list per build; `make serve` moves on to new ones
def _device_cells(devices: tuple) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """Per device: the start of its grid row, its heading cell (a relative link to the model x device page) and
    its group."""
    starts = tuple(f'<tr data-device="{d.slug}" data-k="' for d in devices)
    heads = tuple(f'"><th scope="row"><a href="{pair_link(d.slug)}">{escape(d.name)}</a></th><td>' for d in devices)
    return starts, heads, tuple(device_group(d) for d in devices)


def grid_html(view, fmt: str, ctx: int) -> Markup:
    """Every graded device at one format and context (default setup), in two groups (consumer first), sorted by
    tier then speed. Rows carry their sort keys (data-k: tier, tok/s, MiB, largest context) so the browser can
    re-sort without re-deciding. Links are relative (`on/<device>.html`): the same from the model page and from
    its grid pages. Every column is made for all devices at once; a row only joins them (~700,000 rows a build)."""
    p, col = view.places, view.sweep.columns[fmt, ctx]
    starts, heads, groups = _device_cells(p.devices)
    tiers, decode, offload = col.tier.tolist(), col.decode.tolist(), col.offload.tolist()
    spread = view.spread
    mid = tok_s_many(col.decode)
    low, high = tok_s_many(col.decode * p.low / spread), tok_s_many(col.decode * p.high * spread)
    need, usable = gib_numbers(col.total), gib_many(p.usable)
    spill = np.rint(col.offload * 100).astype(int).tolist()
    mib = (col.total >> 20).tolist()
    largest = view.max_contexts(fmt, ctx).tolist()
    ttft = view.ttft.tolist()
    calibrated = p.calibrated.tolist()
    order = np.lexsort((p.name_rank, -col.decode, col.tier)).tolist()
    rows: dict[str, list[str]] = {g: [] for g, _ in GROUPS}
    for i in order:
        if decode[i]:
            speed = f"{mid[i]} <small>{low[i]}–{high[i]}</small>" + ("" if calibrated[i] else " " + UNCALIBRATED)
            if (measured := view.measured.get((fmt, i))) is not None:
                speed += (f'<small class="measured" title="{escape(measured.source)}">measured '
                          f"{tok_s(measured.row.tok_s)} ({escape(measured.row.test)})</small>")  # fmt: skip
        else:
            speed = "—"
        mem = need[i] + " / " + usable[i]
        if 0 < offload[i] < 1:
            mem += f'<small class="offload">{spill[i]}% in RAM</small>'
        first = seconds(ttft[i]) if decode[i] and offload[i] == 0 and ttft[i] == ttft[i] else "—"
        rows[groups[i]].append(
            f"{starts[i]}{tiers[i]},{decode[i]:.1f},{mib[i]},{largest[i]}{heads[i]}{SHORT_BADGES[tiers[i]]}</td>"
            f"<td>{speed}</td><td>{mem}</td><td>{context(largest[i]) if largest[i] else '—'}</td><td>{first}</td></tr>"
        )
    return Markup(_grid_table(rows))


GRID_HEAD = (
    '<thead><tr><th scope="col" data-sort="name">Device</th><th scope="col" data-sort="0">Tier</th>'
    '<th scope="col" data-sort="1">tok/s <small>range</small></th>'
    '<th scope="col" data-sort="2">Memory needed / usable</th>'
    '<th scope="col" data-sort="3">Largest context</th><th scope="col">First token</th></tr></thead>'
)


def _grid_table(rows: dict[str, list[str]]) -> str:
    parts = ['<div class="table-scroll" tabindex="0"><table class="grid sortable">', GRID_HEAD]
    for group, label in GROUPS:
        if rows[group]:
            n = len(rows[group])
            parts.append(f'<tbody data-group="{group}"><tr class="group"><th colspan="6" scope="colgroup">{label} '
                         f'<span class="count">{n} device{"s" if n != 1 else ""}</span></th></tr>')  # fmt: skip
            parts += rows[group]
            parts.append("</tbody>")
    parts.append("</table></div>")
    return "".join(parts)


def switcher_html(view, fmt: str, ctx: int, base_path: str) -> Markup:
    """Links to the model's grid in every format and at every context; the current two marked. With JavaScript
    the grid is swapped in place from the page each link points to."""
    base = escape(base_path)
    current = ' aria-current="page"'
    formats = "".join(
        f'<a href="{base}{quant_path(view.slug, f, view.default_format)}" data-quant="{f}"'
        f"{current if f == fmt else ''}>{f}</a>"
        for f in view.formats
    )
    contexts = "".join(
        f'<a href="{base}{context_path(view.slug, c, view.default_context)}" data-context="{c}"'
        f"{current if c == ctx else ''}>{context(c)}</a>"
        for c in view.contexts
    )
    return Markup(
        f'<div class="switcher" data-model="{view.slug}">'
        f'<nav class="pills" aria-label="Format"><span class="pills-label">Format</span>{formats}</nav>'
        f'<nav class="pills" aria-label="Context"><span class="pills-label">Context</span>{contexts}</nav></div>'
    )


def option_html(fmt: str, tier: int, decode: float, total: int) -> str:
    """One format on one device: badge, format, speed, memory."""
    speed = f"{tok_s(decode)} tok/s" if decode else "cannot run"
    return f"{BADGES[tier]} <b>{fmt}</b> {quality_warning(fmt)} · {speed} · {gib(total)}"


LETTERS = tuple(f'<b class="t{t.letter.lower()}">{t.letter}</b>' for t in TIERS)  # short: ~50 per page


class FormatTable(NamedTuple):
    head: str
    rows: tuple[tuple[str, str], ...]  # per format: the row's heading and quality cells, plain and recommended
    cells: tuple[tuple[list[str], ...], ...]  # [format][context] -> every device's cell


@lru_cache(maxsize=2)  # the pair pages of one model are made one after another (site/render.py orders them)
def _format_table(view) -> FormatTable:
    """The parts of a model's model x device tables, made once per model."""
    head = "".join(f'<th scope="col">{context(c)} <small>tok/s, GiB</small></th>' for c in view.contexts)
    rows, cells = [], []
    for f in view.formats:
        q = view.quant_row(f).quality
        warn = ' <small class="warn">low quality</small>' if is_low_quality(f) else ""
        tail = f'</th><td><span class="quality q{q.level}">{q.label}</span>{warn}</td>'
        rows.append((f"<tr><th scope=\"row\">{f}{tail}", f'<tr class="recommended"><th scope="row">{f} '
                     f'<span class="pill">Recommended</span>{tail}'))  # fmt: skip
        by_context = []
        for c in view.contexts:
            col = view.sweep.columns[f, c]
            speed, need = tok_s_many(col.decode), gib_many(col.total)
            spill = np.rint(col.offload * 100).astype(int).tolist()
            by_context.append([f"<td>{LETTERS[t]} {v}<small>{m}"
                               f"{f' · {o}% RAM' if 0 < o < 100 else ''}</small></td>"
                               for t, v, m, o in zip(col.tier.tolist(), speed, need, spill, strict=True)])  # fmt: skip
        cells.append(tuple(by_context))
    return FormatTable(head, tuple(rows), tuple(cells))


LEGEND = '<p class="legend">' + " · ".join(f"{LETTERS[n]} {escape(t.words)}" for n, t in enumerate(TIERS)) + "</p>"


def format_table_html(view, i: int, best: int) -> Markup:
    """Every format at every context preset on one device (default setup): the model x device page's table,
    the recommended format (`best`, an index into the formats) marked."""
    t = _format_table(view)
    parts = [f'<div class="table-scroll" tabindex="0"><table class="formats"><thead><tr><th scope="col">Format</th>'
             f'<th scope="col">Quality</th>{t.head}</tr></thead><tbody>']  # fmt: skip
    for k, (plain, marked) in enumerate(t.rows):
        parts.append(marked if k == best else plain)
        parts.extend(c[i] for c in t.cells[k])
        parts.append("</tr>")
    parts.append("</tbody></table></div>")
    parts.append(LEGEND)
    return Markup("".join(parts))


def device_models_html(view, base_path: str) -> Markup:
    """A device page's table: every model at the format recommended for this device, best tier first (sort keys
    as in grid_html)."""
    base = escape(base_path)
    rows = sorted(view.rows, key=lambda r: (r.tier, -r.decode, r.model.entry.name))
    parts = ['<div class="table-scroll" tabindex="0"><table class="grid by-model sortable"><thead><tr>'
             '<th scope="col" data-sort="name">Model</th><th scope="col">Format</th>'
             '<th scope="col" data-sort="0">Tier</th><th scope="col" data-sort="1">tok/s <small>range</small></th>'
             '<th scope="col" data-sort="2">Memory needed / usable</th>'
             '<th scope="col" data-sort="3">Largest context</th></tr></thead><tbody>']  # fmt: skip
    usable = gib(view.usable_bytes)
    for r in rows:
        spread = r.model.spread
        speed = (f"{tok_s(r.decode)} <small>{tok_s(r.decode * view.low / spread)}–"
                 f"{tok_s(r.decode * view.high * spread)}</small>") if r.decode else "—"  # fmt: skip
        mem = f"{gib(r.total).removesuffix(' GiB')} / {usable}"
        if 0 < r.offload < 1:
            mem += f'<small class="offload">{percent(r.offload)} in RAM</small>'
        q = r.model.quant_row(r.fmt).quality
        parts.append(
            f'<tr data-k="{r.tier},{r.decode:.1f},{r.total >> 20},{r.max_context}"><th scope="row">'
            f'<a href="{base}{pair_path(r.model.slug, view.slug)}">{escape(r.model.entry.name)}</a></th>'
            f'<td>{r.fmt}<small class="quality q{q.level}">{q.label} {quality_warning(r.fmt)}</small></td>'
            f"<td>{SHORT_BADGES[r.tier]}</td><td>{speed}</td><td>{mem}</td>"
            f"<td>{context(r.max_context) if r.max_context else '—'}</td></tr>"
        )
    parts.append("</tbody></table></div>")
    return Markup("".join(parts))


__all__ = ["BADGES", "device_group", "device_models_html", "format_table_html", "grid_html", "option_html",
           "pair_path", "quality_warning", "switcher_html", "tier_badge"]  # fmt: skip

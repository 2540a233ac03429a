"""`site-builder diff OLD NEW`: what a change does to the built site, as Markdown for a pull request.

Reads the two builds' pages and API documents: pages added or removed, and per model the formats whose
memory moved and the devices whose tier moved (at the format recommended for each, default context).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

GIB = 2**30
MAX_ROWS = 25


@dataclass
class ModelChange:
    slug: str
    name: str
    memory: list[tuple[str, str, float | None, float | None]] = field(default_factory=list)  # quant, ctx, old, new
    tiers: list[tuple[str, str, str]] = field(default_factory=list)  # device, old, new
    added: bool = False
    removed: bool = False


def pages(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*.html")}


def _models(root: Path) -> dict[str, dict]:
    folder = root / "api" / "models"
    return {p.stem: json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))}


def _memory(doc: dict) -> dict[tuple[str, str], int]:
    return {(q["name"], ctx): b for q in doc["quants"] for ctx, b in q["memory_bytes"].items()}


def _tiers(doc: dict) -> dict[str, str]:
    """Per device, the tier at the format the build recommends for it, at the model's default context (both
    from the document: the rule is the build's, not this report's)."""
    by_quant, ctx = doc["estimates"]["by_quant"], str(doc["default_context"])
    return {row[0]: f"{by_quant[fmt][ctx]['tier'][i]} at {fmt}" if fmt else "F"
            for i, (row, fmt) in enumerate(zip(doc["devices"]["rows"], doc["best_quant"], strict=True))}  # fmt: skip


def compare(old: Path, new: Path) -> tuple[set[str], set[str], list[ModelChange]]:
    old_pages, new_pages = pages(old), pages(new)
    old_models, new_models = _models(old), _models(new)
    changes = []
    for slug in sorted(old_models.keys() | new_models.keys()):
        before, after = old_models.get(slug), new_models.get(slug)
        change = ModelChange(slug, (after or before)["name"], added=before is None, removed=after is None)
        if before and after:
            m0, m1 = _memory(before), _memory(after)
            for key in sorted(m0.keys() | m1.keys()):
                if m0.get(key) != m1.get(key):
                    change.memory.append((*key, m0.get(key), m1.get(key)))
            t0, t1 = _tiers(before), _tiers(after)
            change.tiers = [
                (d, t0.get(d, "-"), t1.get(d, "-")) for d in sorted(t0.keys() | t1.keys()) if t0.get(d) != t1.get(d)
            ]
        if change.added or change.removed or change.memory or change.tiers:
            changes.append(change)
    return new_pages - old_pages, old_pages - new_pages, changes


def _gib(b: float | None) -> str:
    return "—" if b is None else f"{b / GIB:.2f} GiB"


def report(old: Path, new: Path) -> str:
    added, removed, changes = compare(old, new)
    lines = ["## Effect on the site", ""]
    if not (added or removed or changes):
        return "\n".join([*lines, "No page or estimate changes."]) + "\n"
    lines.append(f"{len(added)} pages added, {len(removed)} removed, {len(changes)} models with changed numbers.")
    for title, paths in (("Pages added", added), ("Pages removed", removed)):
        if paths:
            shown = sorted(paths)
            lines += ["", f"### {title}", "", *(f"- `{p}`" for p in shown[:MAX_ROWS])]
            if len(shown) > MAX_ROWS:
                lines.append(f"- … and {len(shown) - MAX_ROWS} more")
    for c in changes:
        status = " (new)" if c.added else " (removed)" if c.removed else ""
        lines += ["", f"### {c.name}{status}"]
        if c.memory:
            lines += ["", "| format | context | before | after |", "|---|---|---|---|"]
            lines += [f"| {q} | {ctx} | {_gib(a)} | {_gib(b)} |" for q, ctx, a, b in c.memory[:MAX_ROWS]]
        if c.tiers:
            lines += ["", "| device | verdict before | verdict after |", "|---|---|---|"]
            lines += [f"| {d} | {a} | {b} |" for d, a, b in c.tiers[:MAX_ROWS]]
            if len(c.tiers) > MAX_ROWS:
                lines.append(f"\n… and {len(c.tiers) - MAX_ROWS} more devices")
    return "\n".join(lines) + "\n"

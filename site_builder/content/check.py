"""Stage 3: checks across files, after each file is valid on its own."""

from __future__ import annotations

import re

from site_builder.content.records import Content, ModelEntry
from site_builder.errors import ContentError, Problem
from site_builder.estimator.tensors import count_params

TOLERANCE = 0.03
# Publishers round parameter counts ("3B" for 3.4B) and put rounded active counts in names ("A3B" for 3.5B):
# beyond TOLERANCE a count is a warning, and only beyond these an error (a missing layer, a wrong width).
ERROR_TOLERANCE = 0.15
ACTIVE_TOLERANCE = 0.25
ACTIVE_ERROR_TOLERANCE = 0.45
# A newer card of the same line (see `_same_line`) is one size class when its parameter counts are this close.
SIZE_CLASS = 0.10
# Tags that make a separate line of one family and size: a coder, vision or reasoning variant does not replace the
# chat model it shares a base with (Qwen3-VL-8B is not Qwen3-8B's successor).
LINE_TAGS = frozenset({"base", "code", "coding", "reasoning", "vision", "audio"})


def check_content(content: Content, warnings: list[str] | None = None) -> None:
    """Raise ContentError with every cross-file problem; append `path:line: field: message` warnings."""
    problems = [*_unique_slugs(content), *_measurement_references(content), *_bandwidths(content)]
    counts = _parameter_counts(content)
    problems += [p for p, error in counts if error]
    if warnings is not None:
        warnings.extend(f"warning: {p}" for p, error in counts if not error)
        warnings.extend(f"warning: {p}" for p in _unlinked_successors(content))
    if problems:
        raise ContentError(problems)


def _unique_slugs(content: Content) -> list[Problem]:
    seen: dict[str, str] = {}
    out = []
    for device in content.devices:
        if device.slug in seen and seen[device.slug] != device.path:
            message = f"page devices/{device.slug}/ is also made by {seen[device.slug]}"
            out.append(Problem(device.path, device.lines.get("memory_gb", 1), "memory_gb", message))
        seen.setdefault(device.slug, device.path)
    return out


def _measurement_references(content: Content) -> list[Problem]:
    models = {m.slug for m in content.models}
    devices = {d.slug for d in content.devices} | {d.base_slug for d in content.devices}
    out = []
    for m in content.measurements:
        if m.row.model not in models:
            out.append(Problem(m.path, m.line_of("model"), "model", f"no model file content/models/{m.row.model}.md"))
        if m.row.device is not None and m.row.device not in devices:
            out.append(
                Problem(m.path, m.line_of("device"), "device", f"no device file or variant named {m.row.device!r}")
            )
    return out


def _parameter_counts(content: Content) -> list[tuple[Problem, bool]]:
    """params_b and active_params_b against what the architecture implies: (problem, is it an error)."""
    out = []
    for m in content.models:
        card, a = m.card, m.card.architecture
        total, active = count_params(a)
        stated = card.params_b - (card.vision_params_b or 0)
        off = abs(total / 1e9 / stated - 1)
        if off > TOLERANCE:
            what = f"{card.params_b:g}" + (f" less {card.vision_params_b:g} vision" if card.vision_params_b else "")
            text = f"{what} does not match the architecture's {total / 1e9:.2f}B"
            out.append((_mismatch(m, "params_b", text, TOLERANCE), off > ERROR_TOLERANCE))
        if card.active_params_b:
            # Publishers differ on whether the input embedding table counts as active (DeepSeek, OpenAI: no).
            embedding = a.vocab_size * a.hidden_size
            counts = (active / 1e9, (active - embedding) / 1e9)
            off = min(abs(c / card.active_params_b - 1) for c in counts)
            if off > ACTIVE_TOLERANCE:
                text = f"{card.active_params_b:g} does not match the architecture's {counts[0]:.2f}B"
                text += f" ({counts[1]:.2f}B without the embedding table)"
                out.append((_mismatch(m, "active_params_b", text, ACTIVE_TOLERANCE), off > ACTIVE_ERROR_TOLERANCE))
    return out


def _mismatch(m, field: str, text: str, tolerance: float = TOLERANCE) -> Problem:
    return Problem(m.path, m.lines.get(field, 0), field, f"{text} (more than {tolerance:.0%} apart)")


def _bandwidths(content: Content) -> list[Problem]:
    """A device's bandwidth must agree with bus width x data rate where both are given."""
    out, seen = [], set()
    for d in content.devices:
        spec = d.spec
        if d.path in seen or not (spec.memory_bus_bits and spec.memory_data_rate_gbps):
            continue
        seen.add(d.path)
        implied = spec.memory_bus_bits / 8 * spec.memory_data_rate_gbps
        if abs(implied / spec.memory_bandwidth_gbps - 1) > TOLERANCE:
            text = (
                f"{spec.memory_bandwidth_gbps:g} GB/s does not match {spec.memory_bus_bits}-bit x "
                f"{spec.memory_data_rate_gbps:g} Gbit/s = {implied:g} GB/s (more than {TOLERANCE:.0%} apart)"
            )
            out.append(Problem(d.path, d.lines.get("memory_bandwidth_gbps", 0), "memory_bandwidth_gbps", text))
    return out


def _unlinked_successors(content: Content) -> list[Problem]:
    """A newer card of an older card's line that nothing links them by: the older page shows no newer version.

    Newer means both release dates are given and this one is later; cards without a date are never compared. The
    older card must be the head of its line (superseded by nothing: otherwise its page already points forward),
    and neither card may reach the other through `supersedes`. Of several such newer cards only the nearest is
    named (one that already supersedes another candidate is further down the line). The warning is on the newer
    card, where the missing `supersedes` entry goes.
    """
    older = _superseded_closure(content)
    replaced = set().union(*older.values())
    heads = [m for m in content.models if m.card.release_date and m.slug not in replaced]
    out = []
    for old in heads:
        newer = [m for m in content.models if _unlinked_newer(old, m, older)]
        for new in (m for m in newer if not any(o.slug in older[m.slug] for o in newer)):
            text = (f"{new.card.name} ({new.card.release_date}) looks like the successor of {old.slug} "
                    f"({old.card.release_date}): same family, name and tags, size within {SIZE_CLASS:.0%}, but "
                    f"nothing links them; add {old.slug} here if this card replaces it")  # fmt: skip
            line = new.lines.get("supersedes") or new.lines.get("release_date", 0)
            out.append(Problem(new.path, line, "supersedes", text))
    return out


def _unlinked_newer(old: ModelEntry, new: ModelEntry, older: dict[str, set[str]]) -> bool:
    dated = new.card.release_date and new.card.release_date > old.card.release_date
    linked = old.slug in older[new.slug] or new.slug in older[old.slug]
    return bool(dated) and not linked and _same_line(old, new)


def _superseded_closure(content: Content) -> dict[str, set[str]]:
    """Every card each card replaces, directly or down its chain of `supersedes`."""
    direct = {m.slug: set(m.card.supersedes) for m in content.models}
    out: dict[str, set[str]] = {}
    for slug in direct:
        seen, pending = set(), list(direct[slug])
        while pending:
            s = pending.pop()
            if s not in seen:
                seen.add(s)
                pending.extend(direct.get(s, ()))
        out[slug] = seen
    return out


def _same_line(a: ModelEntry, b: ModelEntry) -> bool:
    """One line of one family: the names agree once versions, sizes and dates are taken out ("Qwen2.5-VL-7B-Instruct"
    and "Qwen3-VL-8B-Instruct" are both "qwen vl instruct"; "Phi-4-reasoning-plus" is not "Phi-4-reasoning"), the
    line tags agree, and total and active parameter counts are one size class."""
    ca, cb = a.card, b.card
    if ca.family != cb.family or _name_line(ca.name) != _name_line(cb.name):
        return False
    if LINE_TAGS.intersection(ca.tags) != LINE_TAGS.intersection(cb.tags):
        return False
    return _close(ca.params_b, cb.params_b) and _close(ca.active_params_b, cb.active_params_b)


def _name_line(name: str) -> tuple[str, ...]:
    """The words of a name without its numbers: a word that is mostly digits (3.5, 27B, A3B, 2507, v0) is dropped,
    one with a version glued on keeps its letters (Qwen3 -> qwen)."""
    words = []
    for word in re.split(r"[^a-z0-9]+", name.lower()):
        letters = re.sub(r"[0-9]", "", word)
        if word and (letters == word or len(letters) > 2):
            words.append(letters)
    return tuple(words)


def _close(x: float | None, y: float | None) -> bool:
    if x is None or y is None:
        return x is None and y is None  # a dense model is not a mixture-of-experts one's size class
    return abs(x / y - 1) <= SIZE_CLASS

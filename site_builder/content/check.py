"""Stage 3: checks across files, after each file is valid on its own."""

from __future__ import annotations

from site_builder.content.records import Content
from site_builder.errors import ContentError, Problem
from site_builder.estimator.tensors import count_params

TOLERANCE = 0.03
# Publishers round parameter counts ("3B" for 3.4B) and put rounded active counts in names ("A3B" for 3.5B):
# beyond TOLERANCE a count is a warning, and only beyond these an error (a missing layer, a wrong width).
ERROR_TOLERANCE = 0.15
ACTIVE_TOLERANCE = 0.25
ACTIVE_ERROR_TOLERANCE = 0.45


def check_content(content: Content, warnings: list[str] | None = None) -> None:
    """Raise ContentError with every cross-file problem; append `path:line: field: message` warnings."""
    problems = [*_unique_slugs(content), *_measurement_references(content), *_bandwidths(content)]
    counts = _parameter_counts(content)
    problems += [p for p, error in counts if error]
    if warnings is not None:
        warnings.extend(f"warning: {p}" for p, error in counts if not error)
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

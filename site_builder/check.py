"""Stage 3: checks across files, after each file is valid on its own."""

from __future__ import annotations

from .problems import ContentError, Problem
from .records import Content


def check_content(content: Content) -> None:
    problems = [*_unique_slugs(content), *_measurement_references(content)]
    if problems:
        raise ContentError(problems)


def _unique_slugs(content: Content) -> list[Problem]:
    seen: dict[str, str] = {}
    out = []
    for device in content.devices:
        if device.slug in seen and seen[device.slug] != device.path:
            out.append(Problem(device.path, 0, "", f"page devices/{device.slug}/ is also made by {seen[device.slug]}"))
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

"""Stage 2: parse one content file (frontmatter, safe YAML) and validate it against its schema.

Every problem becomes one located line: pydantic's error locations are mapped back to the YAML line of the field,
or of the nearest enclosing key that exists (a missing field of a benchmark row is reported at that row).
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from site_builder.content.frontmatter import FrontmatterError, split_frontmatter
from site_builder.content.schema import SLUG_RE, FieldProblems
from site_builder.content.yamlsafe import Loaded, YamlError, dotted, load_yaml, shown
from site_builder.errors import Problem

MAX_FILE_BYTES = 256 * 1024
# Unicode controls that reorder text as displayed (bidi overrides and isolates): a name carrying them can show
# something other than what it says, in a title, a heading or a diff.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


@dataclass(frozen=True)
class Document:
    path: str  # as shown in messages
    slug: str
    data: BaseModel
    loaded: Loaded
    body: str
    close_line: int  # the closing '---': where a missing top-level field would go
    digest: str  # of the file's bytes: what caches key on

    @property
    def top_lines(self) -> dict[str, int]:
        return {path[0]: line for path, line in self.loaded.lines.items() if len(path) == 1}


class Collector:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, path: str, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(path, line, field, message))


def read_document(path: Path, shown: str, schema: type[BaseModel]) -> tuple[Document | None, list[Problem]]:
    found = Collector()
    doc = _read_document(path, path.stat().st_size, shown, schema, found)
    return doc, found.problems


def _read_document(path: Path, size: int, shown: str, schema: type[BaseModel], found: Collector) -> Document | None:
    slug = path.stem
    if not SLUG_RE.fullmatch(slug):  # match() with `$` would take a name ending in a newline
        found.add(shown, 1, "file", "name must be a slug: lowercase letters, digits and hyphens, then .md")
        return None
    if size > MAX_FILE_BYTES:  # checked before reading: a huge file is refused without being loaded
        found.add(shown, 1, "file", f"is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}")
        return None
    raw = path.read_bytes()
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
    try:
        split = split_frontmatter(raw.decode("utf-8"))
        loaded = load_yaml(split.yaml_text, split.yaml_line)
    except UnicodeDecodeError as exc:
        found.add(shown, 1, "file", f"is not UTF-8 text ({exc.reason} at byte {exc.start})")
        return None
    except FrontmatterError as exc:
        found.add(shown, exc.line, "file", str(exc))
        return None
    except YamlError as exc:
        for issue in exc.issues:
            found.add(shown, issue.line, issue.field, issue.message)
        return None
    close_line = split.body_line - 1
    if not isinstance(loaded.data, dict):
        found.add(shown, 2, "frontmatter", "must be a mapping of field: value")
        return None
    for line, field in _bidi(loaded, split.body, split.body_line):
        found.add(shown, line, field, "contains a Unicode bidirectional control (U+202A-202E, U+2066-2069); remove it")
    placeholders = _placeholders(loaded, split.body, split.body_line)
    for line, field in placeholders:
        found.add(shown, line, field, "still a TODO placeholder; replace it with the real, sourced value")
    try:
        data = schema.model_validate(loaded.data)
    except ValidationError as exc:
        todo_fields = {field for _, field in placeholders}
        for field, line, message in _explain(exc, loaded, close_line, _field_names(schema)):
            if field not in todo_fields:
                found.add(shown, line, field, message)
        return None
    if placeholders or found.problems:
        return None
    declared = loaded.data.get("slug")
    if declared is not None and declared != slug:
        found.add(shown, loaded.lines[("slug",)], "slug", f"must equal the file name {slug!r}, got {declared!r}")
        return None
    return Document(shown, slug, data, loaded, split.body, close_line, digest)


def _strings(loaded: Loaded, body: str, body_line: int):
    """(line, field, text) of every string in the frontmatter, then of every body line."""
    pending: list[tuple[object, tuple]] = [(loaded.data, ())]
    while pending:
        node, path = pending.pop()
        if isinstance(node, dict):
            pending.extend((value, (*path, key)) for key, value in node.items())
        elif isinstance(node, list):
            pending.extend((value, (*path, index)) for index, value in enumerate(node))
        elif isinstance(node, str):
            yield loaded.lines.get(path, 0), dotted(path), node
    for offset, text in enumerate(body.split("\n")):
        yield body_line + offset, "body", text


def _placeholders(loaded: Loaded, body: str, body_line: int) -> list[tuple[int, str]]:
    """TODO markers left by `site-builder new`: every one must be replaced before the file is accepted."""
    return sorted((line, field) for line, field, text in _strings(loaded, body, body_line) if "TODO" in text)


def _bidi(loaded: Loaded, body: str, body_line: int) -> list[tuple[int, str]]:
    return sorted((line, field) for line, field, text in _strings(loaded, body, body_line)
                  if not BIDI_CONTROLS.isdisjoint(text))  # fmt: skip


def _explain(exc: ValidationError, loaded: Loaded, close_line: int, known: list[str]) -> list[tuple[str, int, str]]:
    """Turn pydantic errors into (field, line, message), one per field."""
    out: dict[str, tuple[str, int, str]] = {}
    for err in exc.errors():
        path = _data_path(err["loc"], loaded.data)
        nested = err.get("ctx", {}).get("error")
        if isinstance(nested, FieldProblems):
            for name, message in nested.problems:
                child = (*path, *name)
                out.setdefault(dotted(child), (dotted(child), _line(child, loaded, close_line), message))
            continue
        message = _message(err, path, loaded, known)
        out.setdefault(dotted(path), (dotted(path), _line(path, loaded, close_line), message))
    return list(out.values())


def _data_path(loc: tuple, data: object) -> tuple:
    """Keep the part of pydantic's location that addresses the data (drops union-member labels)."""
    path: list = []
    node = data
    for part in loc:
        if isinstance(node, dict) and isinstance(part, str):
            path.append(part)
            if part not in node:
                break
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        else:
            break
    return tuple(path)


def _line(path: tuple, loaded: Loaded, close_line: int) -> int:
    for end in range(len(path), 0, -1):
        if path[:end] in loaded.lines:
            return loaded.lines[path[:end]]
    return close_line


def _message(err: dict, path: tuple, loaded: Loaded, known: list[str]) -> str:
    kind = err["type"]
    if kind == "missing":
        return "field required"
    if kind == "extra_forbidden":
        guess = difflib.get_close_matches(str(path[-1]), known, n=1)
        return f"unknown field; did you mean {guess[0]!r}?" if guess else "unknown field"
    text = err["msg"].removeprefix("Value error, ")
    text = text.replace("Input should be", "must be").replace("String should", "must")
    if text[:1].isupper():
        text = text[0].lower() + text[1:]
    value = err.get("input")
    if isinstance(value, str | int | float | bool) and repr(value) not in text:
        text += f", got {shown(value) if isinstance(value, str) else repr(value)}"
    hint = loaded.hints.get(path)
    return f"{text} ({hint})" if hint else text


def _field_names(schema: type[BaseModel]) -> list[str]:
    """Every field name a document of this schema may use, nested models included."""
    names: set[str] = set()
    pending = [schema]
    while pending:
        model = pending.pop()
        for name, info in model.model_fields.items():
            names.add(name)
            for arg in _type_args(info.annotation):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    pending.append(arg)
    return sorted(names)


def _type_args(annotation: object) -> list[object]:
    args = [annotation]
    for arg in getattr(annotation, "__args__", ()):
        args.extend(_type_args(arg))
    return args

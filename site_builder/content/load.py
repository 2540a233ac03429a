"""Stage 1-2: discover content files, parse them and validate them into records.

Every problem in every file is collected before anything stops the build; the caller gets either a
`Content` or a `ContentError` listing them all.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ValidationError

from site_builder.content.frontmatter import FrontmatterError, split_frontmatter
from site_builder.content.records import Content, Device, Measurement, ModelEntry
from site_builder.content.schema import SLUG_RE, BenchmarkSet, DeviceSpec, FieldProblems, ModelCard
from site_builder.content.yamlsafe import Loaded, YamlError, dotted, load_yaml
from site_builder.errors import ContentError, Problem

KINDS = {"models": ModelCard, "devices": DeviceSpec, "benchmarks": BenchmarkSet}
MAX_FILE_BYTES = 256 * 1024
STRAY_SUFFIXES = ("~", ".swp", ".swo", ".bak", ".tmp", ".orig")


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
        self.notices: list[str] = []

    def add(self, path: str, line: int, field: str, message: str) -> None:
        self.problems.append(Problem(path, line, field, message))


def load_content(content_dir: Path, notices: list[str] | None = None, cache: dict | None = None) -> Content:
    """`cache` (kept by `make serve` between rebuilds) skips files whose size and mtime did not change."""
    found = Collector()
    docs = {kind: _read_kind(content_dir, kind, found, cache) for kind in KINDS}
    models = tuple(ModelEntry(d.slug, d.path, d.data, d.body, d.top_lines, d.digest) for d in docs["models"])
    devices = tuple(v for d in docs["devices"] for v in _device_variants(d))
    measurements = tuple(_measurements(docs["benchmarks"]))
    if notices is not None:
        notices.extend(found.notices)
    if found.problems:
        raise ContentError(found.problems)
    benchmarks = _combined(d.digest for d in docs["benchmarks"])
    return Content(models=models, devices=devices, measurements=measurements, benchmarks_digest=benchmarks)


def _combined(digests) -> str:
    return hashlib.blake2b("".join(digests).encode(), digest_size=16).hexdigest()


def _read_kind(content_dir: Path, kind: str, found: Collector, cache: dict | None) -> list[Document]:
    folder = content_dir / kind
    if not folder.is_dir():
        return []
    docs = []
    paths = sorted(folder.iterdir(), key=lambda p: p.name)
    twins = _twins([p for p in paths if not _is_stray(p)])
    for path in paths:
        shown = _display(path, content_dir)
        if _is_stray(path):
            found.notices.append(f"{shown}: ignored (not a content file)")
            continue
        if (refusal := _refused(path, content_dir, twins)) is not None:
            found.add(shown, 1, "file", refusal)
            continue
        doc = _read_cached(path, shown, KINDS[kind], found, cache)
        if doc is not None:
            docs.append(doc)
    return docs


def _twins(paths: list[Path]) -> dict[Path, Path]:
    """Files whose names differ only in case or Unicode normalisation: one page path on a case-insensitive
    disk or host. Maps each later file to the first of its group."""
    first: dict[str, Path] = {}
    out = {}
    for path in paths:
        key = unicodedata.normalize("NFC", path.name).casefold()
        if key in first:
            out[path] = first[key]
        else:
            first[key] = path
    return out


def _refused(path: Path, content_dir: Path, twins: dict[Path, Path]) -> str | None:
    if path.is_symlink():
        target = path.resolve()
        if not target.is_relative_to(content_dir.resolve()):
            return f"is a symbolic link to {os.readlink(path)}, outside the content folder"
    if path in twins:
        return f"maps to the same page as {twins[path].name} (the names differ only in case or Unicode form)"
    if not path.is_file():
        return "is not a regular file"
    return None


def _read_cached(path: Path, shown: str, schema: type[BaseModel], found: Collector, cache: dict | None):
    stat = path.stat()
    if cache is None:
        return _read_document(path, stat.st_size, shown, schema, found)
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in cache:
        mine = Collector()
        cache[key] = (_read_document(path, stat.st_size, shown, schema, mine), mine.problems)
    doc, problems = cache[key]
    found.problems.extend(problems)
    return doc


def _display(path: Path, content_dir: Path) -> str:
    try:
        return str(path.relative_to(content_dir.parent))
    except ValueError:
        return str(path)


def _is_stray(path: Path) -> bool:
    name = path.name
    return name.startswith(".") or name.endswith(STRAY_SUFFIXES) or name.startswith("#") or path.suffix != ".md"


def _read_document(path: Path, size: int, shown: str, schema: type[BaseModel], found: Collector) -> Document | None:
    slug = path.stem
    if not SLUG_RE.match(slug):
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
    if placeholders:
        return None
    declared = loaded.data.get("slug")
    if declared is not None and declared != slug:
        found.add(shown, loaded.lines[("slug",)], "slug", f"must equal the file name {slug!r}, got {declared!r}")
        return None
    return Document(shown, slug, data, loaded, split.body, close_line, digest)


def _placeholders(loaded: Loaded, body: str, body_line: int) -> list[tuple[int, str]]:
    """TODO markers left by `site-builder new`: every one must be replaced before the file is accepted."""
    out = []

    def walk(node: object, path: tuple) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, (*path, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, (*path, index))
        elif isinstance(node, str) and "TODO" in node:
            out.append((loaded.lines.get(path, 0), dotted(path)))

    walk(loaded.data, ())
    for offset, text in enumerate(body.split("\n")):
        if "TODO" in text:
            out.append((body_line + offset, "body"))
    return out


def _explain(exc: ValidationError, loaded: Loaded, close_line: int, known: list[str]) -> list[tuple[str, int, str]]:
    """Turn pydantic errors into (field, line, message), one per field."""
    out: dict[str, tuple[str, int, str]] = {}
    for err in exc.errors():
        path = _data_path(err["loc"], loaded.data)
        nested = err.get("ctx", {}).get("error")
        if isinstance(nested, FieldProblems):
            for name, message in nested.problems:
                child = (*path, name)
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
        text += f", got {value!r}"
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


def _device_variants(doc: Document) -> list[Device]:
    spec: DeviceSpec = doc.data
    sizes = spec.memory_gb if isinstance(spec.memory_gb, list) else None
    if sizes is None:
        return [_device(doc, doc.slug, spec.name, spec.memory_gb, doc.digest)]
    return [
        _device(doc, f"{doc.slug}-{_size(gb)}gb", f"{spec.name}, {_size(gb)} GB", gb, f"{doc.digest}-{gb:g}")
        for gb in sorted(set(sizes))
    ]


def _device(doc: Document, slug: str, name: str, gb: float, digest: str) -> Device:
    shown = repr((slug, name, gb, doc.data.model_dump(exclude={"sources"})))
    shown_digest = hashlib.blake2b(shown.encode(), digest_size=16).hexdigest()
    return Device(slug, doc.path, name, doc.data, gb, doc.slug, doc.body, doc.top_lines, digest, shown_digest)


def _size(gb: float) -> str:
    return f"{gb:g}".replace(".", "-")


def _measurements(docs: list[Document]) -> list[Measurement]:
    out = []
    for doc in docs:
        field_lines: dict[int, dict[str, int]] = {}
        for path, line in doc.loaded.lines.items():
            if len(path) == 3 and path[0] == "rows":
                field_lines.setdefault(path[1], {})[path[2]] = line
        for index, row in enumerate(doc.data.rows):
            line = doc.loaded.lines.get(("rows", index), 0)
            out.append(Measurement(doc.slug, doc.path, line, doc.data, row, field_lines.get(index, {})))
    return out

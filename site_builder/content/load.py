"""Stages 1-2 together: discover the content files, parse and validate each, and make the records.

Every problem in every file is collected before anything stops the build; the caller gets either a `Content`
or a `ContentError` listing them all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from pydantic import BaseModel

from site_builder.content.discover import Found, discover
from site_builder.content.records import Content, Device, Measurement, ModelEntry
from site_builder.content.schema import BenchmarkSet, DeviceSpec, ModelCard
from site_builder.content.validate import Document, read_document
from site_builder.errors import ContentError, Problem

SCHEMAS: dict[str, type[BaseModel]] = {"models": ModelCard, "devices": DeviceSpec, "benchmarks": BenchmarkSet}


@dataclass
class FileCache:
    """Parsed files by path, kept by `make serve`: a file is parsed again only when its size or mtime change.
    Keyed by path, so an edited file replaces its entry and a deleted one is dropped: the cache never grows."""

    entries: dict[str, tuple[tuple[int, int], Document | None, list[Problem]]] = field(default_factory=dict)

    def read(self, found: Found) -> tuple[Document | None, list[Problem]]:
        stat = found.path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        hit = self.entries.get(str(found.path))
        if hit is None or hit[0] != stamp:
            hit = self.entries[str(found.path)] = (stamp, *read_document(found.path, found.shown, SCHEMAS[found.kind]))
        return hit[1], hit[2]

    def keep_only(self, paths: set[str]) -> None:
        for gone in self.entries.keys() - paths:
            del self.entries[gone]


class NoFileCache(FileCache):
    """One-shot builds: every file is read once, nothing is kept."""

    def read(self, found: Found) -> tuple[Document | None, list[Problem]]:
        return read_document(found.path, found.shown, SCHEMAS[found.kind])


def load_content(content_dir, notices: list[str] | None = None, cache: FileCache | None = None) -> Content:
    cache = cache if cache is not None else NoFileCache()
    found = discover(content_dir)
    problems = list(found.problems)
    docs: dict[str, list[Document]] = {kind: [] for kind in SCHEMAS}
    for f in found.files:
        doc, mine = cache.read(f)
        problems += mine
        if doc is not None:
            docs[f.kind].append(doc)
    cache.keep_only({str(f.path) for f in found.files})
    if notices is not None:
        notices.extend(found.notices)
    if problems:
        raise ContentError(problems)
    models = tuple(ModelEntry(d.slug, d.path, d.data, d.body, d.top_lines, d.digest) for d in docs["models"])
    devices = tuple(v for d in docs["devices"] for v in _device_variants(d))
    measurements = tuple(_measurements(docs["benchmarks"]))
    benchmarks = _combined(d.digest for d in docs["benchmarks"])
    return Content(models=models, devices=devices, measurements=measurements, benchmarks_digest=benchmarks)


def _combined(digests) -> str:
    return hashlib.blake2b("".join(digests).encode(), digest_size=16).hexdigest()


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

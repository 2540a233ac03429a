"""Stage 1: find the content files. Sorted by name, so output and error order never depend on the file system.

Refused with a located problem (nothing is silently skipped): a missing or empty content folder, files of other
types inside the kind folders, symbolic links that leave the content folder, and names that collide on a
case-insensitive disk. Editor leftovers (backups, swap files, dotfiles) are ignored with a notice.
"""

from __future__ import annotations

import os
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from site_builder.errors import Problem

KINDS = ("models", "devices", "benchmarks")
EDITOR_LEFTOVERS = ("~", ".swp", ".swo", ".bak", ".tmp", ".orig")


@dataclass(frozen=True)
class Found:
    kind: str  # one of KINDS
    path: Path
    shown: str  # the path as messages show it: relative to the content folder's parent


@dataclass
class Discovery:
    files: list[Found]
    problems: list[Problem]
    notices: list[str]


def discover(content_dir: Path) -> Discovery:
    out = Discovery([], [], [])
    shown_root = _display(content_dir, content_dir)
    if not content_dir.is_dir():
        out.problems.append(Problem(shown_root, 1, "file", "no content folder here: run from the repository root or "
                                    "pass --content DIR"))  # fmt: skip
        return out
    for entry in sorted(content_dir.iterdir(), key=lambda p: p.name):
        if entry.name not in KINDS and not _is_leftover(entry):
            out.notices.append(f"{_display(entry, content_dir)}: not read (content/ holds {', '.join(KINDS)})")
    for kind in KINDS:
        folder = content_dir / kind
        if folder.is_dir():
            _discover_kind(folder, kind, content_dir, out)
    if not out.files and not out.problems:
        message = "holds no content files (models/<slug>.md, devices/, benchmarks/): is this the content folder?"
        out.problems.append(Problem(shown_root, 1, "file", message))
    return out


def _discover_kind(folder: Path, kind: str, content_dir: Path, out: Discovery) -> None:
    paths = sorted(folder.iterdir(), key=lambda p: p.name)
    twins = _twins([p for p in paths if not _is_leftover(p)])
    for path in paths:
        shown = _display(path, content_dir)
        if _is_leftover(path):
            out.notices.append(f"{shown}: ignored (editor backup or hidden file)")
        elif path.suffix != ".md":
            out.problems.append(Problem(shown, 1, "file", "not read: content files are Markdown with frontmatter and "
                                        "end in .md"))  # fmt: skip
        elif (refusal := _refused(path, content_dir, twins)) is not None:
            out.problems.append(Problem(shown, 1, "file", refusal))
        else:
            out.files.append(Found(kind, path, shown))


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


def _display(path: Path, content_dir: Path) -> str:
    try:
        return str(path.relative_to(content_dir.parent))
    except ValueError:
        return str(path)


def _is_leftover(path: Path) -> bool:
    name = path.name
    return name.startswith((".", "#")) or name.endswith(EDITOR_LEFTOVERS)

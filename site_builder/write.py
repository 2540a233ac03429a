"""Stage 7: write the rendered site, all at once.

Everything goes into a fresh folder beside the output and is swapped in by renaming only when complete,
so a failed or interrupted build leaves the previous site exactly as it was, and pages of deleted content
disappear with the old folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


class OutputError(ValueError):
    pass


def check_output_dir(out_dir: Path, protected: list[Path]) -> None:
    out = out_dir.resolve()
    if out == Path(out.anchor) or out == Path.home().resolve():
        raise OutputError(f"refusing to replace {out}: choose a dedicated output folder")
    for path in protected:
        p = path.resolve()
        if p == out or out in p.parents:
            raise OutputError(f"refusing to replace {out}: it contains {p}")


def write_site(files: dict[str, bytes], out_dir: Path, unchanged: set[str] = frozenset()) -> None:
    """`unchanged`: files known to equal what the current output holds; they are hard-linked, not rewritten."""
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent))
    try:
        made: set[Path] = set()
        for rel in sorted(files):
            target = staging / rel
            if target.parent not in made:
                target.parent.mkdir(parents=True, exist_ok=True)
                made.add(target.parent)
            if rel not in unchanged or not _link(out_dir / rel, target):
                target.write_bytes(files[rel])
        _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _link(source: Path, target: Path) -> bool:
    try:
        os.link(source, target)
    except OSError:
        return False
    return True


def _swap(staging: Path, out_dir: Path) -> None:
    os.chmod(staging, 0o755)
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
    retired.rmdir()
    out_dir.rename(retired)
    staging.rename(out_dir)
    shutil.rmtree(retired, ignore_errors=True)


def read_static(static_dir: Path) -> dict[str, bytes]:
    files = {}
    if static_dir.is_dir():
        for path in sorted(static_dir.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files["static/" + path.relative_to(static_dir).as_posix()] = path.read_bytes()
    return files

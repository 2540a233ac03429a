"""Stage 7: make every output file and put the new site in place, all at once.

Everything goes into a folder beside the output and is swapped in by renaming only when complete, so a
failed or interrupted build leaves the previous site exactly as it was, and pages of deleted content
disappear with the old folder.

Each output carries a key: the digests of what it is made from. `make serve` keeps an `OutputState`
between rebuilds (keys and content digests, never the texts) and the folder the last swap retired; the next
build makes only the outputs whose key changed, writes into that retired folder only the files that differ
from what it holds, and hard-links the rest from the live site. A one-file edit then costs a few writes
and two renames instead of ~1,500 files and ~1,200 folders. A one-shot build starts with an empty state.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from site_builder.errors import OutputError
from site_builder.output.workers import run_shares


@dataclass(frozen=True)
class Output:
    path: str  # in the built site
    key: object  # what the file is made from: an equal key makes equal bytes; None: make it every time
    make: Callable[[], str | bytes]


@dataclass
class OutputState:
    """What a serving process knows about the output folder between builds; a one-shot build's is empty and
    `serving` False (then the retired folder is deleted and nothing is remembered)."""

    serving: bool = False
    keys: dict[str, object] = field(default_factory=dict)  # path -> key the live file was made from
    live: dict[str, str] | None = None  # path -> digest of every file in the live folder
    spare: Path | None = None  # the folder the last swap retired, kept to build into next time
    spare_files: dict[str, str] | None = None  # path -> digest of every file in it

    def discard_spare(self) -> None:
        if self.spare is not None:
            shutil.rmtree(self.spare, ignore_errors=True)
        self.spare, self.spare_files = None, None


@dataclass
class WriteReport:
    made: int  # outputs rendered this build
    written: int  # files written or linked into the new folder


def check_output_dir(out_dir: Path, protected: list[Path]) -> None:
    out = out_dir.resolve()
    if out == Path(out.anchor) or out == Path.home().resolve():
        raise OutputError(f"refusing to replace {out}: choose a dedicated output folder")
    for path in protected:
        p = path.resolve()
        if p == out or out in p.parents:
            raise OutputError(f"refusing to replace {out}: it contains {p}")


def write_outputs(outputs: list[Output], out_dir: Path, state: OutputState, jobs: int = 1) -> WriteReport:
    """Make the outputs (in `jobs` processes) into a staging folder and swap it in. A serving `state` reuses
    what it knows and keeps the retired folder; a one-shot one builds afresh and deletes the old site."""
    serving = state.serving
    out_dir = out_dir.resolve()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    live = state.live if state.live is not None and out_dir.is_dir() else {}
    stale = [o for o in outputs if o.key is None or o.path not in live or state.keys.get(o.path) != o.key]
    staging, holds = _staging(out_dir, state)
    try:
        digests = _make_all(staging, holds, stale, jobs, serving)
        made = {path for path, _, _ in digests}
        linked = _link_unchanged(staging, holds, out_dir, {o.path: live[o.path] for o in outputs if o.path not in made})
        _remove_others(staging, holds, {o.path for o in outputs})
        retired = _swap(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    written = sum(wrote for _, _, wrote in digests) + linked
    if serving:
        new_live = {o.path: live.get(o.path, "") for o in outputs} | {path: d for path, d, _ in digests}
        state.spare, state.spare_files = (retired, state.live) if retired and state.live is not None else (None, None)
        if retired and state.spare is None:
            _remove(retired)
        state.live, state.keys = new_live, {o.path: o.key for o in outputs}
    else:
        _remove(retired)
    return WriteReport(made=len(stale), written=written)


def _staging(out_dir: Path, state: OutputState) -> tuple[Path, dict[str, str]]:
    """The folder to build into and what it holds: the spare one when its contents are known, else a new one."""
    if state.spare is not None and state.spare_files is not None and state.spare.is_dir():
        spare, holds = state.spare, state.spare_files
        state.spare, state.spare_files = None, None  # in flux until the swap: never reused if this build fails
        return spare, holds
    state.discard_spare()
    return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-new-", dir=out_dir.parent)), {}


def _make_all(staging: Path, holds: dict[str, str], stale: list[Output], jobs: int, digest: bool) -> list:
    """Render and write the stale outputs, split over processes; (path, digest, written?) for each."""
    # Contiguous shares: the outputs of one model come together (site/render.py orders them so) and share
    # its verdicts, which cost more to make than the pages themselves.
    n = max(1, min(jobs, len(stale)))
    shares = [stale[len(stale) * k // n : len(stale) * (k + 1) // n] for k in range(n)]
    return [row for rows in run_shares(lambda share: _make(staging, holds, share, digest), shares) for row in rows]


def _make(staging: Path, holds: dict[str, str], outputs: list[Output], digest: bool) -> list[tuple[str, str, bool]]:
    done, made = [], set()
    for o in outputs:
        data = o.make()
        data = data.encode("utf-8") if isinstance(data, str) else data
        d = hashlib.blake2b(data, digest_size=16).hexdigest() if digest or o.path in holds else ""
        if holds.get(o.path) == d:
            done.append((o.path, d, False))
            continue
        _place(staging / o.path, made, o.path in holds, lambda target, data=data: target.write_bytes(data))
        done.append((o.path, d, True))
    return done


def _link_unchanged(staging: Path, holds: dict[str, str], live_dir: Path, unchanged: dict[str, str]) -> int:
    """Files whose key did not change: hard-link them from the live folder where staging lacks them."""
    count, made = 0, set()
    for path, d in unchanged.items():
        if holds.get(path) == d and d:
            continue
        _place(staging / path, made, path in holds, lambda target, path=path: os.link(live_dir / path, target))
        count += 1
    return count


def _place(target: Path, made: set[Path], replace: bool, create: Callable[[Path], object]) -> None:
    """Create `target` with `create(path)`, making its folder first (`made`: folders already there). A file
    being replaced may share its inode with the live site through a hard link: the new one gets a new inode."""
    if target.parent not in made:
        target.parent.mkdir(parents=True, exist_ok=True)
        made.add(target.parent)
    if not replace:
        create(target)
        return
    temporary = target.with_name(f".{target.name}.tmp")
    create(temporary)
    os.replace(temporary, target)


def _remove_others(folder: Path, holds: dict[str, str], keep: set[str]) -> None:
    for rel in sorted(holds.keys() - keep, reverse=True):
        (folder / rel).unlink(missing_ok=True)
        parent = (folder / rel).parent
        while parent != folder:
            try:
                parent.rmdir()
            except OSError:
                break
            parent = parent.parent


def _swap(staging: Path, out_dir: Path) -> Path | None:
    """Put `staging` in place of `out_dir`; returns where the previous output went, if there was one."""
    os.chmod(staging, 0o755)
    if not out_dir.exists():
        staging.rename(out_dir)
        return None
    retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-old-", dir=out_dir.parent))
    retired.rmdir()
    out_dir.rename(retired)
    staging.rename(out_dir)
    return retired


def _remove(folder: Path | None) -> None:
    """Delete a retired tree in the background: the new site is already in place, and a 100 MB tree takes a
    noticeable fraction of a build to unlink. The thread is not a daemon, so the process waits for it."""
    if folder is not None:
        threading.Thread(target=shutil.rmtree, args=(folder,), kwargs={"ignore_errors": True}).start()


def static_outputs(static_dir: Path) -> list[Output]:
    outputs = []
    if static_dir.is_dir():
        for path in sorted(static_dir.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                data = path.read_bytes()
                key = ("static", hashlib.blake2b(data, digest_size=16).hexdigest())
                outputs.append(Output("static/" + path.relative_to(static_dir).as_posix(), key, lambda d=data: d))
    return outputs

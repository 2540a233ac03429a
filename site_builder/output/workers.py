"""Run the render-and-write stage in several processes.

Rendering is pure Python (GIL-bound), so threads would not help. Once the site is assembled the build
forks: every process inherits the assembled site and the compiled templates, renders its share of the
outputs and writes them into the staging folder itself; only a small report (paths and digests) comes
back through a pipe. On a 2-core machine this nearly halves the render-and-write stage, the larger part
of a clean build.
"""

from __future__ import annotations

import gc
import os
import pickle
import traceback
from collections.abc import Callable
from typing import Any


class WorkerError(RuntimeError):
    pass


def default_jobs() -> int:
    """SITE_BUILDER_JOBS if set, else one per CPU up to 4; 1 where fork() is unavailable."""
    if not hasattr(os, "fork"):
        return 1
    wanted = os.environ.get("SITE_BUILDER_JOBS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return max(1, min(os.cpu_count() or 1, 4))


def run_shares(work: Callable[[Any], Any], shares: list) -> list:
    """`work(share)` for every share, the first in this process and the others in forked children."""
    if len(shares) > 1:
        # What exists now is only read by the children: out of the collector's sight, its memory pages
        # stay shared instead of being copied into every child by the first full collection.
        gc.freeze()
    children = [_fork(work, share) for share in shares[1:]]
    try:
        first = work(shares[0]) if shares else None
    finally:
        reports = [_wait(child) for child in children]
        if len(shares) > 1:
            gc.unfreeze()
    failures = [failure for ok, failure in reports if not ok]
    if failures:
        raise failures[0]  # the same exception the worker raised: a located problem stays one line
    return ([first] if shares else []) + [result for _, result in reports]


def _portable(exc: BaseException) -> BaseException:
    """The exception to re-raise in the parent: itself when it pickles (the project's located problems do),
    else a WorkerError naming it in one line."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        last = traceback.format_exception_only(type(exc), exc)[-1].strip()
        return WorkerError(f"a build worker failed: {last}")


def _fork(work: Callable[[Any], Any], share) -> tuple[int, int]:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: do the work, send the result or the failure, never return to the caller
        os.close(read)
        status = 0
        try:
            payload = pickle.dumps((True, work(share)))
        except BaseException as exc:
            payload, status = pickle.dumps((False, _portable(exc))), 1
        try:
            with os.fdopen(write, "wb") as pipe:
                pipe.write(payload)
        finally:
            os._exit(status)
    os.close(write)
    return pid, read


def _wait(child: tuple[int, int]) -> tuple[bool, Any]:
    pid, read = child
    with os.fdopen(read, "rb") as pipe:
        payload = pipe.read()
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if not payload:
        return False, WorkerError(f"a build worker (process {pid}) ended with status {code} and no report")
    return pickle.loads(payload)

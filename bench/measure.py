"""Run one build in this process and print what it cost, as JSON (used by bench/run.py).

    python -m bench.measure clean CONTENT OUT [JOBS]
        one `site-builder build`, as the command line runs it
    python -m bench.measure rebuilds CONTENT OUT MODEL_SLUG
        what `make serve` does: a first build, then rebuilds with the build cache kept in memory
    python -m bench.measure soak CONTENT OUT MODEL_SLUG N
        N rebuilds with `make serve`'s cache, alternately editing a model's description and undoing it:
        the resident memory after the first and after the last

Peak memory is the largest resident set of this process and of any worker it forked (getrusage).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import sys
import time
from pathlib import Path

from site_builder.build import BuildCache, build
from site_builder.config import SiteConfig
from site_builder.output.workers import default_jobs

REPEATS = 3


def peak_mib() -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return {"peak_mib_largest_process": round(max(own, workers), 1), "peak_mib_all_processes": round(own + workers, 1)}


def clean(content: Path, out: Path, jobs: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    os.sync()  # the deletion is not this build's cost
    result = build(content, out, SiteConfig(), jobs=jobs)
    return {"seconds": result.seconds, "pages": result.pages, "files": result.files, "stages": result.stages,
            "jobs": jobs, **peak_mib()}  # fmt: skip


def rebuilds(content: Path, out: Path, model: str) -> dict:
    """First build, no-change rebuilds, and one-file edits (a model's description; a model's architecture)."""
    shutil.rmtree(out, ignore_errors=True)
    cache, config, jobs = BuildCache(), SiteConfig(dev=True), default_jobs()
    first = build(content, out, config, cache, jobs)
    build(content, out, config, cache, jobs)  # the first rebuild links every unchanged file once
    times: dict[str, list[float]] = {"no_change": [], "body_edit": [], "architecture_edit": []}
    made: dict[str, int] = {}
    path = content / "models" / f"{model}.md"
    original = path.read_text(encoding="utf-8")
    try:
        for i in range(REPEATS):
            result = build(content, out, config, cache, jobs)
            times["no_change"].append(result.seconds)
            made["no_change"] = result.made
            path.write_text(original + f"\nAn edit, number {i}.\n", encoding="utf-8")
            result = build(content, out, config, cache, jobs)
            times["body_edit"].append(result.seconds)
            made["body_edit"] = result.made
            path.write_text(original.replace("context_length: ", f"context_length: {i + 1}", 1), encoding="utf-8")
            # "context_length: 32768" becomes e.g. 132768: longer context, every estimate of the model moves
            result = build(content, out, config, cache, jobs)
            times["architecture_edit"].append(result.seconds)
            made["architecture_edit"] = result.made
            path.write_text(original, encoding="utf-8")
            build(content, out, config, cache, jobs)
    finally:
        path.write_text(original, encoding="utf-8")
        cache.output.discard_spare()
    return {
        "first_seconds": first.seconds,
        "pages": first.pages,
        **{f"{k}_seconds": statistics.median(v) for k, v in times.items()},
        **{f"{k}_made": v for k, v in made.items()},
        **peak_mib(),
    }


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def soak(content: Path, out: Path, model: str, n: int) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cache, config, jobs = BuildCache(), SiteConfig(dev=True), default_jobs()
    path = content / "models" / f"{model}.md"
    original = path.read_text(encoding="utf-8")
    memory, seconds = [], []
    try:
        for i in range(n):
            path.write_text(original + ("\nA soak edit.\n" if i % 2 else ""), encoding="utf-8")
            seconds.append(build(content, out, config, cache, jobs).seconds)
            memory.append(rss_mib())
    finally:
        path.write_text(original, encoding="utf-8")
        cache.output.discard_spare()
    return {"rebuilds": n, "rss_mib_after_first": round(memory[0], 1),
            "rss_mib_after_tenth": round(memory[min(9, n - 1)], 1), "rss_mib_after_last": round(memory[-1], 1),
            "rss_mib_max": round(max(memory), 1),
            "median_seconds": statistics.median(seconds[1:])}  # fmt: skip


def main(argv: list[str]) -> None:
    started = time.perf_counter()
    kind, content, out = argv[0], Path(argv[1]), Path(argv[2])
    if kind == "clean":
        report = clean(content, out, int(argv[3]) if len(argv) > 3 else default_jobs())
    elif kind == "soak":
        report = soak(content, out, argv[3], int(argv[4]))
    else:
        report = rebuilds(content, out, argv[3])
    report["process_seconds"] = time.perf_counter() - started
    print(json.dumps(report), flush=True)
    if kind == "clean":  # leave as `site-builder build` does (cli.run), without tearing down the heap
        os._exit(0)


if __name__ == "__main__":
    main(sys.argv[1:])

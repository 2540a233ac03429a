"""`make bench`: time the build on the shipped catalogue and on a synthetic 1,000-model x 300-device one,
against a plain floor, and write bench/RESULTS.md.

Every timing runs in a fresh process, as a user would run it. "Clean" is a one-shot `site-builder build`
into an absent output folder (Python's and Jinja's compiled-code caches warm, as on any second run);
rebuilds are what `make serve` does with its in-memory cache. Output goes to bench/out/ on the disk, and
the clean builds are repeated on a RAM disk (/dev/shm) where there is one, to separate the pipeline's
cost from the disk's.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.synth import generate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RAM = Path("/dev/shm")
EDITED_MODEL = "mistral-7b-instruct-v0-3"
TARGETS = {
    "shipped clean": 2.0,
    "shipped one-file change": 0.5,
    "synthetic clean": 60.0,
    "synthetic peak memory (MiB)": 2048,
    "pipeline / floor": 1.5,
}


def python(*args: str) -> tuple[float, str]:
    """Run `python -m ...` in a fresh process; (wall seconds, stdout)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout


def clean_builds(content: Path, out: Path, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        wall, stdout = python("bench.measure", "clean", str(content), str(out))
        runs.append((wall, json.loads(stdout)))
    wall, report = sorted(runs, key=lambda r: r[0])[len(runs) // 2]
    report["wall_seconds"] = wall
    report["all_wall_seconds"] = [round(w, 2) for w, _ in runs]
    return report


def floor_build(content: Path, built: Path, out: Path, repeats: int) -> float:
    times = [float(python("bench.floor", str(content), str(built), str(out))[1]) for _ in range(repeats)]
    shutil.rmtree(out, ignore_errors=True)
    return statistics.median(times)


def catalogue(name: str, content: Path, repeats: int) -> dict:
    print(f"[{name}] clean builds", flush=True)
    site = OUT / f"{name}-site"
    result = {"clean_disk": clean_builds(content, site, repeats)}
    if RAM.is_dir():
        ram_site = RAM / f"site-builder-bench-{name}"
        result["clean_ram"] = clean_builds(content, ram_site, repeats)
        shutil.rmtree(ram_site, ignore_errors=True)
    print(f"[{name}] plain floor", flush=True)
    result["floor_seconds"] = floor_build(content, site, OUT / f"{name}-floor", repeats)
    print(f"[{name}] rebuilds as make serve does them", flush=True)
    edited = OUT / f"{name}-edited"  # the rebuilds edit a file: never the repository's own content
    shutil.rmtree(edited, ignore_errors=True)
    shutil.copytree(content, edited)
    _, stdout = python("bench.measure", "rebuilds", str(edited), str(OUT / f"{name}-serve"), EDITED_MODEL)
    result["rebuilds"] = json.loads(stdout)
    shutil.rmtree(OUT / f"{name}-serve", ignore_errors=True)
    shutil.rmtree(edited, ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    return result


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")  # fmt: skip
    memory = next((line.split()[1] for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")), "")
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gib": round(int(memory) / 2**20, 1) if memory else None,
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "disk": _filesystem(OUT),
    }


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def _filesystem(path: Path) -> str:
    best = ("", "unknown")
    for line in _read("/proc/mounts").splitlines():
        parts = line.split()
        if len(parts) > 2 and str(path.resolve()).startswith(parts[1]) and len(parts[1]) > len(best[0]):
            best = (parts[1], f"{parts[2]} ({parts[0]})")
    return best[1]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    print("generating the synthetic catalogue", flush=True)
    synthetic = generate(OUT / "synthetic")
    results = {
        "machine": machine(),
        "date": time.strftime("%Y-%m-%d"),
        "shipped": catalogue("shipped", ROOT / "content", repeats=5),
        "synthetic": catalogue("synthetic", synthetic, repeats=1),
    }
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    (ROOT / "bench" / "RESULTS.md").write_text(report(results))
    print((ROOT / "bench" / "RESULTS.md").read_text())


def report(r: dict) -> str:
    m, s, y = r["machine"], r["shipped"], r["synthetic"]
    lines = [
        "# Build benchmark",
        "",
        f"Measured by `make bench` on {r['date']}: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, "
        f"Python {m['python']}, {m['system']}; output on {m['disk']} and, for the second clean-build row, on a "
        "RAM disk. Each figure is the median of the runs listed, each in a fresh process. Clean: a one-shot "
        "`site-builder build` into an absent output folder, wall clock including Python's start-up. Rebuilds: "
        "what `make serve` does, with its in-memory cache.",
        "",
        "| | shipped catalogue | synthetic 1,000 x 300 | target |",
        "|---|---|---|---|",
    ]

    def row(label: str, pick, target: str = "") -> None:
        lines.append(f"| {label} | {pick(s)} | {pick(y)} | {target} |")

    row("pages (files)", lambda c: f"{c['clean_disk']['pages']:,} ({c['clean_disk']['files']:,})")
    row("clean build, disk", lambda c: _secs(c["clean_disk"]), "< 2 s shipped, < 60 s synthetic")
    if "clean_ram" in s:
        row("clean build, RAM disk", lambda c: _secs(c["clean_ram"]))
    row("stages in that build: load, assemble, render + write", lambda c: _stages(c["clean_disk"]))
    row(
        "pages per second (clean, disk)", lambda c: f"{c['clean_disk']['pages'] / c['clean_disk']['wall_seconds']:,.0f}"
    )  # noqa: E501
    row("peak memory, largest process", lambda c: f"{c['clean_disk']['peak_mib_largest_process']:,.0f} MiB",
        "< 2 GiB synthetic")  # fmt: skip
    row("peak memory, all processes (shared pages counted twice)",
        lambda c: f"{c['clean_disk']['peak_mib_all_processes']:,.0f} MiB")  # fmt: skip
    row("no-change rebuild", lambda c: _rebuild(c["rebuilds"], "no_change"))
    row("one-file change: a model's description", lambda c: _rebuild(c["rebuilds"], "body_edit"), "< 0.5 s shipped")
    row("one-file change: a model's architecture", lambda c: _rebuild(c["rebuilds"], "architecture_edit"),
        "< 0.5 s shipped")  # fmt: skip
    row("plain floor: same pages, markdown-it-py + one template", lambda c: f"{c['floor_seconds']:.2f} s")
    row("pipeline / floor", lambda c: f"{c['clean_disk']['wall_seconds'] / c['floor_seconds']:.1f}x", "<= 1.5x")
    lines += ["", "Raw figures: `bench/out/results.json` after a run (not committed).", ""]
    return "\n".join(lines)


def _secs(run: dict) -> str:
    return f"{run['wall_seconds']:.2f} s (runs: {', '.join(f'{w:.2f}' for w in run['all_wall_seconds'])})"


def _stages(run: dict) -> str:
    return ", ".join(f"{v:.2f}" for v in run["stages"].values()) + " s"


def _rebuild(r: dict, key: str) -> str:
    return f"{r[key + '_seconds']:.3f} s ({r[key + '_made']:,} files made)"


if __name__ == "__main__":
    main()

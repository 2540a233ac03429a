"""`make bench`: time the build of the shipped catalogue against a write floor measured in the same run, size
the published site, time what `make serve` does, and soak it; write bench/RESULTS.md.

Every timing runs in a fresh process, as a user would run it. "Clean" is a one-shot `site-builder build` into
an absent output folder (Python's and Jinja's compiled-code caches warm, as on any second run); rebuilds are
what `make serve` does with its in-memory cache. Output goes to bench/out/ on the disk; one clean build is
repeated on a RAM disk (/dev/shm) where there is one, to separate the pipeline's cost from the disk's.

The synthetic 1,000-model x 300-device catalogue of earlier versions is gone: with a page and a document per
model x device it would write 600,000 files (about 9 GB), more than this benchmark should put on a disk.
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

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
RAM = Path("/dev/shm")
EDITED_MODEL = "mistral-7b-instruct-v0-3"
SOAK_REBUILDS = 200
TARGETS = {"clean": "< 10 s", "ratio": "<= 1.3x", "edit": "< 0.3 s", "size": "< 1 GB"}


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
    return report | {"wall_seconds": wall, "all_wall_seconds": [round(w, 2) for w, _ in runs]}


def floor(site: Path, repeats: int) -> list[float]:
    """Wall seconds of a process that only writes the built site's files again (bench/floor.py)."""
    pack, out = OUT / "floor.pack", OUT / "floor-site"
    python("bench.floor", "pack", str(site), str(pack))
    times = []
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        os.sync()
        times.append(python("bench.floor", "write", str(pack), str(out))[0])
    shutil.rmtree(out, ignore_errors=True)
    pack.unlink()
    return times


def sizes(site: Path) -> dict:
    files = [p for p in site.rglob("*") if p.is_file()]
    pair = sorted(p.stat().st_size for p in site.glob("models/*/on/*.html"))
    return {"files": len(files), "bytes": sum(p.stat().st_size for p in files),
            "pair_page_median": pair[len(pair) // 2] if pair else 0,
            "pair_page_p90": pair[int(len(pair) * 0.9)] if pair else 0}  # fmt: skip


def shipped() -> dict:
    content, site = ROOT / "content", OUT / "shipped-site"
    print("clean builds", flush=True)
    result = {"clean_disk": clean_builds(content, site, 3)}
    result["size"] = sizes(site)
    print("write floor", flush=True)
    result["floor"] = floor(site, 3)
    if RAM.is_dir():
        ram_site = RAM / "site-builder-bench"
        result["clean_ram"] = clean_builds(content, ram_site, 1)
        shutil.rmtree(ram_site, ignore_errors=True)
    shutil.rmtree(site, ignore_errors=True)
    edited = OUT / "shipped-edited"  # the rebuilds edit a file: never the repository's own content
    shutil.rmtree(edited, ignore_errors=True)
    shutil.copytree(content, edited)
    print("rebuilds as make serve does them", flush=True)
    result["rebuilds"] = json.loads(python("bench.measure", "rebuilds", str(edited), str(OUT / "serve"),
                                           EDITED_MODEL)[1])  # fmt: skip
    print(f"soak: {SOAK_REBUILDS} rebuilds", flush=True)
    result["soak"] = json.loads(python("bench.measure", "soak", str(edited), str(OUT / "serve"), EDITED_MODEL,
                                       str(SOAK_REBUILDS))[1])  # fmt: skip
    shutil.rmtree(OUT / "serve", ignore_errors=True)
    shutil.rmtree(edited, ignore_errors=True)
    return result


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown")  # fmt: skip
    memory = next((line.split()[1] for line in _read("/proc/meminfo").splitlines() if line.startswith("MemTotal")), "")
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(memory) / 2**20, 1) if memory else None,
            "python": platform.python_version(), "system": f"{platform.system()} {platform.release()}",
            "disk": _filesystem(OUT)}  # fmt: skip


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
    results = {"machine": machine(), "date": time.strftime("%Y-%m-%d"), "shipped": shipped()}
    (OUT / "results.json").write_text(json.dumps(results, indent=2))
    (ROOT / "bench" / "RESULTS.md").write_text(report(results))
    print((ROOT / "bench" / "RESULTS.md").read_text())


def report(r: dict) -> str:
    m, s = r["machine"], r["shipped"]
    c, size, rb, soak = s["clean_disk"], s["size"], s["rebuilds"], s["soak"]
    floor_s = statistics.median(s["floor"])
    rows = [
        ("pages (files)", f"{c['pages']:,} ({size['files']:,})", ""),
        (
            "published site",
            f"{size['bytes'] / 1e6:,.0f} MB; model x device page median {size['pair_page_median']:,} "
            f"bytes, P90 {size['pair_page_p90']:,}",
            TARGETS["size"],
        ),  # fmt: skip
        ("clean build, disk", _secs(c), TARGETS["clean"]),
        ("stages: load, check, assemble, plan, render + write", _stages(c), ""),
        (
            "write floor: one process writing the same files",
            f"{floor_s:.2f} s (runs: {', '.join(f'{t:.2f}' for t in s['floor'])})",
            "",
        ),  # fmt: skip
        ("clean build / write floor", f"{c['wall_seconds'] / floor_s:.1f}x", TARGETS["ratio"]),
    ]
    if "clean_ram" in s:
        rows.append(("clean build, RAM disk", _secs(s["clean_ram"]), ""))
    rows += [
        ("peak memory: largest process / all processes", f"{c['peak_mib_largest_process']:,.0f} / "
         f"{c['peak_mib_all_processes']:,.0f} MiB", ""),  # fmt: skip
        ("make serve, no change", _rebuild(rb, "no_change"), ""),
        ("make serve, a model's description edited", _rebuild(rb, "body_edit"), TARGETS["edit"]),
        ("make serve, a model's architecture edited", _rebuild(rb, "architecture_edit"), ""),
        (f"make serve soak, {soak['rebuilds']} rebuilds: resident memory after the 1st, 10th and last",
         f"{soak['rss_mib_after_first']:,.0f}, {soak['rss_mib_after_tenth']:,.0f}, {soak['rss_mib_after_last']:,.0f}"
         f" MiB (max {soak['rss_mib_max']:,.0f}); median rebuild {soak['median_seconds']:.2f} s", "flat"),
    ]  # fmt: skip
    lines = [
        "# Build benchmark",
        "",
        f"Measured by `make bench` on {r['date']}: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB RAM, "
        f"Python {m['python']}, {m['system']}; output on {m['disk']}. Each figure is the median of the runs "
        "listed, each in a fresh process. Clean: a one-shot `site-builder build` into an absent output folder, "
        "wall clock including Python's start-up. The write floor is a process that only writes the same files "
        "with the same bytes (bench/floor.py), measured in the same run. Rebuilds: what `make serve` does, with "
        "its in-memory cache.",
        "",
        "| | shipped catalogue | target |",
        "|---|---|---|",
        *(f"| {label} | {value} | {target} |" for label, value, target in rows),
        "",
        "Raw figures: `bench/out/results.json` after a run (not committed).",
        "",
    ]
    return "\n".join(lines)


def _secs(run: dict) -> str:
    return f"{run['wall_seconds']:.2f} s (runs: {', '.join(f'{w:.2f}' for w in run['all_wall_seconds'])})"


def _stages(run: dict) -> str:
    return ", ".join(f"{v:.2f}" for v in run["stages"].values()) + " s"


def _rebuild(r: dict, key: str) -> str:
    return f"{r[key + '_seconds']:.2f} s ({r[key + '_made']:,} files made)"


if __name__ == "__main__":
    main()

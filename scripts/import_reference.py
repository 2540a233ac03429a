"""Transcribe the measured rows of the reference tables of published llama.cpp results into content/benchmarks/.

Run once when the reference changes: `python scripts/import_reference.py REFERENCE_DIR`. Rows whose device
or model the reference leaves ambiguous are not imported; each file's `notes` says which and why.
"""

from __future__ import annotations

import csv
import re
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "content" / "benchmarks"

GPU_DEVICES = {
    "RTX 3070": "rtx-3070",
    "RTX 3090": "rtx-3090",
    "RTX 3090 Ti": "rtx-3090-ti",
    "RTX 4090": "rtx-4090",
    "RTX 4000 Ada": "rtx-4000-ada",
    "RTX 5060 Ti": "rtx-5060-ti-16gb",  # 8 GB and 16 GB cards share the 448 GB/s memory system
    "RTX 5070 Ti": "rtx-5070-ti",
    "RTX 5080": "rtx-5080",
    "RTX 5090": "rtx-5090",
    "RTX PRO 6000 Blackwell": "rtx-pro-6000-blackwell",
    "A40": "a40",
    "L40S": "l40s",
    "A100 PCIe 80GB": "a100-pcie-80gb",
    "Tesla P40": "tesla-p40",
    "DGX Spark (GB10)": "dgx-spark",
    "Radeon AI PRO R9700": "radeon-ai-pro-r9700",
    "RX 7900 XTX": "rx-7900-xtx",
    "RX 9070": "rx-9070",
    "RX 9070 XT": "rx-9070-xt",
    "Arc B580": "arc-b580",
}
AMBIGUOUS = {
    "H100 80GB": "the scoreboard does not say PCIe (2.0 TB/s) or SXM (3.35 TB/s)",
    "A100 80GB": "the scoreboard does not say PCIe (1.9 TB/s) or SXM (2.0 TB/s)",
    "Arc A770": "the scoreboard does not say 8 GB (512 GB/s) or 16 GB (560 GB/s)",
}


def model_slug(name: str) -> str:
    if name.startswith("Llama 3 8B"):
        return "llama-3-8b-instruct"
    if name.startswith("Llama 3 70B"):
        return "llama-3-70b-instruct"
    if re.search(r"LLaMA 2 7B|LLaMA 7B|CodeLlama 7B|LLaMA/CodeLlama 7B", name):
        return "llama-2-7b-chat"  # llama-bench's "llama 7B": same tensor shapes as Llama 2 7B
    raise ValueError(f"unmapped model {name!r}")


def apple_slug(chip: str, cores: str) -> str:
    return f"apple-{chip.lower().replace(' ', '-')}-{cores}c"


def set_slug(source: str) -> str:
    if "XiongjieDai" in source:
        return "xiongjiedai-gpu-benchmarks-2024-05"
    match = re.search(r"(discussions?|pull)[/ #]+(\d+)", source)
    kind = "discussion" if match.group(1).startswith("discussion") else "pr"
    return f"llama-cpp-{kind}-{match.group(2)}"


TITLES = {
    "xiongjiedai-gpu-benchmarks-2024-05": (
        "GPU-Benchmarks-on-LLM-Inference (May 2024 snapshot)",
        "llama.cpp llama-bench",
    ),
    "llama-cpp-discussion-4167": (
        "llama.cpp performance on Apple Silicon (discussion #4167)",
        "llama.cpp llama-bench, Metal",
    ),
    "llama-cpp-discussion-15013": (
        "llama.cpp CUDA scoreboard (discussion #15013)",
        "llama.cpp llama-bench, CUDA",
    ),
    "llama-cpp-discussion-10879": (
        "llama.cpp Vulkan scoreboard (discussion #10879)",
        "llama.cpp llama-bench, Vulkan",
    ),
    "llama-cpp-pr-4766": (
        "llama.cpp PR #4766 benchmark comments (January 2024)",
        "llama.cpp llama-bench, CUDA",
    ),
    "llama-cpp-pr-4812": (
        "llama.cpp PR #4812 benchmark comment (January 2024)",
        "llama.cpp llama-bench, CUDA",
    ),
}


def _csv_rows(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def read_rows(reference: Path) -> tuple[dict[str, list[dict]], dict[str, dict]]:
    sets: dict[str, list[dict]] = defaultdict(list)
    meta: dict[str, dict] = defaultdict(lambda: {"source": "", "skipped": set(), "notes": set()})
    for name in ("llamacpp_gpu_calibration.csv", "llamacpp_apple_calibration.csv"):
        for row in _csv_rows(reference / name):
            slug = set_slug(row["source"])
            meta[slug]["source"] = row["source"]
            if row.get("notes"):
                meta[slug]["notes"].add(row["notes"])
            device = apple_slug(row["chip"], row["gpu_cores"]) if "chip" in row else GPU_DEVICES.get(row["device"])
            if device is None:
                meta[slug]["skipped"].add(f"{row['device']}: {AMBIGUOUS[row['device']]}")
                continue
            if not (ROOT / "content" / "devices" / f"{device}.md").exists():
                name = row.get("device") or f"{row['chip']} {row['gpu_cores']}-core"
                meta[slug]["skipped"].add(f"{name}: no device file with a sourced memory bandwidth")
                continue
            sets[slug].append(_row(row, device))
    return sets, meta


def _row(row: dict, device: str) -> dict:
    out = {
        "model": model_slug(row["model"]),
        "quant": row["quant"],
        "device": device,
        "test": row["test"],
        "tok_s": float(row["tokens_per_s"]),
        "backend": row["backend"].split(" (")[0] if row["backend"].startswith("CUDA (") else row["backend"],
    }
    if row.get("software_build"):
        out["build"] = row["software_build"]
    if row.get("model_size_gib"):
        out["model_size_gib"] = float(row["model_size_gib"])
    return out


def render(slug: str, rows: list[dict], meta: dict) -> str:
    title, runtime = TITLES[slug]
    lines = [
        "---",
        f"title: {title}",
        f"source: {_quote(meta['source'])}",
        f"runtime: {runtime}",
    ]
    notes = sorted(meta["notes"])
    skipped = sorted(meta["skipped"])
    text = " ".join(n.rstrip(".") + "." for n in notes)
    if skipped:
        text += " Not imported: " + "; ".join(skipped) + "."
    lines.append(f"notes: {_quote(text.strip())}")
    lines.append("rows:")
    for row in rows:
        first = True
        for key in ("model", "quant", "device", "test", "tok_s", "backend", "build", "model_size_gib"):
            if key not in row:
                continue
            value = row[key]
            text_value = _quote(value) if isinstance(value, str) else repr(value)
            lines.append(f"  {'- ' if first else '  '}{key}: {text_value}")
            first = False
    lines.append("---")
    lines.append(
        "Measurements transcribed from the project's reference tables of published llama.cpp results. "
        f"Source: {meta['source']}"
    )
    return "\n".join(lines) + "\n"


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


README_SET = "llama-cpp-quantize-readme-llama-3-1-8b"


def quantize_readme_rows(reference: Path, known_quants: set[str]) -> list[dict]:
    """llama.cpp's own Llama-3.1-8B table: one machine, every format; the hardware is not stated."""
    rows = []
    for row in _csv_rows(reference / "quant_types.csv"):
        test = {"tg128_unspecified_hw": "tg128", "pp512_unspecified_hw": "pp512"}.get(row["metric"])
        if test and row["quant_type"] in known_quants:
            rows.append(
                {
                    "model": "llama-3-1-8b-instruct",
                    "quant": row["quant_type"],
                    "test": test,
                    "tok_s": float(row["value"]),
                    "backend": "not stated",
                }
            )
    return rows


def render_readme_set(rows: list[dict]) -> str:
    lines = [
        "---",
        "title: llama.cpp quantize README, Llama-3.1-8B table",
        'source: "ggml-org/llama.cpp tools/quantize/README.md (commit 311c2c9f), table meta-llama/Llama-3.1-8B"',
        "runtime: llama.cpp llama-bench",
        "relative: true",
        'notes: "The README does not state the hardware, so only the ratios between formats are used: they set '
        "how much slower than its size each format decodes. Measured on the base Llama-3.1-8B, same tensors as "
        'the instruct model."',
        "rows:",
    ]
    for row in rows:
        lines.append(f'  - model: "{row["model"]}"')
        lines.append(f'    quant: "{row["quant"]}"')
        lines.append(f'    test: "{row["test"]}"')
        lines.append(f"    tok_s: {row['tok_s']!r}")
        lines.append(f'    backend: "{row["backend"]}"')
    lines += [
        "---",
        "Per-format speeds from llama.cpp's quantization README, used only relative to each other.",
    ]
    return "\n".join(lines) + "\n"


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/import_reference.py REFERENCE_DIR (the folder of reference CSV tables)")
    reference = Path(sys.argv[1])
    sets, meta = read_rows(reference)
    OUT.mkdir(parents=True, exist_ok=True)
    for slug, rows in sorted(sets.items()):
        (OUT / f"{slug}.md").write_text(render(slug, rows, meta[slug]), encoding="utf-8")
        print(f"{slug}: {len(rows)} rows")
    sys.path.insert(0, str(ROOT))
    from site_builder.estimator.quants import QUANTS

    readme = quantize_readme_rows(reference, set(QUANTS))
    (OUT / f"{README_SET}.md").write_text(render_readme_set(readme), encoding="utf-8")
    print(f"{README_SET}: {len(readme)} rows")


if __name__ == "__main__":
    main()

"""A synthetic catalogue for `make bench`: the shipped content plus generated models and devices up to
1,000 models and 300 device variants, all of realistic shapes because they are derived from real ones.

Generated models take a real model's frontmatter and body and change its depth (dense, uniform models)
and its context length; parameter counts are recomputed from the architecture so the catalogue passes
the same checks as the real one. Generated devices take a real device and change its memory size and
bandwidth. Nothing here is shipped: the catalogue exists to time the build.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import yaml

from site_builder.build import check
from site_builder.content.schema import Architecture
from site_builder.estimator.tensors import count_params

ROOT = Path(__file__).resolve().parent.parent
CONTEXTS = (4096, 8192, 32768, 131072)


def split(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    _, front, body = text.split("---\n", 2)
    return yaml.safe_load(front), body


def write(path: Path, front: dict, body: str) -> None:
    text = "---\n" + yaml.safe_dump(front, sort_keys=False, allow_unicode=True) + "---\n" + body
    path.write_text(text, encoding="utf-8")


def generate(out: Path, models: int = 1000, devices: int = 300, seed: int = 7) -> Path:
    """Write the catalogue under `out` (replacing it) and return its content folder."""
    rng = random.Random(seed)
    content = out / "content"
    shutil.rmtree(out, ignore_errors=True)
    shutil.copytree(ROOT / "content", content)
    real = check(ROOT / "content")
    _derive(content / "models", models - len(real.models), lambda front: _reshape(front, rng))
    _derive(content / "devices", devices - len(real.devices), lambda front: _rescale(front, rng))
    return content


def _derive(folder: Path, count: int, change) -> None:
    """`count` new files in `folder`, each a changed copy of one of the real files there, in turn."""
    sources = sorted((ROOT / "content" / folder.name).glob("*.md"))
    for i in range(count):
        front, body = split(sources[i % len(sources)])
        change(front)
        front["name"] = f"Synthetic {i:04d} ({front['name']})"
        front.pop("slug", None)
        slug = f"synthetic-{i:04d}-{sources[i % len(sources)].stem}"[:80].rstrip("-")
        write(folder / f"{slug}.md", front, body)


def _reshape(front: dict, rng: random.Random) -> None:
    a = front["architecture"]
    uniform = not any(a.get(k) for k in ("experts", "attention_layers", "sliding_window_pattern", "kv_lora_rank"))
    if uniform:
        a["layers"] = max(4, a["layers"] + rng.randrange(-8, 9, 2))
    a["context_length"] = rng.choice([c for c in CONTEXTS if c <= a["context_length"]] or [a["context_length"]])
    total, active = count_params(Architecture.model_validate(a))
    vision = front.get("vision_params_b") or 0
    front["params_b"] = round(total / 1e9 + vision, 3)
    if front.get("active_params_b"):
        front["active_params_b"] = round(active / 1e9, 3)


def _rescale(front: dict, rng: random.Random) -> None:
    sizes = front["memory_gb"] if isinstance(front["memory_gb"], list) else [front["memory_gb"]]
    front["memory_gb"] = rng.choice(sizes) * rng.choice((0.5, 1, 1.5, 2))
    front["memory_bandwidth_gbps"] = round(front["memory_bandwidth_gbps"] * rng.uniform(0.7, 1.4), 1)
    for spec_of_the_real_part in ("memory_bus_bits", "memory_data_rate_gbps"):
        front.pop(spec_of_the_real_part, None)

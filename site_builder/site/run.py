"""How to get a format and run it: the download link and the commands a verdict shows.

`llama-server -hf <repo>:<QUANT>` downloads the GGUF from Hugging Face (and a vision model's mmproj with it);
`-c` sets the context; what does not fit the GPU goes to system RAM with `--n-cpu-moe N` (the routed experts of
the first N MoE layers, for an MoE) or `-ngl N` (only N layers on the GPU, otherwise). Several GPUs need no flag:
llama.cpp splits the layers over every visible GPU by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from site_builder.estimator.tensors import block_plan
from site_builder.estimator.weights import block_bytes

HF = "https://huggingface.co/"


@dataclass(frozen=True)
class Commands:
    llama_server: str
    ollama: str | None  # only where Ollama's library has a tag for this format
    repo_url: str | None  # the Hugging Face repository (LM Studio opens the same address)
    note: str  # one line on what the flags do, empty when there are none


def commands(view, fmt: str, context: int, kv_type: str = "f16", spill_bytes: float = 0.0) -> Commands:
    row = view.quant_row(fmt)
    source = f"-hf {row.repo}:{fmt}" if row.repo else f"-m {view.card.name.replace(' ', '-')}-{fmt}.gguf"
    parts, notes = ["llama-server", source, f"-c {context}"], []
    if kv_type != "f16":
        parts.append(f"-fa on -ctk {kv_type} -ctv {kv_type}")
        notes.append(f"the KV cache stored as {kv_type} (needs flash attention)")
    offload = offload_flag(view, fmt, spill_bytes)
    if offload:
        parts.append(offload[0])
        notes.append(offload[1])
    if not row.repo:
        notes.append("no Hugging Face repository for this format is listed: download a GGUF and pass its path")
    tag = row.ollama
    return Commands(" ".join(parts), f"ollama run {tag}" if tag else None, HF + row.repo if row.repo else None,
                    "; ".join(notes))  # fmt: skip


def offload_flag(view, fmt: str, spill_bytes: float) -> tuple[str, str] | None:
    """The flag that keeps `spill_bytes` in system RAM, and what it does."""
    if spill_bytes <= 0:
        return None
    a = view.card.architecture
    bb = block_bytes(a, fmt)
    plan = block_plan(a)
    loaded = [i for i, b in enumerate(plan) if b.in_memory]
    experts = bb.experts[loaded]
    if experts.sum() >= spill_bytes:
        per_layer = float(experts[experts > 0].mean())
        n = min(int(np.count_nonzero(experts)), math.ceil(spill_bytes / per_layer))
        return f"--n-cpu-moe {n}", f"the experts of {n} MoE layers in system RAM"
    per_block = float(bb.weights[loaded].mean())
    on_gpu = max(0, len(loaded) - math.ceil(spill_bytes / per_block))
    return f"-ngl {on_gpu}", f"{on_gpu} of {len(loaded)} layers on the GPU, the rest in system RAM"

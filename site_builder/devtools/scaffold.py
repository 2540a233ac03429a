"""`site-builder new model|device`: start a content file, filled from a Hugging Face config.json when given.

Everything a config.json states is copied; what it cannot state (name, licence, summary, sources) is left as
a TODO marker, which `site-builder check` refuses until a contributor replaces it.
"""

from __future__ import annotations

import json
from pathlib import Path

from site_builder.content.schema import Architecture
from site_builder.estimator.tensors import count_params

TODO = "TODO"
# Families whose config class ties input and output embeddings unless the file says otherwise.
TIED_BY_DEFAULT = {"gemma", "gemma2", "gemma3", "gemma3_text"}
# Families whose llama.cpp architecture honours an every-layer sliding window is none: a window with no
# local/global pattern is recorded as a fact and ignored by the estimator, as llama.cpp does.
ALIASES = {
    "layers": ("num_hidden_layers", "n_layer", "num_layers"),
    "hidden_size": ("hidden_size", "n_embd", "d_model"),
    "intermediate_size": ("intermediate_size", "ffn_hidden_size"),
    "attention_heads": ("num_attention_heads", "n_head"),
    "kv_heads": ("num_key_value_heads", "num_kv_heads"),
    "head_dim": ("head_dim",),
    "vocab_size": ("vocab_size",),
    "context_length": ("max_position_embeddings", "n_positions", "max_sequence_length"),
    "experts": ("num_local_experts", "num_experts", "n_routed_experts"),
    "experts_per_token": ("num_experts_per_tok", "num_experts_per_token", "moe_top_k"),
    "moe_intermediate_size": ("moe_intermediate_size",),
    "shared_experts": ("n_shared_experts",),
    "dense_layers": ("first_k_dense_replace",),
    "kv_lora_rank": ("kv_lora_rank",),
    "q_lora_rank": ("q_lora_rank",),
    "qk_rope_head_dim": ("qk_rope_head_dim",),
    "qk_nope_head_dim": ("qk_nope_head_dim",),
    "v_head_dim": ("v_head_dim",),
}
FAMILIES = {
    "llama": "Llama", "mistral": "Mistral", "mixtral": "Mistral", "qwen2": "Qwen", "qwen2_moe": "Qwen",
    "qwen3": "Qwen", "qwen3_moe": "Qwen", "qwen3_next": "Qwen", "gemma": "Gemma", "gemma2": "Gemma",
    "gemma3": "Gemma", "gemma3_text": "Gemma", "phi3": "Phi", "deepseek_v2": "DeepSeek", "deepseek_v3": "DeepSeek",
    "gpt_oss": "gpt-oss",
}  # fmt: skip


class ConfigError(ValueError):
    pass


def architecture_from_config(config: dict) -> dict:
    """Our `architecture` fields from a transformers config.json (text part of multimodal configs)."""
    model_type = config.get("model_type", "")
    text = {**config, **config.get("text_config", {})} if "text_config" in config else config
    text.setdefault("model_type", model_type)
    arch: dict = {}
    for field, keys in ALIASES.items():
        value = next((text[k] for k in keys if text.get(k) is not None), None)
        if value is not None:
            arch[field] = value
    missing = [f for f in ("layers", "hidden_size", "attention_heads", "vocab_size", "context_length") if f not in arch]
    if missing:
        raise ConfigError(f"config.json lacks {', '.join(missing)} (model_type {model_type!r})")
    arch.setdefault("kv_heads", arch["attention_heads"])
    if text.get("shared_expert_intermediate_size") and arch.get("moe_intermediate_size"):  # Qwen MoE
        arch["shared_experts"] = text["shared_expert_intermediate_size"] // arch["moe_intermediate_size"]
    arch["tied_embeddings"] = bool(text.get("tie_word_embeddings", text["model_type"] in TIED_BY_DEFAULT))
    arch.update(_attention_layout(text))
    return arch


def _attention_layout(c: dict) -> dict:
    """Sliding windows and hybrid layers, from whichever form the config uses."""
    out: dict = {}
    kind = c.get("model_type", "")
    window = c.get("sliding_window")
    if kind.startswith("qwen2") or kind.startswith("qwen3"):
        window = window if c.get("use_sliding_window") else None
    layer_types = c.get("layer_types")
    if window:
        out["sliding_window"] = window
        pattern = _pattern(layer_types) if layer_types else c.get("sliding_window_pattern")
        if kind == "gemma2" and not pattern:
            pattern = 2  # Gemma2Config alternates sliding and global layers
        if kind in ("gemma3", "gemma3_text") and not pattern:
            pattern = 6  # Gemma3TextConfig default: five local layers, then one global
        if pattern:
            out["sliding_window_pattern"] = pattern
    if c.get("full_attention_interval"):
        out["attention_layers"] = c["num_hidden_layers"] // c["full_attention_interval"]
    elif layer_types and any("linear" in t for t in layer_types):
        out["attention_layers"] = sum(t in ("full_attention", "attention") for t in layer_types)
    return out


def _pattern(layer_types: list[str]) -> int | None:
    """The period of a sliding/full layer list whose full-attention layers close each period."""
    full = [i for i, t in enumerate(layer_types) if t == "full_attention"]
    if not full or all(t == "full_attention" for t in layer_types):
        return None
    period = full[0] + 1
    return period if all((i + 1) % period == 0 for i in full) else None


def model_file(slug: str, config: dict | None, schema_path: str) -> str:
    arch = architecture_from_config(config) if config else {}
    family = FAMILIES.get((config or {}).get("model_type", ""), TODO)
    lines = [
        "---",
        f"# yaml-language-server: $schema={schema_path}",
        f"name: {TODO} display name, e.g. Llama 3.1 8B Instruct",
        f"family: {family}",
        f"publisher: {TODO} organisation that released it",
    ]
    if arch:
        total, active = count_params(Architecture(**arch))
        lines.append(f"params_b: {total / 1e9:.2f}  # computed from the architecture; use the model card's figure")
        if arch.get("experts"):
            lines.append(f"active_params_b: {active / 1e9:.2f}  # computed; use the model card's figure")
        lines.append("architecture:  # from config.json")
        lines += [f"  {k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in arch.items()]
    else:
        lines += [f"params_b: 0  # {TODO}", "architecture:  # copy from the model's config.json",
                  *(f"  {k}: 0  # {TODO}" for k in ("layers", "hidden_size", "intermediate_size", "attention_heads",
                                                    "kv_heads", "vocab_size", "context_length"))]  # fmt: skip
    lines += [
        f"license: {TODO} SPDX id or licence name",
        f"summary: {TODO} one sentence on what it is and what it is good at",
        "links:",
        f"  Hugging Face: https://huggingface.co/{TODO}",
        "sources:",
        f"  - {TODO} address of the config.json you copied the architecture from",
        f"  - {TODO} address of the model card (parameters, licence, context)",
        "---",
        f"{TODO}: two to four short paragraphs: what the model is good at, its architecture in plain words,",
        "how it compares with its neighbours. Facts only, each traceable to a source above.",
    ]
    return "\n".join(lines) + "\n"


def device_file(schema_path: str) -> str:
    return "\n".join([
        "---",
        f"# yaml-language-server: $schema={schema_path}",
        f"name: {TODO} display name, e.g. GeForce RTX 4060 Ti 16GB",
        f"vendor: {TODO} NVIDIA, AMD, Intel, Apple, ...",
        "kind: discrete-gpu  # discrete-gpu | datacenter-gpu | unified-memory | tpu | cpu",
        f"memory_gb: 0  # {TODO} memory size, or a list like [36, 96] for each size sold",
        f"memory_bandwidth_gbps: 0  # {TODO} decimal GB/s from the vendor's specification",
        "# optional: memory_type, memory_bus_bits, memory_data_rate_gbps, fp16_tflops, gpu_cores, release_year",
        "sources:",
        f"  - {TODO} address of the vendor's specification page",
        "---",
        f"{TODO}: one or two sentences of plain facts about the device.",
    ]) + "\n"  # fmt: skip


def read_config(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read config.json ({exc})") from None

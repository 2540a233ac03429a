"""KV cache, runtime overhead and usable device memory, as llama.cpp allocates them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from site_builder.content.records import Device
from site_builder.content.schema import Architecture, DeviceKind
from site_builder.estimator.settings import CACHE_SIZE, KV_TYPES, SETTINGS, Settings


@dataclass(frozen=True)
class CacheLayer:
    elements_per_token: int  # K and V elements one token adds to this layer's cache
    window: int | None  # sliding-window layers keep only the last `window` tokens


@lru_cache(maxsize=CACHE_SIZE)
def cache_layers(a: Architecture) -> tuple[CacheLayer, ...]:
    """The layers that hold a growing KV cache, with what each stores per token."""
    # MLA: llama.cpp caches the compressed latent plus the shared RoPE key (kv_lora_rank + rope dims) and,
    # since PR #19067 (Jan 2026), reads V out of that latent instead of storing it a second time.
    per_token = a.kv_lora_rank + a.qk_rope_head_dim if a.is_mla else 2 * a.kv_heads * a.head_size
    layers = []
    for i in range(a.attention_layers or a.layers):
        windowed = a.sliding_window_pattern and (i + 1) % a.sliding_window_pattern != 0
        layers.append(CacheLayer(per_token, a.sliding_window if windowed else None))
    return tuple(layers)


@lru_cache(maxsize=CACHE_SIZE)
def cache_profile(a: Architecture) -> tuple[tuple[int | None, int], ...]:
    """(window, elements per token summed over the layers with that window); None = full attention."""
    totals: dict[int | None, int] = {}
    for layer in cache_layers(a):
        totals[layer.window] = totals.get(layer.window, 0) + layer.elements_per_token
    return tuple(sorted(totals.items(), key=lambda kv: kv[0] or 0))


def _pad(n: int, to: int) -> int:
    return -(-n // to) * to


def cache_cells(context: int, window: int | None, s: Settings = SETTINGS) -> int:
    if window is None:
        return _pad(context, s.kv_pad)
    return min(_pad(context, s.kv_pad), _pad(window + s.n_ubatch, s.kv_pad))


@lru_cache(maxsize=CACHE_SIZE)
def kv_cache_bytes(a: Architecture, context: int, kv_type: str = "f16", s: Settings = SETTINGS) -> int:
    return kv_bytes(cache_profile(a), context, KV_TYPES[kv_type], s)


def kv_bytes(profile: tuple[tuple[int | None, int], ...], context: int, per_element: float, s: Settings) -> int:
    return round(sum(cache_cells(context, window, s) * n for window, n in profile) * per_element)


@lru_cache(maxsize=CACHE_SIZE)
def _kv_by_step(a: Architecture, kv_type: str, s: Settings) -> tuple[np.ndarray, np.ndarray]:
    """Every context the cache can be sized to (multiples of kv_pad up to the model's maximum) and its bytes."""
    steps = np.arange(a.context_length // s.kv_pad + 1, dtype=np.int64) * s.kv_pad
    elements = np.zeros(len(steps), np.int64)
    for window, n in cache_profile(a):
        cells = steps if window is None else np.minimum(steps, _pad(window + s.n_ubatch, s.kv_pad))
        elements += cells * n
    return steps, np.round(elements * KV_TYPES[kv_type])


def max_contexts(a: Architecture, room: np.ndarray, kv_type: str = "f16", s: Settings = SETTINGS) -> np.ndarray:
    """For each amount of memory left once weights and buffers are in (`room`, bytes), the largest context, in
    steps of kv_pad tokens, whose KV cache fits; 0 where none does. The cache only grows with context."""
    steps, kv = _kv_by_step(a, kv_type, s)
    fit = np.searchsorted(kv, room, side="right") - 1
    return np.minimum(steps[np.maximum(fit, 0)], a.context_length)


def kv_read_bytes(a: Architecture, tokens: float, kv_type: str = "f16") -> float:
    """KV bytes one decode step reads when `tokens` tokens are already cached."""
    per_element = KV_TYPES[kv_type]
    return sum(min(tokens, window or tokens) * n for window, n in cache_profile(a)) * per_element


@lru_cache(maxsize=CACHE_SIZE)
def overhead_bytes(a: Architecture, s: Settings = SETTINGS) -> int:
    """llama.cpp's compute buffer for one micro-batch: f32 logits plus the widest activations."""
    widest = max(a.intermediate_size or 0, (a.moe_intermediate_size or 0) * (a.experts_per_token or 1))
    return 4 * s.n_ubatch * (a.vocab_size + 2 * widest + 4 * a.hidden_size)


def has_separate_memory(device: Device) -> bool:
    """A GPU with its own memory: it can offload layers to system RAM, and llama.cpp keeps the input embedding
    table there."""
    return device.kind in (DeviceKind.DISCRETE_GPU, DeviceKind.DATACENTER_GPU)


def usable_bytes(device: Device, s: Settings = SETTINGS) -> int:
    total = device.memory_bytes
    if device.kind is DeviceKind.UNIFIED_MEMORY and device.vendor == "Apple":
        return round(total * apple_gpu_fraction(device.memory_gb))
    if device.kind in (DeviceKind.CPU, DeviceKind.UNIFIED_MEMORY):
        return max(0, total - s.cpu_reserve_bytes)
    return max(0, total - s.gpu_reserve_bytes)


def apple_gpu_fraction(memory_gb: float) -> float:
    """macOS's default Metal working-set limit (`recommendedMaxWorkingSetSize`) as a share of RAM."""
    return 0.75 if memory_gb > 36 else 2 / 3

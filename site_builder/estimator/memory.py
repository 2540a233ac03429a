"""KV cache, recurrent state, compute buffers and usable device memory, as llama.cpp allocates them."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from site_builder.content.records import Device
from site_builder.content.schema import Architecture, DeviceKind, FormFactor
from site_builder.estimator.settings import CACHE_SIZE, GIB, KV_TYPES, SETTINGS, Settings, Setup
from site_builder.estimator.tensors import block_plan, recurrent_state_elements

RECURRENT_STATE_BYTES = 4  # llama.cpp keeps recurrent (SSM, convolution) state in f32


@dataclass(frozen=True)
class CacheLayer:
    block: int  # the block (blk.N) whose cache this is
    elements_per_token: int  # K and V elements one token adds to this layer's cache
    window: int | None  # sliding-window layers keep only the last `window` tokens


@lru_cache(maxsize=CACHE_SIZE)
def cache_layers(a: Architecture) -> tuple[CacheLayer, ...]:
    """The blocks that hold a growing KV cache, with what each stores per token."""
    # MLA: llama.cpp caches the compressed latent plus the shared RoPE key (kv_lora_rank + rope dims) and,
    # since PR #19067 (Jan 2026), reads V out of that latent instead of storing it a second time.
    per_token = a.kv_lora_rank + a.qk_rope_head_dim if a.is_mla else 2 * a.kv_heads * a.head_size
    attention = [i for i, b in enumerate(block_plan(a)) if b.attention and b.in_memory]
    own = attention[: len(attention) - (a.kv_shared_layers or 0)]  # Gemma 3n: the last blocks reuse earlier KV
    layers = []
    for n, block in enumerate(own):
        windowed = a.sliding_window_pattern and (n + 1) % a.sliding_window_pattern != 0
        layers.append(CacheLayer(block, per_token, a.sliding_window if windowed else None))
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
def kv_by_block(a: Architecture, context: int, kv_type: str = "f16", s: Settings = SETTINGS) -> np.ndarray:
    """KV bytes of each block at this context (0 for blocks without a cache): the cache lives with its layer."""
    out = np.zeros(len(block_plan(a)), np.int64)
    for layer in cache_layers(a):
        out[layer.block] += round(cache_cells(context, layer.window, s) * layer.elements_per_token * KV_TYPES[kv_type])
    return out


@lru_cache(maxsize=CACHE_SIZE)
def state_by_block(a: Architecture) -> np.ndarray:
    """Recurrent state bytes of each block for one sequence: a fixed size, whatever the context."""
    out = np.zeros(len(block_plan(a)), np.int64)
    if a.recurrent:
        per_block = recurrent_state_elements(a.recurrent, a.hidden_size) * RECURRENT_STATE_BYTES
        for i, block in enumerate(block_plan(a)):
            if block.recurrent and block.in_memory:
                out[i] = per_block
    return out


def recurrent_state_bytes(a: Architecture) -> int:
    return int(state_by_block(a).sum())


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
    return np.where(room >= 0, np.minimum(steps[np.maximum(fit, 0)], a.context_length), 0)


def largest_contexts(
    a: Architecture,
    kv_type: str,
    on_gpu: np.ndarray,
    kv_now: np.ndarray,
    host_needed: np.ndarray,
    ram_left: np.ndarray,
    separate: np.ndarray,
    s: Settings = SETTINGS,
) -> np.ndarray:
    """The largest context that runs at a format (0: none), in steps of kv_pad tokens. `on_gpu` is the memory of
    the GPU(s) left for the cache once weights and buffers are in (less than `kv_now`, the cache's bytes at the
    context at hand, when it spills). Beside a GPU with its own memory a longer context moves as many weight
    bytes to system RAM as its cache adds, while the RAM holds them (`ram_left` less `host_needed`); on one
    memory pool (Apple, APUs, CPUs) the cache has only that pool."""
    spilling = np.maximum(on_gpu, kv_now) - host_needed + ram_left
    room = np.where(separate, spilling, on_gpu)
    room = np.nan_to_num(np.asarray(room, float), nan=-1.0, neginf=-1.0, posinf=-1.0)
    return max_contexts(a, room.reshape(-1), kv_type, s).reshape(np.shape(room))


def kv_read_bytes(a: Architecture, tokens: float, kv_type: str = "f16") -> float:
    """KV bytes one decode step reads when `tokens` tokens are already cached."""
    per_element = KV_TYPES[kv_type]
    return sum(min(tokens, window or tokens) * n for window, n in cache_profile(a)) * per_element


@lru_cache(maxsize=CACHE_SIZE)
def activation_bytes(a: Architecture, s: Settings = SETTINGS) -> int:
    """The part of llama.cpp's compute buffer every GPU holding layers needs: the widest activations of one
    micro-batch."""
    widest = max(a.intermediate_size or 0, (a.moe_intermediate_size or 0) * (a.experts_per_token or 1))
    return 4 * s.n_ubatch * (2 * widest + 4 * a.hidden_size)


@lru_cache(maxsize=CACHE_SIZE)
def logits_bytes(a: Architecture, s: Settings = SETTINGS) -> int:
    """f32 logits of one micro-batch, on the device that holds the output layer."""
    return 4 * s.n_ubatch * a.vocab_size


def overhead_bytes(a: Architecture, s: Settings = SETTINGS) -> int:
    """llama.cpp's compute buffer on a single device: f32 logits plus the widest activations."""
    return activation_bytes(a, s) + logits_bytes(a, s)


def has_separate_memory(device: Device) -> bool:
    """A GPU with its own memory: it can offload layers to system RAM, and llama.cpp keeps the input embedding
    table there."""
    return device.kind in (DeviceKind.DISCRETE_GPU, DeviceKind.DATACENTER_GPU)


def takes_several(device: Device) -> bool:
    """Whether a machine can hold several of these cards: desktop, workstation and server GPUs (a laptop GPU, an
    APU or a CPU is one of a kind)."""
    return has_separate_memory(device) and device.form_factor is not FormFactor.LAPTOP


def os_reserve_bytes(device: Device, s: Settings = SETTINGS) -> int:
    if device.spec.os_reserve_gb is not None:
        return round(device.spec.os_reserve_gb * GIB)
    headless = device.form_factor in (FormFactor.SERVER, FormFactor.EMBEDDED)
    return s.headless_os_reserve_bytes if headless else s.pc_os_reserve_bytes


def usable_bytes(device: Device, s: Settings = SETTINGS) -> int:
    """Memory llama.cpp can use on one card (or on the whole machine, for unified memory and CPUs)."""
    total = device.memory_bytes
    if device.kind is DeviceKind.UNIFIED_MEMORY and device.vendor == "Apple":
        return round(total * apple_gpu_fraction(device.memory_gb))
    if device.kind in (DeviceKind.CPU, DeviceKind.UNIFIED_MEMORY):
        return max(0, total - os_reserve_bytes(device, s))
    return max(0, total - s.gpu_reserve_bytes)


def host_usable_bytes(setup: Setup, s: Settings = SETTINGS) -> int:
    """System RAM beside a discrete GPU that llama.cpp can fill with offloaded layers or experts."""
    return max(0, setup.system_ram_gb * GIB - s.pc_os_reserve_bytes)


def apple_gpu_fraction(memory_gb: float) -> float:
    """macOS's default Metal working-set limit (`recommendedMaxWorkingSetSize`) as a share of RAM."""
    return 0.75 if memory_gb > 36 else 2 / 3

"""Site-wide assumptions of the estimator. Each is shown, with its reason, on the methodology page."""

from __future__ import annotations

from dataclasses import dataclass

GIB = 2**30
# Memo tables of the estimator key on values (architectures, formats): bounded, so a long `make serve` session
# that edits cards all day keeps a constant footprint.
CACHE_SIZE = 8192
CONTEXT_PRESETS = (4096, 8192, 32768, 131072)
DEFAULT_CONTEXT = 8192
KV_TYPES = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}  # bytes per cached element (ggml block sizes)


@dataclass(frozen=True)
class Settings:
    # llama.cpp's defaults: prompts are processed in micro-batches of 512 tokens, the KV cache is f16.
    n_ubatch: int = 512
    kv_pad: int = 256
    # Memory a discrete or datacenter GPU keeps for the driver, CUDA/ROCm context and display.
    gpu_reserve_bytes: int = GIB
    # A CPU-only machine also runs an OS and a desktop; llama.cpp may use what is left.
    cpu_reserve_bytes: int = 4 * GIB
    # Partial offload: the PC around a discrete GPU is assumed to have this much RAM and bandwidth
    # (dual-channel DDR5-4800: 2 x 64 bit x 4800 MT/s = 76.8 GB/s).
    system_ram_bytes: int = 32 * GIB
    system_ram_bandwidth_gbps: float = 76.8


SETTINGS = Settings()

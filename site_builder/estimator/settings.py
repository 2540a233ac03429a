"""Site-wide assumptions of the estimator and the reader's setup. Each is shown, with its reason, on the
methodology page; the setup's defaults are stated on every page that uses them."""

from __future__ import annotations

from dataclasses import dataclass

GIB = 2**30
# Memo tables of the estimator key on values (architectures, formats): bounded, so a long `make serve` session
# that edits cards all day keeps a constant footprint.
CACHE_SIZE = 8192
CONTEXT_PRESETS = (4096, 8192, 32768, 131072)
DEFAULT_CONTEXT = 8192
KV_TYPES = {"f16": 2.0, "q8_0": 34 / 32, "q4_0": 18 / 32}  # bytes per cached element (ggml block sizes)
GPU_COUNTS = (1, 2, 4, 8)
SYSTEM_RAM_GB = (16, 32, 64, 128, 256)


@dataclass(frozen=True)
class Setup:
    """What the reader tells us about their machine besides the device: identical GPUs, the PC's RAM (where
    layers or experts go when the model does not fit a GPU), and the KV cache's storage type."""

    gpus: int = 1
    system_ram_gb: int = 32
    kv_type: str = "f16"

    def __post_init__(self) -> None:
        if self.gpus not in GPU_COUNTS or self.system_ram_gb not in SYSTEM_RAM_GB or self.kv_type not in KV_TYPES:
            raise ValueError(f"unsupported setup {self}")


DEFAULT_SETUP = Setup()


@dataclass(frozen=True)
class Settings:
    # llama.cpp's defaults: prompts are processed in micro-batches of 512 tokens; flash attention is on where the
    # backend has it (`-fa auto`), so no attention-score matrix is allocated.
    n_ubatch: int = 512
    kv_pad: int = 256
    # Memory a discrete or datacenter GPU keeps for the driver, CUDA/ROCm context and display.
    gpu_reserve_bytes: int = GIB
    # Memory the operating system keeps, where a device file does not state its own (`os_reserve_gb`): a PC
    # (desktop, laptop, mini PC) runs Windows 11 or a Linux desktop: Windows 11's minimum requirement, 4 GB
    # (microsoft.com/windows/windows-11-specifications); a server or an embedded board runs headless Linux:
    # Ubuntu Server's minimum for its cloud image, 1 GB (canonical/ubuntu-server-documentation,
    # docs/reference/installation/system-requirements.md).
    pc_os_reserve_bytes: int = 4 * GIB
    headless_os_reserve_bytes: int = GIB
    # Partial offload: the RAM of the PC around a discrete GPU runs at dual-channel DDR5-4800
    # (2 x 64 bit x 4800 MT/s = 76.8 GB/s), the JEDEC speed every DDR5 platform supports.
    system_ram_bandwidth_gbps: float = 76.8


SETTINGS = Settings()

"""The shipped catalogue: the coverage issue #4 asks for, and every consistency check passing on it."""

from __future__ import annotations

from site_builder.content.check import check_content

from .conftest import ROOT

MODELS = [
    "mistral-7b-instruct-v0-1", "mistral-7b-instruct-v0-2", "mistral-7b-instruct-v0-3", "mixtral-8x7b-instruct",
    "mixtral-8x22b-instruct", "mistral-nemo-12b-instruct", "mistral-small-24b-instruct", "llama-2-7b-chat",
    "llama-2-13b-chat", "llama-2-70b-chat", "llama-3-8b-instruct", "llama-3-70b-instruct", "llama-3-1-8b-instruct",
    "llama-3-1-70b-instruct", "llama-3-1-405b-instruct", "llama-3-2-1b-instruct", "llama-3-2-3b-instruct",
    "llama-3-3-70b-instruct", "gemma-7b-it", "gemma-2-2b-it", "gemma-2-9b-it", "gemma-2-27b-it", "gemma-3-4b-it",
    "gemma-3-12b-it", "gemma-3-27b-it", "qwen2-5-0-5b-instruct", "qwen2-5-72b-instruct", "qwen2-5-coder-7b-instruct",
    "qwen3-8b", "qwen3-30b-a3b", "qwen3-235b-a22b", "phi-3-mini-4k-instruct", "phi-3-medium-4k-instruct", "phi-4",
    "deepseek-r1-distill-qwen-7b", "deepseek-v3", "deepseek-r1", "gpt-oss-20b", "gpt-oss-120b",
]  # fmt: skip
DEVICES = [
    "rtx-4060", "rtx-4070", "rtx-4060-ti-8gb", "rtx-4060-ti-16gb", "rtx-5060-ti-8gb", "rtx-5060-ti-16gb", "rtx-5090",
    "rtx-a6000", "rtx-4000-ada", "rtx-5000-ada", "rtx-6000-ada", "rtx-pro-6000-blackwell", "tesla-t4", "l4", "a10",
    "a40", "l40s", "a100-pcie-40gb", "a100-sxm4-80gb", "h100-pcie", "h100-sxm", "h200", "b200", "dgx-spark",
    "rx-7900-xtx", "rx-9070-xt", "instinct-mi300x", "arc-a750", "arc-a770-16gb", "arc-b580", "apple-m3-max-30c-36gb",
    "apple-m3-max-40c-128gb", "cloud-tpu-v5e", "cpu-ddr5-5600-dual-channel-64gb", "raspberry-pi-5-8gb",
]  # fmt: skip


def test_the_catalogue_covers_what_people_run(catalogue):
    models, devices = {m.slug for m in catalogue.models}, {d.slug for d in catalogue.devices}
    assert len(models) >= 45 and len(devices) >= 90
    assert [m for m in MODELS if m not in models] == []
    assert [d for d in DEVICES if d not in devices] == []


def test_every_file_passes_the_consistency_checks(catalogue):
    check_content(catalogue)  # parameter counts, bandwidth = bus x rate, benchmark references, unique pages


def test_every_file_lists_sources(catalogue):
    assert [m.slug for m in catalogue.models if not m.card.sources] == []
    assert [d.slug for d in catalogue.devices if not d.spec.sources] == []
    assert (ROOT / "content" / "benchmarks").is_dir()

"""`site-builder new model|device`: start a content file, its architecture read from a Hugging Face config.json
(a local file, or fetched with `--hf <org>/<repo>`).

A config.json is untrusted input: it goes through the hardened reader (`configjson`) and the strict family
readers (`configarch`), and any problem refuses the whole file, one line each, before anything is written. What
a config.json cannot state (name, licence, summary) is left as a TODO marker, which `site-builder check` refuses
until a contributor replaces it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from site_builder.content.schema import Architecture, Recurrent
from site_builder.devtools.configarch import MAX_PARAMS, Keys, architecture_from_config, family_name
from site_builder.devtools.configjson import MAX_BYTES, ConfigError, Problems, got, parse, read_bounded, show
from site_builder.estimator.tensors import count_params

TODO = "TODO"
INDEX = "model.safetensors.index.json"
INDEX_MAX_BYTES = 32 << 20  # the weight map of a 256-expert model lists ~100,000 tensors
HF_REPO = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,95}/[A-Za-z0-9][A-Za-z0-9._-]{0,95}")
# bytes per parameter of an unquantized checkpoint, by its torch_dtype
DTYPE_BYTES = {"bfloat16": 2, "float16": 2, "float32": 4}
SIGNIFICANT = 4  # digits of params_b: 0.135B rounded to 0.14 would be 4% off and fail the site's 3% check


@dataclass(frozen=True)
class Fetched:
    data: bytes
    url: str  # where a reader can see the same file: a card's source


# (repository, file name, byte cap) -> the file, or None when the repository has no such file
Fetch = Callable[[str, str, int], Fetched | None]


@dataclass(frozen=True)
class Scaffold:
    architecture: dict
    family: str
    published: tuple[int, str] | None = None  # parameters from the safetensors index, and how they were derived
    sources: list[str] = field(default_factory=list)
    link: str | None = None


def from_file(path: Path) -> Scaffold:
    shown = str(path)
    config = parse(read_bounded(path, shown), shown)
    return Scaffold(architecture_from_config(config, shown), family_name(config))


def from_hub(repo: str, fetch: Fetch | None = None) -> Scaffold:
    """config.json of a Hub repository, and its parameter count from model.safetensors.index.json when it has
    one. `fetch` defaults to hub_fetch, looked up at call time so that tests can replace it."""
    if not HF_REPO.fullmatch(repo) or ".." in repo:
        raise ConfigError([f"{show(repo)}: file: is not a Hugging Face repository id (<org>/<repo>)"])
    fetch = fetch or hub_fetch
    shown = f"{repo}/config.json"
    config_file = fetch(repo, "config.json", MAX_BYTES)
    if config_file is None:
        raise ConfigError([f"{shown}: file: the repository has no config.json"])
    config = parse(config_file.data, shown)
    arch = architecture_from_config(config, shown)
    index = fetch(repo, INDEX, INDEX_MAX_BYTES)
    index_shown = f"{repo}/{INDEX}"
    published = _published(parse(index.data, index_shown, INDEX_MAX_BYTES), config, index_shown) if index else None
    sources = [config_file.url, *([index.url] if index else [])]
    return Scaffold(arch, family_name(config), published, sources, f"https://huggingface.co/{repo}")


def _published(index: object, config: dict, shown: str) -> tuple[int, str] | None:
    """Parameters the checkpoint holds: `total_parameters` where the index states it, else `total_size` over the
    bytes of the config's dtype. None for a quantized checkpoint, whose bytes say nothing exact about counts."""
    problems = Problems(shown)
    if not isinstance(index, dict):
        problems.add("file", f"must hold a JSON object at the top level, got {got(index)}")
        problems.raise_any()
    meta = Keys(index, "", problems).child("metadata")
    problems.raise_any()
    stated = _positive(meta, "total_parameters", int(MAX_PARAMS))
    size = _positive(meta, "total_size", 4 * int(MAX_PARAMS))  # float32 at most
    problems.raise_any()
    if stated:
        return stated, f"{INDEX}: total_parameters"
    text = config.get("text_config") if isinstance(config.get("text_config"), dict) else {}
    dtype = config.get("torch_dtype") or config.get("dtype") or text.get("torch_dtype") or text.get("dtype")
    if not size or not isinstance(dtype, str) or dtype not in DTYPE_BYTES or config.get("quantization_config"):
        return None
    return size // DTYPE_BYTES[dtype], f"{INDEX}: total_size / {DTYPE_BYTES[dtype]} bytes ({dtype})"


def _positive(meta: Keys, key: str, high: int) -> int | None:
    value = meta.raw(key)
    if value is not None and (type(value) is not int or not 0 < value <= high):
        meta.problem(key, f"must be an integer from 1 to {high:,}, got {got(value)}")
        return None
    return value


def hub_fetch(repo: str, filename: str, limit: int) -> Fetched | None:
    """A file from the Hub through huggingface_hub (its cache, token and offline mode apply), pinned to the commit
    it came from. Its size is checked before it is downloaded, and again while it is read."""
    shown = f"{repo}/{filename}"
    try:
        from huggingface_hub import get_hf_file_metadata, hf_hub_download, hf_hub_url
        from huggingface_hub.errors import EntryNotFoundError, LocalEntryNotFoundError
    except ImportError:
        raise ConfigError([f"{shown}: file: --hf needs huggingface_hub (pip install huggingface_hub)"]) from None
    try:
        meta = get_hf_file_metadata(hf_hub_url(repo, filename))
        if meta.size and meta.size > limit:
            raise ConfigError([f"{shown}: file: is {meta.size:,} bytes, more than {limit:,}; not downloaded"])
        commit = meta.commit_hash or "main"
        path = hf_hub_download(repo, filename, revision=commit)
    except LocalEntryNotFoundError as exc:  # offline, or the Hub unreachable: not the same as a missing file
        raise ConfigError([f"{shown}: file: cannot fetch ({_one_line(exc)})"]) from None
    except EntryNotFoundError:
        return None
    except ConfigError:
        raise
    except Exception as exc:  # the client's network, HTTP and auth errors, whatever their classes: one line each
        raise ConfigError([f"{shown}: file: cannot fetch ({_one_line(exc)})"]) from None
    data = read_bounded(Path(path), shown, limit)
    return Fetched(data, f"https://huggingface.co/{repo}/blob/{commit}/{filename}")


def _one_line(exc: BaseException) -> str:
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    text = "".join(c if c.isprintable() else "?" for c in first)[:160]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def model_file(scaffold: Scaffold | None, schema_path: str) -> str:
    read = scaffold.sources if scaffold and scaffold.sources else [f"{TODO} address of the config.json you copied the "
                                                                    "architecture from"]  # fmt: skip
    link = scaffold.link if scaffold and scaffold.link else f"https://huggingface.co/{TODO}"
    lines = [
        "---",
        f"# yaml-language-server: $schema={schema_path}",
        f"name: {TODO} display name, e.g. Llama 3.1 8B Instruct",
        f"family: {scaffold.family if scaffold else TODO}",
        f"publisher: {TODO} organisation that released it",
        *(_architecture_lines(scaffold) if scaffold else _blank_architecture()),
        f"license: {TODO} SPDX id or licence name",
        f"summary: {TODO} one sentence on what it is and what it is good at",
        "links:",
        f"  Hugging Face: {link}",
        "sources:",
        *(f"  - {source}" for source in read),
        f"  - {TODO} address of the model card (parameters, licence, context)",
        "---",
        f"{TODO}: two to four short paragraphs: what the model is good at, its architecture in plain words,",
        "how it compares with its neighbours. Facts only, each traceable to a source above.",
    ]
    return "\n".join(lines) + "\n"


def _architecture_lines(s: Scaffold) -> list[str]:
    arch = Architecture(**s.architecture)
    total, active = count_params(arch)
    if s.published:
        count, how = s.published
        lines = [f"params_b: {_billions(count)}  # {how}; the architecture implies {_billions(total)}"]
    else:
        lines = [f"params_b: {_billions(total)}  # computed from the architecture; use the model card's figure"]
    if arch.is_moe:
        lines.append(f"active_params_b: {_billions(active)}  # computed; use the model card's figure")
    lines.append("architecture:  # from config.json")
    return lines + _yaml(s.architecture, "  ")


def _billions(count: int) -> str:
    return f"{count / 1e9:.{SIGNIFICANT}g}"


def _yaml(fields: dict, indent: str) -> list[str]:
    """In the schema's field order, which is the order the catalogue's cards use."""
    order = list(Recurrent.model_fields if "kind" in fields else Architecture.model_fields)
    out = []
    for key in sorted(fields, key=order.index):
        value = fields[key]
        if isinstance(value, dict):
            out += [f"{indent}{key}:", *_yaml(value, indent + "  ")]
        else:
            out.append(f"{indent}{key}: {str(value).lower() if isinstance(value, bool) else value}")
    return out


def _blank_architecture() -> list[str]:
    keys = ("layers", "hidden_size", "intermediate_size", "attention_heads", "kv_heads", "vocab_size", "context_length")
    return [f"params_b: 0  # {TODO}", "architecture:  # copy from the model's config.json",
            *(f"  {k}: 0  # {TODO}" for k in keys)]  # fmt: skip


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

"""`site-builder new`: architectures from real config.json files, parameter counts against the publishers'
figures, `--hf` through an injected fetch (no network), TODO markers that block a build, schemas."""

import json
import sys
import types

import pytest

from site_builder.build import check
from site_builder.cli import main
from site_builder.content.schema import Architecture
from site_builder.content.validate import read_document
from site_builder.devtools import scaffold
from site_builder.devtools.jsonschema import SCHEMA_DIR, schema_documents
from site_builder.devtools.scaffold import ConfigError, Fetched, architecture_from_config, hub_fetch
from site_builder.errors import ContentError
from site_builder.estimator.tensors import block_plan, count_params

from .conftest import FIXTURES

CONFIGS = FIXTURES / "configs"
# config.json fixture -> the catalogue model whose architecture it must reproduce
CASES = {
    "llama-3-1-8b": "llama-3-1-8b-instruct",
    "mistral-7b-v0-1": "mistral-7b-instruct-v0-1",
    "mixtral-8x7b": "mixtral-8x7b-instruct",
    "qwen2-5-7b": "qwen2-5-7b-instruct",
    "qwen3-30b-a3b": "qwen3-30b-a3b",
    "gemma-2-9b": "gemma-2-9b-it",
    "gemma-3-4b": "gemma-3-4b-it",
    "gemma-3-1b-it": "gemma-3-1b-it",
    "gemma-3-270m": "gemma-3-270m-it",
    "phi-3-mini-4k": "phi-3-mini-4k-instruct",
    "deepseek-v2-lite": "deepseek-v2-lite-chat",
    "gpt-oss-20b": "gpt-oss-20b",
    "qwen3-next-80b-a3b": "qwen3-next-80b-a3b-instruct",
    "llama-4-scout-17b-16e-instruct": "llama-4-scout-17b-16e-instruct",
    "llama-4-maverick-17b-128e-instruct": "llama-4-maverick-17b-128e-instruct",
    "granite-4-0-h-tiny": "granite-4-0-h-tiny",
    "granite-4-0-h-small": "granite-4-0-h-small",
    "glm-4-5": "glm-4-5",
    "glm-4-5-air": "glm-4-5-air",
}
# Where a card and its config.json disagree, and why the config is taken at its word.
KNOWN_DIFFERENCES = {
    # the card records the tokenizer's 262,144 tokens; the checkpoint's embedding (Gemma3TextConfig's default,
    # which this config relies on) has 262,208 rows
    "gemma-3-4b": {"vocab_size"},
    # the config states one next-token-prediction layer (num_nextn_predict_layers), which the card leaves out
    "glm-4-5-air": {"nextn_layers"},
}


def config(name: str) -> dict:
    return json.loads((CONFIGS / f"{name}.json").read_text())


def derived(name: str) -> dict:
    return architecture_from_config(config(name), f"{name}.json")


@pytest.mark.parametrize(("name", "slug"), CASES.items())
def test_architecture_from_config_matches_the_catalogue(catalogue, name, slug):
    ours = Architecture(**derived(name)).model_dump(exclude_none=True)
    card = catalogue.model(slug).card.architecture.model_dump(exclude_none=True)
    # the catalogue keeps context lengths from model cards where they differ from config.json; a card may
    # state a head_dim the config leaves implicit, or an intermediate_size no layer uses
    skip = {"context_length", *KNOWN_DIFFERENCES.get(name, ())}
    skip |= {"head_dim"} if "head_dim" not in ours else set()
    skip |= {"intermediate_size"} if "intermediate_size" not in card else set()
    assert {k: v for k, v in ours.items() if k not in skip} == {k: v for k, v in card.items() if k not in skip}


def llama4_vision(v: dict) -> int:
    """Weights of Llama 4's vision encoder and projector, which the published totals count and the text model
    (what the site's architecture describes) does not: transformers' Llama4VisionModel, layer by layer."""
    h, ffn, patches = v["hidden_size"], v["intermediate_size"], (v["image_size"] // v["patch_size"]) ** 2 + 1
    layer = 4 * (h * h + h) + (h * ffn + ffn) + (ffn * h + h) + 4 * h  # q, k, v, o; fc1, fc2; two layer norms
    adapter_in = int(h / v["pixel_shuffle_ratio"] ** 2)
    stem = v["num_channels"] * v["patch_size"] ** 2 * h + h + patches * h + 4 * h  # patches, class, positions, norms
    adapter = adapter_in * v["projector_input_dim"] + v["projector_input_dim"] * v["projector_output_dim"]
    return stem + v["num_hidden_layers"] * layer + adapter + v["projector_output_dim"] * 5120  # projector to text


# fixture: (total the architecture implies, computed once; the publisher's total; where that figure is from)
PUBLISHED = {
    "llama-4-scout-17b-16e-instruct": (107_769_861_120, 109e9, "Meta's model card: 109B total (with the vision "
                                       "encoder, added below), 17B active"),
    "llama-4-maverick-17b-128e-instruct": (400_711_848_960, 400e9, "Meta's model card: 400B total (with the vision "
                                           "encoder, added below), 17B active"),
    "qwen3-30b-a3b": (30_532_110_336, 30.5e9, "Qwen's model card: 30.5B in total and 3.3B activated"),
    "granite-4-0-h-tiny": (6_938_801_664, 7e9, "IBM's Granite 4.0 model card: H Tiny, 7B total, 1B active"),
    "granite-4-0-h-small": (32_206_725_120, 32e9, "IBM's Granite 4.0 model card: H Small, 32B total, 9B active"),
    "glm-4-5": (352_796_472_320, 355e9, "Z.ai's model card: 355B total, 32B active (MTP layer not counted)"),
    "glm-4-5-air": (106_851_586_048, 106e9, "Z.ai's model card: 106B total, 12B active"),
    "gemma-3-1b-it": (999_812_736, 1.0e9, "Google's Gemma 3 model card: 1B; the safetensors file on Hugging Face"),
    "gemma-3-270m": (268_065_920, 268e6, "the safetensors file's count on Hugging Face: 268M"),
}  # fmt: skip
LLAMA4_VISION = 871_932_416  # llama4_vision() of both Llama 4 configs


@pytest.mark.parametrize(("name", "expected"), PUBLISHED.items())
def test_parameter_counts_within_one_percent_of_the_published_figures(name, expected):
    total, published, _source = expected
    assert count_params(Architecture(**derived(name)))[0] == total
    counted = total + (llama4_vision(config(name)["vision_config"]) if name.startswith("llama-4") else 0)
    assert abs(counted / published - 1) < 0.01


def test_llama4_vision_encoder_count():
    assert llama4_vision(config("llama-4-scout-17b-16e-instruct")["vision_config"]) == LLAMA4_VISION


def test_maverick_alternates_dense_and_moe_layers():
    arch = derived("llama-4-maverick-17b-128e-instruct")
    plan = block_plan(Architecture(**arch))
    assert [b.ffn for b in plan[:4]] == ["dense", "moe", "dense", "moe"] and sum(b.ffn == "moe" for b in plan) == 24
    every_layer = count_params(Architecture(**{**arch, "moe_layer_step": None}))[0]
    assert every_layer / count_params(Architecture(**arch))[0] > 1.9  # what ignoring the step would claim: +95%
    assert [b.ffn for b in block_plan(Architecture(**derived("llama-4-scout-17b-16e-instruct")))] == ["moe"] * 48


def test_qwen_moe_sparse_step_and_dense_layers():
    arch = architecture_from_config({**config("qwen3-30b-a3b"), "decoder_sparse_step": 2, "mlp_only_layers": [0, 1]})
    assert (arch["moe_layer_step"], arch["dense_layers"]) == (2, 2)
    plan = block_plan(Architecture(**arch))
    # transformers' rule: MoE unless listed in mlp_only_layers, and only when (i + 1) % decoder_sparse_step == 0
    assert [i for i, b in enumerate(plan) if b.ffn == "moe"] == [i for i in range(2, 48) if (i + 1) % 2 == 0]
    assert count_params(Architecture(**derived("qwen3-30b-a3b")))[0] / count_params(Architecture(**arch))[0] > 1.8


def test_granite_hybrid_sizes_kv_for_its_attention_layers_only():
    arch = Architecture(**derived("granite-4-0-h-tiny"))
    plan = block_plan(arch)
    assert (sum(b.attention for b in plan), sum(b.recurrent for b in plan)) == (4, 36)
    assert arch.recurrent.model_dump(exclude_none=True) == {
        "kind": "mamba2", "layers": 36, "conv_kernel": 4, "heads": 48, "head_dim": 64, "state_size": 128, "groups": 1
    }  # fmt: skip


def test_glm_keeps_its_mtp_layer_after_dense_first_layers_and_a_shared_expert():
    arch = Architecture(**derived("glm-4-5"))
    plan = block_plan(arch)
    assert (arch.dense_layers, arch.shared_experts, arch.nextn_layers, len(plan)) == (3, 1, 1, 93)
    assert [b.ffn for b in plan[:4]] == ["dense", "dense", "dense", "moe"] and not plan[-1].in_memory


def test_gemma_3_fills_transformers_defaults_its_text_config_omits():
    arch = derived("gemma-3-4b")
    assert {k: arch[k] for k in ("attention_heads", "kv_heads", "head_dim", "vocab_size", "context_length")} == {
        "attention_heads": 8, "kv_heads": 4, "head_dim": 256, "vocab_size": 262_208, "context_length": 131_072
    }  # fmt: skip
    assert (arch["layers"], arch["sliding_window"], arch["sliding_window_pattern"], arch["tied_embeddings"]) == (
        34, 1024, 6, True,
    )  # fmt: skip


def test_layer_types_give_the_pattern():
    arch = derived("gpt-oss-20b")
    assert (arch["sliding_window"], arch["sliding_window_pattern"], arch["expert_format"]) == (128, 2, "MXFP4")
    assert derived("gemma-3-270m")["sliding_window_pattern"] == 6


def test_qwen_window_only_when_used():
    assert "sliding_window" not in derived("qwen2-5-7b")


def test_params_b_keeps_four_significant_figures(tmp_path):
    """A 0.135B model written as 0.13 would be 3.4% off and fail the site's 3% parameter check."""
    small = {"model_type": "llama", "hidden_size": 576, "intermediate_size": 1536, "num_attention_heads": 9,
             "num_key_value_heads": 3, "num_hidden_layers": 30, "vocab_size": 49152, "max_position_embeddings": 8192,
             "tie_word_embeddings": True}  # fmt: skip
    path = tmp_path / "config.json"
    path.write_text(json.dumps(small))
    text = scaffold.model_file(scaffold.from_file(path), "schema.json")
    total = count_params(Architecture(**architecture_from_config(small)))[0]
    assert total == 134_515_008 and "params_b: 0.1345  #" in text and abs(0.1345e9 / total - 1) < 0.001


class Hub:
    """Fake Hub files for `--hf`: (repository, file name) -> bytes; a missing file is None, as hub_fetch says."""

    def __init__(self, files: dict[str, bytes], commit: str = "0123abc"):
        self.files, self.commit, self.asked = files, commit, []

    def __call__(self, repo: str, filename: str, limit: int) -> Fetched | None:
        self.asked.append((repo, filename, limit))
        data = self.files.get(filename)
        return None if data is None else Fetched(data, f"https://huggingface.co/{repo}/blob/{self.commit}/{filename}")


INDEX = json.dumps({"metadata": {"total_size": 13_877_603_328}, "weight_map": {"lm_head.weight": "a.safetensors"}})


def test_new_model_from_the_hub(tmp_path, monkeypatch, capsys):
    hub = Hub({"config.json": (CONFIGS / "granite-4-0-h-tiny.json").read_bytes(), scaffold.INDEX: INDEX.encode()})
    monkeypatch.setattr(scaffold, "hub_fetch", hub)
    content = tmp_path / "content"
    args = ["new", "model", "granite-h-tiny", "--hf", "ibm-granite/granite-4.0-h-tiny", "--content", str(content)]
    assert main(args) == 0
    text = (content / "models" / "granite-h-tiny.md").read_text()
    assert "params_b: 6.939  # model.safetensors.index.json: total_size / 2 bytes (bfloat16); the architecture " \
           "implies 6.939\n" in text  # fmt: skip
    assert "family: Granite\n" in text and "  gguf_arch: granitehybrid\n" in text
    assert "  Hugging Face: https://huggingface.co/ibm-granite/granite-4.0-h-tiny\n" in text
    assert (
        "sources:\n  - https://huggingface.co/ibm-granite/granite-4.0-h-tiny/blob/0123abc/config.json\n"
        "  - https://huggingface.co/ibm-granite/granite-4.0-h-tiny/blob/0123abc/model.safetensors.index.json\n"
        "  - TODO address of the model card (parameters, licence, context)\n"
    ) in text
    assert [name for _, name, _ in hub.asked] == ["config.json", scaffold.INDEX]
    assert "replace the 6 TODO markers" in capsys.readouterr().out


def test_hub_index_total_parameters_and_missing_index():
    index = b'{"metadata": {"total_parameters": 30532122624, "total_size": 61064245248}}'
    hub = Hub({"config.json": (CONFIGS / "qwen3-30b-a3b.json").read_bytes(), scaffold.INDEX: index})
    assert scaffold.from_hub("Qwen/Qwen3-30B-A3B", hub).published == (30_532_122_624, f"{scaffold.INDEX}: "
                                                                        "total_parameters")  # fmt: skip
    del hub.files[scaffold.INDEX]
    made = scaffold.from_hub("Qwen/Qwen3-30B-A3B", hub)
    assert made.published is None and made.sources == [
        "https://huggingface.co/Qwen/Qwen3-30B-A3B/blob/0123abc/config.json"
    ]


@pytest.mark.parametrize(
    ("files", "line"),
    [
        ({}, "Qwen/Qwen3-30B-A3B/config.json: file: the repository has no config.json"),
        ({"config.json": b"[1, 2]"}, "Qwen/Qwen3-30B-A3B/config.json: file: must hold a JSON object at the top level, "
                                     "got a list"),
        ({"config.json": (CONFIGS / "qwen3-30b-a3b.json").read_bytes(), scaffold.INDEX: b'{"metadata": '
          b'{"total_size": "61064245248"}}'}, 'Qwen/Qwen3-30B-A3B/model.safetensors.index.json: metadata.total_size: '
         'must be an integer from 1 to 40,000,000,000,000, got the string "61064245248"'),
    ],
)  # fmt: skip
def test_hub_refusals(files, line):
    with pytest.raises(ConfigError) as err:
        scaffold.from_hub("Qwen/Qwen3-30B-A3B", Hub(files))
    assert err.value.lines == [line]


def test_a_bad_repository_id_is_refused_before_any_fetch(tmp_path, capsys):
    hub = Hub({})
    with pytest.raises(ConfigError) as err:
        scaffold.from_hub("../../etc/passwd", hub)
    assert err.value.lines == ['"../../etc/passwd": file: is not a Hugging Face repository id (<org>/<repo>)']
    assert hub.asked == []
    assert main(["new", "model", "m", "--hf", "just-a-name", "--content", str(tmp_path)]) == 2
    assert capsys.readouterr().err.splitlines()[0] == '"just-a-name": file: is not a Hugging Face repository id ' \
                                                      "(<org>/<repo>)"  # fmt: skip


def fake_hub_client(monkeypatch, tmp_path, metadata):
    """A stand-in for the huggingface_hub package, so hub_fetch itself runs with no network."""
    errors = types.ModuleType("huggingface_hub.errors")
    errors.EntryNotFoundError = type("EntryNotFoundError", (Exception,), {})
    errors.LocalEntryNotFoundError = type("LocalEntryNotFoundError", (errors.EntryNotFoundError,), {})
    hub = types.ModuleType("huggingface_hub")
    hub.errors = errors
    hub.hf_hub_url = lambda repo, filename: f"https://huggingface.co/{repo}/resolve/main/{filename}"
    hub.get_hf_file_metadata = lambda url: metadata(errors)
    hub.hf_hub_download = lambda repo, filename, revision: str(tmp_path / filename)
    monkeypatch.setitem(sys.modules, "huggingface_hub", hub)
    monkeypatch.setitem(sys.modules, "huggingface_hub.errors", errors)


def test_hub_fetch_pins_the_commit_and_checks_the_size_first(monkeypatch, tmp_path):
    (tmp_path / "config.json").write_bytes(b"{}")
    fake_hub_client(monkeypatch, tmp_path, lambda errors: types.SimpleNamespace(size=2, commit_hash="c0ffee"))
    assert hub_fetch("org/repo", "config.json", 100) == Fetched(
        b"{}", "https://huggingface.co/org/repo/blob/c0ffee/config.json"
    )
    with pytest.raises(ConfigError) as err:
        hub_fetch("org/repo", "config.json", 1)
    assert err.value.lines == ["org/repo/config.json: file: is 2 bytes, more than 1; not downloaded"]


def test_hub_fetch_turns_network_errors_into_one_line(monkeypatch, tmp_path):
    def unreachable(errors):
        raise ConnectionError("[Errno -2] Name or service not known\nRequest ID: 42")

    fake_hub_client(monkeypatch, tmp_path, unreachable)
    with pytest.raises(ConfigError) as err:
        hub_fetch("org/repo", "config.json", 100)
    assert err.value.lines == ["org/repo/config.json: file: cannot fetch (ConnectionError: [Errno -2] Name or service "
                               "not known)"]  # fmt: skip


def raising(error: str, message: str):
    def metadata(errors):
        raise getattr(errors, error)(message)

    return metadata


def test_hub_fetch_tells_a_missing_file_from_an_offline_cache(monkeypatch, tmp_path):
    fake_hub_client(monkeypatch, tmp_path, raising("EntryNotFoundError", "404"))
    assert hub_fetch("org/repo", scaffold.INDEX, 100) is None
    fake_hub_client(monkeypatch, tmp_path, raising("LocalEntryNotFoundError", "offline"))
    with pytest.raises(ConfigError) as err:
        hub_fetch("org/repo", "config.json", 100)
    assert err.value.lines == ["org/repo/config.json: file: cannot fetch (LocalEntryNotFoundError: offline)"]


def test_new_model_from_config_then_check_then_build(tmp_path, capsys):
    content = tmp_path / "content"
    config_path = CONFIGS / "llama-3-1-8b.json"
    assert main(["new", "model", "my-llama", "--from-config", str(config_path), "--content", str(content)]) == 0
    path = content / "models" / "my-llama.md"
    text = path.read_text()
    assert text.startswith("---\n# yaml-language-server: $schema=../../schema/model.schema.json\n")
    assert "params_b: 8.03" in text and "  kv_heads: 8" in text and "family: Llama" in text
    with pytest.raises(ContentError) as err:
        check(content)
    lines = [str(p) for p in err.value.problems]
    assert all("still a TODO placeholder" in line for line in lines)
    assert {line.split(": ")[1] for line in lines} >= {"name", "publisher", "license", "summary", "sources[0]", "body"}
    filled = (
        text.replace("TODO display name, e.g. Llama 3.1 8B Instruct", "My Llama")
        .replace("TODO organisation that released it", "Meta")
        .replace("TODO SPDX id or licence name", "Llama 3.1 Community License")
        .replace("TODO one sentence on what it is and what it is good at", "A test model.")
        .replace("https://huggingface.co/TODO", "https://huggingface.co/meta-llama/Llama-3.1-8B")
        .replace("TODO address of the config.json you copied the architecture from", "https://example.org/config.json")
        .replace("TODO address of the model card (parameters, licence, context)", "https://example.org/card")
    )
    filled = filled[: filled.index("---\nTODO")] + "---\nA real description.\n"
    path.write_text(filled)
    assert [m.slug for m in check(content).models] == ["my-llama"]
    capsys.readouterr()
    assert main(["build", "--content", str(content), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "models" / "my-llama" / "index.html").exists()


def test_new_refuses_to_overwrite_and_bad_slugs(tmp_path, capsys):
    content = tmp_path / "content"
    assert main(["new", "device", "my-gpu", "--content", str(content)]) == 0
    assert main(["new", "device", "my-gpu", "--content", str(content)]) == 2
    assert main(["new", "device", "My_GPU", "--content", str(content)]) == 2
    assert main(["new", "device", "my-gpu\n", "--content", str(content)]) == 2
    assert main(["new", "device", "gpu", "--hf", "org/repo", "--content", str(content)]) == 2
    err = capsys.readouterr().err
    assert "exists (use --force to overwrite)" in err and "is not a slug" in err
    assert "error: 'my-gpu\\n' is not a slug: lowercase letters, digits and hyphens" in err.splitlines()
    assert "error: --from-config and --hf are for `new model`" in err.splitlines()


def test_a_content_file_whose_name_ends_in_a_newline_is_refused(tmp_path):
    path = tmp_path / "model\n.md"
    path.write_text("---\nname: x\n---\n")
    doc, problems = read_document(path, "models/model\n.md", Architecture)
    assert doc is None and [p.message for p in problems] == [
        "name must be a slug: lowercase letters, digits and hyphens, then .md"
    ]


def test_committed_schemas_are_current():
    for name, text in schema_documents().items():
        assert (SCHEMA_DIR / name).read_text() == text, f"schema/{name} is stale: run `site-builder schema`"


def test_schema_rejects_unknown_keys():
    model = json.loads((SCHEMA_DIR / "model.schema.json").read_text())
    assert model["additionalProperties"] is False
    assert set(model["required"]) >= {"name", "params_b", "architecture", "sources"}

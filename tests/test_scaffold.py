"""`site-builder new`: architecture from real config.json shapes, TODO markers that block a build, schemas."""

import json

import pytest

from site_builder.build import check
from site_builder.cli import main
from site_builder.devtools.jsonschema import SCHEMA_DIR, schema_documents
from site_builder.devtools.scaffold import architecture_from_config
from site_builder.errors import ContentError

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
    "phi-3-mini-4k": "phi-3-mini-4k-instruct",
    "deepseek-v2-lite": "deepseek-v2-lite-chat",
    "gpt-oss-20b": "gpt-oss-20b",
    "qwen3-next-80b-a3b": "qwen3-next-80b-a3b-instruct",
}


@pytest.mark.parametrize(("config", "slug"), CASES.items())
def test_architecture_from_config_matches_the_catalogue(catalogue, config, slug):
    derived = architecture_from_config(json.loads((CONFIGS / f"{config}.json").read_text()))
    recorded = catalogue.model(slug).card.architecture.model_dump(exclude_none=True)
    recorded.pop("head_dim", None) if "head_dim" not in derived else None
    # the catalogue keeps context lengths from model cards where they differ from config.json
    recorded.pop("context_length"), derived.pop("context_length")
    derived.pop("intermediate_size", None) if "intermediate_size" not in recorded else None
    assert derived == recorded


def test_gemma_3_reads_the_text_config():
    arch = architecture_from_config(json.loads((CONFIGS / "gemma-3-4b.json").read_text()))
    assert (arch["layers"], arch["sliding_window"], arch["sliding_window_pattern"], arch["tied_embeddings"]) == (
        34, 1024, 6, True,
    )  # fmt: skip


def test_layer_types_give_the_pattern():
    arch = architecture_from_config(json.loads((CONFIGS / "gpt-oss-20b.json").read_text()))
    assert (arch["sliding_window"], arch["sliding_window_pattern"]) == (128, 2)


def test_qwen_window_only_when_used():
    arch = architecture_from_config(json.loads((CONFIGS / "qwen2-5-7b.json").read_text()))
    assert "sliding_window" not in arch


def test_new_model_from_config_then_check_then_build(tmp_path, capsys):
    content = tmp_path / "content"
    config = CONFIGS / "llama-3-1-8b.json"
    assert main(["new", "model", "my-llama", "--from-config", str(config), "--content", str(content)]) == 0
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
    err = capsys.readouterr().err
    assert "exists (use --force to overwrite)" in err and "is not a slug" in err


def test_committed_schemas_are_current():
    for name, text in schema_documents().items():
        assert (SCHEMA_DIR / name).read_text() == text, f"schema/{name} is stale: run `site-builder schema`"


def test_schema_rejects_unknown_keys():
    model = json.loads((SCHEMA_DIR / "model.schema.json").read_text())
    assert model["additionalProperties"] is False
    assert set(model["required"]) >= {"name", "params_b", "architecture", "sources"}

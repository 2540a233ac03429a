"""The hardened reader of untrusted config.json files: every refusal, as the exact line a user sees."""

import io
import json
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from site_builder.cli import main
from site_builder.devtools.configarch import architecture_from_config
from site_builder.devtools.configjson import MAX_BYTES, MAX_DEPTH, ConfigError, parse, read_bounded

from .conftest import FIXTURES

CONFIGS = FIXTURES / "configs"
LLAMA = json.loads((CONFIGS / "llama-3-1-8b.json").read_text())


def refusal(call, *args) -> list[str]:
    with pytest.raises(ConfigError) as err:
        call(*args)
    return err.value.lines


def parsed(text: str | bytes) -> list[str]:
    return refusal(parse, text.encode() if isinstance(text, str) else text, "config.json")


def read(config: object) -> list[str]:
    return refusal(architecture_from_config, config, "config.json")


def llama(**changes) -> dict:
    return {**LLAMA, **changes}


# --- the file: size, encoding, syntax, depth --------------------------------------------------------------


def test_a_file_over_the_cap_is_refused_before_parsing():
    assert refusal(read_bounded, io.BytesIO(b" " * (MAX_BYTES + 1)), "config.json") == [
        "config.json: file: is larger than 1,048,576 bytes; refused before parsing"
    ]


class Endless(io.RawIOBase):
    """A stream that never ends (a FIFO, /dev/zero): only a bounded read can refuse it."""

    served = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        buffer[:] = b"[" * len(buffer)
        self.served += len(buffer)
        return len(buffer)


def test_an_endless_stream_is_read_no_further_than_the_cap():
    stream = Endless()
    assert refusal(read_bounded, stream, "config.json") == [
        "config.json: file: is larger than 1,048,576 bytes; refused before parsing"
    ]
    assert stream.served == MAX_BYTES + 1


def test_not_utf8():
    assert parsed(b'{"model_type": "llama\xff"}') == ["config.json: file: is not UTF-8 (invalid start byte at byte 21)"]


def test_not_json():
    assert parsed('{"model_type": }') == ["config.json: file: is not JSON (Expecting value at line 1, column 16)"]


def test_ten_thousand_levels_of_nesting_give_one_line_not_a_recursion_error():
    too_deep = ["config.json: file: nests objects and lists deeper than 64 levels"]
    assert parsed("[" * 10_000 + "]" * 10_000) == too_deep
    assert parsed('{"a": ' * 65 + "1" + "}" * 65) == too_deep
    deepest: list = []
    for _ in range(MAX_DEPTH - 1):
        deepest = [deepest]
    assert parse(json.dumps(deepest).encode(), "config.json") == deepest


def test_brackets_inside_strings_are_not_nesting():
    assert parse(json.dumps({"chat_template": "[" * 1000}).encode(), "config.json") == {"chat_template": "[" * 1000}


def test_an_unterminated_string_of_escaped_quotes_is_scanned_in_linear_time():
    start = time.perf_counter()
    lines = parsed('"' + '\\"' * 400_000)
    assert lines == ["config.json: file: is not JSON (Unterminated string starting at at line 1, column 1)"]
    assert time.perf_counter() - start < 2


# --- values JSON should not carry ---------------------------------------------------------------------------


def test_duplicate_keys_are_refused_at_their_path():
    assert parsed('{"model_type": "llama", "rope_scaling": {"factor": 8, "factor": 16}, "model_type": "x"}') == [
        "config.json: model_type: appears more than once (JSON readers disagree on which one wins)",
        "config.json: rope_scaling.factor: appears more than once (JSON readers disagree on which one wins)",
    ]


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinities(constant):
    line = f"config.json: rope_theta: {constant} is not a number JSON allows"
    assert parsed(f'{{"rope_theta": {constant}}}') == [line]


def test_a_float_that_overflows_to_infinity():
    assert parsed('{"rope_scaling": {"factor": 1e400}, "x": [-2e308]}') == [
        "config.json: rope_scaling.factor: 1e400 overflows a float",
        "config.json: x[0]: -2e308 overflows a float",
    ]


def test_an_integer_of_thousands_of_digits_is_refused_before_conversion():
    assert parsed('{"vocab_size": ' + "9" * 5000 + "}") == [
        "config.json: vocab_size: an integer of 5,000 digits; at most 18 are accepted"
    ]


# --- the shape of the config --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "what"), [([], "a list"), ("llama", 'the string "llama"'), (None, "null"), (0, "0")]
)
def test_the_top_level_must_be_an_object(config, what):
    assert read(config) == [f"config.json: file: must hold a JSON object at the top level, got {what}"]


def test_an_empty_object_is_refused():
    assert read({}) == ["config.json: model_type: required"]


@pytest.mark.parametrize(
    ("value", "line"),
    [
        (None, "must be a string, got null"),
        (7, "must be a string of at most 100 characters, got 7"),
        (["llama"], "must be a string of at most 100 characters, got a list"),
        ("bert", '"bert" is not a family the scaffolder knows (llama, llama4, llama4_text, mistral, mixtral, qwen2, '
         "qwen2_moe, qwen3, qwen3_moe, qwen3_next, gemma, gemma2, gemma3, gemma3_text, phi3, deepseek_v2, "
         "deepseek_v3, glm4_moe, gpt_oss, granite, granitemoehybrid)"),
    ],
)  # fmt: skip
def test_model_type(value, line):
    assert read(llama(model_type=value)) == [f"config.json: model_type: {line}"]


def test_a_huge_refused_value_is_echoed_truncated():
    lines = read(llama(model_type="a" * 1_000_000))
    assert lines == ['config.json: model_type: must be a string of at most 100 characters, got the string "'
                     + "a" * 39 + "..."]  # fmt: skip


def test_an_odd_key_is_echoed_escaped_and_truncated():
    lines = read(llama(**{"x\n" * 500: 1}))
    assert lines == ['config.json: "' + "x\\n" * 13 + "...: not understood for model_type llama; refused rather than "
                     "dropped"]  # fmt: skip


GEMMA3 = json.loads((CONFIGS / "gemma-3-4b.json").read_text())


@pytest.mark.parametrize(
    ("value", "what"), [([], "a list"), ("gemma3_text", 'the string "gemma3_text"'), (None, "null")]
)
def test_text_config_must_be_an_object(value, what):
    assert read({**GEMMA3, "text_config": value}) == [f"config.json: text_config: must be a JSON object, got {what}"]


def test_text_config_is_required_and_of_its_own_model_type():
    assert read({k: v for k, v in GEMMA3.items() if k != "text_config"}) == ["config.json: text_config: required"]
    assert read({**GEMMA3, "text_config": {**GEMMA3["text_config"], "model_type": "llama"}}) == [
        'config.json: text_config.model_type: must be gemma3_text inside a gemma3 config, got the string "llama"'
    ]


# --- strict types and ranges --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "what"), [(32.0, "32.0"), ("32", 'the string "32"'), (True, "true"), ([32], "a list"), ({}, "an object")]
)
def test_a_layer_count_must_be_a_json_integer(value, what):
    assert read(llama(num_hidden_layers=value)) == [f"config.json: num_hidden_layers: must be an integer, got {what}"]


@pytest.mark.parametrize(("value", "what"), [("false", 'the string "false"'), (0, "0"), ("true", 'the string "true"')])
def test_a_flag_must_be_a_json_boolean(value, what):
    assert read(llama(tie_word_embeddings=value)) == [
        f"config.json: tie_word_embeddings: must be true or false, got {what}"
    ]


@pytest.mark.parametrize(
    ("key", "value", "bounds"),
    [
        ("num_hidden_layers", 0, "1 to 1,000, got 0"),
        ("num_hidden_layers", -32, "1 to 1,000, got -32"),
        ("hidden_size", 10**9, "1 to 131,072, got 1,000,000,000"),
        ("vocab_size", 0, "1 to 10,000,000, got 0"),
        ("max_position_embeddings", 2**40, "1 to 16,777,216, got 1,099,511,627,776"),
        ("num_key_value_heads", 0, "1 to 4,096, got 0"),
    ],
)
def test_out_of_range(key, value, bounds):
    assert read(llama(**{key: value})) == [f"config.json: {key}: must be from {bounds}"]


def test_kv_heads_must_divide_attention_heads():
    assert read(llama(num_key_value_heads=5)) == [
        "config.json: num_key_value_heads: must divide num_attention_heads (32), got 5"
    ]


def test_a_config_of_only_a_model_type_lists_every_missing_key_at_once():
    assert read({"model_type": "llama"}) == [
        f"config.json: {key}: required"
        for key in ("num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size", "max_position_embeddings",
                    "intermediate_size")
    ]  # fmt: skip


def test_required_null_is_refused():
    assert read(llama(hidden_size=None)) == ["config.json: hidden_size: required, got null"]


def test_several_problems_are_reported_together():
    assert read(llama(num_hidden_layers="32", hidden_size=0, tie_word_embeddings="no")) == [
        'config.json: num_hidden_layers: must be an integer, got the string "32"',
        "config.json: hidden_size: must be from 1 to 131,072, got 0",
        'config.json: tie_word_embeddings: must be true or false, got the string "no"',
    ]


# --- structural keys it does not understand ---------------------------------------------------------------


@pytest.mark.parametrize(
    "key", ["num_local_experts", "layer_types", "sliding_window", "num_nextn_predict_layers", "mamba_n_heads",
            "interleave_moe_layer_step", "decoder_sparse_step", "n_shared_experts", "first_k_dense_replace"]
)  # fmt: skip
def test_a_structural_key_a_family_does_not_have_is_refused_by_name(key):
    assert read(llama(**{key: 2})) == [
        f"config.json: {key}: not understood for model_type llama; refused rather than dropped"
    ]


def test_keys_inside_text_config_are_refused_at_their_path():
    config = json.loads((CONFIGS / "llama-4-scout-17b-16e-instruct.json").read_text())
    config["text_config"]["decoder_sparse_step"] = 2
    assert read(config) == [
        "config.json: text_config.decoder_sparse_step: not understood for model_type llama4_text; refused rather "
        "than dropped"
    ]


def test_null_is_unset_and_harmless_keys_pass():
    arch = architecture_from_config(llama(num_local_experts=None, rope_scaling={"factor": 8.0}, eos_token_id=[1, 2]))
    assert "experts" not in arch


QWEN3_MOE = json.loads((CONFIGS / "qwen3-30b-a3b.json").read_text())


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ({"mlp_only_layers": [3, 7]}, "mlp_only_layers: only leading layers (0 to k-1) can be dense here, got [3, 7]"),
        ({"mlp_only_layers": [0, 48]}, "mlp_only_layers[1]: must be an integer from 0 to 47, got 48"),
        ({"mlp_only_layers": "0"}, 'mlp_only_layers: must be a list, got the string "0"'),
        ({"decoder_sparse_step": 0}, "decoder_sparse_step: must be from 1 to 1,000, got 0"),
        ({"num_experts_per_tok": 129}, "num_experts_per_tok: must be from 1 to num_experts (128), got 129"),
        ({"num_experts": 1, "num_experts_per_tok": 1}, "num_experts: must be 0 (no experts) or at least 2, got 1"),
        ({"use_sliding_window": "false"}, 'use_sliding_window: must be true or false, got the string "false"'),
    ],
)  # fmt: skip
def test_qwen_moe_layouts_it_cannot_represent(changes, line):
    assert read({**QWEN3_MOE, **changes}) == [f"config.json: {line}"]


def test_layouts_other_families_cannot_represent():
    glm = json.loads((CONFIGS / "glm-4-5.json").read_text())
    assert read({**glm, "moe_layer_freq": 2}) == [
        "config.json: moe_layer_freq: only 1 (every layer after first_k_dense_replace) can be represented, got 2"
    ]
    assert read({**glm, "first_k_dense_replace": 92}) == [
        "config.json: first_k_dense_replace: must be less than num_hidden_layers (92), got 92"
    ]
    gemma = json.loads((CONFIGS / "gemma-3-270m.json").read_text())
    assert read({**gemma, "layer_types": ["sliding_attention", "full_attention"] * 8 + ["full_attention"] * 2}) == [
        "config.json: layer_types: full-attention layers are not every k-th layer; that layout cannot be represented"
    ]
    assert read({**gemma, "layer_types": ["full_attention", "global"] * 9}) == [
        'config.json: layer_types[1]: must be one of full_attention, sliding_attention, got the string "global"'
    ]
    assert read({**gemma, "_sliding_window_pattern": 4}) == [
        "config.json: sliding_window_pattern: is 4, but layer_types repeat every 6 layers"
    ]


def test_a_llama_4_moe_layer_list_must_match_the_step():
    config = json.loads((CONFIGS / "llama-4-maverick-17b-128e-instruct.json").read_text())
    config["text_config"]["moe_layers"] = [0, 1, 2]
    assert read(config) == [
        "config.json: text_config.moe_layers: must be every interleave_moe_layer_step-th layer; other layouts cannot "
        "be represented"
    ]


def test_granite_hybrid_needs_its_layer_kinds_and_consistent_mamba_sizes():
    granite = json.loads((CONFIGS / "granite-4-0-h-tiny.json").read_text())
    assert read({k: v for k, v in granite.items() if k != "layer_types"}) == [
        "config.json: layer_types: required: which layers are Mamba and which have attention"
    ]
    assert read({**granite, "mamba_n_heads": 40}) == [
        "config.json: mamba_expand: x hidden_size (3072) must equal mamba_n_heads x mamba_d_head (2560)"
    ]
    assert read({**granite, "layer_types": ["mamba"] * 40}) == [
        "config.json: layer_types: has no attention layer; a pure Mamba model cannot be represented"
    ]


def test_gpt_oss_spellings_must_agree():
    gpt = json.loads((CONFIGS / "gpt-oss-20b.json").read_text())
    assert read({**gpt, "experts_per_token": 2}) == [
        "config.json: experts_per_token: is 2, but num_experts_per_tok is 4"
    ]


# --- the command: one line each, non-zero, nothing written ------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("null", "file: must hold a JSON object at the top level, got null"),
        ("0", "file: must hold a JSON object at the top level, got 0"),
        ("{}", "model_type: required"),
        ('{"model_type": "llama", "num_hidden_layers": NaN}', "num_hidden_layers: NaN is not a number JSON allows"),
    ],
)
def test_new_model_refuses_and_writes_nothing(tmp_path: Path, capsys, text, line):
    config = tmp_path / "config.json"
    config.write_text(text)
    content = tmp_path / "content"
    assert main(["new", "model", "m", "--from-config", str(config), "--content", str(content)]) == 2
    assert capsys.readouterr().err.splitlines() == [f"{config}: {line}", "error: 1 problem; nothing written"]
    assert not content.exists()


def test_every_value_in_every_fixture_replaced_by_junk_gives_only_config_errors():
    """No input reaches a traceback: each key of each real config, set to each kind of wrong value."""
    junk = [None, "x", 1.5, -1, 0, True, [], [1], {}, {"a": 1}, 10**18]
    for path in sorted(CONFIGS.glob("*.json")):
        config = json.loads(path.read_text())
        for key in [*config, *(f"text_config.{k}" for k in config.get("text_config", {}))]:
            for value in junk:
                changed = json.loads(path.read_text())
                target = changed["text_config"] if key.startswith("text_config.") else changed
                target[key.removeprefix("text_config.")] = value
                try:
                    architecture_from_config(changed)
                except ConfigError as exc:
                    assert all(line.startswith("config.json: ") and "\n" not in line for line in exc.lines)


LEAVES = st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=False) | st.text(max_size=8)
WORDS = st.sampled_from(["mamba", "attention", "full_attention", "sliding_attention", "linear_attention", "mxfp4"])
JSON_VALUES = st.recursive(
    LEAVES | WORDS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(CONFIGS.glob("*.json"))),
    st.lists(st.tuples(st.integers(0, 80), JSON_VALUES), max_size=3),
)
def test_random_values_at_random_keys_never_escape_as_a_traceback(path, changes):
    config = json.loads(path.read_text())
    for index, value in changes:
        text = config.get("text_config")
        target = text if index % 2 and isinstance(text, dict) and text else config
        target[list(target)[index % len(target)]] = value
    try:
        architecture_from_config(parse(json.dumps(config).encode(), "config.json"), "config.json")
    except ConfigError as exc:
        assert all(line.startswith("config.json: ") and "\n" not in line for line in exc.lines)

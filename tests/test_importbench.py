"""`site-builder import-bench`: llama-bench JSON in, a benchmark file that `check` accepts out, or one line per
problem and nothing written.

The committed fixture is llama.cpp's own published example (tools/llama-bench/README.md, the JSON output of
Qwen2.5-7B-Instruct Q4_K_M on an RTX 4080). Every other case is that row with fields changed in the test: the
changed numbers are synthetic, chosen to cross or stay within a tolerance, and never go into content/.
"""

from __future__ import annotations

import copy
import json
import shutil

import pytest

from site_builder.build import check
from site_builder.cli import main
from site_builder.errors import ContentError

from .conftest import FIXTURES, ROOT

README_RUN = FIXTURES / "bench" / "llama-bench-readme-qwen2-5-7b-rtx-4080.json"
SOURCE = "ggml-org/llama.cpp tools/llama-bench/README.md (commit 08d0baa; JSON output example)"
MODELS = [
    *("qwen2-5-7b-instruct", "qwen2-5-coder-7b-instruct", "llama-3-1-8b-instruct", "gpt-oss-20b"),
    *("qwen3-30b-a3b", "qwen3-30b-a3b-instruct-2507", "qwen3-30b-a3b-thinking-2507", "qwen3-coder-30b-a3b-instruct"),
]
DEVICES = ["rtx-4080", "rtx-4090", "cpu-ddr5-5600-dual-channel"]
# Synthetic: the counts of a Qwen3 30B-A3B Q4_K_M file (llama-bench prints 30.53 B and 17.28 GiB for it).
QWEN3_MOE = {"model_type": "qwen3moe 30B.A3B Q4_K - Medium", "model_n_params": 30_532_122_624,
             "model_size": 18_554_190_848, "model_filename": "Qwen3-30B-A3B-Instruct-2507-Q4_K_M.gguf"}  # fmt: skip


@pytest.fixture
def content(tmp_path):
    """A content folder with the cards and devices the cases name, copied from the shipped catalogue."""
    root = tmp_path / "content"
    for kind, slugs in (("models", MODELS), ("devices", DEVICES)):
        (root / kind).mkdir(parents=True)
        for slug in slugs:
            shutil.copy(ROOT / "content" / kind / f"{slug}.md", root / kind / f"{slug}.md")
    return root


def readme_rows() -> list[dict]:
    return json.loads(README_RUN.read_text())


def results(tmp_path, rows: list[dict], name: str = "results.json"):
    path = tmp_path / name
    path.write_text(json.dumps(rows))
    return path


def changed(**fields) -> list[dict]:
    """The README's two rows with these fields replaced (synthetic values)."""
    rows = readme_rows()
    return [{**row, **fields} for row in rows]


def run(content, path, *extra: str) -> int:
    out = content / "benchmarks" / "imported.md"
    return main(["import-bench", str(path), "--content", str(content), "--out", str(out), *extra])


def imported(content) -> list[dict]:
    """The rows of the written file as `check` loads them, with the rest of the content."""
    loaded = check(content)
    return [m.row.model_dump(exclude_defaults=True) for m in loaded.measurements]


def test_the_readme_run_becomes_a_file_that_check_accepts(content, capsys):
    assert run(content, README_RUN, "--device", "rtx-4080", "--model", "qwen2-5-7b-instruct", "--source", SOURCE) == 0
    assert "wrote" in capsys.readouterr().out
    common = {"model": "qwen2-5-7b-instruct", "quant": "Q4_K_M", "device": "rtx-4080", "backend": "CUDA",
              "build": "8cf427ff", "build_number": 5163, "model_size_gib": 4.36, "model_params_b": 7.62}  # fmt: skip
    assert imported(content) == [{**common, "test": "pp512", "tok_s": 7100.0}, {**common, "test": "tg128",
                                                                                 "tok_s": 118.88}]  # fmt: skip
    text = (content / "benchmarks" / "imported.md").read_text()
    assert 'date: "2025-04-24"' in text and 'runtime: "llama.cpp llama-bench, CUDA"' in text
    assert "-fa auto" in text  # flash attention left to llama-bench: said in the notes, flash_attn not set


def test_without_source_the_file_has_a_todo_that_check_refuses(content, capsys):
    assert run(content, README_RUN, "--device", "rtx-4080") == 0
    assert "source is a TODO" in capsys.readouterr().err
    with pytest.raises(ContentError) as err:
        check(content)
    assert [(p.field, p.message) for p in err.value.problems] == [
        ("source", "still a TODO placeholder; replace it with the real, sourced value")
    ]


@pytest.mark.parametrize(
    ("filename", "slug"),
    [
        ("Qwen3-30B-A3B-Instruct-2507-Q4_K_M.gguf", "qwen3-30b-a3b-instruct-2507"),  # not qwen3-30b-a3b
        ("/models/unsloth/Qwen3-30B-A3B-Q4_K_M-00001-of-00002.gguf", "qwen3-30b-a3b"),
        ("Qwen3-Coder-30B-A3B-Instruct-Q4_K_M.gguf", "qwen3-coder-30b-a3b-instruct"),
    ],
)
def test_the_model_is_inferred_from_the_file_name_and_size(content, tmp_path, filename, slug):
    path = results(tmp_path, changed(**{**QWEN3_MOE, "model_filename": filename}))
    assert run(content, path, "--device", "rtx-4080", "--source", SOURCE) == 0
    assert {r["model"] for r in imported(content)} == {slug}


def test_a_name_several_cards_could_have_asks_for_model(content, tmp_path, capsys):
    path = results(tmp_path, changed(**{**QWEN3_MOE, "model_filename": "/models/model-q4.gguf"}))
    assert run(content, path, "--device", "rtx-4080") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{path}:0: model_filename: cannot tell which model card 'model-q4.gguf' is")
    assert err[0].endswith("; pass --model") and "qwen3-coder-30b-a3b-instruct" in err[0]
    assert not (content / "benchmarks").exists()


def test_a_row_of_another_model_is_refused_line_by_line_and_nothing_written(content, capsys):
    assert run(content, README_RUN, "--device", "rtx-4080", "--model", "llama-3-1-8b-instruct") == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"{README_RUN}:0: model_type: architecture 'qwen2', but llama-3-1-8b-instruct is 'llama' in llama.cpp",
        f"{README_RUN}:0: model_n_params: 7.62B parameters, but llama-3-1-8b-instruct has 8.03B (8B stated): more "
        "than 2% apart, so probably another model",
        *[line.replace(":0:", ":1:", 1) for line in err.splitlines()[:2]],
        f"error: 4 problems in {README_RUN}; nothing written (--skip-bad writes the other rows)",
    ]  # the file sizes are 5% apart: within the size tolerance, so the parameter count is what tells them apart
    assert "Traceback" not in err
    assert not (content / "benchmarks").exists()


@pytest.mark.parametrize(
    ("factor", "refused"),
    [(1.08, False), (1.12, True), (0.5, True)],  # a dynamic quant's few percent pass; another file does not
)
def test_file_size_tolerance(content, tmp_path, capsys, factor, refused):
    rows = readme_rows()
    rows[1]["model_size"] = round(rows[1]["model_size"] * factor)
    code = run(content, results(tmp_path, rows), "--device", "rtx-4080", "--model", "qwen2-5-7b-instruct")
    assert code == (1 if refused else 0)
    assert (":1: model_size:" in capsys.readouterr().err) == refused


def test_skip_bad_writes_the_rows_that_pass(content, tmp_path, capsys):
    rows = readme_rows()
    rows[0]["model_n_params"] = 14_770_000_000  # synthetic: a 14B file's count
    path = results(tmp_path, rows)
    args = ("--device", "rtx-4080", "--model", "qwen2-5-7b-instruct", "--source", SOURCE, "--skip-bad")
    assert run(content, path, *args) == 0
    assert "notice: left out " + f"{path}:0: model_n_params:" in capsys.readouterr().err
    assert [r["test"] for r in imported(content)] == ["tg128"]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"n_depth": 4096}, {"depth": 4096}),
        ({"n_gpu_layers": 20}, {"offload": "-ngl 20"}),
        ({"n_gpu_layers": 28}, {"offload": "-ngl 28"}),  # 28 blocks on the GPU, the output layer not
        ({"n_gpu_layers": 29}, {}),
        ({"n_gpu_layers": 99, "n_cpu_moe": 10}, {"offload": "--n-cpu-moe 10"}),
        ({"tensor_buft_overrides": "blk\\.1[0-9]\\.ffn_.*=CPU"}, {"offload": "-ot blk\\.1[0-9]\\.ffn_.*=CPU"}),
        ({"no_kv_offload": True}, {"offload": "-nkvo 1"}),
        ({"type_k": "q8_0", "type_v": "q8_0"}, {"kv_cache_type": "q8_0"}),
        ({"flash_attn": 1}, {"flash_attn": True}),
        ({"flash_attn": False}, {"flash_attn": False}),  # older builds print a JSON bool
        ({"gpu_info": "NVIDIA GeForce RTX 4080, NVIDIA GeForce RTX 4080"}, {"gpus": 2}),
        (
            {"gpu_info": "NVIDIA GeForce RTX 4080, NVIDIA GeForce RTX 4080", "split_mode": "row"},
            {"gpus": 2, "split_mode": "row"},
        ),
        ({"gpu_info": "NVIDIA GeForce RTX 4080, NVIDIA GeForce RTX 4080", "split_mode": "none"}, {}),
        ({"gpu_info": "NVIDIA GeForce RTX 4080, NVIDIA GeForce RTX 4080", "devices": "CUDA1"}, {}),
        ({"gpu_info": "NVIDIA GeForce RTX 4080, NVIDIA GeForce RTX 4080", "tensor_split": "1.00/0.00"}, {}),
        ({"backends": "CUDA,BLAS"}, {}),
    ],
)
def test_settings_become_row_fields(content, tmp_path, fields, expected):
    path = results(tmp_path, changed(**fields))
    assert run(content, path, "--device", "rtx-4080", "--model", "qwen2-5-7b-instruct", "--source", SOURCE) == 0
    row = imported(content)[1]
    known = {"model", "quant", "device", "test", "tok_s", "backend", "build", "build_number", "model_size_gib",
             "model_params_b"}  # fmt: skip
    assert {k: v for k, v in row.items() if k not in known} == expected
    assert row["backend"] == "CUDA"


def test_several_gpus_that_differ_stay_one_card_with_a_note(content, tmp_path):
    gpus = "AMD Radeon Graphics (RADV RAPHAEL_MENDOCINO), NVIDIA GeForce RTX 4080"
    path = results(tmp_path, changed(gpu_info=gpus))
    assert run(content, path, "--device", "rtx-4080", "--model", "qwen2-5-7b-instruct", "--source", SOURCE) == 0
    assert all("gpus" not in r for r in imported(content))
    assert "recorded as one card" in (content / "benchmarks" / "imported.md").read_text()


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"n_prompt": 512, "n_gen": 128}, "n_gen: pp512+tg128 (-pg) mixes prompt and generation time"),
        (
            {"model_type": "qwen2 7B TQ1_0 - 1.69 bpw ternary"},
            "model_type: 'qwen2 7B TQ1_0 - 1.69 bpw ternary' does not end in a llama.cpp file type",
        ),
        ({"type_k": "q8_0"}, "type_v: K cache q8_0 and V cache f16 differ"),
        ({"type_k": "q5_1", "type_v": "q5_1"}, "type_k: KV cache type q5_1 has no estimate here"),
        ({"avg_ts": 0}, "avg_ts: must be above 0 tokens per second"),
        ({"avg_ts": "fast"}, "avg_ts: must be a number, got 'fast'"),
        ({"backends": "CPU"}, "backends: CPU only: the CPU ran the model, but rtx-4080 is a discrete gpu device"),
        ({"backends": "CUDA,RPC"}, "backends: an RPC run spans several machines"),
        ({"model_n_params": None}, "model_n_params: must be a number, got None"),
    ],
)
def test_rows_that_cannot_be_compared_are_refused(content, tmp_path, capsys, fields, problem):
    path = results(tmp_path, changed(**fields))
    assert run(content, path, "--device", "rtx-4080", "--model", "qwen2-5-7b-instruct") == 1
    assert f"{path}:0: {problem}" in capsys.readouterr().err
    assert not (content / "benchmarks").exists()


def test_a_cpu_run_on_a_cpu_device(content, tmp_path, capsys):
    path = results(tmp_path, changed(backends="CPU", gpu_info="", n_gpu_layers=0))
    args = ("--device", "cpu-ddr5-5600-dual-channel-64gb", "--model", "qwen2-5-7b-instruct", "--source", SOURCE)
    assert run(content, path, *args) == 0
    rows = imported(content)
    assert {(r["backend"], "offload" in r) for r in rows} == {("CPU", False)}  # -ngl means nothing
    assert {r["device"] for r in rows} == {"cpu-ddr5-5600-dual-channel-64gb"}
    base = ("--device", "cpu-ddr5-5600-dual-channel", *args[2:])
    assert run(content, path, *base, "--force") == 0
    assert {r["device"] for r in imported(content)} == {"cpu-ddr5-5600-dual-channel"}  # the chip, as given
    assert run(content, README_RUN, *args, "--force") == 1
    assert ":0: backends: a CUDA build, but cpu-ddr5-5600-dual-channel-64gb is a CPU-only device" in (
        capsys.readouterr().err
    )


def test_a_missing_field_is_named(content, tmp_path, capsys):
    rows = readme_rows()
    del rows[1]["avg_ts"]
    assert run(content, results(tmp_path, rows), "--device", "rtx-4080", "--model", "qwen2-5-7b-instruct") == 1
    assert ":1: avg_ts: missing (is this llama-bench -o json output?)" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("model_type", "quant"),
    [
        ("llama 7B mostly Q4_0", "Q4_0"),  # older builds
        ("gpt-oss 20B MXFP4 MoE", "MXFP4"),
        ("llama 8B IQ3_S mix - 3.66 bpw", "IQ3_M"),
        ("llama 8B IQ3_S - 3.4375 bpw", "IQ3_S"),
        ("llama 8B Q2_K - Medium", "Q2_K"),
        ("qwen2 7B Q4_K - Medium (guessed)", "Q4_K_M"),
    ],
)
def test_file_types_map_to_format_names(model_type, quant):
    from site_builder.devtools.importbench import RawRow, _quant

    raw = RawRow({"model_type": model_type})
    assert (_quant(raw), raw.problems) == (quant, [])


def test_gpt_oss_mxfp4_row(content, tmp_path):
    # synthetic values around ggml-org's gpt-oss-20b GGUF (llama-bench prints 11.27 GiB, 20.91 B)
    rows = changed(model_type="gpt-oss 20B MXFP4 MoE", model_n_params=20_914_757_184, model_size=12_109_566_560,
                   model_filename="gpt-oss-20b-mxfp4.gguf")  # fmt: skip
    assert run(content, results(tmp_path, rows), "--device", "rtx-4080", "--source", SOURCE) == 0
    assert {(r["model"], r["quant"]) for r in imported(content)} == {("gpt-oss-20b", "MXFP4")}


def test_jsonl_output_is_read_too(content, tmp_path):
    path = tmp_path / "results.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in readme_rows()))
    assert run(content, path, "--device", "rtx-4080", "--model", "qwen2-5-7b-instruct", "--source", SOURCE) == 0
    assert len(imported(content)) == 2


def test_not_json_is_one_line(content, tmp_path, capsys):
    path = tmp_path / "results.json"
    path.write_text("ggml_cuda_init: found 1 CUDA devices:\n[\n")
    assert run(content, path, "--device", "rtx-4080") == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith(f"{path}: file: not JSON (line 1 column 1: ")
    assert err[0].endswith("redirect only its standard output (> results.json)")
    assert len(err) == 2


def test_unknown_device_model_and_bad_source_are_one_line_each(content, capsys):
    assert run(content, README_RUN, "--device", "rtx-408") == 2
    assert capsys.readouterr().err.startswith("error: no device 'rtx-408' in the content folder; did you mean")
    assert run(content, README_RUN, "--device", "rtx-4080", "--model", "qwen2-5-7b") == 2
    assert "error: no model 'qwen2-5-7b'" in capsys.readouterr().err
    assert run(content, README_RUN, "--device", "rtx-4080", "--source", "javascript:alert(1)") == 2
    assert "error: --source 'javascript:alert(1)': a source must be an http(s) address" in capsys.readouterr().err


def test_notices_for_a_device_or_model_the_names_disagree_with(content, capsys):
    assert run(content, README_RUN, "--device", "rtx-4090", "--model", "qwen2-5-coder-7b-instruct") == 0
    err = capsys.readouterr().err
    assert "does not mention 4090 from rtx-4090's name: is --device right?" in err
    assert "is named like qwen2-5-7b-instruct, not qwen2-5-coder-7b-instruct: is --model right?" in err


def test_an_existing_file_is_not_replaced_without_force(content, capsys):
    args = ("--device", "rtx-4080", "--model", "qwen2-5-7b-instruct", "--source", SOURCE)
    assert run(content, README_RUN, *args) == 0
    assert run(content, README_RUN, *args) == 2
    assert "exists" in capsys.readouterr().err
    assert run(content, README_RUN, *args, "--force") == 0


def test_default_file_name(content):
    assert main(["import-bench", str(README_RUN), "--content", str(content), "--device", "rtx-4080",
                 "--source", SOURCE]) == 0  # fmt: skip
    assert [p.name for p in (content / "benchmarks").iterdir()] == [
        "llama-bench-qwen2-5-7b-instruct-rtx-4080-2025-04-24.md"
    ]


def test_the_fixture_is_the_published_example():
    rows = readme_rows()
    assert [(r["n_prompt"], r["n_gen"], r["avg_ts"]) for r in rows] == [(512, 0, 7100.002165), (0, 128, 118.881588)]
    assert copy.deepcopy(rows[0])["model_size"] == 4_677_120_000  # as site_builder/estimator/known_files.py cites

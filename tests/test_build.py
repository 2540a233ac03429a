"""End to end: the fixture site builds to its golden output; a failed build changes nothing."""

from pathlib import Path

import pytest

from site_builder.build import build
from site_builder.cli import main
from site_builder.config import SiteConfig
from site_builder.errors import ContentError

from .conftest import FIXTURES, MODEL

GOLDEN = FIXTURES.parent / "golden" / "site"
SITE = FIXTURES / "site" / "content"
CONFIG = SiteConfig(base_url="https://example.org/llm/")


def tree_of(root: Path) -> dict[str, str]:
    """Every file but the copied static assets and the binary favicon, as text."""
    return {
        p.relative_to(root).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.relative_to(root).as_posix().startswith("static/") and p.suffix != ".ico"
    }


def test_fixture_site_matches_golden(tmp_path):
    """One tree comparison: a failure lists every file added, removed or changed. `make golden` accepts the
    new output (and deletes golden files the build no longer writes)."""
    build(SITE, tmp_path / "out", CONFIG)
    built, golden = tree_of(tmp_path / "out"), tree_of(GOLDEN)
    changed = sorted(rel for rel in built.keys() & golden.keys() if built[rel] != golden[rel])
    assert (sorted(built.keys() - golden.keys()), sorted(golden.keys() - built.keys()), changed) == ([], [], [])


def test_pages_of_the_fixture_site(tmp_path):
    result = build(SITE, tmp_path / "out", CONFIG)
    assert result.pages == len(list((tmp_path / "out").rglob("*.html")))
    assert (tmp_path / "out" / "models" / "mistral-7b-instruct-v0-3" / "index.html").exists()
    assert (tmp_path / "out" / "devices" / "apple-m2-max-30c-96gb" / "index.html").exists()
    assert (tmp_path / "out" / "static" / "style.css").exists()


def test_failed_build_leaves_the_previous_site(tmp_path, tree):
    out = tmp_path / "out"
    build(SITE, out, CONFIG)
    (out / "sentinel.txt").write_text("keep me")
    before = tree_of(out)
    broken = tree({"models/test-7b.md": MODEL.replace("kv_heads: 8", "kv_heads: 5")})
    with pytest.raises(ContentError):
        build(broken, out, CONFIG)
    assert tree_of(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def test_stale_pages_disappear(tmp_path, tree):
    out = tmp_path / "out"
    build(SITE, out, CONFIG)
    (out / "models" / "gone").mkdir()
    (out / "models" / "gone" / "index.html").write_text("old")
    build(SITE, out, CONFIG)
    assert not (out / "models" / "gone").exists()


def test_build_command_prints_one_summary_line(tmp_path, capsys):
    assert main(["build", "--content", str(SITE), "--out", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1
    assert out[0].startswith("built ") and out[0].endswith(f" into {tmp_path / 'out'}/")


def test_refuses_to_replace_the_project(tmp_path, capsys):
    assert main(["build", "--content", str(SITE), "--out", "."]) == 1
    assert "refusing to replace" in capsys.readouterr().err


def test_estimate_json(capsys):
    assert main(["estimate", "mistral-7b-instruct-v0-3", "rtx-4060", "--content", str(SITE), "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    for key in [
        "model", "device", "quant", "context", "weights_bytes", "kv_cache_bytes", "overhead_bytes", "total_bytes",
        "usable_memory_bytes", "fits", "decode_tok_s", "tier", "decode_tok_s_low", "decode_tok_s_high",
        "prefill_tok_s", "max_context", "offload_fraction", "measured_decode_tok_s",
    ]:  # fmt: skip
        assert key in data
    assert (data["model"], data["device"], data["quant"], data["context"]) == (
        "mistral-7b-instruct-v0-3", "rtx-4060", "Q4_K_M", 8192,
    )  # fmt: skip
    assert data["kv_cache_bytes"] == 2**30
    assert data["measured_decode_tok_s"] is None


def test_estimate_shows_a_measurement_beside_the_estimate(capsys):
    assert main(["estimate", "llama-3-8b-instruct", "rtx-4090", "--content", str(SITE), "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    assert data["measured_decode_tok_s"] == 130.58
    assert data["decode_tok_s"] != data["measured_decode_tok_s"]


def test_estimate_unknown_slug_suggests(capsys):
    assert main(["estimate", "mistral-7b", "rtx-4060", "--content", str(SITE)]) == 2
    assert capsys.readouterr().err.startswith("error: no model 'mistral-7b'; did you mean")

"""Validation: every invalid fixture gives exactly its expected error lines, and valid content loads."""

from pathlib import Path

import pytest

from site_builder.build import check
from site_builder.cli import main
from site_builder.errors import ContentError

from .conftest import DEVICE, FIXTURES, MODEL

INVALID = sorted(p for p in (FIXTURES / "invalid").iterdir() if p.is_dir())


@pytest.mark.parametrize("case", INVALID, ids=[p.name for p in INVALID])
def test_invalid_content_reports_every_problem(case: Path):
    with pytest.raises(ContentError) as err:
        check(case / "content")
    assert err.value.report() + "\n" == (case / "expected.txt").read_text()


@pytest.mark.parametrize("case", INVALID[:3], ids=[p.name for p in INVALID[:3]])
def test_check_command_prints_the_lines_and_exits_1(case: Path, capsys):
    assert main(["check", "--content", str(case / "content")]) == 1
    captured = capsys.readouterr()
    assert captured.err == (case / "expected.txt").read_text()
    assert "Traceback" not in captured.err


def test_valid_content_loads(tree):
    content = check(tree({"models/test-7b.md": MODEL, "devices/test-gpu.md": DEVICE}))
    assert [m.slug for m in content.models] == ["test-7b"]
    assert content.models[0].card.architecture.head_size == 128
    assert content.models[0].body == "Body text.\n"
    assert [d.slug for d in content.devices] == ["test-gpu"]


def test_memory_list_makes_one_device_per_size(tree):
    text = DEVICE.replace("memory_gb: 8", "memory_gb: [16, 8]").replace("name: Test GPU", "name: Test Chip")
    content = check(tree({"devices/test-chip.md": text}))
    assert [(d.slug, d.name, d.memory_gb, d.base_slug) for d in content.devices] == [
        ("test-chip-8gb", "Test Chip, 8 GB", 8, "test-chip"),
        ("test-chip-16gb", "Test Chip, 16 GB", 16, "test-chip"),
    ]


def test_stray_files_are_ignored_with_a_notice(tree):
    content_dir = tree({"models/test-7b.md": MODEL, "models/.DS_Store": "x", "models/test-7b.md~": "x"})
    notices: list[str] = []
    content = check(content_dir, notices)
    assert len(content.models) == 1
    assert notices == [
        "content/models/.DS_Store: ignored (editor backup or hidden file)",
        "content/models/test-7b.md~: ignored (editor backup or hidden file)",
    ]


def test_moe_model_needs_active_parameters(tree):
    text = MODEL.replace("  context_length: 32768", "  context_length: 32768\n  experts: 8\n  experts_per_token: 2")
    with pytest.raises(ContentError) as err:
        check(tree({"models/test-7b.md": text}))
    assert [str(p) for p in err.value.problems] == [
        "content/models/test-7b.md:20: active_params_b: required for a mixture-of-experts model"
    ]

"""The output folder: swapped in whole or not at all, byte-identical from build to build, and the same
whether `make serve` rebuilt it piece by piece or a clean build wrote it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from site_builder.build import BuildCache, build
from site_builder.config import SiteConfig
from site_builder.output.workers import WorkerError
from site_builder.site.render import Renderer

from .conftest import FIXTURES, ROOT

SITE = FIXTURES / "site" / "content"
CONFIG = SiteConfig(base_url="https://example.org/llm/")


def files_of(folder) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


@pytest.fixture
def failing_render(monkeypatch):
    """Renderer.page that fails on the 20th page it renders in a process."""
    real, count = Renderer.page, {"n": 0}

    def page(self, spec):
        count["n"] += 1
        if count["n"] == 20:
            raise RuntimeError("interrupted while rendering")
        return real(self, spec)

    monkeypatch.setattr(Renderer, "page", page)


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_build_failing_while_rendering_leaves_the_old_site(tmp_path, failing_render, jobs):
    out = tmp_path / "public"
    out.mkdir()
    (out / "sentinel.txt").write_text("the previous site")
    (out / "models").mkdir()
    (out / "models" / "index.html").write_text("an old page")
    before = files_of(out)
    with pytest.raises((RuntimeError, WorkerError), match="interrupted while rendering"):
        build(SITE, out, CONFIG, jobs=jobs)
    assert files_of(out) == before
    assert leftovers(tmp_path) == []


def test_serve_rebuild_failing_midway_keeps_the_site_and_recovers(tmp_path, monkeypatch):
    content = tmp_path / "content"
    shutil.copytree(SITE, content)
    out, cache = tmp_path / "public", BuildCache()
    build(content, out, CONFIG, cache)
    build(content, out, CONFIG, cache)  # now there is a spare folder to build into
    before = files_of(out)
    model = content / "models" / "mistral-7b-instruct-v0-3.md"
    model.write_text(model.read_text().replace("context_length: 32768", "context_length: 16384"))
    real = Renderer.page
    monkeypatch.setattr(Renderer, "page", lambda self, spec: (_ for _ in ()).throw(RuntimeError("boom")))
    with pytest.raises(RuntimeError, match="boom"):
        build(content, out, CONFIG, cache)
    assert files_of(out) == before
    monkeypatch.setattr(Renderer, "page", real)
    build(content, out, CONFIG, cache)
    clean = tmp_path / "clean"
    build(content, clean, CONFIG)
    assert files_of(out) == files_of(clean)


def edit(path, old: str, new: str):
    return lambda: path.write_text(path.read_text().replace(old, new, 1))


def test_incremental_rebuilds_equal_a_clean_build(tmp_path, monkeypatch):
    """Edits of every kind through `make serve`'s cache (content, benchmarks, templates, static files, a device
    renamed, added and removed) end in exactly the files a clean build writes, and its caches stay the size of
    the content."""
    import site_builder.build as pipeline

    content, templates, static = tmp_path / "content", tmp_path / "templates", tmp_path / "static"
    shutil.copytree(SITE, content)
    shutil.copytree(pipeline.TEMPLATES, templates)
    shutil.copytree(pipeline.STATIC, static)
    monkeypatch.setattr(pipeline, "TEMPLATES", templates)
    monkeypatch.setattr(pipeline, "STATIC", static)
    out, cache = tmp_path / "public", BuildCache()
    model = content / "models" / "mistral-7b-instruct-v0-3.md"
    device = content / "devices" / "rtx-4060.md"
    bench = content / "benchmarks" / "rtx-4090-llama-3-8b.md"
    moved = content / "devices" / "rtx-4060-renamed.md"
    edits = [
        lambda: model.write_text(model.read_text() + "\nA new paragraph.\n"),
        edit(model, "context_length: 32768", "context_length: 16384"),
        edit(device, "memory_gb: 8", "memory_gb: 16"),
        lambda: device.write_text(device.read_text() + "\nA note.\n"),
        edit(bench, "tok_s: ", "tok_s: 1"),  # a measurement ten times faster or more
        edit(templates / "pair.html", "Every format and context", "Each format and context"),
        edit(templates / "partials" / "header.html", "How we estimate", "Methodology"),
        lambda: (static / "style.css").write_text((static / "style.css").read_text() + "\n.x { color: red; }\n"),
        lambda: device.rename(moved),
        lambda: shutil.copy(moved, content / "devices" / "rtx-4060-twin.md"),
        lambda: (content / "devices" / "rtx-4060-twin.md").unlink(),
        lambda: (content / "models" / "gemma-2-9b-it.md").unlink(),
        lambda: shutil.copy(FIXTURES / "site" / "content" / "models" / "gemma-2-9b-it.md", content / "models"),
    ]
    build(content, out, CONFIG, cache)
    for step, change in enumerate(edits):
        change()
        build(content, out, CONFIG, cache, jobs=1 + step % 2)
        clean = tmp_path / f"clean-{step}"
        build(content, clean, CONFIG)
        assert files_of(out) == files_of(clean), f"after edit {step}"
        shutil.rmtree(clean)
    files = sum(1 for _ in content.rglob("*.md"))
    assert (len(cache.files.entries), len(cache.views.models)) == (files, 3)
    assert len(cache.output.keys) == len(files_of(out))
    cache.output.discard_spare()
    assert leftovers(tmp_path) == []


def test_builds_are_byte_identical_across_hash_seeds_time_zones_and_workers(tmp_path):
    """Two command-line builds of the same content in differently configured processes."""
    outputs = []
    for seed, zone, jobs, order in (("1", "UTC", "1", sorted), ("4242", "Asia/Kolkata", "2", reversed)):
        content = tmp_path / f"content-{seed}"
        for path in order(list(SITE.rglob("*.md"))):  # files created in a different order
            target = content / path.relative_to(SITE)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target)
        out = tmp_path / f"out-{seed}"
        env = dict(os.environ, PYTHONHASHSEED=seed, TZ=zone, SOURCE_DATE_EPOCH="1764201600")
        subprocess.run([sys.executable, "-m", "site_builder", "build", "--content", str(content), "--out", str(out),
                        "--jobs", jobs], cwd=ROOT, env=env, check=True, capture_output=True)  # fmt: skip
        outputs.append(files_of(out))
    assert outputs[0] == outputs[1]
    assert b"Built 2025-11-27." in outputs[0]["index.html"]

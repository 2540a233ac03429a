"""Shared helpers: write small content trees into a temporary folder."""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from typing import NamedTuple

import pytest

from site_builder.content.load import load_content

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"

MODEL = """\
---
name: Test 7B
family: Test
publisher: Test Lab
params_b: 7.24
architecture:
  layers: 32
  hidden_size: 4096
  intermediate_size: 14336
  attention_heads: 32
  kv_heads: 8
  vocab_size: 32000
  context_length: 32768
license: Apache-2.0
summary: A test model with Mistral 7B's shape.
sources:
  - https://example.org/config.json
---
Body text.
"""

DEVICE = """\
---
name: Test GPU
vendor: NVIDIA
kind: discrete-gpu
memory_gb: 8
memory_bandwidth_gbps: 272
sources:
  - https://example.org/spec
---
"""


def write_tree(root: Path, files: dict[str, str]) -> Path:
    """Write {relative path: text} under root/content and return the content folder."""
    content = root / "content"
    for rel, text in files.items():
        path = content / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
    return content


@pytest.fixture
def tree(tmp_path):
    def make(files: dict[str, str]) -> Path:
        return write_tree(tmp_path, files)

    return make


@pytest.fixture(scope="session")
def catalogue():
    return load_content(ROOT / "content")


@pytest.fixture(scope="session")
def shipped_site(catalogue):
    """The shipped catalogue assembled (estimates and views), once per test session."""
    from site_builder.site.views import assemble_site

    return assemble_site(catalogue)


def _scratch() -> Path:
    """A folder for the 80,000 files of the shipped site, removed at exit: in RAM where the machine has
    /dev/shm (a third of the build's time here is the disk otherwise)."""
    shm = Path("/dev/shm")
    folder = Path(tempfile.mkdtemp(prefix="site-builder-test-", dir=shm if os.access(shm, os.W_OK) else None))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


class _Build(NamedTuple):
    out: Path
    log: Path
    process: subprocess.Popen


_SHIPPED_BUILD: list[_Build] = []


def _start_shipped_build() -> _Build:
    folder = _scratch()
    log = folder / "build.log"
    command = [sys.executable, "-m", "site_builder.cli", "build", "--content", str(ROOT / "content"),
               "--out", str(folder / "public"), "--base-url", "http://127.0.0.1:8765/"]  # fmt: skip
    with log.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT)
    atexit.register(process.kill)  # runs before the folder is removed (atexit is last in, first out)
    return _Build(folder / "public", log, process)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    # The shipped site takes ~20 s to build: it is built by a separate process while the other tests run,
    # and the tests that read it run last.
    readers = [item for item in items if "built_site" in getattr(item, "fixturenames", ())]
    if readers and os.environ.get("PYTEST_XDIST_WORKER") is None:
        chosen = set(readers)
        items[:] = [item for item in items if item not in chosen] + readers
        _SHIPPED_BUILD.append(_start_shipped_build())


@pytest.fixture(scope="session")
def built_site():
    """The shipped catalogue, built once per test session (base URL of the local test server)."""
    build = _SHIPPED_BUILD[0] if _SHIPPED_BUILD else _start_shipped_build()
    if build.process.wait() != 0:
        pytest.fail(f"building the shipped site failed:\n{build.log.read_text()}", pytrace=False)
    return build.out


class Page(NamedTuple):
    links: frozenset[str]  # href and src of a, link, script and img
    assets: frozenset[str]  # src of script and img, href of link
    ids: frozenset[str]
    leak: str  # the first path of a machine found in the page ("" for none)


MACHINE_PATHS = ("/work/", "/tmp/", "/home/", "/root/", "../shared", "/Users/", "C:\\")


def machine_path(data: bytes | str) -> str:
    """The first path of a machine in `data` ("" for none): what must never reach the site."""
    text = data.decode(errors="replace") if isinstance(data, bytes) else data
    return next((p for p in MACHINE_PATHS if p in text), "")


# The build writes attributes after one space, double-quoted: literal spaces keep these ~5 times faster than \s.
LINK = re.compile(r' (?:href|src)="([^"]*)"')
ASSET = re.compile(r'<(?:link|script|img) [^>]*?(?:href|src)="([^"]*)"')
ID = re.compile(r' id="([^"]*)"')


def parse_page(data: bytes) -> Page:
    """Links, assets and ids of a page the build wrote. Regular expressions are enough for markup we generate
    (attributes always double-quoted) and far faster than an HTML parser over ~40,000 pages."""
    text = data.decode()
    return Page(frozenset(LINK.findall(text)), frozenset(ASSET.findall(text)), frozenset(ID.findall(text)),
                machine_path(text))  # fmt: skip


def site_files(root: Path, suffix: str = "") -> list[str]:
    """Every file under `root` (ending in `suffix`), as paths relative to it; os.walk is several times faster
    than Path.rglob over 80,000 files."""
    found = []
    for folder, _, names in os.walk(root):
        rel = os.path.relpath(folder, root)
        prefix = "" if rel == "." else rel.replace(os.sep, "/") + "/"
        found += [prefix + n for n in names if n.endswith(suffix)]
    return found


@pytest.fixture(scope="session")
def parsed_site(built_site) -> dict[str, Page]:
    """Every page of the built shipped site, parsed once per test session."""
    return {rel: parse_page((built_site / rel).read_bytes()) for rel in site_files(built_site, ".html")}


DEV_MODEL = "models/mistral-7b-instruct-v0-3"  # a page of the fixture site the dev-server tests edit


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def wait_for(check, timeout: float = 15.0):
    """Poll until `check()` returns something truthy (swallowing connection errors); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.fixture
def dev_server(tmp_path):
    """`site-builder serve` on a copy of the fixture site: (base URL, content folder, temporary folder)."""
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "site" / "content", content)
    port = free_port()
    log = (tmp_path / "serve.log").open("w")  # a file, not a pipe nobody reads: that would fill and block
    process = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "serve", "--content", str(content), "--out", str(tmp_path / "public"),
         "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for(lambda: status(base)["builds"] >= 1, timeout=60)
        yield base, content, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    assert not list(tmp_path.glob(".public-*")), "the server left a staging or spare folder behind"


def status(base: str) -> dict:
    return json.loads(get(base + "_dev/status.json"))

"""Shared helpers: write small content trees into a temporary folder."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from pathlib import Path

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
def built_site(tmp_path_factory):
    """The shipped catalogue, built once per test session (base URL of the local test server)."""
    from site_builder.build import build
    from site_builder.config import SiteConfig

    out = tmp_path_factory.mktemp("site") / "public"
    build(ROOT / "content", out, SiteConfig(base_url="http://127.0.0.1:8765/"))
    return out


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

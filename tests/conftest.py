"""Shared helpers: write small content trees into a temporary folder."""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
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


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """The shipped catalogue, built once per test session (base URL of the local test server)."""
    from site_builder.build import build
    from site_builder.config import SiteConfig
    from site_builder.output.workers import default_jobs

    out = tmp_path_factory.mktemp("site") / "public"
    build(ROOT / "content", out, SiteConfig(base_url="http://127.0.0.1:8765/"), jobs=default_jobs())
    return out


class Page(NamedTuple):
    links: tuple[str, ...]  # href and src of a, link, script and img
    assets: tuple[str, ...]  # src of script and img, href of link
    ids: frozenset[str]
    leak: str  # the first path of a machine found in the page ("" for none)


MACHINE_PATHS = (b"/work/", b"/tmp/", b"/home/", b"/root/", b"../shared", b"/Users/", b"C:\\")


def machine_path(data: bytes) -> str:
    """The first path of a machine in `data` ("" for none): what must never reach the site."""
    return next((p.decode() for p in MACHINE_PATHS if p in data), "")


# The build writes attributes after one space, double-quoted: literal spaces keep these ~5 times faster than \s.
LINK = re.compile(rb' (?:href|src)="([^"]*)"')
ASSET = re.compile(rb'<(?:link|script|img) [^>]*?(?:href|src)="([^"]*)"')
ID = re.compile(rb' id="([^"]*)"')


def parse_page(data: bytes) -> Page:
    """Links, assets and ids of a page the build wrote. Regular expressions are enough for markup we generate
    (attributes always double-quoted) and far faster than an HTML parser over ~40,000 pages."""
    return Page(tuple(x.decode() for x in LINK.findall(data)), tuple(x.decode() for x in ASSET.findall(data)),
                frozenset(x.decode() for x in ID.findall(data)), machine_path(data))  # fmt: skip


@pytest.fixture(scope="session")
def parsed_site(built_site) -> dict[str, Page]:
    """Every page of the built shipped site, parsed once per test session."""
    return {p.relative_to(built_site).as_posix(): parse_page(p.read_bytes())
            for p in built_site.rglob("*.html")}  # fmt: skip


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

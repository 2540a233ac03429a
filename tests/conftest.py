"""Shared helpers: write small content trees into a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from site_builder.load import load_content

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
    from site_builder.render import SiteConfig

    out = tmp_path_factory.mktemp("site") / "public"
    build(ROOT / "content", out, SiteConfig(base_url="http://127.0.0.1:8765/"))
    return out

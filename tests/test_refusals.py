"""Untrusted content: what the build refuses (exact error lines, exit 1, output untouched) and what it
neutralises (raw HTML, script links, template syntax, script-closing text in JSON)."""

from __future__ import annotations

import json
import os
import re
import unicodedata

import pytest

from site_builder.build import build, check
from site_builder.cli import main
from site_builder.config import SiteConfig
from site_builder.content.validate import MAX_FILE_BYTES
from site_builder.errors import ContentError

from .conftest import DEVICE, MODEL, write_tree


def problems(content) -> list[str]:
    with pytest.raises(ContentError) as err:
        check(content)
    return [str(p) for p in err.value.problems]


def test_file_over_the_size_limit(tree):
    big = MODEL.replace("Body text.", "x" * MAX_FILE_BYTES)
    assert problems(tree({"models/test-7b.md": big})) == [
        f"content/models/test-7b.md:1: file: is {len(big.encode()):,} bytes; the limit is 262,144"
    ]


def test_file_name_must_be_a_slug(tree):
    assert problems(tree({"models/Test 7B.md": MODEL})) == [
        "content/models/Test 7B.md:1: file: name must be a slug: lowercase letters, digits and hyphens, then .md"
    ]


def test_case_twins_name_each_other(tree):
    content = tree({"devices/test-gpu.md": DEVICE, "devices/Test-GPU.md": DEVICE})
    assert problems(content) == [
        "content/devices/Test-GPU.md:1: file: name must be a slug: lowercase letters, digits and hyphens, then .md",
        "content/devices/test-gpu.md:1: file: maps to the same page as Test-GPU.md "
        "(the names differ only in case or Unicode form)",
    ]


def test_unicode_normalisation_twins(tree):
    composed, decomposed = unicodedata.normalize("NFC", "café-gpu.md"), unicodedata.normalize("NFD", "café-gpu.md")
    content = tree({f"devices/{composed}": DEVICE, f"devices/{decomposed}": DEVICE})
    lines = problems(content)
    assert any("maps to the same page as" in line for line in lines), lines


def test_two_files_making_one_device_page(tree):
    chip = DEVICE.replace("name: Test GPU", "name: Test Chip").replace("memory_gb: 8", "memory_gb: [8, 16]")
    content = tree({"devices/test-chip.md": chip, "devices/test-chip-8gb.md": DEVICE})
    assert problems(content) == [
        "content/devices/test-chip.md:5: memory_gb: page devices/test-chip-8gb/ is also made by "
        "content/devices/test-chip-8gb.md"
    ]


def test_symlink_leaving_the_content_folder(tree, tmp_path):
    secret = tmp_path / "secret.md"
    secret.write_text(MODEL)
    content = tree({"devices/test-gpu.md": DEVICE})
    (content / "models").mkdir()
    os.symlink(secret, content / "models" / "test-7b.md")
    assert problems(content) == [
        f"content/models/test-7b.md:1: file: is a symbolic link to {secret}, outside the content folder"
    ]


def test_symlink_inside_the_content_folder_is_fine(tree):
    content = tree({"models/test-7b.md": MODEL, "devices/test-gpu.md": DEVICE})
    (content / "shared").mkdir()
    os.replace(content / "devices" / "test-gpu.md", content / "shared" / "test-gpu.md")
    os.symlink(content / "shared" / "test-gpu.md", content / "devices" / "test-gpu.md")
    assert [d.slug for d in check(content).devices] == ["test-gpu"]


def test_refusal_exits_1_and_leaves_the_output_untouched(tree, tmp_path, capsys):
    content = tree({"models/test-7b.md": MODEL, "devices/test-gpu.md": DEVICE})
    out = tmp_path / "public"
    assert main(["build", "--content", str(content), "--out", str(out), "--jobs", "1"]) == 0
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    (content / "models" / "test-7b.md").write_text(MODEL.replace("params_b: 7.24", "params_b: 9.99"))
    capsys.readouterr()
    assert main(["build", "--content", str(content), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "content/models/test-7b.md:5: params_b: 9.99 does not match the architecture's 7.24B (more than 3% apart)",
        "error: 1 problem in 1 file; nothing written",
    ]
    assert "Traceback" not in err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".public")] == []


HOSTILE_BODY = """\
<script>alert("body")</script>
<img src=x onerror=alert(1)>

[click](javascript:alert(1)) [data](data:text/html;base64,PHNjcmlwdD4=) [vb](vbscript:msgbox(1))
[fine](https://example.org/)

{{ 7 * 7 }} {% raw %}x{% endraw %} {# comment #}
"""


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    model = (
        MODEL.replace("name: Test 7B", 'name: "Test </script><script>alert(2)</script> {{ 6 * 7 }}"')
        .replace("summary: A test model with Mistral 7B's shape.", 'summary: "</b>{% if true %}yes{% endif %} <b>bold"')
        .replace("Body text.\n", HOSTILE_BODY)
    )
    content = write_tree(root, {"models/test-7b.md": model, "devices/test-gpu.md": DEVICE})
    out = root / "public"
    build(content, out, SiteConfig())
    return out


def test_raw_html_in_a_body_is_shown_as_text(hostile_site):
    page = (hostile_site / "models" / "test-7b" / "index.html").read_text()
    assert '<script>alert("body")</script>' not in page
    assert "&lt;script&gt;alert(&quot;body&quot;)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_script_links_never_reach_a_page(hostile_site):
    page = (hostile_site / "models" / "test-7b" / "index.html").read_text()
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert not [h for h in hrefs if h.lower().startswith(("javascript:", "vbscript:", "data:"))]
    assert 'href="https://example.org/"' in page


def test_template_syntax_in_content_is_literal(hostile_site):
    page = (hostile_site / "models" / "test-7b" / "index.html").read_text()
    assert "{{ 7 * 7 }}" in page and "49" not in page.split("{{ 7 * 7 }}")[0][-10:]
    assert "{% raw %}x{% endraw %}" in page
    assert "{{ 6 * 7 }}" in page and ">42<" not in page
    assert "{% if true %}yes{% endif %}" in page


def test_json_ld_cannot_close_its_script(hostile_site):
    page = (hostile_site / "models" / "test-7b" / "index.html").read_text()
    block = re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1)
    assert "<" not in block and ">" not in block
    assert json.loads(block)["name"] == "Test </script><script>alert(2)</script> {{ 6 * 7 }}"
    # the only executable script on the page is the site's own file
    assert re.findall(r"<script(?: [^>]*)?>", page) == [
        '<script type="application/ld+json">',
        '<script src="/static/app.js" defer>',
    ]


def test_api_documents_are_plain_json(hostile_site):
    doc = json.loads((hostile_site / "api" / "models" / "test-7b.json").read_text())
    assert doc["name"] == "Test </script><script>alert(2)</script> {{ 6 * 7 }}"


CSP_META = '<meta http-equiv="Content-Security-Policy" content="default-src &#39;self&#39;; script-src &#39;self&#39;;'


def test_every_page_carries_the_content_security_policy(hostile_site):
    pages = list(hostile_site.rglob("*.html"))
    assert pages
    for page in pages:
        head = page.read_text().split("</head>")[0]
        assert CSP_META in head, page
    headers = (hostile_site / "_headers").read_text()
    assert "Content-Security-Policy: default-src 'self'; script-src 'self';" in headers
    assert "frame-ancestors 'none'" in headers


def test_a_recursive_alias_is_one_line(tree):
    model = MODEL.replace("license: Apache-2.0", "license: Apache-2.0\ntags: &t [x, *t]")
    assert problems(tree({"models/test-7b.md": model, "devices/test-gpu.md": DEVICE})) == [
        "content/models/test-7b.md:15: tags: nested more than 32 levels deep (a recursive alias?)"
    ]


def test_six_hundred_nested_brackets_are_one_line(tree):
    model = MODEL.replace("license: Apache-2.0", "license: Apache-2.0\ntags: " + "[" * 600 + "]" * 600)
    assert problems(tree({"models/test-7b.md": model, "devices/test-gpu.md": DEVICE})) == [
        "content/models/test-7b.md:15: tags: nested more than 32 levels deep (a recursive alias?)"
    ]


def test_numbers_have_sane_bounds(tree):
    model = MODEL.replace("context_length: 32768", "context_length: 1000000000000")
    assert problems(tree({"models/test-7b.md": model, "devices/test-gpu.md": DEVICE})) == [
        "content/models/test-7b.md:13: architecture.context_length: must be less than or equal to 16777216, "
        "got 1000000000000"
    ]


def test_a_five_thousand_digit_number_is_not_echoed(tree):
    model = MODEL.replace("params_b: 7.24", "params_b: 1" + "0" * 5000)
    assert problems(tree({"models/test-7b.md": model, "devices/test-gpu.md": DEVICE})) == [
        "content/models/test-7b.md:5: params_b: invalid value '1000000000000000000000000000000000000000'… "
        "(5,001 characters): a number of 5,001 digits"
    ]


def test_a_file_that_is_not_markdown_is_refused(tree):
    content = tree({"models/test-7b.md": MODEL, "devices/test-gpu.md": DEVICE, "devices/other-gpu.yaml": DEVICE})
    assert problems(content) == [
        "content/devices/other-gpu.yaml:1: file: not read: content files are Markdown with frontmatter and end in .md"
    ]


def test_bidirectional_controls_are_refused(tree):
    model = MODEL.replace("name: Test 7B", "name: Test \u202e7B")
    assert problems(tree({"models/test-7b.md": model, "devices/test-gpu.md": DEVICE})) == [
        "content/models/test-7b.md:2: name: contains a Unicode bidirectional control (U+202A-202E, U+2066-2069); "
        "remove it"
    ]


def test_an_empty_or_missing_content_folder_is_refused(tmp_path, capsys):
    (tmp_path / "content").mkdir()
    assert main(["check", "--content", str(tmp_path / "content")]) == 1
    assert main(["build", "--content", str(tmp_path / "nowhere"), "--out", str(tmp_path / "out")]) == 1
    assert capsys.readouterr().err.splitlines() == [
        "content:1: file: holds no content files (models/<slug>.md, devices/, benchmarks/): "
        "is this the content folder?",
        "error: 1 problem in 1 file; nothing written",
        "nowhere:1: file: no content folder here: run from the repository root or pass --content DIR",
        "error: 1 problem in 1 file; nothing written",
    ]
    assert not (tmp_path / "out").exists()


BENCH = """---
title: "T"
source: "https://example.org/x"
date: 2025-01
runtime: llama.cpp
rows:
  - model: test-7b
    device: test-gpu
    quant: Q4_K_M
    test: tg128
    tok_s: 50
    backend: CUDA
  - model: test-7b
    device: test-gpu
    quant: Q4_K_M
    tok_s: 50
    backend: CUDA
---
"""


def test_a_benchmark_row_is_located_at_its_own_line(tree):
    content = tree({"models/test-7b.md": MODEL, "devices/test-gpu.md": DEVICE, "benchmarks/t.md": BENCH})
    assert problems(content) == ["content/benchmarks/t.md:13: rows[1].test: field required"]


def test_estimate_takes_any_case_and_says_when_it_caps_the_context(capsys):
    from .conftest import ROOT

    args = ["estimate", "llama-3-1-8b-instruct", "rtx-4060", "--quant", "q4_k_m", "--context", "200000"]
    assert main([*args, "--content", str(ROOT / "content")]) == 0
    out = capsys.readouterr()
    assert out.err.splitlines()[0] == (
        "notice: Llama 3.1 8B Instruct supports 131,072 tokens of context; estimating at 131,072, not 200,000"
    )
    assert out.out.splitlines()[0] == (
        "Llama 3.1 8B Instruct Q4_K_M on GeForce RTX 4060, 131,072-token context (KV cache f16)"
    )


def test_a_busy_port_is_named(tmp_path, capsys):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["serve", "--port", str(port), "--out", str(tmp_path / "out")]) == 2
    assert capsys.readouterr().err.splitlines() == [
        f"error: port {port} on 127.0.0.1 is in use (another `make serve`?); pick another: make serve PORT={port + 1}"
    ]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_template_error_is_one_line_naming_template_and_page(tmp_path, monkeypatch, capsys, jobs):
    import shutil

    import site_builder.build as pipeline

    from .conftest import FIXTURES

    templates = tmp_path / "templates"
    shutil.copytree(pipeline.TEMPLATES, templates)
    pair = templates / "pair.html"
    pair.write_text(pair.read_text().replace("{{ view.formats }}", "{{ view.formats }}\n{{ view.no_such_field }}"))
    monkeypatch.setattr(pipeline, "TEMPLATES", templates)
    out = tmp_path / "out"
    site = FIXTURES / "site" / "content"
    assert main(["build", "--content", str(site), "--out", str(out), "--jobs", jobs]) == 1
    err = capsys.readouterr().err.splitlines()
    line = next(n for n, text in enumerate(pair.read_text().splitlines(), 1) if "no_such_field" in text)
    assert err == [
        f"templates/pair.html:{line}: page models/gemma-2-9b-it/on/apple-m2-max-30c-32gb.html: UndefinedError: "
        "'site_builder.site.context.PairPage object' has no attribute 'no_such_field'",
        "error: a template failed; nothing written",
    ]
    assert not out.exists()

"""`site-builder diff`: the Markdown report of what a change does to the site."""

import shutil

from site_builder.build import build
from site_builder.cli import main
from site_builder.config import SiteConfig

from .conftest import FIXTURES, MODEL

SITE = FIXTURES / "site" / "content"


def test_report_names_pages_memory_and_tiers(tmp_path, capsys):
    build(SITE, tmp_path / "old", SiteConfig())
    changed = tmp_path / "content"
    shutil.copytree(SITE, changed)
    card = changed / "devices" / "rtx-4060.md"
    card.write_text(card.read_text().replace("memory_gb: 8", "memory_gb: 16"))
    (changed / "models" / "test-7b.md").write_text(MODEL)
    gemma = changed / "models" / "gemma-2-9b-it.md"
    gemma.write_text(gemma.read_text().replace("  context_length: 8192", "  context_length: 4096"))
    build(changed, tmp_path / "new", SiteConfig())
    assert main(["diff", str(tmp_path / "old"), str(tmp_path / "new")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("## Effect on the site\n")
    assert "- `models/test-7b/index.html`" in out
    assert "### Test 7B (new)" in out
    gemma = out.split("### Gemma 2 9B IT")[1].split("###")[0]
    assert "| rtx-4060 | B at Q4_0 | A at Q6_K |" in gemma  # 8 GB: Q4_0 partly in system RAM; 16 GB: Q6_K fits
    assert "| BF16 | 8192 | 19.84 GiB | — |" in gemma  # the 8K preset is gone with the 4K maximum
    assert "- `models/gemma-2-9b-it/context-4k.html`" in out.split("### Pages removed")[1]


def test_no_change_says_so(tmp_path, capsys):
    build(SITE, tmp_path / "a", SiteConfig())
    build(SITE, tmp_path / "b", SiteConfig())
    assert main(["diff", str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert capsys.readouterr().out == "## Effect on the site\n\nNo page or estimate changes.\n"

"""Every link and asset in the built site resolves (files exist, #fragments point at ids), nothing is fetched from
elsewhere, no machine path leaks, and the API documents hold what the pages show."""

from __future__ import annotations

import json
from urllib.parse import urldefrag, urljoin

import pytest

from .conftest import machine_path

SITE = "http://127.0.0.1:8765/"


def test_every_internal_link_resolves(built_site, parsed_site):
    files = {p.relative_to(built_site).as_posix() for p in built_site.rglob("*") if p.is_file()}
    broken, resolved = [], {}
    for rel, page in parsed_site.items():
        folder = rel.rsplit("/", 1)[0] + "/" if "/" in rel else ""
        for link in page.links:
            # ~40 pages share each folder's relative links; a bare #fragment is the page's own
            base = rel if link.startswith("#") else folder
            key = (base, link) if not link.startswith("/") else link
            if key not in resolved:
                resolved[key] = urldefrag(urljoin(SITE + base, link))
            url, fragment = resolved[key]
            if not url.startswith(SITE):
                continue
            path = url.removeprefix(SITE)
            target = path + "index.html" if path == "" or path.endswith("/") else path
            if target not in files:
                broken.append(f"{rel}: {link} (no {target})")
            elif fragment and target.endswith(".html") and fragment not in parsed_site[target].ids:
                broken.append(f"{rel}: {link} (no id {fragment!r})")
    assert broken == [], f"{len(broken)} broken links, first: {broken[:10]}"


def test_no_request_leaves_the_site(parsed_site):
    """Stylesheets, scripts and images all come from the site itself (no CDN)."""
    outside = {link for page in parsed_site.values() for link in page.assets if link.startswith(("http", "//"))}
    assert {link for link in outside if not link.startswith(SITE)} == set()


def test_no_machine_path_anywhere_in_the_site(built_site, parsed_site):
    leaks = [f"{rel}: {page.leak}" for rel, page in parsed_site.items() if page.leak]  # pages: scanned when parsed
    for path in built_site.rglob("*"):
        if path.suffix in (".json", ".txt", ".xml") and (leak := machine_path(path.read_bytes())):
            leaks.append(f"{path.relative_to(built_site)}: {leak}")
    assert leaks == []


def test_every_model_device_pair_has_a_page_and_a_document(built_site, shipped_site):
    n = len(shipped_site.models) * len(shipped_site.places.devices)
    assert sum(1 for _ in (built_site / "models").glob("*/on/*.html")) == n
    assert sum(1 for _ in (built_site / "api" / "models").glob("*/on/*.json")) == n


def test_pair_pages_stay_lean(built_site):
    sizes = sorted(p.stat().st_size for p in (built_site / "models").glob("*/on/*.html"))
    assert sizes[len(sizes) // 2] <= 14_000  # bytes, the median; make bench reports the distribution


@pytest.mark.parametrize("doc", ["models.json", "devices.json", "tiers.json"])
def test_api_listings_parse(built_site, doc):
    data = json.loads((built_site / "api" / doc).read_text())
    assert len(next(iter(data.values()))) >= 6


def test_model_document_tables_align_with_the_devices(built_site):
    doc = json.loads((built_site / "api" / "models" / "llama-3-1-8b-instruct.json").read_text())
    n = len(doc["devices"]["rows"])
    table = doc["estimates"]["by_quant"][doc["default_quant"]][str(doc["default_context"])]
    assert len(table["tier"]) == len(table["decode_tok_s"]) == len(table["total_mib"]) == len(doc["best_quant"]) == n
    assert set(table["tier"]) <= set("SABCDF")

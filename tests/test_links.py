"""Every link and asset in the built site resolves (files exist, #fragments point at ids), nothing is fetched from
elsewhere, no machine path leaks, and the API documents hold what the pages show."""

from __future__ import annotations

import json
from urllib.parse import urldefrag, urljoin

import pytest

from .conftest import machine_path, site_files

SITE = "http://127.0.0.1:8765/"


def test_every_internal_link_resolves(built_site, parsed_site):
    files = set(site_files(built_site))
    broken = []
    by_folder: dict[str, set[str]] = {}  # ~40 pages share each folder's relative links: each is resolved once
    for rel, page in parsed_site.items():
        own = {link for link in page.links if link.startswith("#")}  # a bare #fragment is the page's own
        broken += [f"{rel}: {link} (no id {link[1:]!r})" for link in own if link[1:] not in page.ids]
        by_folder.setdefault(rel.rsplit("/", 1)[0] + "/" if "/" in rel else "", set()).update(page.links - own)
    for folder, links in by_folder.items():
        for link in links:
            url, fragment = urldefrag(urljoin(SITE + folder, link))
            if not url.startswith(SITE):
                continue
            path = url.removeprefix(SITE)
            target = path + "index.html" if path == "" or path.endswith("/") else path
            problem = f"no {target}" if target not in files else ""
            if not problem and fragment and target.endswith(".html") and fragment not in parsed_site[target].ids:
                problem = f"no id {fragment!r} in {target}"
            if problem:
                page = next(r for r, p in parsed_site.items() if link in p.links and r.startswith(folder))
                broken.append(f"{page}: {link} ({problem})")
    assert broken == [], f"{len(broken)} broken links, first: {broken[:10]}"


def test_no_request_leaves_the_site(parsed_site):
    """Stylesheets, scripts and images all come from the site itself (no CDN)."""
    outside = {link for page in parsed_site.values() for link in page.assets if link.startswith(("http", "//"))}
    assert {link for link in outside if not link.startswith(SITE)} == set()


def test_no_machine_path_anywhere_in_the_site(built_site, parsed_site):
    leaks = [f"{rel}: {page.leak}" for rel, page in parsed_site.items() if page.leak]  # pages: scanned when parsed
    for rel in site_files(built_site):
        if rel.endswith((".json", ".txt", ".xml")) and (leak := machine_path((built_site / rel).read_bytes())):
            leaks.append(f"{rel}: {leak}")
    assert leaks == []


def pair_pages(parsed_site) -> list[str]:
    return [rel for rel in parsed_site if rel.startswith("models/") and "/on/" in rel]


def test_every_model_device_pair_has_a_page_and_a_document(built_site, parsed_site, shipped_site):
    n = len(shipped_site.models) * len(shipped_site.places.devices)
    assert len(pair_pages(parsed_site)) == n
    assert sum(1 for _ in (built_site / "api" / "models").glob("*/on/*.json")) == n


def test_pair_pages_stay_lean(built_site, parsed_site):
    sizes = sorted((built_site / rel).stat().st_size for rel in pair_pages(parsed_site))
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

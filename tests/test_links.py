"""Every link and asset in the built site resolves: files exist, #fragments point at ids."""

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urljoin, urlsplit

SITE = "http://127.0.0.1:8765/"


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        for key in ("href", "src"):
            if a.get(key) and tag in ("a", "link", "script", "img"):
                self.links.append(a[key])


def parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def target_file(root: Path, url: str) -> Path:
    path = urlsplit(url).path.removeprefix("/")
    candidate = root / path
    return candidate / "index.html" if path == "" or path.endswith("/") else candidate


def test_every_internal_link_resolves(built_site):
    root = built_site
    pages = sorted(root.rglob("*.html"))
    parsed = {p: parse(p) for p in pages}
    broken = []
    for page, links in parsed.items():
        rel = page.relative_to(root).as_posix()
        page_url = SITE + (rel.removesuffix("index.html") if rel.endswith("index.html") else rel)
        for link in links.links:
            url = urljoin(page_url, link)
            if not url.startswith(SITE):
                continue
            url, fragment = urldefrag(url)
            target = target_file(root, url)
            if not target.exists():
                broken.append(f"{rel}: {link} (no {target.relative_to(root)})")
            elif fragment and target.suffix == ".html":
                ids = parsed[target].ids if target in parsed else parse(target).ids
                if fragment not in ids:
                    broken.append(f"{rel}: {link} (no id {fragment!r})")
    assert broken == [], f"{len(broken)} broken links, first: {broken[:10]}"
    assert len(pages) > 1000


def test_no_request_leaves_the_site(built_site):
    """Stylesheets, scripts and images all come from the site itself (no CDN)."""
    outside = []
    for page in built_site.rglob("*.html"):
        for tag_link in parse(page).links:
            if tag_link.startswith(("http://", "https://", "//")) and not tag_link.startswith(SITE):
                outside.append((page.name, tag_link))
    assets = [link for _, link in outside if link.endswith((".css", ".js", ".png", ".svg", ".woff2"))]
    assert assets == []


def test_api_documents_parse(built_site):
    import json

    models = json.loads((built_site / "api" / "models.json").read_text())["models"]
    assert len(models) >= 45
    doc = json.loads((built_site / "api" / "models" / f"{models[0]['slug']}.json").read_text())
    table = doc["estimates"]["by_quant"][doc["recommended_quant"]][str(doc["contexts"][0])]
    n = len(doc["devices"]["rows"])
    assert len(table["tier"]) == len(table["decode_tok_s"]) == len(table["total_mib"]) == n
    assert set(table["tier"]) <= set("SABCDF")

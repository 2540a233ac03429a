"""Files for the open web: sitemap, robots.txt, an Atom feed of new models, llms.txt and the 404 page.

No wall-clock time appears in them: the feed's dates are the models' own dates, so two builds of the same
content give the same bytes.
"""

from __future__ import annotations

import struct
import zlib
from xml.sax.saxutils import escape, quoteattr

from site_builder.site.context import PageInfo, TextPage
from site_builder.site.views import Site

FEED_SIZE = 30


def web_files(site: Site, pages: list[str], render, info, config, csp_header: str, popular) -> dict[str, str | bytes]:
    """`render(template, page, view)` renders a template as the pages are."""
    base = config.base_url
    pages = sorted(path for path in pages if path.endswith(".html"))
    not_found = PageInfo("Page not found", "This page does not exist.", "404.html")
    listing = TextPage(items=tuple((m.card.name, m.slug, m.card.summary) for m in site.models))
    return {
        "sitemap.xml": sitemap(base, pages),
        "robots.txt": f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n",
        "_headers": headers_file(csp_header),
        "feed.xml": atom_feed(site, base, info.title),
        "favicon.ico": favicon(),
        "llms.txt": render("llms.txt", not_found, listing),
        "404.html": render("404.html", not_found, popular),
    }


def favicon() -> bytes:
    """A 16 x 16 icon (the site's accent colour with a light centre) as an ICO holding one PNG: browsers and
    crawlers ask for /favicon.ico whatever the pages link."""
    size = 16
    rows = b""
    for y in range(size):
        row = b"\x00"
        for x in range(size):
            inner = 4 <= x < 12 and 4 <= y < 12
            row += bytes((0xFF, 0xFF, 0xFF, 0xFF) if inner else (0x24, 0x56, 0xC8, 0xFF))
        rows += row

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")
    header = struct.pack("<HHH", 0, 1, 1) + struct.pack("<BBBBHHII", size, size, 0, 0, 1, 32, len(png), 22)
    return header + png


def headers_file(csp: str) -> str:
    """Response headers for static hosts that read a `_headers` file (Netlify, Cloudflare Pages)."""
    return (
        "/*\n"
        f"  Content-Security-Policy: {csp}\n"
        "  X-Content-Type-Options: nosniff\n"
        "  Referrer-Policy: strict-origin-when-cross-origin\n"
        "/api/*\n"
        "  Access-Control-Allow-Origin: *\n"
    )


def sitemap(base: str, pages: list[str]) -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">']
    lines += [f"  <url><loc>{escape(base + path.removesuffix('index.html'))}</loc></url>" for path in pages]
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def atom_feed(site: Site, base: str, title: str) -> str:
    dated = [m for m in site.models if m.card.release_date]
    dated.sort(key=lambda m: (m.card.release_date, m.slug), reverse=True)
    newest = dated[0].card.release_date.isoformat() if dated else "1970-01-01"
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom">',
        f"  <title>{escape(title)}: new models</title>",
        f"  <id>{escape(base)}</id>",
        f'  <link rel="self" href={quoteattr(base + "feed.xml")}/>',
        f"  <link href={quoteattr(base)}/>",
        f"  <updated>{newest}T00:00:00Z</updated>",
    ]
    for m in dated[:FEED_SIZE]:
        url = f"{base}models/{m.slug}/"
        lines += [
            "  <entry>",
            f"    <title>{escape(m.card.name)}</title>",
            f"    <id>{escape(url)}</id>",
            f"    <link href={quoteattr(url)}/>",
            f"    <updated>{m.card.release_date.isoformat()}T00:00:00Z</updated>",
            f"    <author><name>{escape(m.card.publisher)}</name></author>",
            f"    <summary>{escape(m.card.summary)}</summary>",
            "  </entry>",
        ]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"

"""Files for the open web: sitemap, robots.txt, an Atom feed of new models, llms.txt and the 404 page.

No wall-clock time appears in them: the feed's dates are the models' own dates, so two builds of the same
content give the same bytes.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from site_builder.site.sitemap import PageInfo
from site_builder.site.views import Site

FEED_SIZE = 30


def web_files(site: Site, pages: list[str], env, info: dict, config) -> dict[str, str]:
    base = config.base_url
    pages = sorted(path for path in pages if path.endswith("index.html"))
    not_found = PageInfo("Page not found", "This page does not exist.", "404.html")
    return {
        "sitemap.xml": sitemap(base, pages),
        "robots.txt": f"User-agent: *\nAllow: /\nSitemap: {base}sitemap.xml\n",
        "_headers": headers_file(info["csp_header"]),
        "feed.xml": atom_feed(site, base, info["title"]),
        "llms.txt": env.get_template("llms.txt").render(site=info, models=site.models, devices=site.devices),
        "404.html": env.get_template("404.html").render(site=info, page=not_found, models=site.models[:8]),
    }


def headers_file(csp: str) -> str:
    """Response headers for static hosts that read a `_headers` file (Netlify, Cloudflare Pages)."""
    return (
        "/*\n"
        f"  Content-Security-Policy: {csp}\n"
        "  X-Content-Type-Options: nosniff\n"
        "  Referrer-Policy: strict-origin-when-cross-origin\n"
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

"""The site map: every page, its template, the record it receives and what it reads.

What a page reads is declared here, next to the page, and its cache key is made from exactly that (`reads`):
the digests of the content files it shows, or the data it shows itself where that is cheaper to hash than to
declare (device pages hash their rows). `make serve` re-renders a page only when its key changes; the test that
an incremental build equals a clean one after every kind of edit keeps these declarations honest.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial

from site_builder.site import pages
from site_builder.site.context import PageInfo
from site_builder.site.formatting import context as ctx_label
from site_builder.site.urls import context_path, device_path, model_path, pair_api, pair_path, quant_path
from site_builder.site.views import ModelView, Site


@dataclass(frozen=True)
class PageSpec:
    output: str  # file path in the built site
    template: str
    info: PageInfo
    reads: tuple  # what the page shows, as digests: same reads, same page
    view: Callable[[], object]  # the page's record, made only when the page is rendered


def digest(value: object) -> str:
    return hashlib.blake2b(repr(value).encode(), digest_size=16).hexdigest()


class Reads:
    """The digests pages are keyed by, named once."""

    def __init__(self, site: Site):
        c = site.content
        self.models = c.models_digest
        self.devices = c.devices_digest  # what other pages show of devices (bodies and sources excluded)
        self.benchmarks = c.benchmarks_digest
        self.calibration = site.calibration.digest
        # names, families, dates and supersession of every model: what lists and "newer version" links show
        self.listing = digest([(m.slug, m.card.name, m.card.family, m.card.release_date, m.card.supersedes,
                                m.card.summary, m.card.license, m.card.params_b) for m in c.models])  # fmt: skip
        self.estimates = (self.models, self.devices, self.benchmarks, self.calibration)

    def model(self, view: ModelView) -> tuple:
        return (view.entry.digest, self.devices, self.benchmarks, self.calibration, self.listing)


def page(path: str, template: str, title: str, description: str, reads: tuple, view=None, jsonld=None) -> PageSpec:
    output = path if path.endswith(".html") else path + "index.html"
    return PageSpec(output, template, PageInfo(title, description, path, jsonld), reads,
                    view or (lambda: None))  # fmt: skip


def slices(view: ModelView) -> list[tuple[str, int, str]]:
    """(format, context, path) of every grid page besides the model page: each format at the default context,
    and the default format at every other context."""
    out = [(f, view.default_context, quant_path(view.slug, f, view.default_format)) for f in view.formats]
    out += [(view.default_format, c, context_path(view.slug, c, view.default_context)) for c in view.contexts]
    return [(f, c, path) for f, c, path in out if path != model_path(view.slug)]


def model_jsonld(view: ModelView, base_url: str) -> dict:
    card = view.card
    data = {"@context": "https://schema.org", "@type": "SoftwareApplication", "name": card.name,
            "applicationCategory": "Large language model", "description": card.summary,
            "url": base_url + model_path(view.slug), "license": card.license,
            "publisher": {"@type": "Organization", "name": card.publisher}}  # fmt: skip
    if card.release_date:
        data["datePublished"] = card.release_date.isoformat()
    return data


def device_jsonld(d, base_url: str) -> dict:
    return {"@context": "https://schema.org", "@type": "Product", "name": d.name, "brand": {"@type": "Brand",
            "name": d.vendor}, "description": f"{d.memory_gb:g} GB, {d.bandwidth_gbps:g} GB/s memory bandwidth",
            "url": base_url + device_path(d.slug)}  # fmt: skip


def plan(site: Site, title: str, base_url: str, url, base_path: str, verdicts) -> Iterator[PageSpec]:
    """`verdicts(view)` gives a model's verdicts for every setup (site/verdicts.py)."""
    r = Reads(site)
    home = f"Which of {len(site.models)} open LLMs run on your GPU, Mac or CPU, at which quantization, and how fast."
    website = {"@context": "https://schema.org", "@type": "WebSite", "name": title, "url": base_url}
    # Lists key on their own records: cheap to make, and exactly what they show.
    home_view, devices_view, news_view = pages.home_page(site), pages.devices_page(site), pages.news_page(site, url)
    yield page("", "index.html", title, home, (digest(home_view),), lambda: home_view, website)
    yield page("devices/", "devices.html", "Devices", "Every GPU, Apple chip, APU and CPU on the site.",
               (digest(devices_view),), lambda: devices_view)  # fmt: skip
    yield page("compare/", "compare.html", "Compare", "Several devices side by side at one format.", r.estimates,
               lambda: pages.compare_page(site, url))  # fmt: skip
    yield page("whats-new/", "whats-new.html", "What's new", "The newest models and devices in the catalogue.",
               (digest(news_view),), lambda: news_view)  # fmt: skip
    yield page("guides/", "guides/index.html", "Guides", "Quantization, tiers and how to read the numbers.", ())
    yield page("guides/quantization/", "guides/quantization.html", "Quantization formats",
               "What each GGUF format is, its bits per weight and its measured quality loss.", (),
               pages.format_guide)  # fmt: skip
    yield page("guides/tiers/", "guides/tiers.html", "How tiers are decided", "The S to F grades and their rules.", ())
    yield page("guides/reading-the-numbers/", "guides/reading-the-numbers.html", "How to read the numbers",
               "GiB, tok/s, ranges, context, offloading and several GPUs explained.", ())  # fmt: skip
    yield page("api/", "api.html", "JSON API", "Every number on the site as static JSON.", r.estimates,
               lambda: api_example(site, url, verdicts))  # fmt: skip
    yield page("methodology/", "methodology.html", "How we estimate",
               "Formulas, fitted constants, sources and measured error of every estimate.", r.estimates,
               lambda: site.methodology)  # fmt: skip

    def pair(view: ModelView, i: int):
        return pages.pair_page(view, i, site, url, base_path, verdicts(view))

    for view in site.models:
        reads = r.model(view)
        name = view.card.name
        yield page(model_path(view.slug), "model.html", name, view.card.summary, reads,
                   lambda view=view: pages.model_page(view, site, url, base_path),
                   model_jsonld(view, base_url))  # fmt: skip
        for fmt, c, path in slices(view):
            where = f"{fmt}, {ctx_label(c)} context"
            yield page(path, "model-slice.html", f"{name} at {where}",
                       f"Which devices run {name} at {where}, and how fast.", reads,
                       lambda view=view, fmt=fmt, c=c: pages.slice_page(view, fmt, c, url, base_path))  # fmt: skip
        for i, d in enumerate(site.places.devices):
            yield page(
                pair_path(view.slug, d.slug),
                "pair.html",
                f"{name} on {d.name}",
                f"Can the {d.name} run {name}? The format to use, speed, memory and the command to run it.",
                (*reads, d.digest),
                partial(pair, view, i),
            )
    for dv in site.devices:
        d = dv.device
        rows = digest([(x.model.slug, x.fmt, x.tier, round(x.decode, 3), x.total, x.max_context) for x in dv.rows])
        yield page(device_path(d.slug), "device.html", d.name, f"Which LLMs run on the {d.name}, and how fast.",
                   (d.digest, rows, r.listing, r.benchmarks, r.calibration),
                   lambda dv=dv: pages.device_page(dv, site, url, base_path), device_jsonld(d, base_url))  # fmt: skip


def api_example(site: Site, url, verdicts):
    """The start of a real model x device document, its long lists cut short."""
    from site_builder.site.api import dumps
    from site_builder.site.context import TextPage

    if not site.models or not site.places.devices:
        return TextPage()
    view = next((m for m in site.models if m.slug == pages.COMPARE_MODELS[0]), site.models[0])
    doc = verdicts(view).document(0)
    doc["index"], doc["rows"] = doc["index"][:12], doc["rows"][:2]
    text = dumps(doc).strip().replace('],"', '],\n  "').replace(',"rows"', ',\n  "rows"')
    url_ = url(pair_api(view.slug, doc["device"]))
    return TextPage(example=f"GET {url_}   (index and rows cut short)\n{text}")

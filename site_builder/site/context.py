"""The template context: the whole contract between Python and the templates, in one place.

Every template receives exactly three names:
  site   SiteInfo: title, addresses, counts, tiers, the setup defaults (every page)
  page   PageInfo: title, description, path (site-relative; canonical URLs and navigation), JSON-LD
  view   the page's own record below (HomePage, ModelPage, SlicePage, PairPage, DevicePage, ...)
plus the globals `url(path)` and `tier_badge(letter, words)` and the filters of formatting.FILTERS. Records
hold finished strings and HTML fragments (Markup): a template lays them out and decides nothing. Autoescape is
on and an undefined name fails the build.
"""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup

from site_builder.estimator.tiers import Tier


@dataclass(frozen=True)
class SetupDefaults:
    gpus: int
    system_ram_gb: int
    context: str  # label, e.g. "8K"
    kv_type: str
    gpu_counts: tuple[int, ...]
    ram_sizes: tuple[int, ...]
    kv_types: tuple[str, ...]
    contexts: tuple[tuple[int, str], ...]  # (tokens, label) of the context presets


@dataclass(frozen=True)
class SiteInfo:
    title: str
    base_url: str
    built: str
    dev: bool
    csp: str
    model_count: int
    device_count: int
    tiers: tuple[Tier, ...]
    setup: SetupDefaults


@dataclass(frozen=True)
class PageInfo:
    title: str
    description: str
    path: str  # site-relative URL path: "" for the home page, "models/x/" for a model
    jsonld: dict | None = None  # schema.org description of the page's subject


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None  # None: plain text (a source without an address)


@dataclass(frozen=True)
class Run:
    """How to get and run one format."""

    llama_server: str
    ollama: str | None
    repo_url: str | None
    note: str


@dataclass(frozen=True)
class QuantLine:
    name: str
    default: bool
    bits_per_weight: str
    file_size: str
    memory: tuple[str, ...]  # per context preset
    quality: str
    level: int  # 0 (best) .. 5, for styling
    quality_note: str  # what the label rests on: a measurement on this model, or llama.cpp's reference model
    low_quality: bool
    download: Link | None
    ollama: str | None
    description: str


@dataclass(frozen=True)
class Verdict:
    """A verdict as the card shows it (the browser fills the same slots from the API for another setup)."""

    device: str  # name
    setup: str  # "32 GB RAM, 32K context, f16 KV": what the verdict assumes
    fmt: str
    tier: str
    words: str
    speed: str
    low: str
    high: str
    memory: str
    usable: str
    spill: str
    largest_context: str
    first_token: str
    quality: str
    low_quality: bool
    fastest: str  # "Q4_K_M · 37 tok/s" or ""
    finest: str
    run: Run


@dataclass(frozen=True)
class MeasuredLine:
    """A published measurement beside our estimate under the same condition."""

    model: Link
    device: Link
    fmt: str
    condition: str  # "tg128", "tg32 at 16K depth, 2 GPUs"
    backend: str
    measured: str
    estimated: str
    error: str  # "+12%"
    source: Link


@dataclass(frozen=True)
class ModelPage:
    slug: str
    name: str
    family: str
    publisher: str
    summary: str
    facts: tuple[str, ...]
    caveat: str | None
    uncalibrated_family: bool  # no measurement of this architecture: wider ranges, labelled
    context_labels: tuple[str, ...]
    quants: tuple[QuantLine, ...]
    quality_reference: str  # what the quality labels are measured on
    memory_chart: Markup
    speed_chart: Markup
    grid: Markup
    switcher: Markup
    grid_caption: str
    default_format: str
    default_context: str
    run: Run
    specs: tuple[tuple[str, str], ...]
    links: tuple[Link, ...]
    related: tuple[Link, ...]  # newer and older versions of the same line
    body: Markup
    sources: tuple[Link, ...]
    popular: tuple[Link, ...]  # model x device pages of popular devices: the card's links without JavaScript


@dataclass(frozen=True)
class SlicePage:
    model: Link
    fmt: str
    context: str
    grid: Markup
    switcher: Markup
    speed_chart: Markup
    caption: str


@dataclass(frozen=True)
class PairPage:
    model: Link
    device: Link
    slug: str  # model slug
    device_slug: str
    verdict: Verdict
    formats: Markup  # every format x context preset on this device
    measured: tuple[MeasuredLine, ...]
    device_facts: tuple[str, ...]
    caveat: str | None
    uncalibrated: bool  # the device class or the architecture has no calibration of its own
    api: str  # the document with every setup's verdict
    assumes: str  # the setup of the table of every format and context


@dataclass(frozen=True)
class DevicePage:
    slug: str
    name: str
    vendor: str
    kind: str
    facts: tuple[str, ...]
    specs: tuple[tuple[str, str], ...]
    graded: bool  # False: llama.cpp does not run on it (TPUs)
    table: Markup
    measured: tuple[MeasuredLine, ...]
    body: Markup
    sources: tuple[Link, ...]


@dataclass(frozen=True)
class ModelLine:
    slug: str
    name: str
    family: str
    publisher: str
    params: str
    active: str
    context: str
    smallest: str
    default: str
    license: str
    added: str


@dataclass(frozen=True)
class HomePage:
    models: tuple[ModelLine, ...]
    families: tuple[str, ...]
    licenses: tuple[str, ...]


@dataclass(frozen=True)
class DeviceLine:
    slug: str
    name: str
    vendor: str
    kind: str
    form: str
    memory: str
    bandwidth: str
    fp16: str


@dataclass(frozen=True)
class DevicesPage:
    devices: tuple[DeviceLine, ...]
    vendors: tuple[str, ...]
    kinds: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ComparePage:
    fmt: str
    devices: tuple[Link, ...]
    rows: tuple[tuple[Link, tuple[Markup, ...]], ...]  # per model: its cells, one per device
    formats: tuple[str, ...]


@dataclass(frozen=True)
class NewsEntry:
    date: str
    model: Link
    summary: str


@dataclass(frozen=True)
class NewsPage:
    entries: tuple[NewsEntry, ...]
    devices: tuple[Link, ...]


@dataclass(frozen=True)
class TextPage:
    """Guides, the API page, the 404 page: their few figures."""

    items: tuple = ()
    example: str = ""
    chart: Markup = Markup("")

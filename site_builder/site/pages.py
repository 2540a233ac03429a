"""Page records from the assembled site: each function makes the one `view` a template receives (context.py).

Editorial choices (the devices on charts and the no-JavaScript examples) sit here, each with a fallback when the
catalogue lacks them, so no template holds one.
"""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

from site_builder.content.records import Device
from site_builder.estimator.accuracy import Comparison
from site_builder.estimator.quants import FORMATS, LLAMA31_8B_FILE_BPW, QUANTS
from site_builder.estimator.recommend import is_low_quality
from site_builder.estimator.settings import (
    CONTEXT_PRESETS,
    DEFAULT_CONTEXT,
    DEFAULT_SETUP,
    GPU_COUNTS,
    KV_TYPES,
    SYSTEM_RAM_GB,
)
from site_builder.site import context as ctx
from site_builder.site.charts import bars
from site_builder.site.formatting import context as ctx_label
from site_builder.site.formatting import gbps, gib, params, percent, source_url, tok_s
from site_builder.site.fragments import (
    device_models_html,
    format_table_html,
    grid_html,
    option_html,
    switcher_html,
)
from site_builder.site.markdown import render_markdown
from site_builder.site.run import commands
from site_builder.site.urls import device_path, model_path, pair_api, pair_path
from site_builder.site.verdicts import ModelVerdicts
from site_builder.site.views import ModelView, Site

# Devices people ask about most, one or two per price class: the speed chart and the card's no-JS links.
FEATURED_DEVICES = (
    "rtx-3060-12gb", "rtx-4060", "rtx-4060-laptop", "rtx-4060-ti-16gb", "rtx-4070", "rtx-3090", "rtx-4090",
    "rtx-5090", "rx-7900-xtx", "arc-b580", "apple-m2-10c-16gb", "apple-m4-pro-20c-48gb", "apple-m4-max-40c-128gb",
    "ryzen-ai-max-plus-395-128gb", "dgx-spark", "h100-sxm", "cpu-ddr5-5600-dual-channel-64gb", "raspberry-pi-5-8gb",
)  # fmt: skip
COMPARE_MODELS = ("llama-3-1-8b-instruct", "qwen3-30b-a3b-instruct-2507", "gpt-oss-20b")
COMPARE_DEVICES = ("rtx-4060", "rtx-3090", "apple-m4-max-40c-128gb")
POPULAR_MODELS = ("qwen3-30b-a3b-instruct-2507", "gpt-oss-20b", "llama-3-1-8b-instruct", "gemma-3-27b-it",
                  "qwen3-8b", "glm-4-5-air", "gpt-oss-120b", "llama-3-3-70b-instruct")  # fmt: skip
REFERENCE = "llama.cpp's reference model (Llama 3 8B; its quantize tool's table)"


def site_info(site: Site, config, csp: str) -> ctx.SiteInfo:
    from site_builder.estimator.tiers import TIERS

    setup = ctx.SetupDefaults(DEFAULT_SETUP.gpus, DEFAULT_SETUP.system_ram_gb, ctx_label(DEFAULT_CONTEXT),
                              DEFAULT_SETUP.kv_type, GPU_COUNTS, SYSTEM_RAM_GB, tuple(KV_TYPES),
                              tuple((c, ctx_label(c)) for c in CONTEXT_PRESETS))  # fmt: skip
    return ctx.SiteInfo(config.title, config.base_url, config.built, config.dev, csp, len(site.models),
                        len(site.devices), TIERS, setup)  # fmt: skip


def links(sources, url) -> tuple[ctx.Link, ...]:
    return tuple(ctx.Link(s, source_url(s)) for s in sources)


def _featured(places) -> tuple[int, ...]:
    return _featured_in(places.devices)


@lru_cache(maxsize=4)  # one device list per build (the speed chart of every model and grid page asks for it)
def _featured_in(devices: tuple) -> tuple[int, ...]:
    wanted = {slug: n for n, slug in enumerate(FEATURED_DEVICES)}
    found = sorted((wanted[d.slug], i) for i, d in enumerate(devices) if d.slug in wanted)
    return tuple(i for _, i in found)


def memory_chart(view: ModelView) -> Markup:
    rows = [(r.quant.name, r.memory_by_context[view.contexts.index(view.default_context)][1] / 2**30,
             "bar-rec" if r.default else "bar") for r in view.quants]  # fmt: skip
    about = f"GiB needed for a context of {ctx_label(view.default_context)} tokens per format (the table's figures)."
    return Markup(bars(rows, f"Memory needed by {view.card.name} per format", about, "GiB", "memory"))


def speed_chart(view: ModelView, fmt: str, context: int) -> Markup:
    decode = view.sweep.columns[fmt, context].decode
    rows = [(view.places.devices[i].name, float(decode[i]), "bar") for i in _featured(view.places)]
    rows = sorted((r for r in rows if r[1]), key=lambda r: -r[1])
    about = "Estimated tokens per second on popular devices; the grid below lists every device."
    title = f"Decode speed of {view.card.name} at {fmt}, {ctx_label(context)} context"
    return Markup(bars(rows, title, about, "tok/s", "speed", label_w=280))


def quant_lines(view: ModelView, url) -> tuple[ctx.QuantLine, ...]:
    out = []
    for r in view.quants:
        q = r.quality
        if r.measured and r.measured.kld is not None:
            note = f"KL divergence {r.measured.kld:.4f} measured on this model"
        elif r.measured and r.measured.ppl_delta is not None:
            note = f"ΔPPL {r.measured.ppl_delta:+.4f} measured on this model"
        elif r.quant.ppl_delta is not None:
            note = f"ΔPPL {r.quant.ppl_delta:+.4f} on {r.quant.ppl_reference.replace('-', ' ')} (llama.cpp's table)"
        elif r.quant.name == "MXFP4":
            note = "the format the weights were released in"
        else:
            note = "no published figure: rated like the next smaller measured format"
        download = ctx.Link(r.repo, f"https://huggingface.co/{r.repo}") if r.repo else None
        out.append(ctx.QuantLine(r.quant.name, r.default, f"{r.bits_per_weight:.2f}", gib(r.file_bytes, 2),
                                 tuple(gib(b) for _, b in r.memory_by_context), q.label, q.level, note,
                                 is_low_quality(r.quant.name), download, r.ollama,
                                 r.quant.description))  # fmt: skip
    return tuple(out)


def _run(view: ModelView, fmt: str, context: int, kv: str = "f16", spill: float = 0.0) -> ctx.Run:
    c = commands(view, fmt, context, kv, spill)
    return ctx.Run(c.llama_server, c.ollama, c.repo_url, c.note)


def related(view: ModelView, site: Site, url) -> tuple[ctx.Link, ...]:
    """Newer versions (cards that supersede this one) and the older ones it supersedes."""
    newer = [m for m in site.models if view.slug in m.card.supersedes]
    older = [m for m in site.models if m.slug in view.card.supersedes]
    return tuple(ctx.Link(f"Newer: {m.card.name}", url(model_path(m.slug))) for m in newer) + tuple(
        ctx.Link(f"Older: {m.card.name}", url(model_path(m.slug))) for m in older
    )


def model_facts(view: ModelView) -> tuple[str, ...]:
    card = view.card
    total = params(card.params_b) + (f" ({params(card.active_params_b)} active)" if card.active_params_b else "")
    return (f"{total} parameters", f"{ctx_label(card.architecture.context_length)} context",
            f"{gib(view.smallest.memory_by_context[0][1])} at the smallest ({view.smallest.quant.name})",
            card.license)  # fmt: skip


def model_specs(view: ModelView) -> tuple[tuple[str, str], ...]:
    card, a = view.card, view.card.architecture
    out = [("Publisher", card.publisher)]
    counted = f"architecture gives {view.params_computed / 1e9:.2f}B"
    if card.active_params_b:
        counted += f", {view.active_computed / 1e9:.2f}B active"
    out.append(("Parameters", f"{card.params_b:g}B" + (f", {card.active_params_b:g}B active per token"
                if card.active_params_b else "") + f" ({counted})"))  # fmt: skip
    if a.gguf_arch:
        out.append(("llama.cpp architecture", a.gguf_arch))
    layers = f"{a.layers}"
    if a.recurrent:
        layers += f": {a.recurrent.layers} {a.recurrent.kind.value} and {a.attention_layers or a.layers} attention"
    elif a.attention_layers:
        layers += f" ({a.attention_layers} with attention and a KV cache)"
    out.append(("Layers", layers))
    out.append(("Hidden size", f"{a.hidden_size:,}"))
    if a.intermediate_size:
        out.append(("FFN size", f"{a.intermediate_size:,}" + ("" if a.ffn_gated else " (not gated)")))
    if a.is_mla:
        attn = f"multi-head latent attention, {a.attention_heads} heads, latent rank {a.kv_lora_rank}"
    else:
        attn = f"{a.attention_heads} query heads, {a.kv_heads} KV heads"
        attn += " (grouped-query)" if a.kv_heads < a.attention_heads else ""
        attn += f", head size {a.head_size}"
    out.append(("Attention", attn))
    if a.sliding_window:
        if a.sliding_window_pattern:
            window = f"{a.sliding_window:,} tokens, {a.sliding_window_pattern - 1} local : 1 global layers"
        else:
            window = f"{a.sliding_window:,} tokens on every layer (llama.cpp ignores it here and caches all)"
        out.append(("Sliding window", window))
    if a.experts:
        experts = f"{a.experts} routed, {a.experts_per_token} per token"
        if a.shared_experts or a.shared_expert_intermediate_size:
            experts += ", shared expert"
        if a.moe_intermediate_size:
            experts += f", expert FFN {a.moe_intermediate_size:,}"
        if a.expert_format:
            experts += f", released in {a.expert_format}"
        out.append(("Experts", experts))
    out.append(("Context", f"{a.context_length:,} tokens"))
    out.append(("Vocabulary", f"{a.vocab_size:,} tokens" + (", embeddings tied" if a.tied_embeddings else "")))
    if card.projector:
        out.append(("Vision projector", f"{gib(card.projector.file_bytes, 2)} mmproj ({card.projector.type}), "
                    f"+{gib(card.projector.file_bytes)} with images"))  # fmt: skip
    out.append(("License", card.license))
    if card.release_date:
        out.append(("Released", card.release_date.isoformat()))
    return tuple(out)


def model_page(view: ModelView, site: Site, url, base_path: str) -> ctx.ModelPage:
    card = view.card
    fmt, c = view.default_format, view.default_context
    popular = tuple(ctx.Link(view.places.devices[i].name, url(pair_path(view.slug, view.places.devices[i].slug)))
                    for i in _featured(view.places))  # fmt: skip
    return ctx.ModelPage(
        slug=view.slug, name=card.name, family=card.family, publisher=card.publisher, summary=card.summary,
        facts=model_facts(view), caveat=card.caveat, uncalibrated_family=not view.family_measured,
        context_labels=tuple(ctx_label(x) for x in view.contexts), quants=quant_lines(view, url),
        quality_reference=REFERENCE, memory_chart=memory_chart(view), speed_chart=speed_chart(view, fmt, c),
        grid=grid_html(view, fmt, c), switcher=switcher_html(view, fmt, c, base_path),
        grid_caption=f"{fmt}, {ctx_label(c)} context", default_format=fmt, default_context=ctx_label(c),
        run=_run(view, fmt, c), specs=model_specs(view),
        links=tuple(ctx.Link(label, href) for label, href in card.links.items()), related=related(view, site, url),
        body=Markup(render_markdown(view.entry.body)), sources=links(card.sources, url), popular=popular,
    )  # fmt: skip


def slice_page(view: ModelView, fmt: str, c: int, url, base_path: str) -> ctx.SlicePage:
    return ctx.SlicePage(ctx.Link(view.card.name, url(model_path(view.slug))), fmt, ctx_label(c),
                         grid_html(view, fmt, c), switcher_html(view, fmt, c, base_path),
                         speed_chart(view, fmt, c), f"{fmt}, {ctx_label(c)} context")  # fmt: skip


def measured_line(c: Comparison, url) -> ctx.MeasuredLine:
    p = c.point
    r = p.row
    condition = r.test + (f" at {ctx_label(r.depth)} depth" if r.depth else "")
    condition += f", {r.gpus} GPUs" if r.gpus > 1 else ""
    if r.kv_cache_type != "f16":
        condition += f", KV {r.kv_cache_type}"
    return ctx.MeasuredLine(
        ctx.Link(p.model.name, url(model_path(p.model.slug))), ctx.Link(p.device.name, url(device_path(p.device.slug))),
        r.quant, condition, r.backend or "", tok_s(r.tok_s), tok_s(c.predicted_tok_s), f"{c.error * 100:+.0f}%",
        ctx.Link(p.measurement.benchmark.title, source_url(p.measurement.source)),
    )  # fmt: skip


def pair_page(view: ModelView, i: int, site: Site, url, base_path: str, verdicts: ModelVerdicts) -> ctx.PairPage:
    d: Device = view.places.devices[i]
    # Measurements on this device or, for a memory variant, on its base device: speed does not depend on size.
    near = site.comparisons.get(d.slug, ()) + (site.comparisons.get(d.base_slug, ()) if d.base_slug != d.slug else ())
    measured = tuple(measured_line(c, url) for c in near if c.point.model.slug == view.slug)
    row = verdicts.default_row(i)
    facts = (f"{gib(int(view.places.usable[i]))} usable of {d.memory_gb:g} GB", gbps(d.bandwidth_gbps),
             d.kind.label)  # fmt: skip
    return ctx.PairPage(
        model=ctx.Link(view.card.name, url(model_path(view.slug))), device=ctx.Link(d.name, url(device_path(d.slug))),
        slug=view.slug, device_slug=d.slug, verdict=verdicts.card(i, row),
        formats=format_table_html(view, i, row["best"]), measured=measured, device_facts=facts,
        caveat=view.card.caveat, uncalibrated=not (view.family_measured and bool(view.places.calibrated[i])),
        api=url(pair_api(view.slug, d.slug)),
        assumes=(f"One GPU, {DEFAULT_SETUP.system_ram_gb} GB of system RAM" if view.places.separate[i] else
                 "Unified memory") + f", {DEFAULT_SETUP.kv_type} KV cache",
    )  # fmt: skip


def device_page(dv, site: Site, url, base_path: str) -> ctx.DevicePage:
    d, spec = dv.device, dv.device.spec
    facts = [f"{d.memory_gb:g} GB memory", f"{gbps(d.bandwidth_gbps)} bandwidth"]
    if spec.fp16_tflops:
        facts.append(f"{spec.fp16_tflops:g} dense FP16 TFLOPS")
    if spec.release_year:
        facts.append(str(spec.release_year))
    specs = [("Memory", f"{d.memory_gb:g} GB" + (f" {spec.memory_type}" if spec.memory_type else "")),
             ("Usable by llama.cpp", gib(dv.usable_bytes) if dv.index is not None else "—")]  # fmt: skip
    if spec.memory_bus_bits:
        rate = f" at {spec.memory_data_rate_gbps:g} Gbit/s per pin" if spec.memory_data_rate_gbps else ""
        specs.append(("Memory bus", f"{spec.memory_bus_bits}-bit{rate}"))
    specs.append(("Bandwidth", gbps(d.bandwidth_gbps)))
    if spec.fp16_tflops:
        specs.append(("FP16 (dense)", f"{spec.fp16_tflops:g} TFLOPS"))
    if spec.gpu_cores:
        specs.append(("GPU cores", f"{spec.gpu_cores:,}"))
    specs.append(("Form factor", d.form_factor.value))
    if spec.release_year:
        specs.append(("Released", str(spec.release_year)))
    table = device_models_html(dv, base_path) if dv.index is not None else Markup("")
    return ctx.DevicePage(d.slug, d.name, d.vendor, d.kind.label, tuple(facts), tuple(specs), dv.index is not None,
                          table, tuple(measured_line(c, url) for c in dv.measured), Markup(render_markdown(d.body)),
                          links(spec.sources, url))  # fmt: skip


def home_page(site: Site) -> ctx.HomePage:
    lines = []
    for m in site.models:
        default = m.quant_row(m.default_format)
        memory = default.memory_by_context[m.contexts.index(m.default_context)][1]
        lines.append(ctx.ModelLine(m.slug, m.card.name, m.card.family, m.card.publisher, params(m.card.params_b),
                                   params(m.card.active_params_b) if m.card.active_params_b else "",
                                   ctx_label(m.card.architecture.context_length),
                                   f"{gib(m.smallest.memory_by_context[0][1])} {m.smallest.quant.name}",
                                   f"{gib(memory)} {m.default_format}", m.card.license,
                                   str(m.card.release_date or "")))  # fmt: skip
    return ctx.HomePage(tuple(lines), tuple(sorted({m.card.family for m in site.models})),
                        tuple(sorted({m.card.license for m in site.models})))  # fmt: skip


def devices_page(site: Site) -> ctx.DevicesPage:
    lines = tuple(
        ctx.DeviceLine(
            v.slug,
            v.device.name,
            v.device.vendor,
            v.device.kind.label,
            v.device.form_factor.value,
            f"{v.device.memory_gb:g} GB",
            gbps(v.device.bandwidth_gbps),
            f"{v.device.spec.fp16_tflops:g}" if v.device.spec.fp16_tflops else "—",
        )  # fmt: skip
        for v in site.devices
    )
    kinds = tuple(sorted({(v.device.kind.value, v.device.kind.label) for v in site.devices}))
    return ctx.DevicesPage(lines, tuple(sorted({v.device.vendor for v in site.devices})), kinds)


def compare_page(site: Site, url) -> ctx.ComparePage:
    """A comparison pre-rendered for readers without JavaScript: a few models on a few devices at one format."""
    fmt = "Q4_K_M"
    models = [m for m in site.models if m.slug in COMPARE_MODELS] or list(site.models[:2])
    index = {d.slug: i for i, d in enumerate(site.places.devices)}
    devices = [s for s in COMPARE_DEVICES if s in index] or [d.slug for d in site.places.devices[:2]]
    rows = []
    for m in models:
        f = fmt if fmt in m.formats else m.default_format
        col = m.sweep.columns[f, m.default_context]
        cells = []
        for slug in devices:
            i = index[slug]
            cells.append(Markup(option_html(f, int(col.tier[i]), float(col.decode[i]), int(col.total[i]))))
        rows.append((ctx.Link(m.card.name, url(model_path(m.slug))), tuple(cells)))
    links_ = tuple(ctx.Link(site.places.devices[index[s]].name, url(device_path(s))) for s in devices)
    return ctx.ComparePage(fmt, links_, tuple(rows), tuple(f.name for f in FORMATS if f.listed))


def news_page(site: Site, url) -> ctx.NewsPage:
    dated = sorted((m for m in site.models if m.card.release_date), key=lambda m: (m.card.release_date, m.slug),
                   reverse=True)  # fmt: skip
    entries = tuple(ctx.NewsEntry(m.card.release_date.isoformat(), ctx.Link(m.card.name, url(model_path(m.slug))),
                                  m.card.summary) for m in dated[:60])  # fmt: skip
    recent = sorted((v for v in site.devices if v.device.spec.release_year), key=lambda v: (-v.device.spec.release_year,
                    v.device.name))[:24]  # fmt: skip
    return ctx.NewsPage(entries, tuple(ctx.Link(v.device.name, url(device_path(v.slug))) for v in recent))


def format_guide() -> ctx.TextPage:
    from site_builder.estimator.quants import quality

    items = tuple((q, quality(q.name), LLAMA31_8B_FILE_BPW.get(q.name)) for q in FORMATS if q.listed)
    rows = [(q.name, LLAMA31_8B_FILE_BPW[q.name], "bar") for q in FORMATS if q.listed and q.name in LLAMA31_8B_FILE_BPW]
    chart = bars(rows, "Bits per weight by format", "Whole-file bits per weight of Llama 3.1 8B in each GGUF format.",
                 "bits", "formats")  # fmt: skip
    return ctx.TextPage(items=items, chart=Markup(chart))


def popular_models(site: Site, url) -> ctx.TextPage:
    chosen = [m for m in (next((v for v in site.models if v.slug == s), None) for s in POPULAR_MODELS) if m]
    return ctx.TextPage(items=tuple(ctx.Link(m.card.name, url(model_path(m.slug))) for m in chosen or site.models[:8]))


__all__ = ["QUANTS", "percent"]

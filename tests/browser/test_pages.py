"""What a reader meets, in real Chromium: the setup and the verdict card, the model x device pages, grids,
compare, filters, with JavaScript on and off, at desktop and phone widths."""

from __future__ import annotations

import json

import pytest

from site_builder.estimator.settings import GPU_COUNTS, KV_TYPES, SYSTEM_RAM_GB
from site_builder.site.formatting import context as context_label
from site_builder.site.verdicts import FIELDS, ModelVerdicts, card_from_row, context_for, setup_axes, setup_text

from .conftest import AXE, BASE

MODEL = "models/qwen3-30b-a3b-instruct-2507/"
SLOTS = ("letter", "words", "fmt", "speed", "low", "high", "memory", "usable", "spill", "context", "ttft", "quality",
         "fastest", "finest", "command", "setup")  # fmt: skip


def card_text(page) -> dict[str, str]:
    return page.evaluate(
        "slots => Object.fromEntries(slots.map(s => [s, (document.querySelector('#verdict [data-slot=\"' + s + "
        "'\"]') || {}).textContent || '']))",
        list(SLOTS),
    )


def choose(page, **setup):
    """Choose a setup in the header form as a reader would (the device first: it decides which fields apply)."""
    page.wait_for_selector("form.setup:not([hidden])")
    for name in ("device", "gpus", "ram", "ctx", "kv"):
        if name in setup:
            page.select_option(f"form.setup select[name={name}]", str(setup[name]))


def no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


@pytest.mark.parametrize("width, height", [(1280, 800), (390, 844)], ids=["desktop", "phone"])
def test_choosing_a_device_shows_the_verdict_above_the_fold(browser, server, width, height):
    context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
    page = context.new_page()
    page.goto(BASE + MODEL)
    choose(page, device="rtx-4060-laptop")
    page.wait_for_selector("#verdict .verdict-body:not([hidden])")
    box = page.locator("#verdict [data-slot=tier]").bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= height  # the answer is on the first screen
    assert card_text(page)["fmt"] == "Q4_K_M"
    no_horizontal_scroll(page)
    context.close()


def expected_card(site, model: str, device: str, gpus: int, ram: int, ctx: int, kv: str) -> dict[str, str]:
    """What Python says the card shows for a setup: the same row and strings the build writes, decided by the
    rule in Python, not read back from the API."""
    view = site.model(model)
    i = next(i for i, d in enumerate(site.places.devices) if d.slug == device)
    mv = ModelVerdicts(view, view.all_setups().verdicts(), lambda p: p)
    gs, rs = setup_axes(view, i)
    g, r = (gpus if gpus in gs else 1), (ram if ram in rs else rs[0])
    c = view.contexts.index(context_for(view, ctx))
    row = mv.rows[GPU_COUNTS.index(g), SYSTEM_RAM_GB.index(r), c, list(KV_TYPES).index(kv), i].tolist()
    ram_shown = r if site.places.separate[i] else None
    v = card_from_row(view, dict(zip(FIELDS, row, strict=True)), mv.command, site.places.devices[i].name,
                      setup_text(g, ram_shown, context_label(view.contexts[c]), kv))  # fmt: skip
    return {"letter": v.tier, "words": v.words, "fmt": v.fmt or "no format", "speed": v.speed, "low": v.low,
            "high": v.high, "memory": v.memory, "usable": v.usable, "spill": v.spill, "context": v.largest_context,
            "ttft": v.first_token, "quality": v.quality, "fastest": v.fastest, "finest": v.finest,
            "command": v.run.llama_server, "setup": v.setup}  # fmt: skip


SETUPS = [
    ("qwen3-30b-a3b-instruct-2507", "rtx-4060-laptop", 1, 32, 8192, "f16"),
    ("llama-3-3-70b-instruct", "rtx-3090", 2, 64, 8192, "f16"),
    ("glm-4-5-air", "ryzen-ai-max-plus-395-128gb", 1, 32, 32768, "q8_0"),
    ("gpt-oss-120b", "apple-m4-max-40c-128gb", 1, 32, 131072, "f16"),
    ("llama-3-1-8b-instruct", "rtx-4060", 1, 16, 4096, "q4_0"),
]


@pytest.mark.parametrize("model, device, gpus, ram, ctx, kv", SETUPS)
def test_the_card_equals_the_pair_page_and_the_rule(desktop, shipped_site, model, device, gpus, ram, ctx, kv):
    want = expected_card(shipped_site, model, device, gpus, ram, ctx, kv)
    query = f"?device={device}&gpus={gpus}&ram={ram}&ctx={ctx}&kv={kv}"
    desktop.goto(BASE + f"models/{model}/" + query)
    desktop.wait_for_selector("#verdict .verdict-body:not([hidden])")
    desktop.wait_for_function("document.querySelector('#verdict [data-slot=fmt]').textContent !== ''")
    on_model_page = card_text(desktop)
    desktop.goto(BASE + f"models/{model}/on/{device}.html" + query)
    shown = "document.querySelector('#verdict [data-slot=setup]').textContent"
    desktop.wait_for_function(f"{shown} === {json.dumps(want['setup'])}")
    assert on_model_page == card_text(desktop) == want


def test_the_pair_page_without_javascript_is_the_default_setup(nojs_page, shipped_site):
    want = expected_card(shipped_site, "qwen3-30b-a3b-instruct-2507", "rtx-4060-laptop", 1, 32, 8192, "f16")
    nojs_page.goto(BASE + "models/qwen3-30b-a3b-instruct-2507/on/rtx-4060-laptop.html")
    assert card_text(nojs_page) == want
    no_horizontal_scroll(nojs_page)


def test_a_shared_url_reproduces_the_setup(browser, server):
    query = "?device=rtx-3090&gpus=2&ram=64&ctx=32768&kv=q8_0"
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)  # empty local storage
    page = context.new_page()
    page.goto(BASE + "models/llama-3-3-70b-instruct/" + query)
    page.wait_for_selector("#verdict .verdict-body:not([hidden])")
    form = {n: page.input_value(f"form.setup select[name={n}]") for n in ("device", "gpus", "ram", "ctx", "kv")}
    assert form == {"device": "rtx-3090", "gpus": "2", "ram": "64", "ctx": "32768", "kv": "q8_0"}
    assert card_text(page)["setup"] == "2 GPUs, 64 GB RAM, 32K context, q8_0 KV"
    page.goto(BASE)  # and it is kept for the next page, with the address carrying it
    assert page.evaluate("JSON.parse(localStorage.getItem('canitrun.setup')).gpus") == "2"
    context.close()


def test_the_browser_shows_the_rule_for_every_model_and_device(desktop, shipped_site):
    """Every model x device at the default setup and at two others: the format and tier the card shows
    (looked up and filled by app.js) are the ones the Python rule picked."""
    script = """async ([models, devices, setups]) => {
      const out = {}, card = document.querySelector('#verdict');
      for (const m of models) for (const [k, s] of Object.entries(setups)) {
        const found = await Promise.all(devices.map(d => window.__display.verdictFor(m, d, s)));
        found.forEach((v, i) => {
          window.__display.fill(card, v.row, v.labels, v.doc, v.chosen);
          out[m + ' ' + devices[i] + ' ' + k] = card.querySelector('[data-slot=fmt]').textContent + ' ' +
            card.querySelector('[data-slot=letter]').textContent;
        });
      }
      return out;
    }"""
    setups = {"default": {}, "two-64-q8": {"gpus": "2", "ram": "64", "ctx": "32768", "kv": "q8_0"},
              "small": {"ram": "16", "ctx": "4096", "kv": "q4_0"}}  # fmt: skip
    devices = [d.slug for d in shipped_site.places.devices]
    shown = {}
    for k in range(0, len(shipped_site.models), 17):
        desktop.goto(BASE + MODEL)  # a fresh page per batch: app.js keeps every document it fetched
        desktop.wait_for_function("window.__display !== undefined")
        models = [m.slug for m in shipped_site.models[k : k + 17]]
        shown |= desktop.evaluate(script, [models, devices, setups])
    wanted = {}
    for view in shipped_site.models:
        mv = ModelVerdicts(view, view.all_setups().verdicts(), lambda p: p)
        python_setups = {"default": (1, 32, view.default_context, "f16"), "two-64-q8": (2, 64, 32768, "q8_0"),
                         "small": (1, 16, 4096, "q4_0")}  # fmt: skip
        for i, d in enumerate(devices):
            gs, rs = setup_axes(view, i)
            for key, (g, r, c, kv) in python_setups.items():
                g, r = (g if g in gs else 1), (r if r in rs else rs[0])
                ci = view.contexts.index(context_for(view, c))
                row = mv.rows[GPU_COUNTS.index(g), SYSTEM_RAM_GB.index(r), ci, list(KV_TYPES).index(kv), i]
                fmt = view.formats[row[0]] if row[0] >= 0 else "no format"
                wanted[f"{view.slug} {d} {key}"] = f"{fmt} {'SABCDF'[row[1]] if row[0] >= 0 else 'F'}"
    assert len(shown) == len(wanted) == 3 * len(devices) * len(shipped_site.models)
    assert {k: v for k, v in shown.items() if wanted[k] != v} == {}


def test_my_device_is_pinned_on_top_of_the_grid(page):
    page.goto(BASE + MODEL + "?device=rtx-4060")
    page.wait_for_selector("table.grid tbody.mine tr.mine")
    pinned = page.query_selector("table.grid tbody.mine tr.mine")
    assert pinned.get_attribute("data-device") == "rtx-4060"
    assert page.query_selector("table.grid tbody").evaluate("t => t.classList.contains('mine')")
    no_horizontal_scroll(page)


def test_grids_are_grouped_and_sortable_without_javascript(nojs_page):
    nojs_page.goto(BASE + MODEL)
    groups = nojs_page.eval_on_selector_all("table.grid tbody", "ts => ts.map(t => t.dataset.group)")
    assert groups == ["consumer", "datacenter"]
    keys = nojs_page.eval_on_selector_all("table.grid tbody[data-group=consumer] tr[data-k]",
                                          "rs => rs.map(r => r.dataset.k.split(',').map(Number))")  # fmt: skip
    assert len(keys) > 100 and keys == sorted(keys, key=lambda k: (k[0], -k[1]))  # tier, then speed


def test_sorting_by_speed(page):
    page.goto(BASE + MODEL)
    page.click("table.grid thead th[data-sort='1'] button")  # ascending
    page.click("table.grid thead th[data-sort='1'] button")  # descending
    speeds = page.eval_on_selector_all("table.grid tbody[data-group=consumer] tr[data-k]",
                                       "rs => rs.map(r => +r.dataset.k.split(',')[1])")  # fmt: skip
    assert speeds == sorted(speeds, reverse=True) and len(speeds) > 100


def test_format_switch_keeps_every_column_and_the_chart(page, nojs_page):
    page.goto(BASE + MODEL)
    columns = page.eval_on_selector_all("table.grid thead th", "hs => hs.map(h => h.textContent)")
    page.click('.switcher a[data-quant="Q8_0"]')
    page.wait_for_function("document.querySelector('.grid-caption').textContent.startsWith('Q8_0')")
    assert page.url == BASE + MODEL.rstrip("/") + "/q8-0.html"
    assert page.eval_on_selector_all("table.grid thead th", "hs => hs.map(h => h.textContent)") == columns
    chart = page.inner_text(".grid-body .speed-chart")
    nojs_page.goto(BASE + MODEL + "q8-0.html")
    assert nojs_page.inner_text(".grid-body .speed-chart") == chart
    rows = "table.grid tr[data-device]"
    assert page.eval_on_selector_all(rows, "rs => rs.map(r => r.dataset.k)") == nojs_page.eval_on_selector_all(
        rows, "rs => rs.map(r => r.dataset.k)")  # fmt: skip


def test_compare_at_one_format(page):
    devices = "rtx-4060,rtx-3090,apple-m4-max-40c-128gb"
    page.goto(BASE + f"compare/?models=llama-3-1-8b-instruct,gpt-oss-20b&devices={devices}&quant=Q4_K_M")
    # the caption JavaScript writes (the static example above it also says Q4_K_M)
    page.wait_for_selector("#compare-result table.compare caption:has-text('Q4_K_M at'):has-text('a model without')")
    heads = page.text_content("#compare-result thead")
    assert "RTX 4060" in heads and "RTX 3090" in heads and "M4 Max" in heads
    rows = page.eval_on_selector_all("#compare-result tbody th", "hs => hs.map(h => h.textContent).sort()")
    assert rows == ["Llama 3.1 8B Instruct (Q4_K_M)", "gpt-oss-20b (MXFP4)"]  # gpt-oss: its default, MXFP4


def test_compare_at_a_format_that_is_not_the_default(page):
    page.goto(BASE + "compare/?models=llama-3-1-8b-instruct&devices=rtx-4060,rtx-3090&quant=Q8_0")
    page.wait_for_selector("#compare-result table.compare caption:has-text('Q8_0 at'):has-text('a model without')")
    rows = page.eval_on_selector_all("#compare-result tbody th", "hs => hs.map(h => h.textContent)")
    assert rows == ["Llama 3.1 8B Instruct (Q8_0)"]
    cells = page.eval_on_selector_all("#compare-result tbody td", "ds => ds.map(d => d.textContent)")
    assert "in RAM" in cells[-1] and "in RAM" not in cells[0]  # 8.8 GiB: spills on the 4060, fits on the 3090
    no_horizontal_scroll(page)


def test_filters_are_in_the_url(page):
    page.goto(BASE + "?q=qwen3")
    page.wait_for_selector("form.filters:not([hidden])")
    visible = page.query_selector_all("table.models tbody tr:not([hidden])")
    assert visible and all("qwen3" in r.inner_text().lower() for r in visible)
    page.fill('form.filters input[name="q"]', "gemma")
    page.wait_for_function("location.search === '?q=gemma'")


def test_full_lists_without_javascript(nojs_page):
    nojs_page.goto(BASE)
    assert not nojs_page.is_visible("form.filters")
    assert len(nojs_page.query_selector_all("table.models tbody tr")) >= 130
    nojs_page.goto(BASE + "devices/")
    assert len(nojs_page.query_selector_all("table.devices tbody tr")) >= 260


@pytest.mark.parametrize("path", ["", MODEL, "devices/rtx-4060/", "models/llama-3-3-70b-instruct/on/rtx-3090.html",
                                  "methodology/", "compare/"])  # fmt: skip
def test_no_horizontal_scroll(nojs_page, path):
    nojs_page.goto(BASE + path)
    no_horizontal_scroll(nojs_page)


PAIRS = [  # one of each kind of answer: fits, spills experts, spills layers, will not run, uncalibrated, unified
    "models/qwen3-30b-a3b-instruct-2507/on/rtx-4090.html", "models/qwen3-30b-a3b-instruct-2507/on/rtx-4060-laptop.html",
    "models/llama-3-3-70b-instruct/on/rtx-4090.html", "models/kimi-k2-instruct/on/rtx-3050-6gb.html",
    "models/granite-4-0-h-small/on/rx-7900-xtx.html", "models/gpt-oss-120b/on/apple-m4-max-40c-128gb.html",
    "models/glm-4-5-air/on/ryzen-ai-max-plus-395-128gb.html", "models/gemma-3-27b-it/on/raspberry-pi-5-8gb.html",
]  # fmt: skip


@pytest.mark.parametrize("path", ["", MODEL, "devices/rtx-4060/", "compare/", "guides/quantization/",
                                  "methodology/", "api/", "404.html", *PAIRS])  # fmt: skip
def test_no_accessibility_violations(desktop, path):
    desktop.goto(BASE + path)
    desktop.add_script_tag(path=str(AXE))
    result = desktop.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"]) for v in result["violations"]]
    assert violations == []


def test_the_card_is_filled_for_a_chosen_device_with_the_page_kept_accessible(desktop):
    desktop.goto(BASE + MODEL + "?device=rtx-4060")
    desktop.wait_for_selector("#verdict .verdict-body:not([hidden])")
    desktop.add_script_tag(path=str(AXE))
    result = desktop.evaluate("axe.run(document, {resultTypes: ['violations']})")
    assert [v["id"] for v in result["violations"]] == []


@pytest.mark.parametrize("path", ["", MODEL, "models/llama-3-3-70b-instruct/on/rtx-3090.html", "compare/"])
def test_content_security_policy_blocks_nothing_the_site_does(strict, path):
    """With the policy enforced the site's own script still runs (it fills the device picker) and the
    browser reports no blocked resource."""
    strict.goto(BASE + path)
    policy = strict.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    strict.locator("form.setup:not([hidden])").wait_for()
    assert strict.locator("form.setup select[name=device] option").count() > 250
    assert strict.errors == []

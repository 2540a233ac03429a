"""What a reader meets: switching, my device, search, compare, with JavaScript on and off, phone and desktop."""

import re

import pytest

from site_builder.estimator.quants import QUANTS

from .conftest import AXE, BASE

ALL_FORMATS = set(QUANTS)

MODEL = "models/llama-3-1-8b-instruct/"


def grid_counts(page) -> dict[str, int]:
    counts = {}
    for section in page.query_selector_all(".grid-body .tier-group"):
        letter = section.query_selector("h3 .tier b").inner_text()
        counts[letter] = len(section.query_selector_all("tbody tr"))
    return counts


def no_horizontal_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_format_switch_in_place_matches_the_static_page(page, nojs_page):
    page.goto(BASE + MODEL)
    page.click('.switcher a[data-quant="Q8_0"]')
    page.wait_for_function("document.querySelector('.grid-caption').textContent.startsWith('Q8_0')")
    assert page.url == BASE + MODEL + "q8-0/"
    in_place = grid_counts(page)
    nojs_page.goto(BASE + MODEL + "q8-0/")
    assert grid_counts(nojs_page) == in_place
    assert sum(in_place.values()) > 100
    no_horizontal_scroll(page)


def test_context_switch_in_place(page, nojs_page):
    page.goto(BASE + MODEL)
    page.click('.switcher a[data-context="32768"]')
    page.wait_for_function("document.querySelector('.grid-caption').textContent.includes('32K')")
    assert page.url == BASE + MODEL + "context-32k/"
    in_place = grid_counts(page)
    nojs_page.goto(BASE + MODEL + "context-32k/")
    assert grid_counts(nojs_page) == in_place
    # a combination has no static page of its own: the URL carries it and reloads into it
    page.click('.switcher a[data-quant="Q6_K"]')
    page.wait_for_function("document.querySelector('.grid-caption').textContent.startsWith('Q6_K, 32K')")
    assert page.url == BASE + MODEL + "q6-k/?context=32768"
    page.reload()
    page.wait_for_function("document.querySelector('.grid-caption').textContent.startsWith('Q6_K, 32K')")


def test_switch_links_work_without_javascript(nojs_page):
    nojs_page.goto(BASE + MODEL)
    nojs_page.click('.switcher a[data-quant="Q5_K_M"]')
    assert nojs_page.url == BASE + MODEL + "q5-k-m/"
    assert nojs_page.get_attribute('.switcher a[data-quant="Q5_K_M"]', "aria-current") == "page"
    assert "Q5_K_M, 8K context" in nojs_page.inner_text("h1")


def test_my_device_is_remembered_and_highlighted(page):
    page.goto(BASE)
    page.wait_for_selector("form.my-device:not([hidden])")
    page.select_option("form.my-device select", "rtx-4060")
    page.wait_for_selector("th.mine-col:not([hidden])")
    assert "RTX 4060" in page.inner_text("th.mine-col")
    row = page.query_selector('tr[data-model="llama-3-1-8b-instruct"] td.mine-col')
    assert re.search(r"\b[SABCDF]\b", row.inner_text())
    page.goto(BASE + MODEL)
    page.wait_for_selector("#my-device-note:not([hidden])")
    assert "RTX 4060" in page.inner_text("#my-device-note")
    assert page.query_selector('tr.mine[data-device="rtx-4060"]')
    assert page.input_value("form.my-device select") == "rtx-4060"


def test_search_and_filters(page):
    page.goto(BASE)
    page.wait_for_selector("form.filters:not([hidden])")
    total = len(page.query_selector_all("table.models tbody tr"))
    page.fill('form.filters input[name="q"]', "qwen3")
    visible = page.query_selector_all("table.models tbody tr:not([hidden])")
    assert 0 < len(visible) < total
    assert all("Qwen3" in r.inner_text() for r in visible)
    page.fill('form.filters input[name="q"]', "")
    page.fill('form.filters input[name="fits"]', "4")
    small = page.query_selector_all("table.models tbody tr:not([hidden])")
    assert 0 < len(small) < total
    assert "shown" in page.inner_text(".filter-count")


def test_full_lists_without_javascript(nojs_page):
    nojs_page.goto(BASE)
    assert not nojs_page.is_visible("form.filters")
    assert len(nojs_page.query_selector_all("table.models tbody tr")) >= 45
    nojs_page.goto(BASE + "devices/")
    assert len(nojs_page.query_selector_all("table.devices tbody tr")) >= 90


def test_devices_filter(page):
    page.goto(BASE + "devices/")
    page.wait_for_selector("form.filters:not([hidden])")
    page.select_option('form.filters select[name="vendor"]', "Apple")
    rows = page.query_selector_all("table.devices tbody tr:not([hidden])")
    assert rows and all("Apple" in r.inner_text() for r in rows)


def test_compare_two_devices(page):
    page.goto(BASE + "compare/?model=llama-3-1-8b-instruct&device=rtx-4060&device_b=rtx-4090")
    page.wait_for_selector("#compare-result caption:has-text('Best format')")
    heads = page.inner_text("#compare-result thead")
    assert "RTX 4060" in heads and "RTX 4090" in heads
    assert re.search(r"\b[SABCDF]\b", page.inner_text("#compare-result tbody"))


def test_compare_two_models(page):
    page.goto(BASE + "compare/")
    page.wait_for_selector("form.compare-form:not([hidden])")
    page.select_option('form.compare-form select[name="model"]', "qwen3-8b")
    page.select_option('form.compare-form select[name="model_b"]', "gemma-3-12b-it")
    page.select_option('form.compare-form select[name="device"]', "rtx-4070")
    page.click("form.compare-form button")
    page.wait_for_selector("#compare-result caption:has-text('Best format')")
    assert "Gemma 3 12B" in page.inner_text("#compare-result tbody")


def test_compare_without_javascript_shows_an_example(nojs_page):
    nojs_page.goto(BASE + "compare/")
    assert not nojs_page.is_visible("form.compare-form")
    assert len(nojs_page.query_selector_all("#compare-result table tbody tr")) >= 1


@pytest.mark.parametrize(
    "path",
    ["", MODEL, MODEL + "q8-0/", "devices/", "devices/rtx-4060/", "compare/", "guides/quantization/",
     "methodology/", "api/", "404.html"],
)  # fmt: skip
def test_no_accessibility_violations(desktop, path):
    desktop.goto(BASE + path)
    desktop.add_script_tag(path=str(AXE))
    result = desktop.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = [(v["id"], v["impact"], len(v["nodes"]), v["nodes"][0]["target"]) for v in result["violations"]]
    assert violations == []


def test_keyboard_reaches_the_skip_link_and_switcher(desktop):
    desktop.goto(BASE + MODEL)
    desktop.keyboard.press("Tab")
    assert desktop.evaluate("document.activeElement.className") == "skip"
    desktop.keyboard.press("Enter")
    for _ in range(60):
        desktop.keyboard.press("Tab")
        if desktop.evaluate("document.activeElement.dataset && document.activeElement.dataset.quant") == "Q8_0":
            break
    else:
        pytest.fail("the Q8_0 switch is not reachable by keyboard")
    desktop.keyboard.press("Enter")
    desktop.wait_for_function("document.querySelector('.grid-caption').textContent.startsWith('Q8_0')")


def test_pages_fit_a_phone(nojs_page):
    for path in ["", MODEL, "devices/rtx-4060/", "methodology/", "compare/"]:
        nojs_page.goto(BASE + path)
        assert nojs_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path


def test_device_page_shows_the_recommended_format_at_every_width(nojs_page):
    """Phones drop secondary columns; on a device page the format is not one of them."""
    nojs_page.goto(BASE + "devices/rtx-4060/")
    header = nojs_page.locator(".grid.by-model thead th", has_text="Format").first
    assert header.is_visible()
    assert nojs_page.locator(".grid.by-model tbody tr").first.locator("td").first.inner_text() in ALL_FORMATS


@pytest.mark.parametrize("path", ["", MODEL, "devices/rtx-4060/", "compare/", "methodology/"])
def test_content_security_policy_blocks_nothing_the_site_does(strict, path):
    """With the policy enforced the site's own script still runs (it fills the device picker) and the
    browser reports no blocked resource."""
    strict.goto(BASE + path)
    policy = strict.get_attribute('meta[http-equiv="Content-Security-Policy"]', "content")
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    strict.locator("form.my-device:not([hidden])").wait_for()
    assert strict.locator("form.my-device option").count() > 100
    assert strict.errors == []


def test_format_switch_works_under_the_policy(strict):
    strict.goto(BASE + MODEL)
    strict.click('.switcher a[data-quant="Q8_0"]')
    strict.locator(".grid-caption", has_text="Q8_0").wait_for()
    assert strict.url == BASE + MODEL + "q8-0/"
    assert strict.errors == []

"""Browser tests: Debian's Chromium driven by Playwright (no browser download), against the built site."""

from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
PORT = 8765
BASE = f"http://127.0.0.1:{PORT}/"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]  # fmt: skip


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def server(built_site):
    handler = functools.partial(QuietHandler, directory=str(built_site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", PORT), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield BASE
    httpd.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "browser tests need Debian's chromium: apt-get install -y chromium"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _page(browser, js: bool, width: int, requests: list, bypass_csp: bool = True):
    """Pages bypass the site's Content-Security-Policy by default because Playwright's wait_for_function and
    axe-core's injection evaluate strings; the `strict` fixture keeps it, for the CSP test."""
    context = browser.new_context(java_script_enabled=js, viewport={"width": width, "height": 900},
                                  bypass_csp=bypass_csp)  # fmt: skip
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if "Content Security Policy" in m.text else None)
    page.errors = errors
    return context, page


@pytest.fixture
def requests_seen():
    return []


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def page(request, browser, server, requests_seen):
    context, page = _page(browser, True, request.param, requests_seen)
    yield page
    assert page.errors == [], page.errors
    assert all(url.startswith(BASE) or url.startswith("data:") for url in requests_seen), requests_seen
    context.close()


@pytest.fixture(params=[1280, 390], ids=["desktop", "phone"])
def nojs_page(request, browser, server, requests_seen):
    context, page = _page(browser, False, request.param, requests_seen)
    yield page
    context.close()


@pytest.fixture
def desktop(browser, server, requests_seen):
    context, page = _page(browser, True, 1280, requests_seen)
    yield page
    assert page.errors == [], page.errors
    context.close()


@pytest.fixture
def strict(browser, server, requests_seen):
    """A desktop page with the site's Content-Security-Policy enforced."""
    context, page = _page(browser, True, 1280, requests_seen, bypass_csp=False)
    yield page
    context.close()

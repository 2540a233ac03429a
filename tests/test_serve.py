"""`site-builder serve` end to end: start it, edit a file, see the new page; break a file, see the error
and the old page; fix it, see the site again."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from .conftest import FIXTURES, ROOT

MODEL = "models/mistral-7b-instruct-v0-3"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def wait_for(check, timeout: float = 15.0):
    """Poll until `check()` returns something truthy (swallowing connection errors); fail after `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            value = check()
        except OSError:
            value = None
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.fixture
def server(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(FIXTURES / "site" / "content", content)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "site_builder", "serve", "--content", str(content), "--out", str(tmp_path / "public"),
         "--port", str(port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}/"
    try:
        wait_for(lambda: json.loads(get(base + "_dev/status.json"))["builds"] >= 1, timeout=60)
        yield base, content, tmp_path
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert not list(tmp_path.glob(".public-*")), "the server left a staging or spare folder behind"


def status(base: str) -> dict:
    return json.loads(get(base + "_dev/status.json"))


def test_edit_break_and_fix_round_trip(server):
    base, content, _ = server
    page = base + MODEL + "/"
    assert "/_dev/overlay.js" in get(page)  # the dev-only overlay script
    assert "Content-Security-Policy" not in get(page)  # livereload injects an inline script in dev

    model = content / (MODEL + ".md")
    original = model.read_text()
    model.write_text(original + "\nA sentence added while previewing.\n")
    started = time.monotonic()
    wait_for(lambda: "A sentence added while previewing." in get(page))
    assert time.monotonic() - started < 5

    model.write_text(original.replace("params_b:", "params_bb:", 1))
    failed = wait_for(lambda: next((s for s in [status(base)] if not s["ok"]), None))
    assert "mistral-7b-instruct-v0-3.md:5: params_bb: unknown field; did you mean 'params_b'?" in failed["error"]
    assert "A sentence added while previewing." in get(page)  # the last good site is still served

    model.write_text(original)
    wait_for(lambda: status(base)["ok"])
    wait_for(lambda: "A sentence added while previewing." not in get(page))


def test_only_changed_pages_are_remade(server):
    base, content, tmp_path = server
    device = content / "devices" / "rtx-4060.md"
    device.write_text(device.read_text() + "\nNotes from a reader.\n")
    wait_for(lambda: "Notes from a reader." in get(base + "devices/rtx-4060/"))
    builds = status(base)["builds"]
    assert builds >= 2
    # a device's body is on its own page only: the model pages are the very same files as before
    before = (tmp_path / "public" / MODEL / "index.html").stat().st_ino
    device.write_text(device.read_text() + "\nMore notes.\n")
    wait_for(lambda: "More notes." in get(base + "devices/rtx-4060/"))
    assert (tmp_path / "public" / MODEL / "index.html").stat().st_ino == before

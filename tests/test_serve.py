"""`site-builder serve` end to end: start it, edit a file, see the new page; break a file, see the error
and the old page; fix it, see the site again."""

from __future__ import annotations

from .conftest import DEV_MODEL as MODEL
from .conftest import get, status, wait_for


def test_edit_break_and_fix_round_trip(dev_server):
    base, content, _ = dev_server
    page = base + MODEL + "/"
    assert "/_dev/overlay.js" in get(page)  # the dev-only overlay script
    assert "Content-Security-Policy" not in get(page)  # livereload injects an inline script in dev

    model = content / (MODEL + ".md")
    original = model.read_text()
    model.write_text(original + "\nA sentence added while previewing.\n")
    wait_for(lambda: "A sentence added while previewing." in get(page))  # how fast: `make bench` measures it

    model.write_text(original.replace("params_b:", "params_bb:", 1))
    failed = wait_for(lambda: next((s for s in [status(base)] if not s["ok"]), None))
    assert "mistral-7b-instruct-v0-3.md:5: params_bb: unknown field; did you mean 'params_b'?" in failed["error"]
    assert "A sentence added while previewing." in get(page)  # the last good site is still served

    model.write_text(original)
    wait_for(lambda: status(base)["ok"])
    wait_for(lambda: "A sentence added while previewing." not in get(page))


def test_only_changed_pages_are_remade(dev_server):
    base, content, tmp_path = dev_server
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

"""`make serve`: build, serve with live reload, rebuild on any change to content, templates or static.

The build cache lives in this process, so a one-file edit re-makes only the pages that show that file.
A broken edit prints its error lines in the terminal and, through a small dev-only script, over the page,
while the last good site stays served. Only the three source folders are watched, never the output, so a
build cannot trigger another build.

Livereload provides the HTTP server and the browser side of reloading; its own watcher is replaced by a
100 ms poll here because it polls every 800 ms and drops reloads that come within 3 s of the last one.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path

from site_builder.build import BuildCache, build
from site_builder.config import STATIC, TEMPLATES, SiteConfig, build_date
from site_builder.errors import ContentError
from site_builder.output.workers import default_jobs

POLL_MS = 100
SETTLE_S = 0.05  # editors save in several steps: wait until files stop changing

OVERLAY_JS = """(function () {
  "use strict";
  function show(status) {
    var old = document.getElementById("dev-overlay");
    if (old) old.remove();
    if (status.ok) return;
    var box = document.createElement("div");
    box.id = "dev-overlay";
    box.setAttribute("role", "alert");
    box.style.cssText = "position:fixed;inset:auto 12px 12px 12px;max-height:60vh;overflow:auto;z-index:9999;" +
      "background:#2b0b0b;color:#ffdede;border:2px solid #e5484d;border-radius:8px;padding:12px 16px;" +
      "font:13px/1.5 ui-monospace,monospace;box-shadow:0 8px 30px rgba(0,0,0,.4)";
    var title = document.createElement("strong");
    title.textContent = "Build failed: still showing the last good site. Fix the file and save.";
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Dismiss";
    close.style.cssText = "float:right;margin-left:12px";
    close.addEventListener("click", function () { box.remove(); });
    var pre = document.createElement("pre");
    pre.style.cssText = "white-space:pre-wrap;margin:8px 0 0";
    pre.textContent = status.error;
    box.append(close, title, pre);
    document.body.append(box);
  }
  function check() {
    fetch("/_dev/status.json", {cache: "no-store"}).then(function (r) { return r.json(); }).then(show, function () {});
  }
  check();
  setInterval(check, 2000);
})();
"""


@dataclass
class DevState:
    """The outcome of the last build, served at /_dev/status.json for the overlay."""

    ok: bool = True
    error: str = ""
    builds: int = 0
    seconds: float = 0.0
    cache: BuildCache = field(default_factory=BuildCache)

    def as_json(self) -> str:
        return json.dumps({"ok": self.ok, "error": self.error, "builds": self.builds, "seconds": self.seconds})


def rebuild(content_dir: Path, out_dir: Path, config: SiteConfig, state: DevState, jobs: int = 1) -> bool:
    """One build; its outcome goes to the terminal and to `state`. Never raises: the server stays up."""
    stamp = time.strftime("%H:%M:%S")
    try:
        result = build(content_dir, out_dir, config, state.cache, jobs)
    except ContentError as exc:
        state.ok, state.error = False, exc.report()
    except Exception as exc:  # a template or code error while previewing: show it, keep serving
        state.ok, state.error = False, f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc(limit=4)}"
    else:
        state.ok, state.error, state.seconds = True, "", result.seconds
        state.builds += 1
        print(f"[{stamp}] rebuilt in {result.seconds:.2f} s: {result.made} of {result.files} files made", flush=True)
        return True
    print(state.error, file=sys.stderr)
    print(f"[{stamp}] build failed; still serving the last good site", file=sys.stderr, flush=True)
    return False


def port_problem(host: str, port: int) -> str | None:
    """A one-line reason the server could not listen on host:port, or None. Checked before the first build, so
    a busy port is reported at once instead of as a traceback after it."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        try:
            probe.bind((host, port))
        except OSError as exc:
            reason = (
                "is in use (another `make serve`?)"
                if exc.errno == errno.EADDRINUSE
                else f"cannot be used ({exc.strerror})"
            )
            return f"error: port {port} on {host} {reason}; pick another: make serve PORT={port + 1}"
    return None


def _stop(signum, frame):
    raise KeyboardInterrupt


def snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every file under the folders."""
    seen = {}
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if not d.startswith(".")]
            for name in files:
                path = os.path.join(root, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                seen[path] = (st.st_mtime_ns, st.st_size)
    return seen


def changed_paths(before: dict, after: dict) -> list[str]:
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def serve(content_dir: Path, out_dir: Path, host: str, port: int, jobs: int | None = None) -> int:
    from livereload import Server
    from livereload.handlers import LiveReloadHandler
    from livereload.watcher import Watcher
    from tornado import ioloop, web

    if (busy := port_problem(host, port)) is not None:
        print(busy, file=sys.stderr)
        return 2
    config = SiteConfig(base_url=f"http://{host}:{port}/", dev=True, built=build_date())
    state, jobs = DevState(), jobs or default_jobs()
    folders = [content_dir, TEMPLATES, STATIC]
    seen = snapshot(folders)
    if not rebuild(content_dir, out_dir, config, state, jobs) and not out_dir.exists():
        return 1

    class Status(web.RequestHandler):
        def get(self):
            self.set_header("Content-Type", "application/json")
            self.set_header("Cache-Control", "no-store")
            self.write(state.as_json())

    class Overlay(web.RequestHandler):
        def get(self):
            self.set_header("Content-Type", "text/javascript; charset=utf-8")
            self.write(OVERLAY_JS)

    class QuietWatcher(Watcher):  # livereload's own polling is replaced by poll() below
        def start(self, callback):
            return True

        def examine(self):
            return None, None

    class DevServer(Server):
        def get_web_handlers(self, script):
            return [(r"/_dev/status\.json", Status), (r"/_dev/overlay\.js", Overlay)] + super().get_web_handlers(script)

    def poll():
        nonlocal seen
        now = snapshot(folders)
        if now == seen:
            return
        time.sleep(SETTLE_S)
        now, changes = snapshot(folders), changed_paths(seen, now)
        seen = now
        rebuild(content_dir, out_dir, config, state, jobs)
        css_only = all(p.endswith(".css") for p in changes)
        LiveReloadHandler.reload_waiters(os.path.basename(changes[0]) if css_only and changes else "*")

    signal.signal(signal.SIGTERM, _stop)  # clean up the spare folder when stopped by a process manager
    server = DevServer(watcher=QuietWatcher())
    ioloop.PeriodicCallback(poll, POLL_MS).start()
    print(f"serving {out_dir}/ at http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    try:
        server.serve(root=str(out_dir), host=host, port=port, open_url_delay=None, restart_delay=0)
    finally:
        state.cache.output.discard_spare()
    return 0

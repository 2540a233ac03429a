"""`make serve`: build, serve with live reload, rebuild on any change to content, templates or static.

A broken edit prints its error lines and keeps the last good site served; the output folder itself is
never watched, so a build cannot trigger another build.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from .build import STATIC, TEMPLATES, build
from .problems import ContentError
from .render import SiteConfig


def rebuild(content_dir: Path, out_dir: Path, config: SiteConfig) -> bool:
    try:
        result = build(content_dir, out_dir, config)
    except ContentError as exc:
        print(exc.report(), file=sys.stderr)
        print(f"[{time.strftime('%H:%M:%S')}] build failed; still serving the last good site", file=sys.stderr)
        return False
    print(f"[{time.strftime('%H:%M:%S')}] rebuilt {result.pages} pages in {result.seconds:.2f} s", flush=True)
    return True


def serve(content_dir: Path, out_dir: Path, host: str, port: int) -> int:
    from livereload import Server

    config = SiteConfig(base_url=f"http://{host}:{port}/")
    if not rebuild(content_dir, out_dir, config) and not out_dir.exists():
        return 1
    server = Server()
    for folder in (content_dir, TEMPLATES, STATIC):
        server.watch(str(folder), lambda: rebuild(content_dir, out_dir, config), delay=0.1)
    print(f"serving {out_dir}/ at http://{host}:{port}/ (Ctrl+C to stop)", flush=True)
    server.serve(root=str(out_dir), host=host, port=port, open_url_delay=None, restart_delay=0)
    return 0

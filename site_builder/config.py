"""Where things are and the settings a build runs with: every path and site-wide setting in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

PACKAGE = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE.parent
CONTENT = Path("content")  # relative to where the command runs, like the CLI's other defaults
OUTPUT = Path("public")
TEMPLATES = PROJECT_ROOT / "templates"
STATIC = PROJECT_ROOT / "static"
SCHEMA_DIR = PROJECT_ROOT / "schema"
CALIBRATION_PATH = PACKAGE / "estimator" / "calibration.json"
JINJA_CACHE = PROJECT_ROOT / ".cache" / "jinja"  # compiled templates, like Python's __pycache__

DEFAULT_BASE_URL = "http://127.0.0.1:8000/"
SITE_TITLE = "Can it run?"

# Scripts, styles, images and fetches from the site's own origin only; no inline script or style (JSON-LD
# blocks are data, never executed). frame-ancestors is ignored in a <meta> tag, so _headers adds it.
CSP_META = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'"
)
CSP_HEADER = CSP_META + "; frame-ancestors 'none'"


@dataclass(frozen=True)
class SiteConfig:
    base_url: str = DEFAULT_BASE_URL
    title: str = SITE_TITLE
    dev: bool = False  # `make serve`: build errors shown over the page; no Content-Security-Policy meta tag
    built: str = ""  # date shown as the build's, from SOURCE_DATE_EPOCH (see build_date)

    @property
    def base_path(self) -> str:
        path = urlsplit(self.base_url).path or "/"
        return path if path.endswith("/") else path + "/"


def build_date() -> str:
    """The date a build shows: SOURCE_DATE_EPOCH's (reproducible builds; the Makefile sets it to the last
    commit's time) or today's, in UTC either way so the time zone cannot change the output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    return moment.date().isoformat()

"""The Nu Html Checker (npm vnu-jar, run with the installed Java) finds no errors on any built page."""

import subprocess

from .conftest import ROOT

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_every_page_is_valid_html(built_site):
    assert VNU.exists(), "run `npm ci` (make test-browser does) to get vnu-jar"
    result = subprocess.run(
        ["java", "-jar", str(VNU), "--errors-only", "--skip-non-html", str(built_site)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    errors = [line for line in result.stderr.splitlines() if "error" in line]
    assert result.returncode == 0 and errors == [], "\n".join(errors[:20])

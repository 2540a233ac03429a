"""The Nu Html Checker (npm vnu-jar, run with the installed Java) finds no errors on any built page: every model x
device page included (~38,000), in two checker processes over halves of the site."""

import subprocess

from .conftest import ROOT

VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"


def test_every_page_is_valid_html(built_site):
    assert VNU.exists(), "run `npm ci` (make test-browser does) to get vnu-jar"
    folders = sorted(str(p) for p in (built_site / "models").iterdir()) + [
        str(p) for p in built_site.iterdir() if p.name != "models" and (p.is_dir() or p.suffix == ".html")
    ]
    halves = [folders[0::2], folders[1::2]]
    runs = [subprocess.Popen(["java", "-jar", str(VNU), "--errors-only", "--skip-non-html", *half],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for half in halves]  # fmt: skip
    errors = []
    for run in runs:
        _, err = run.communicate(timeout=1800)
        errors += [line for line in err.splitlines() if "error" in line]
        assert run.returncode == 0 or errors, err[-2000:]
    assert errors == [], "\n".join(errors[:20])

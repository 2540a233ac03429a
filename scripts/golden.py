"""Accept the fixture site's new output as the golden files (`make golden`): the tree is replaced whole, so files
the build no longer writes disappear too. Review the diff before committing it."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from site_builder.build import build  # noqa: E402
from tests.test_build import CONFIG, GOLDEN, SITE, tree_of  # noqa: E402


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        build(SITE, out, CONFIG)
        files = tree_of(out)
    shutil.rmtree(GOLDEN, ignore_errors=True)
    for rel, text in files.items():
        (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
        (GOLDEN / rel).write_text(text, encoding="utf-8")
    print(f"wrote {len(files)} golden files into {GOLDEN.relative_to(ROOT)}/")


if __name__ == "__main__":
    main()

"""The write floor `make bench` compares a clean build against: a process that only writes the same files with
the same bytes into the same tree, Python's start-up included, and nothing else.

    python -m bench.floor pack BUILT_SITE PACK     gather every file of a built site into one pack (untimed)
    python -m bench.floor write PACK OUT           write them all out (the timed process)

The pack is one pickle of (path, bytes) pairs read in a single sequential read, so the timed process spends its
time creating folders and files as the build's writer does.
"""

from __future__ import annotations

import pickle
import shutil
import sys
from pathlib import Path


def pack(site: Path, target: Path) -> None:
    files = [(p.relative_to(site).as_posix(), p.read_bytes()) for p in sorted(site.rglob("*")) if p.is_file()]
    target.write_bytes(pickle.dumps(files, protocol=pickle.HIGHEST_PROTOCOL))


def write(source: Path, out: Path) -> None:
    files = pickle.loads(source.read_bytes())
    shutil.rmtree(out, ignore_errors=True)
    made = set()
    for rel, data in files:
        target = out / rel
        if target.parent not in made:
            target.parent.mkdir(parents=True, exist_ok=True)
            made.add(target.parent)
        target.write_bytes(data)


if __name__ == "__main__":
    kind, a, b = sys.argv[1:4]
    (pack if kind == "pack" else write)(Path(a), Path(b))

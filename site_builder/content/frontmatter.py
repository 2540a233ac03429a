"""Split a content file into its YAML frontmatter and Markdown body."""

from __future__ import annotations

from dataclasses import dataclass

FENCE = "---"


@dataclass(frozen=True)
class Split:
    yaml_text: str
    yaml_line: int  # file line number of the first YAML line
    body: str
    body_line: int


class FrontmatterError(ValueError):
    def __init__(self, line: int, message: str):
        self.line = line
        super().__init__(message)


def normalise_text(raw: str) -> str:
    """Drop a byte-order mark and unify line endings, so Windows editors need no special care."""
    text = raw.removeprefix("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def split_frontmatter(raw: str) -> Split:
    lines = normalise_text(raw).split("\n")
    if not any(line.strip() for line in lines):
        raise FrontmatterError(1, "is empty; expected a '---' line, YAML frontmatter, then '---'")
    if lines[0].rstrip() != FENCE:
        raise FrontmatterError(1, "must start with a '---' line that opens the YAML frontmatter")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in (FENCE, "..."):
            yaml_text = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return Split(yaml_text=yaml_text, yaml_line=2, body=body, body_line=index + 2)
    raise FrontmatterError(1, "frontmatter opened here is never closed; add a '---' line after the YAML")

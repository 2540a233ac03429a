"""Content problems: one line each, compiler style, reported all at once."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        """Always `path:line: field: message`; a problem with the file as a whole is on line 1, field `file`."""
        return f"{self.path}:{self.line or 1}: {self.field or 'file'}: {self.message}"


class ContentError(Exception):
    """Raised when content has problems; carries every problem found, sorted."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(set(problems))
        super().__init__(self.summary())

    def summary(self) -> str:
        files = len({p.path for p in self.problems})
        noun = "problem" if len(self.problems) == 1 else "problems"
        file_noun = "file" if files == 1 else "files"
        return f"error: {len(self.problems)} {noun} in {files} {file_noun}; nothing written"

    def report(self) -> str:
        return "\n".join([*map(str, self.problems), self.summary()])

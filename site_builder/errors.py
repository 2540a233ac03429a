"""Problems a build reports: one line each, compiler style, naming the file and line they come from.

Content problems are all collected and reported at once; a template or output problem stops the build. None
of them reaches the user as a traceback, also when it happened in a worker process (they pickle)."""

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


class TemplateProblem(Exception):
    """A template failed: `templates/<name>:<line>: page <output>: <message>`."""

    def __init__(self, line_text: str):
        self.line_text = line_text
        super().__init__(line_text)

    @classmethod
    def from_exception(cls, exc: BaseException, template: str, output: str | None) -> TemplateProblem:
        name, line = _template_place(exc, template)
        where = f" page {output}:" if output else ""
        message = getattr(exc, "message", None) or str(exc)
        return cls(f"templates/{name}:{line}:{where} {type(exc).__name__}: {message}")


def _template_place(exc: BaseException, template: str) -> tuple[str, int]:
    """Where in the templates it failed: a syntax error knows; at run time Jinja puts each template's own file
    and line into the traceback's frames, the innermost of which is the one that failed."""
    if getattr(exc, "lineno", None) and getattr(exc, "name", None):
        return exc.name, exc.lineno
    place = (template, 0)
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if "/templates/" in filename and filename.endswith((".html", ".txt", ".xml")):
            place = (filename.split("/templates/", 1)[1], tb.tb_lineno)
        tb = tb.tb_next
    return place


class OutputError(ValueError):
    """The output folder cannot be used (it would replace the project, the home folder, ...)."""

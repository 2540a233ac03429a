"""The one reader of untrusted JSON (a config.json from disk or from the Hugging Face Hub).

It refuses, before or while parsing and without a traceback: more than a byte cap (read with a bounded read, so an
endless stream cannot grow memory), text that is not UTF-8, nesting deeper than MAX_DEPTH (checked by a flat scan
before the recursive parser runs), duplicate keys, NaN and the infinities, floats that overflow to infinity and
integers longer than MAX_INT_DIGITS (bounded before int() runs). Each problem is one line,
`<file>: <dotted key>: <message>`, with refused values truncated and escaped so a hostile file cannot flood or
forge the terminal.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import BinaryIO

MAX_BYTES = 1 << 20  # real config.json files are a few KB, tens with per-layer lists
MAX_DEPTH = 64
MAX_INT_DIGITS = 18  # every real size or token id fits; int64 keeps a margin
SHOWN_CHARS = 40  # of a refused value or an odd key echoed in a message
IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
# A JSON string, or one that runs to the end of the text, or a bracket. The possessive loop and the
# end-of-text exit keep the scan linear on unterminated strings full of escaped quotes.
_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*+(?:"|\\?\Z)|[\[\]{}]', re.DOTALL)


class ConfigError(ValueError):
    """Every problem found in one file, each as `<file>: <key>: <message>`."""

    def __init__(self, lines: list[str]):
        self.lines = lines
        super().__init__("\n".join(lines))

    def report(self) -> str:
        noun = "problem" if len(self.lines) == 1 else "problems"
        return "\n".join([*self.lines, f"error: {len(self.lines)} {noun}; nothing written"])


class Problems:
    """Problems of one file, collected so that all of them are reported at once."""

    def __init__(self, shown: str):
        self.shown = shown
        self.lines: list[str] = []

    def add(self, key: str, message: str) -> None:
        self.lines.append(f"{self.shown}: {key or 'file'}: {message}")

    def raise_any(self) -> None:
        if self.lines:
            raise ConfigError(self.lines)


def show(value: object) -> str:
    """A value as a message echoes it: JSON-escaped (one line, no control characters) and truncated."""
    text = json.dumps(value, ensure_ascii=True, default=str)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


def got(value: object) -> str:
    """What a field held, for `must be ..., got <this>`."""
    if value is None or isinstance(value, bool | int | float):
        return show(value)
    if isinstance(value, str):
        return "the string " + show(value)
    return "a list" if isinstance(value, list) else "an object"


def key_path(parent: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{parent}[{key}]"
    part = key if IDENTIFIER.fullmatch(key) else show(key)
    return f"{parent}.{part}" if parent else part


def read_bounded(source: Path | BinaryIO, shown: str, limit: int = MAX_BYTES) -> bytes:
    """At most `limit` bytes: one byte more is read only to know that there is more."""
    try:
        if isinstance(source, Path):
            with source.open("rb") as stream:
                data = stream.read(limit + 1)
        else:
            data = source.read(limit + 1)
    except OSError as exc:
        raise ConfigError([f"{shown}: file: cannot read ({exc.strerror or type(exc).__name__})"]) from None
    if len(data) > limit:
        raise ConfigError([f"{shown}: file: is larger than {limit:,} bytes; refused before parsing"])
    return data


def parse(data: bytes, shown: str, limit: int = MAX_BYTES) -> object:
    """The JSON value of `data`, or ConfigError with every problem found."""
    if len(data) > limit:  # read_bounded already refused it, unless the bytes came some other way
        raise ConfigError([f"{shown}: file: is larger than {limit:,} bytes; refused before parsing"])
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError([f"{shown}: file: is not UTF-8 ({exc.reason} at byte {exc.start})"]) from None
    if _too_deep(text):
        raise ConfigError([f"{shown}: file: nests objects and lists deeper than {MAX_DEPTH} levels"])
    try:
        value = json.loads(text, object_pairs_hook=_Object, parse_constant=_constant, parse_float=_float,
                           parse_int=_int)  # fmt: skip
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise ConfigError([f"{shown}: file: is not JSON ({exc.msg} at {where})"]) from None
    problems = Problems(shown)
    _collect(value, "", problems)
    problems.raise_any()
    return value


def _too_deep(text: str) -> bool:
    depth = 0
    for match in _TOKENS.finditer(text):
        token = match.group()
        if token in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return True
        elif token in "]}":
            depth -= 1
    return False


class _Object(dict):
    """A JSON object that remembers the keys it had twice (json keeps the last silently)."""

    def __init__(self, pairs: list[tuple[str, object]]):
        super().__init__(pairs)
        self.duplicates = _repeated(k for k, _ in pairs)


def _repeated(keys) -> list[str]:
    seen: set[str] = set()
    out = []
    for key in keys:
        if key in seen:
            out.append(key)
        seen.add(key)
    return out


class _Refused:
    """A number the parser met and refused; reported with its key path once parsing is done."""

    def __init__(self, message: str):
        self.message = message


def _constant(name: str) -> _Refused:
    return _Refused(f"{name} is not a number JSON allows")


def _float(text: str) -> float | _Refused:
    value = float(text)
    return value if math.isfinite(value) else _Refused(f"{_clip(text)} overflows a float")


def _clip(number: str) -> str:
    """A number's text as the file has it (JSON's number grammar leaves nothing to escape), truncated."""
    return number if len(number) <= SHOWN_CHARS else number[:SHOWN_CHARS] + "..."


def _int(text: str) -> int | _Refused:
    digits = len(text.lstrip("-"))
    if digits > MAX_INT_DIGITS:
        return _Refused(f"an integer of {digits:,} digits; at most {MAX_INT_DIGITS} are accepted")
    return int(text)


def _collect(value: object, path: str, problems: Problems) -> None:
    """Report the refused numbers and duplicate keys, each at its dotted path. Depth is bounded, so recursion is."""
    if isinstance(value, _Refused):
        problems.add(path, value.message)
    elif isinstance(value, _Object):
        for key in dict.fromkeys(value.duplicates):
            problems.add(key_path(path, key), "appears more than once (JSON readers disagree on which one wins)")
        for key, item in value.items():
            _collect(item, key_path(path, key), problems)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _collect(item, key_path(path, i), problems)

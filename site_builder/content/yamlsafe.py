"""Safe YAML loading that keeps line numbers and refuses PyYAML's silent traps.

PyYAML's safe loader is the base (no Python tags can be constructed), but we walk the composed node tree
ourselves so that duplicate keys become errors (PyYAML silently keeps the last one), every value knows
its line, and alias bombs cannot expand without bound.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

Path = tuple[str | int, ...]

STANDARD_TAGS = {
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
}
BOOLEAN_WORDS = {"yes", "no", "on", "off", "y", "n"}
MAX_NODES = 50_000
MAX_DEPTH = 32  # content nests three levels deep; anything far deeper is an accident or an attack
# libyaml's parser when PyYAML was built with it (much faster); it composes the same nodes and marks.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass
class YamlIssue:
    line: int
    field: str
    message: str


@dataclass
class Loaded:
    data: object
    lines: dict[Path, int] = field(default_factory=dict)
    # Scalars whose YAML 1.1 reading is probably not what the author meant, keyed by path.
    hints: dict[Path, str] = field(default_factory=dict)


class YamlError(ValueError):
    def __init__(self, issues: list[YamlIssue]):
        self.issues = issues
        super().__init__("; ".join(i.message for i in issues))


def shown(text: str, limit: int = 40) -> str:
    """A value as an error line quotes it: cut short, so a megabyte of input is not echoed back."""
    return repr(text) if len(text) <= limit else f"{text[:limit]!r}… ({len(text):,} characters)"


def dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _Walker:
    def __init__(self, first_line: int, text: str = ""):
        self.lines = text.split("\n")
        self.offset = first_line - 1
        self.constructor = yaml.constructor.SafeConstructor()
        self.loaded = Loaded(data=None)
        self.issues: list[YamlIssue] = []
        self.visited = 0

    def line_of(self, node: yaml.Node) -> int:
        return node.start_mark.line + 1 + self.offset

    def walk(self, node: yaml.Node, path: Path) -> object:
        self.visited += 1
        if self.visited > MAX_NODES:
            raise YamlError([YamlIssue(self.line_of(node), dotted(path), "document too large (alias expansion?)")])
        if len(path) > MAX_DEPTH:
            message = f"nested more than {MAX_DEPTH} levels deep (a recursive alias?)"
            raise YamlError([YamlIssue(self.line_of(node), dotted(path[:1]), message)])
        if node.tag not in STANDARD_TAGS:
            self.issues.append(YamlIssue(self.line_of(node), dotted(path), f"YAML tag {node.tag!r} is not allowed"))
            return None
        if isinstance(node, yaml.MappingNode):
            return self.walk_mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return self.walk_sequence(node, path)
        return self.walk_scalar(node, path)

    def walk_mapping(self, node: yaml.MappingNode, path: Path) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            key = self.walk(key_node, path)
            if not isinstance(key, str):
                self.issues.append(YamlIssue(self.line_of(key_node), dotted(path), f"key {key!r} must be text"))
                continue
            child = (*path, key)
            if key in out:
                first = self.loaded.lines[child]
                self.issues.append(
                    YamlIssue(self.line_of(key_node), dotted(child), f"duplicate key (first set on line {first})")
                )
                continue
            self.loaded.lines[child] = self.line_of(key_node)
            out[key] = self.walk(value_node, child)
        return out

    def walk_sequence(self, node: yaml.SequenceNode, path: Path) -> list:
        items = []
        for index, item in enumerate(node.value):
            self.loaded.lines[(*path, index)] = self.line_of(item)
            items.append(self.walk(item, (*path, index)))
        return items

    def _comment_follows(self, node: yaml.ScalarNode) -> bool:
        """A plain text value followed by ` #...` on its line: YAML ends the value there (`title: PR #4812` reads
        "PR"). Comments after numbers and keys are fine and common."""
        if node.start_mark.line != node.end_mark.line or node.end_mark.line >= len(self.lines):
            return False
        return self.lines[node.end_mark.line][node.end_mark.column :].lstrip().startswith("#")

    def walk_scalar(self, node: yaml.ScalarNode, path: Path) -> object:
        try:
            value = self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError) as exc:
            reason = getattr(exc, "problem", None) or str(exc)
            if "integer string conversion" in reason:
                reason = f"a number of {len(node.value):,} digits"
            message = f"invalid value {shown(node.value)}: {reason}"
            self.issues.append(YamlIssue(self.line_of(node), dotted(path), message))
            return None
        if not node.style and isinstance(value, bool) and node.value.lower() in BOOLEAN_WORDS:
            self.loaded.hints[path] = f"YAML reads unquoted {node.value!r} as {value}; quote it if you meant text"
        if not node.style and isinstance(value, str) and self._comment_follows(node):
            tail = self.lines[node.end_mark.line][node.end_mark.column :].strip()
            message = f"YAML reads {node.value!r} and drops {tail!r} as a comment; quote the text if it contains ' #'"
            self.issues.append(YamlIssue(self.line_of(node), dotted(path), message))
        if not node.style and isinstance(value, str) and _looks_numeric(node.value):
            self.loaded.hints[path] = (
                f"YAML reads {node.value!r} as text, not a number; write it as a plain decimal like 7.24"
            )
        return value


def _looks_numeric(text: str) -> bool:
    try:
        float(text.replace("_", ""))
    except ValueError:
        return False
    return True


def load_yaml(text: str, first_line: int = 1) -> Loaded:
    """Parse one YAML document; raise YamlError with every issue found."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except RecursionError:  # PyYAML composes nested collections recursively
        raise YamlError([YamlIssue(first_line, "", "YAML nested too deeply to read")]) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = (mark.line + first_line) if mark else first_line
        raise YamlError([YamlIssue(line, "", f"YAML syntax: {exc.problem or exc}")]) from None
    except yaml.YAMLError as exc:
        raise YamlError([YamlIssue(first_line, "", f"YAML syntax: {exc}")]) from None
    walker = _Walker(first_line, text)
    walker.loaded.data = {} if root is None else walker.walk(root, ())
    if walker.issues:
        raise YamlError(walker.issues)
    return walker.loaded

import pytest

from site_builder.content.frontmatter import FrontmatterError, split_frontmatter
from site_builder.content.yamlsafe import YamlError, load_yaml


def test_splits_yaml_and_body_with_line_numbers():
    split = split_frontmatter("---\nname: x\n---\nHello\n")
    assert split.yaml_text == "name: x"
    assert split.yaml_line == 2
    assert split.body == "Hello\n"
    assert split.body_line == 4


def test_crlf_and_bom_are_normalised():
    split = split_frontmatter("\ufeff---\r\nname: x\r\nb: 2\r\n---\r\nBody\r\n")
    assert split.yaml_text == "name: x\nb: 2"
    assert split.body == "Body\n"


def test_lone_carriage_returns_count_as_line_breaks():
    assert split_frontmatter("---\rname: x\r---\rBody").yaml_text == "name: x"


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("", 1, "is empty; expected a '---' line, YAML frontmatter, then '---'"),
        ("  \n\n", 1, "is empty; expected a '---' line, YAML frontmatter, then '---'"),
        ("name: x\n", 1, "must start with a '---' line that opens the YAML frontmatter"),
        ("---\nname: x\nbody\n", 1, "frontmatter opened here is never closed; add a '---' line after the YAML"),
    ],
)
def test_broken_frontmatter(text, line, message):
    with pytest.raises(FrontmatterError) as err:
        split_frontmatter(text)
    assert (err.value.line, str(err.value)) == (line, message)


def test_yaml_lines_follow_the_file():
    loaded = load_yaml("a: 1\nb:\n  c: 2\nd: [x, y]", first_line=2)
    assert loaded.data == {"a": 1, "b": {"c": 2}, "d": ["x", "y"]}
    assert loaded.lines[("a",)] == 2
    assert loaded.lines[("b", "c")] == 4
    assert loaded.lines[("d", 1)] == 5


def _issues(text: str) -> list[tuple[int, str, str]]:
    with pytest.raises(YamlError) as err:
        load_yaml(text, first_line=2)
    return [(i.line, i.field, i.message) for i in err.value.issues]


def test_duplicate_keys_are_an_error():
    assert _issues("a: 1\nb: 2\na: 3") == [(4, "a", "duplicate key (first set on line 2)")]


def test_python_tags_are_refused():
    assert _issues("a: !!python/object/apply:os.system ['echo hi']") == [
        (2, "a", "YAML tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed")
    ]


def test_impossible_dates_are_an_error():
    assert _issues("release_date: 2024-02-30") == [
        (2, "release_date", "invalid value '2024-02-30': day is out of range for month")
    ]


def test_syntax_error_points_at_the_line():
    assert _issues("a: 1\nb: [1, 2\nc: 3") == [(4, "", "YAML syntax: did not find expected ',' or ']'")]


def test_traps_get_hints():
    loaded = load_yaml("license: no\nparams_b: 7.24e9\nok: 'no'")
    assert loaded.data == {"license": False, "params_b": "7.24e9", "ok": "no"}
    assert loaded.hints[("license",)] == "YAML reads unquoted 'no' as False; quote it if you meant text"
    assert loaded.hints[("params_b",)] == (
        "YAML reads '7.24e9' as text, not a number; write it as a plain decimal like 7.24"
    )
    assert ("ok",) not in loaded.hints


def test_alias_bombs_stop():
    bomb, previous = "a: &a [" + ", ".join(["x"] * 10) + "]\n", "a"
    for level in range(8):
        bomb += f"l{level}: &l{level} [" + ", ".join([f"*{previous}"] * 10) + "]\n"
        previous = f"l{level}"
    with pytest.raises(YamlError) as err:
        load_yaml(bomb)
    assert err.value.issues[0].message == "document too large (alias expansion?)"

"""The pieces that keep hostile input harmless, one table each: terminal escaping, bounded
reads, include globs through directory links, bounded JSON with located errors, YAML 1.2
numbers, nested placeholders. (Whole-command reproductions of each finding are the seed
corpus in tests/fuzzing/corpus, replayed by test_loader_fuzz.py.)"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kgitops.avro.json_text import MAX_DEPTH, JsonProblem, load_json, locate
from kgitops.avro.schema import parse
from kgitops.avro.compatibility import check_schemas
from kgitops.desired.files import UnreadableFile, read_bounded
from kgitops.desired.include_paths import expand, include_root, is_inside
from kgitops.desired.interpolate import resolve
from kgitops.desired.yaml_nodes import parse_yaml_text
from kgitops.errors import InputError, Problem
from kgitops.render.escape import escape_control, escape_lines

# -- terminal escaping ------------------------------------------------------------------


@pytest.mark.parametrize("raw, shown", [
    ("shop.orders", "shop.orders"),
    ("shop.x\ntopics/t.yaml:1:1: all good", "shop.x\\ntopics/t.yaml:1:1: all good"),
    ("a\x1b[2Jb", "a\\x1b[2Jb"),
    ("title\x1b]0;pwned\x07", "title\\x1b]0;pwned\\x07"),
    ("over\rwrite", "over\\rwrite"),
    ("tab\there", "tab\\there"),
    ("c1\x9bcontrol", "c1\\x9bcontrol"),
    ("bidi\u202eevil", "bidi\\u202eevil"),
    ("del\x7f", "del\\x7f"),
    ("naïve 名前", "naïve 名前"),  # printable text stays as it is
])
def test_control_characters_are_written_as_visible_escapes(raw: str, shown: str) -> None:
    assert escape_control(raw) == shown
    assert escape_control(escape_control(raw)) == shown  # escaping twice changes nothing more


def test_a_message_keeps_its_own_line_breaks_but_no_other_control_character() -> None:
    assert escape_lines("first\nsecond\x1b[1m\rthird") == "first\nsecond\\x1b[1m\\rthird"


def test_a_problem_line_cannot_forge_another_line() -> None:
    problem = Problem("topic 'shop.x\ntopics/t.yaml:1:1: all good' is invalid", "topics/\x1bt.yaml", 3, 5)
    assert "\n" not in str(problem) and "\x1b" not in str(problem)
    assert str(problem).startswith("topics/\\x1bt.yaml:3:5: ")


# -- bounded reads -----------------------------------------------------------------------


def test_a_regular_file_is_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"name: x\n")
    assert read_bounded(str(path)) == b"name: x\n"


@pytest.mark.parametrize("make, says", [
    (lambda p: os.mkfifo(p), "not a regular file (a FIFO)"),
    (lambda p: os.symlink("/dev/zero", p), "not a regular file (a character device)"),
    (lambda p: p.write_bytes(b"#" * 2049), "larger than"),
])
def test_what_is_not_a_small_regular_file_is_refused_before_it_is_read(tmp_path: Path, make, says: str) -> None:
    path = tmp_path / "input.yaml"
    make(path)
    with pytest.raises(UnreadableFile) as raised:
        read_bounded(str(path), limit=2048 if "larger" in says else 16 * 1024 * 1024)
    assert says in raised.value.reason


# -- includes ----------------------------------------------------------------------------


def test_directory_links_are_followed_once_and_each_real_file_read_once(tmp_path: Path) -> None:
    topics = tmp_path / "topics"
    (topics / "team").mkdir(parents=True)
    (topics / "a.yaml").write_text("topics: []\n")
    (topics / "team" / "b.yaml").write_text("topics: []\n")
    os.symlink(".", topics / "d")
    os.symlink(".", topics / "e")
    os.symlink("team", topics / "again")
    matches = expand(str(tmp_path / "topics" / "**" / "*.yaml"))
    assert sorted(os.path.realpath(m) for m in matches) == sorted(
        [str((topics / "a.yaml").resolve()), str((topics / "team" / "b.yaml").resolve())]
    )


def test_glob_semantics_match_pythons_for_plain_patterns(tmp_path: Path) -> None:
    import glob

    for name in ("a.yaml", "b.yml", ".hidden.yaml", "sub/c.yaml", "sub/deeper/d.yaml", "sub/.h/e.yaml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x: 1\n")
    for pattern in ("*.yaml", "*.y*ml", "**/*.yaml", "sub/*/*.yaml", "sub/**", "[ab].y*", "?.yaml", ".*.yaml"):
        full = str(tmp_path / pattern)
        expected = sorted(os.path.abspath(p) for p in glob.glob(full, recursive=True) if os.path.isfile(p))
        assert expand(full) == expected, pattern


def test_the_include_root_is_the_git_work_tree_or_the_cluster_files_directory(tmp_path: Path) -> None:
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    (tmp_path / "repo" / "clusters").mkdir()
    assert include_root(str(tmp_path / "repo" / "clusters" / "prod.yaml"), env={}) == str((tmp_path / "repo").resolve())
    (tmp_path / "loose").mkdir()
    assert include_root(str(tmp_path / "loose" / "c.yaml"), env={}) == str((tmp_path / "loose").resolve())
    assert include_root(str(tmp_path / "loose" / "c.yaml"), env={"KGITOPS_INCLUDE_ROOT": str(tmp_path)}) == str(
        tmp_path.resolve())


def test_a_link_inside_the_root_to_a_file_outside_it_is_outside(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    os.symlink("/etc/passwd", root / "p.yaml")
    assert not is_inside(str(root / "p.yaml"), str(root.resolve()))
    assert is_inside(str(root / "x" / ".." / "a.yaml"), str(root.resolve()))
    assert not is_inside(str(tmp_path / "repo-sibling" / "a.yaml"), str(root.resolve()))


# -- JSON of schema files ----------------------------------------------------------------


@pytest.mark.parametrize("text, says, line, column", [
    ("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1), "nested more than", 1, MAX_DEPTH + 1),
    ("[" * 5000, "nested more than", 1, MAX_DEPTH + 1),
    ('{"a": "[[[[", "b":\n  [' + "9" * 101 + "]}", "101 digits", 2, 4),
    ('{"a":\n 1.' + "5" * 100 + "}", "characters is too long", 2, 2),
    ('{"default": NaN}', "NaN is not a JSON value", 1, 13),
    ('{"default": -Infinity}', "Infinity is not a JSON value", 1, 13),
    ('{"a": }', "Expecting value", 1, 7),
])
def test_json_beyond_the_bounds_is_a_located_problem(text: str, says: str, line: int, column: int) -> None:
    with pytest.raises(JsonProblem) as raised:
        load_json(text)
    assert says in raised.value.message
    assert (raised.value.line, raised.value.column) == (line, column)


def test_json_at_the_depth_limit_loads() -> None:
    assert load_json("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert load_json('["[[[[[[[[[["]') == ["[[[[[[[[[["]  # brackets inside strings do not count


def test_locate_finds_the_value_at_a_path_and_the_last_of_duplicate_keys() -> None:
    text = '{"type": "record",\n "fields": [\n  {"name": "a"},\n  {"name": "b", "name": "c"}]}'
    assert locate(text, ["fields", 0, "name"]) == (3, 12)
    assert locate(text, ["fields", 1, "name"]) == (4, 25)
    assert locate(text, ["fields", 7]) == (2, 12)  # the deepest part that exists


def avro_depth_shapes() -> list[tuple[str, str]]:
    arrays = '"int"'
    for _ in range(MAX_DEPTH - 1):
        arrays = '{"type": "array", "items": %s}' % arrays
    records = '"int"'
    for index in range((MAX_DEPTH - 1) // 3):
        records = '{"type": "record", "name": "R%d", "fields": [{"name": "f", "type": %s, "aliases": ["g"]}]}' % (
            index, records)
    unions = '"int"'
    for index in range((MAX_DEPTH - 1) // 4):
        unions = '["null", {"type": "record", "name": "U%d", "fields": [{"name": "f", "type": %s}]}]' % (index, unions)
    return [("arrays", arrays), ("maps", arrays.replace('"array", "items"', '"map", "values"')),
            ("records", records), ("unions", unions)]


@pytest.mark.parametrize("shape, text", avro_depth_shapes())
def test_every_avro_step_copes_with_a_schema_at_the_depth_limit(shape: str, text: str) -> None:
    schema = parse(text, f"{shape}.avsc")
    assert check_schemas(schema, [schema, schema], "FULL_TRANSITIVE").compatible


# -- YAML numbers ------------------------------------------------------------------------


@pytest.mark.parametrize("written, value", [
    ("12", 12), ("-3", -3), ("+5", 5), ("0", 0), ("0x1F", 31), ("1.5", 1.5),
    ("1:30", "1:30"), ("1_000", "1_000"), ("0b101", "0b101"),  # YAML 1.1-only numbers are text, as in YAML 1.2
    ("yes", True), ("off", False),
])
def test_numbers_are_read_as_yaml_1_2_reads_them(written: str, value: object) -> None:
    document, problems = parse_yaml_text(f"x: {written}\n", "t.yaml")
    assert problems == [] and document is not None
    assert document.data == {"x": value} and type(document.data["x"]) is type(value)  # type: ignore[index]


@pytest.mark.parametrize("written, says", [
    ("010", "ambiguous integer 010"),
    ("00", "ambiguous integer 00"),
    ("!!int three", 'not an integer: "three"'),
    ("!!float x", 'not a number: "x"'),
    ("!!bool maybe", '!!bool "maybe" is not true or false'),
    ("9" * 5000, "too long"),
])
def test_numbers_yaml_versions_disagree_on_or_that_are_not_numbers_are_refused(written: str, says: str) -> None:
    _, problems = parse_yaml_text(f"x: {written}\n", "t.yaml")
    assert [(p.line, p.column) for p in problems] == [(1, 4)]
    assert says in problems[0].message and len(problems[0].message) < 200


# -- placeholders ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["${UNSET:-${X}}", "a${B:-x${C}}", "${A:-${B:-c}}"])
def test_nested_placeholders_are_refused_never_resolved_to_literal_text(text: str) -> None:
    with pytest.raises(InputError) as raised:
        resolve(text, setting="kafka.bootstrap_servers", source="c.yaml", env={"X": "secret", "C": "s", "B": "b"})
    assert "cannot be nested" in raised.value.message and "secret" not in raised.value.message


def test_a_default_may_hold_a_dollar_sign() -> None:
    assert resolve("${UNSET:-pa$$word}", setting="s", source="c.yaml", env={}) == "pa$$word"
    assert json.dumps(resolve("${A}", setting="s", source="c.yaml", env={"A": "v"})) == '"v"'


# -- plans naming things from a registry or a cluster ------------------------------------


def test_a_plan_with_control_characters_in_names_prints_them_escaped() -> None:
    from kgitops.kinds.subject.actions import DeleteSubject, RegisterSchema
    from kgitops.plan import Plan
    from kgitops.render.markdown import render_markdown
    from kgitops.render.text import render_text

    evil = "shop.x\ntopics/t.yaml:1:1: all good\x1b]0;pwned\x07"
    plan = Plan(cluster="prod", cluster_id="abc", actions=(
        DeleteSubject(subject=evil, versions=(1,), risks=("deletes \x1b[31m" + evil,)),
        RegisterSchema(subject="s-value", schema="{}", schema_file="/repo/sch\nemas/x.avsc"),
    ), unmanaged_topics=("legacy\x1b[2J",), warnings=(Problem("warn \x1b[1m" + evil),))
    for rendered in (render_text(plan), render_text(plan, color=True), render_markdown(plan)):
        assert "\x07" not in rendered and "\x1b]" not in rendered and "\x1b[2J" not in rendered
        assert "\ntopics/t.yaml:1:1: all good" not in rendered and "sch\nemas" not in rendered
        assert "shop.x\\ntopics/t.yaml:1:1: all good\\x1b]0;pwned\\x07" in rendered
    assert "\x1b[" not in render_text(plan)  # without colour, no escape sequence at all

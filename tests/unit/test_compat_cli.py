"""`kgitops compat`: verdict output and the exit-code contract (0 / 3 / 1)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgitops.cli import main
from tests.avro_cases import CASES_BY_ID, array, field, record


def write(directory: Path, name: str, schema: object) -> str:
    path = directory / name
    path.write_text(schema if isinstance(schema, str) else json.dumps(schema, indent=2))
    return str(path)


def order(price_type: str, *extra: dict) -> dict:
    item = record("Item", field("price", price_type))
    return record("Order", field("id", "string"), field("items", array(item)), *extra, namespace="shop")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["compat", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_compatible_exits_0_and_says_against_what(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v1 = write(tmp_path, "v1.avsc", order("double"))
    v2 = write(tmp_path, "v2.avsc", order("double"))
    new = write(tmp_path, "new.avsc", order("double", field("note", "string", default="")))
    code, out, err = run(capsys, "--level", "backward", "--new", new, "--previous", v1, v2)
    assert (code, out, err) == (0, "compatible (BACKWARD against version 2 of 2)\n", "")


def test_transitive_names_every_version_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = [write(tmp_path, f"v{i}.avsc", order("double")) for i in (1, 2, 3)]
    code, out, _ = run(capsys, "--level", "FULL_TRANSITIVE", "--new", paths[-1], "--previous", *paths)
    assert (code, out) == (0, "compatible (FULL_TRANSITIVE against versions 1 to 3 of 3)\n")


def test_first_version_and_none(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = write(tmp_path, "new.avsc", order("double"))
    assert run(capsys, "--level", "BACKWARD", "--new", new)[:2] == (0, "compatible (BACKWARD: no previous versions)\n")
    old = write(tmp_path, "old.avsc", '"string"')
    assert run(capsys, "--level", "NONE", "--new", new, "--previous", old)[:2] == (
        0, "compatible (NONE: nothing to check)\n")


def test_incompatible_exits_3_with_one_line_per_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v1 = write(tmp_path, "v1.avsc", order("double"))
    v2 = write(tmp_path, "v2.avsc", order("double"))
    new = write(tmp_path, "new.avsc", order("string"))
    code, out, err = run(capsys, "--level", "BACKWARD", "--new", new, "--previous", v1, v2)
    assert code == 3
    assert out == (
        "incompatible (BACKWARD):\n"
        "  Order.items[].price: writer type double cannot be read as string "
        "(new schema reading data written with previous version 2)\n"
    )
    assert err == ""


def test_full_explains_the_forward_direction(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = write(tmp_path, "old.avsc", order("double"))
    new = write(tmp_path, "new.avsc", order("double", field("note", "string")))
    code, out, _ = run(capsys, "--level", "FULL", "--new", new, "--previous", old)
    assert code == 3
    assert out.splitlines() == [
        "incompatible (FULL):",
        "  Order.note: the writer has no field note and the reader field has no default "
        "(new schema reading data written with previous version 1)",
    ]


def test_transitive_case_from_the_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES_BY_ID["backward-transitive-checks-all"]
    previous = [write(tmp_path, f"v{i + 1}.avsc", text) for i, text in enumerate(case.previous_texts())]
    new = write(tmp_path, "new.avsc", case.new_text())
    assert run(capsys, "--level", "BACKWARD", "--new", new, "--previous", *previous)[0] == 0
    code, out, _ = run(capsys, "--level", "BACKWARD_TRANSITIVE", "--new", new, "--previous", *previous)
    assert code == 3
    assert "(new schema reading data written with previous version 1)" in out


def test_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v1 = write(tmp_path, "v1.avsc", order("double"))
    new = write(tmp_path, "new.avsc", order("string"))
    code, out, _ = run(capsys, "--level", "FULL_TRANSITIVE", "--new", new, "--previous", v1, "--format", "json")
    assert code == 3
    assert json.loads(out) == {
        "version": 1,
        "level": "FULL_TRANSITIVE",
        "compatible": False,
        "checked_versions": [1],
        "incompatibilities": [
            {"path": "Order.items[].price", "reason": "writer type double cannot be read as string",
             "previous_version": 1, "direction": "backward"},
            {"path": "Order.items[].price", "reason": "writer type string cannot be read as double",
             "previous_version": 1, "direction": "forward"},
        ],
    }


def test_json_output_when_compatible(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    v1 = write(tmp_path, "v1.avsc", order("float"))
    v2 = write(tmp_path, "v2.avsc", order("float"))
    new = write(tmp_path, "new.avsc", order("double"))
    code, out, _ = run(capsys, "--level", "BACKWARD", "--new", new, "--previous", v1, v2, "--format", "json")
    assert code == 0
    assert json.loads(out) == {"version": 1, "level": "BACKWARD", "compatible": True,
                               "checked_versions": [2], "incompatibilities": []}


def test_unknown_level_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = write(tmp_path, "new.avsc", order("double"))
    code, out, err = run(capsys, "--level", "SIDEWAYS", "--new", new)
    assert (code, out) == (1, "")
    assert "unknown compatibility level 'SIDEWAYS'" in err
    assert "BACKWARD_TRANSITIVE" in err


def test_missing_file_exits_1_naming_it(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = write(tmp_path, "new.avsc", order("double"))
    missing = str(tmp_path / "nope.avsc")
    code, out, err = run(capsys, "--level", "BACKWARD", "--new", new, "--previous", missing)
    assert (code, out) == (1, "")
    assert f"{missing}: cannot read schema file: No such file or directory" in err
    assert "Traceback" not in err


def test_every_bad_file_is_reported_at_once(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_json = write(tmp_path, "bad.avsc", '{"type": "record",\n "name": }')
    bad_avro = write(tmp_path, "worse.avsc", {"type": "record", "name": "A", "fields": [{"name": "x", "type": "Nope"}]})
    code, out, err = run(capsys, "--level", "BACKWARD", "--new", bad_json, "--previous", bad_avro)
    assert (code, out) == (1, "")
    assert f"{bad_json}:2:10: invalid JSON: Expecting value" in err
    assert f"{bad_avro}:7:15: invalid Avro schema: unknown type 'Nope'" in err  # the line of the node


def test_bad_input_in_json_mode_still_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = write(tmp_path, "new.avsc", "not json")
    code, out, err = run(capsys, "--level", "BACKWARD", "--new", new, "--format", "json")
    assert code == 1
    answer = json.loads(out)  # a script reading stdout gets an object, not an empty string
    assert answer["compatible"] is None and answer["exit_code"] == 1
    assert answer["problems"][0]["file"] == new and answer["problems"][0]["line"] == 1
    assert "invalid JSON" in answer["problems"][0]["message"]
    assert "invalid JSON" in err


def test_defaults_are_validated_in_the_new_schema_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lenient = record("Row", field("n", "int", default="zero"))  # the registry may hold such a version
    strict = record("Row", field("n", "int", default=0))
    old = write(tmp_path, "old.avsc", lenient)
    new = write(tmp_path, "new.avsc", strict)
    assert run(capsys, "--level", "FULL", "--new", new, "--previous", old)[0] == 0
    code, _, err = run(capsys, "--level", "FULL", "--new", old, "--previous", new)
    assert code == 1
    assert 'default "zero" of field Row.n does not match its type' in err

"""The local Avro compatibility checker: verdicts (the shared case table), messages,
recursion, levels, parsing errors and the normalised form."""
from __future__ import annotations

import json
import signal
import warnings
from contextlib import contextmanager
from typing import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgitops.avro.compatibility import (
    BACKWARD,
    FORWARD,
    LEVELS,
    Incompatibility,
    check,
    parse_level,
    versions_to_check,
)
from kgitops.avro.resolution import mismatches
from kgitops.avro.schema import normalised, parse
from kgitops.errors import InputError
from tests.avro_cases import CASES, CASES_BY_ID, Case, array, enum, field, fixed, map_of, record

# Cases where the `avro` package's Python port of SchemaCompatibility disagrees with Avro
# Java (docs/compatibility.md explains each). A change here is a change to document.
AVRO_PORT_DISAGREEMENTS = {
    "record-field-alias-matches-two-writer-fields",
    "record-field-alias-repeats-its-name",
    "record-field-ambiguous-alias-in-tried-union-branch",
    "record-rename-with-alias",
    "enum-rename-with-alias",
    "fixed-rename-with-alias",
    "recursive-rename-with-alias",
}


def texts(*schemas: object) -> list[str]:
    return [json.dumps(s) for s in schemas]


@contextmanager
def deadline(seconds: int) -> Iterator[None]:
    """Fail instead of hanging if recursion handling is broken."""
    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"took longer than {seconds}s: recursion does not terminate?")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------- the case table


def test_case_table_is_large_and_covers_every_level() -> None:
    assert len(CASES) >= 60
    assert {case.level for case in CASES} == set(LEVELS)
    assert {True, False} == {case.compatible for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_verdict_matches_confluent(case: Case) -> None:
    result = check(case.new_text(), case.previous_texts(), case.level)
    assert result.compatible is case.compatible, (case.why, result.incompatibilities)
    # A verdict comes with reasons exactly when it is "incompatible".
    assert bool(result.incompatibilities) is not case.compatible


def _avro_port_verdict(case: Case) -> bool | None:
    """The verdict of the `avro` package's port, with the same level logic as ours."""
    import avro.schema
    from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType

    def reads(reader: object, writer: object) -> bool:
        result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
        return result.compatibility is SchemaCompatibilityType.compatible

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the port warns about logical types it ignores
        try:
            new = avro.schema.parse(case.new_text())
            previous = [avro.schema.parse(t) for t in case.previous_texts()]
        except Exception:
            return None
    compatible = True
    for index in versions_to_check(case.level, len(previous)):
        if case.level.startswith(("BACKWARD", "FULL")):
            compatible &= reads(new, previous[index])
        if case.level.startswith(("FORWARD", "FULL")):
            compatible &= reads(previous[index], new)
    return compatible


def test_avro_package_port_disagrees_with_java_only_where_documented() -> None:
    pytest.importorskip("avro.compatibility")
    disagreements = {case.id for case in CASES if _avro_port_verdict(case) is not case.compatible}
    assert disagreements == AVRO_PORT_DISAGREEMENTS


# ---------------------------------------------------------------- paths and reasons


def test_type_change_deep_in_an_array_names_the_field_path() -> None:
    case = CASES_BY_ID["array-of-records-field-type-change"]
    result = check(case.new_text(), case.previous_texts(), "BACKWARD")
    assert result.incompatibilities == (
        Incompatibility("Order.items[].price", "writer type double cannot be read as string", 0, BACKWARD),
    )


def test_full_reports_each_direction() -> None:
    case = CASES_BY_ID["array-of-records-field-type-change"]
    result = check(case.new_text(), case.previous_texts(), "FULL")
    assert [(i.path, i.reason, i.direction) for i in result.incompatibilities] == [
        ("Order.items[].price", "writer type double cannot be read as string", BACKWARD),
        ("Order.items[].price", "writer type string cannot be read as double", FORWARD),
    ]


def test_missing_field_without_default() -> None:
    case = CASES_BY_ID["record-add-field-without-default"]
    [found] = check(case.new_text(), case.previous_texts(), "BACKWARD").incompatibilities
    assert found.path == "Customer.email"
    assert found.reason == "the writer has no field email and the reader field has no default"


def test_missing_field_reason_lists_aliases_tried() -> None:
    old = record("Customer", field("id", "string"))
    new = record("Customer", field("id", "string"), field("email", "string", aliases=["mail"]))
    [found] = check(json.dumps(new), texts(old), "BACKWARD").incompatibilities
    assert found.reason == "the writer has no field email or mail and the reader field has no default"


def test_field_inside_a_union_branch_is_reached_through_the_union() -> None:
    case = CASES_BY_ID["union-record-branch-field-change"]
    [found] = check(case.new_text(), case.previous_texts(), "BACKWARD").incompatibilities
    assert (found.path, found.reason) == ("Order.customer.name", "writer type int cannot be read as string")


def test_union_without_a_branch_for_the_writer_type() -> None:
    case = CASES_BY_ID["union-remove-branch"]
    [found] = check(case.new_text(), case.previous_texts(), "BACKWARD").incompatibilities
    assert found.path == "Reading.value"
    assert found.reason == "writer type long cannot be read by any branch of the reader union [null, string]"


def test_writer_union_branch_against_plain_reader() -> None:
    case = CASES_BY_ID["union-to-plain-type"]
    [found] = check(case.new_text(), case.previous_texts(), "BACKWARD").incompatibilities
    assert (found.path, found.reason) == ("Reading.value", "writer type null cannot be read as string")


def test_enum_symbols_missing_from_the_reader() -> None:
    old = record("Paint", field("colour", enum("Colour", ["RED", "GREEN", "BLUE", "CYAN"])))
    new = record("Paint", field("colour", enum("Colour", ["RED", "GREEN"])))
    [found] = check(json.dumps(new), texts(old), "BACKWARD").incompatibilities
    assert found.path == "Paint.colour"
    assert found.reason == "writer enum symbols BLUE, CYAN are not in the reader enum Colour, which has no default symbol"


def test_record_name_mismatch() -> None:
    old = record("Payment", field("id", "string"), namespace="shop")
    new = record("Transfer", field("id", "string"), namespace="shop")
    [found] = check(json.dumps(new), texts(old), "BACKWARD").incompatibilities
    assert found.path == "Transfer"
    assert found.reason == (
        "writer record shop.Payment cannot be read as record shop.Transfer: "
        "the names differ and no alias of the reader names shop.Payment"
    )


def test_fixed_size_and_map_values_path() -> None:
    old = record("Keys", field("by_id", map_of(fixed("Hash", 16))))
    new = record("Keys", field("by_id", map_of(fixed("Hash", 32))))
    [found] = check(json.dumps(new), texts(old), "BACKWARD").incompatibilities
    assert (found.path, found.reason) == ("Keys.by_id{}", "writer fixed Hash has size 16, the reader's has size 32")


def test_top_level_type_mismatch_uses_the_reader_type_as_path() -> None:
    [found] = check('"string"', ['{"type": "record", "name": "Ticket", "fields": []}'], "BACKWARD").incompatibilities
    assert (found.path, found.reason) == ("string", "writer type record Ticket cannot be read as string")


def test_ambiguous_field_alias_is_reported_as_java_fails() -> None:
    case = CASES_BY_ID["record-field-alias-matches-two-writer-fields"]
    [found] = check(case.new_text(), case.previous_texts(), "BACKWARD").incompatibilities
    assert found.path == "Customer.email"
    assert "matches more than one field (email, mail)" in found.reason


def test_ambiguous_field_in_a_union_branch_tried_first_fails_the_check() -> None:
    # Avro Java tries reader branch Card against writer Voucher (names differ) and still looks
    # at its fields; the ambiguous alias throws, so another branch reading Voucher is no help.
    card = record("Card", field("code", "string", aliases=["pin"]))
    voucher = record("Voucher", field("code", "string"), field("pin", "string"))
    old = record("Wallet", field("item", [voucher]))
    new = record("Wallet", field("item", [card, voucher]))
    [found] = check(json.dumps(new), texts(old), "BACKWARD").incompatibilities
    assert found.path == "Wallet.item.code"
    assert "matches more than one field (code, pin)" in found.reason


def test_transitive_failure_points_at_the_old_version() -> None:
    case = CASES_BY_ID["backward-transitive-checks-all"]
    result = check(case.new_text(), case.previous_texts(), case.level)
    assert result.checked_versions == (1, 2)
    assert [(i.previous_version, i.path) for i in result.incompatibilities] == [(1, "Ticket.note")]


def test_mismatches_lists_every_problem_not_only_the_first() -> None:
    old = record("Row", field("a", "long"), field("b", "double"), field("c", "string"))
    new = record("Row", field("a", "int"), field("b", "float"), field("c", "string"), field("d", "int"))
    found = mismatches(parse(json.dumps(new), "new"), parse(json.dumps(old), "old"))
    assert [m.path for m in found] == ["Row.a", "Row.b", "Row.d"]


# ---------------------------------------------------------------- recursion


def test_recursive_schemas_terminate() -> None:
    tree = record("Tree", field("key", "string"),
                  field("children", array("Tree")),
                  field("index", map_of(["null", "Tree"])))
    with deadline(10):
        result = check(json.dumps(tree), texts(tree, tree), "FULL_TRANSITIVE")
    assert result.compatible


def test_mutual_recursion_with_a_change_deep_inside_terminates_and_reports() -> None:
    def person(age_type: str) -> dict:
        return record("Person", field("age", age_type), field("employer", ["null", record(
            "Company", field("ceo", "Person"), field("staff", array("Person")),
        )], default=None))

    with deadline(10):
        result = check(json.dumps(person("int")), texts(person("long")), "BACKWARD")
    assert [(i.path, i.reason) for i in result.incompatibilities] == [
        ("Person.age", "writer type long cannot be read as int"),
    ]


def test_recursion_reached_through_different_names_terminates() -> None:
    old = record("Node", field("next", ["null", "Node"]), field("value", "int"))
    new = record("Link", field("next", ["null", "Link"]), field("value", "long"), aliases=["Node"])
    with deadline(10):
        assert check(json.dumps(new), texts(old), "BACKWARD").compatible
        assert not check(json.dumps(new), texts(old), "FULL").compatible


# ---------------------------------------------------------------- levels


def test_levels_are_confluents() -> None:
    assert LEVELS == ("NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
                      "FULL", "FULL_TRANSITIVE")


def test_unknown_level_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown compatibility level 'SIDEWAYS'"):
        check('"string"', ['"string"'], "SIDEWAYS")


def test_level_spelling_is_forgiving() -> None:
    assert parse_level(" full_transitive ") == "FULL_TRANSITIVE"


def test_which_versions_each_level_checks() -> None:
    assert versions_to_check("BACKWARD", 3) == (2,)
    assert versions_to_check("FORWARD_TRANSITIVE", 3) == (0, 1, 2)
    assert versions_to_check("NONE", 3) == ()
    assert versions_to_check("FULL", 0) == ()


def test_first_version_is_always_compatible() -> None:
    result = check('"string"', [], "FULL_TRANSITIVE")
    assert result.compatible and result.checked_versions == ()


def test_none_checks_nothing() -> None:
    result = check('"string"', ['"int"'], "NONE")
    assert result.compatible and result.checked_versions == ()


# ---------------------------------------------------------------- parsing errors


@pytest.mark.parametrize(("text", "reason"), [
    ('{"type": "record", "name": "A", "fields": [', "invalid JSON"),
    ('{"type": "double", "default": NaN}', "NaN is not a JSON value"),
    ('{"type": "record", "name": "A-B", "fields": []}', "invalid record name"),
    ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int"}, {"name": "x", "type": "int"}]}',
     "duplicate field name"),
    ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": ["null", ["int"]]}]}',
     "cannot contain another union"),
    ('["string", {"type": "string", "logicalType": "uuid"}]', "union contains string twice"),
    ('{"type": "record", "name": "A"}', 'has no "fields" list'),
    ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": "Missing"}]}', "unknown type 'Missing'"),
    ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int", "default": "1"}]}',
     "does not match its type"),
    ('{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int", "order": "up"}]}', "order 'up'"),
    ('{"type": "fixed", "name": "F", "size": "16"}', "non-negative integer size"),
    ('{"type": "fixed", "name": "F"}', "size"),
    ('{"type": "map"}', 'a map needs "values"'),
    ('{"type": "record", "name": "A", "fields": [{"type": "int"}]}', 'needs a "name" and a "type"'),
    ('{"type": "enum", "name": "E", "symbols": ["A", "B"], "default": "C"}', "default"),
    ('{"type": "enum", "name": "E", "symbols": ["A", "A"]}', "unique"),
    ('{"type": {"type": "string"}}', '"type" must be a string'),
    ('{"type": "record", "name": "int", "fields": []}', "cannot be called 'int'"),
    ('{"type": "bogus"}', "bogus"),
    ("42", "a schema must be"),
])
def test_invalid_schemas_are_input_errors_naming_the_source(text: str, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        parse(text, "schemas/order.avsc")
    assert caught.value.message.startswith("schemas/order.avsc")
    assert reason.lower() in caught.value.message.lower()
    assert caught.value.problems[0].file == "schemas/order.avsc"


def test_invalid_json_carries_line_and_column() -> None:
    with pytest.raises(InputError) as caught:
        parse('{\n  "type": "record",\n  "name": }', "a.avsc")
    problem = caught.value.problems[0]
    assert (problem.line, problem.column) == (3, 11)


def test_defaults_of_registered_versions_may_be_lenient() -> None:
    text = '{"type": "record", "name": "A", "fields": [{"name": "x", "type": "int", "default": "1"}]}'
    with pytest.raises(InputError):
        parse(text, "new")
    assert parse(text, "registered", validate_defaults=False).root is not None


# ---------------------------------------------------------------- normalised form

ORDER = {
    "type": "record", "name": "Order", "namespace": "shop", "doc": "An order",
    "fields": [
        {"name": "id", "type": "string", "doc": "key"},
        {"name": "total", "type": "double", "default": 0},
        {"name": "lines", "type": {"type": "array", "items": {
            "type": "record", "name": "Line", "fields": [{"name": "sku", "type": "string"}]}}},
        {"name": "first", "type": ["null", "Line"], "default": None},
    ],
}


def variant(**changes: object) -> dict:
    """ORDER with top-level keys replaced."""
    return {**json.loads(json.dumps(ORDER)), **changes}


def with_field(index: int, **changes: object) -> dict:
    schema = json.loads(json.dumps(ORDER))
    schema["fields"][index] = {**schema["fields"][index], **changes}
    return schema


SAME_AS_ORDER = {
    "whitespace and key order": json.dumps(dict(reversed(list(ORDER.items()))), indent=4),
    "docs dropped": json.dumps(with_field(0, doc="another doc") | {"doc": "changed"}),
    "dotted name instead of namespace": json.dumps({k: v for k, v in variant(name="shop.Order").items()
                                                    if k != "namespace"}),
    "full reference name": json.dumps(with_field(3, type=["null", "shop.Line"])),
    "type written as an object": json.dumps(with_field(0, type={"type": "string"})),
    "double default 0.0 for 0": json.dumps(with_field(1, default=0.0)),
    "explicit ascending order": json.dumps(with_field(0, order="ascending")),
}

DIFFERENT_FROM_ORDER = {
    "field order": json.dumps(variant(fields=[ORDER["fields"][1], ORDER["fields"][0], *ORDER["fields"][2:]])),
    "default value": json.dumps(with_field(1, default=1.5)),
    "default added": json.dumps(with_field(0, default="")),
    "field alias": json.dumps(with_field(0, aliases=["order_id"])),
    "record alias": json.dumps(variant(aliases=["Purchase"])),
    "logical type": json.dumps(with_field(0, type={"type": "string", "logicalType": "uuid"})),
    "namespace": json.dumps(variant(namespace="store")),
    "custom property": json.dumps(variant(**{"connect.name": "shop.Order"})),
    "descending order": json.dumps(with_field(0, order="descending")),
    "error instead of record": json.dumps(variant(type="error")),
    "field type": json.dumps(with_field(1, type="float")),
}


def test_normalised_form_is_compact_json_with_full_names() -> None:
    assert normalised('{"type":"record","name":"A","namespace":"n","fields":[{"name":"x","type":"int"}]}') == (
        '{"fields":[{"name":"x","type":"int"}],"name":"n.A","type":"record"}'
    )


@pytest.mark.parametrize("text", SAME_AS_ORDER.values(), ids=SAME_AS_ORDER.keys())
def test_normalised_equal_for_the_same_schema(text: str) -> None:
    assert normalised(text) == normalised(json.dumps(ORDER))


@pytest.mark.parametrize("text", DIFFERENT_FROM_ORDER.values(), ids=DIFFERENT_FROM_ORDER.keys())
def test_normalised_differs_for_a_different_schema(text: str) -> None:
    assert normalised(text) != normalised(json.dumps(ORDER))


@pytest.mark.parametrize(("one", "other", "same"), [
    ({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2},
     {"scale": 2, "precision": 4, "logicalType": "decimal", "type": "bytes"}, True),
    ({"type": "bytes", "logicalType": "decimal", "precision": 4, "scale": 2},
     {"type": "bytes", "logicalType": "decimal", "precision": 5, "scale": 2}, False),
    (enum("E", ["A", "B"], aliases=["X", "Y"]), enum("E", ["A", "B"], aliases=["Y", "X"]), True),
    (enum("E", ["A", "B"]), enum("E", ["B", "A"]), False),
    (enum("E", ["A", "B"]), enum("E", ["A", "B"], default="A"), False),
    (fixed("F", 4), fixed("F", 8), False),
    (map_of("int"), {"values": "int", "type": "map"}, True),
    (["null", "int"], ["int", "null"], False),
])
def test_normalised_on_other_types(one: object, other: object, same: bool) -> None:
    assert (normalised(json.dumps(one)) == normalised(json.dumps(other))) is same


def test_normalised_recursive_schema() -> None:
    node = record("Node", field("next", ["null", "Node"], default=None), namespace="list")
    assert normalised(json.dumps(node)) == (
        '{"fields":[{"default":null,"name":"next","type":["null","list.Node"]}],"name":"list.Node","type":"record"}'
    )


# ---------------------------------------------------------------- properties

PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]


@st.composite
def schemas(draw: st.DrawFn) -> dict:
    """Small records: primitives, arrays, maps, unions, enums, nested and recursive records."""
    counter = iter(range(1000))

    def field_type(depth: int) -> object:
        choice = draw(st.integers(0, 7 if depth < 2 else 1))
        if choice <= 1:
            return draw(st.sampled_from(PRIMITIVES))
        if choice == 2:
            return array(field_type(depth + 1))
        if choice == 3:
            return map_of(field_type(depth + 1))
        if choice == 4:
            return ["null", draw(st.sampled_from(PRIMITIVES[1:]))]
        if choice == 5:
            return enum(f"E{next(counter)}", draw(st.lists(st.sampled_from("ABCD"), min_size=1, unique=True)))
        if choice == 6:
            return ["null", "Root"]
        return record(f"R{next(counter)}", *fields(depth + 1))

    def fields(depth: int) -> list[dict]:
        names = draw(st.lists(st.sampled_from("abcdef"), max_size=4, unique=True))
        return [field(name, field_type(depth)) for name in names]

    return record("Root", *fields(0), namespace="prop")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas())
def test_every_schema_is_fully_compatible_with_itself(schema: dict) -> None:
    text = json.dumps(schema)
    assert check(text, [text, text], "FULL_TRANSITIVE").compatible


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schemas())
def test_normalised_form_is_a_fixed_point_and_the_same_schema(schema: dict) -> None:
    text = json.dumps(schema, indent=2)
    once = normalised(text)
    assert normalised(once) == once
    assert check(once, [text], "FULL").compatible

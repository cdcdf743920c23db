"""Protobuf and JSON Schema subjects without a registry: loading (type by extension or
`type:`, offline checks located at file:line, references and their cycles), the compared
forms, the plan (references, reference-only changes, field-level changes), saved actions,
apply order, lazy imports, and the local checkers on the recorded registry verdicts."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from kgitops.desired.loader import load_cluster
from kgitops.errors import InputError
from kgitops.json_schema import compatibility as json_compat
from kgitops.kinds.subject.actions import RegisterSchema, SetMode
from kgitops.kinds.subject.apply import _reference_waves
from kgitops.kinds.subject.compare import diff_subjects
from kgitops.kinds.subject.references import find_cycle
from kgitops.model import LiveRegistry, LiveSubject
from kgitops.protobuf import compatibility as proto_compat
from kgitops.protobuf.compile import compile_proto
from kgitops.protobuf.text import canonical
from tests import json_schema_cases, protobuf_cases

CLUSTER = """\
name: test
kafka: {bootstrap_servers: "localhost:9092"}
schema_registry: {url: "http://localhost:8081"}
include: [topics.yaml]
"""
ADDRESS_PROTO = 'syntax = "proto3";\npackage shop;\nmessage Address {\n  string street = 1;\n}\n'
ORDER_PROTO = ('syntax = "proto3";\npackage shop;\nimport "address.proto";\n'
               'message Order {\n  string id = 1;\n  Address address = 2;\n}\n')
ADDRESS_JSON = {"type": "object", "properties": {"street": {"type": "string"}}}
CUSTOMER_JSON = {"type": "object", "properties": {"address": {"$ref": "address.json"}, "name": {"type": "string"}}}
SUBJECTS = """\
subjects:
  - subject: shop.Address
    file: address.proto
  - subject: shop.Order
    file: order.proto
    references: [{name: address.proto, subject: shop.Address}]
  - subject: shop.JAddress
    file: address.json
  - subject: shop.Customer
    file: customer.schema
    type: json
    references: [{name: address.json, subject: shop.JAddress, version: 1}]
"""


def write_repo(root: Path, subjects: str = SUBJECTS, **files: str) -> Path:
    defaults = {"address.proto": ADDRESS_PROTO, "order.proto": ORDER_PROTO, "address.json": json.dumps(ADDRESS_JSON),
                "customer.schema": json.dumps(CUSTOMER_JSON, indent=2)}
    for name, text in {**defaults, **{k.replace("_", "."): v for k, v in files.items()}}.items():
        (root / name).write_text(text)
    (root / "topics.yaml").write_text(subjects)
    cluster = root / "cluster.yaml"
    cluster.write_text(CLUSTER)
    return cluster


def load_errors(cluster: Path) -> str:
    with pytest.raises(InputError) as raised:
        load_cluster(cluster)
    return raised.value.message


def live(*subjects: LiveSubject) -> LiveRegistry:
    return LiveRegistry("BACKWARD", {s.subject: s for s in subjects})


# -- loading -----------------------------------------------------------------------------


def test_types_come_from_the_extension_or_the_type_key_and_references_are_read(tmp_path):
    cluster = load_cluster(write_repo(tmp_path)).cluster
    by_name = {s.subject: s for s in cluster.subjects}
    assert by_name["shop.Address"].schema_type == "PROTOBUF"
    assert by_name["shop.JAddress"].schema_type == "JSON"
    assert by_name["shop.Customer"].schema_type == "JSON"  # declared: its extension says nothing
    assert [(r.name, r.subject, r.version) for r in by_name["shop.Order"].references] == [
        ("address.proto", "shop.Address", None)]
    assert by_name["shop.Customer"].references[0].version == 1


def test_a_protobuf_error_is_reported_at_its_file_line_and_column(tmp_path):
    broken = ORDER_PROTO.replace("Address address = 2;", "Address address = 2;\n  Missing gone = 3;")
    message = load_errors(write_repo(tmp_path, order_proto=broken))
    assert "order.proto:7:3: \"Missing\" is not defined" in message


def test_a_duplicate_field_number_is_refused_offline(tmp_path):
    broken = ADDRESS_PROTO.replace("string street = 1;", "string street = 1;\n  string city = 1;")
    message = load_errors(write_repo(tmp_path, address_proto=broken))
    assert "address.proto:5:" in message and "Field number 1 has already been used" in message


def test_an_import_without_a_reference_is_refused_at_the_import(tmp_path):
    subjects = SUBJECTS.replace("    references: [{name: address.proto, subject: shop.Address}]\n", "")
    message = load_errors(write_repo(tmp_path, subjects))
    assert 'order.proto:3: imports "address.proto", which no reference of the subject names' in message


def test_a_json_schema_failing_the_metaschema_is_reported_at_its_line(tmp_path):
    broken = '{\n  "type": "object",\n  "properties": {\n    "street": {"type": "strin"}\n  }\n}\n'
    message = load_errors(write_repo(tmp_path, address_json=broken))
    assert "address.json:4:" in message and "not a valid JSON Schema (Draft7)" in message
    assert "properties/street/type" in message


def test_invalid_json_is_reported_at_its_line(tmp_path):
    message = load_errors(write_repo(tmp_path, address_json='{"type": "object",\n "properties": {,}}'))
    assert "address.json:2:" in message and "invalid JSON" in message


def test_a_reference_cycle_is_refused_naming_the_cycle(tmp_path):
    subjects = SUBJECTS.replace("  - subject: shop.JAddress\n    file: address.json\n",
                                "  - subject: shop.JAddress\n    file: address.json\n"
                                "    references: [{name: customer.json, subject: shop.Customer}]\n")
    message = load_errors(write_repo(tmp_path, subjects))
    assert "schema references form a cycle: shop.JAddress -> shop.Customer -> shop.JAddress" in message


def test_find_cycle_names_every_subject_on_it():
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": ["b"], "b": [], "c": ["a"]}) is None


# -- compared forms and the plan --------------------------------------------------------------


def test_protobuf_texts_equal_but_for_comments_and_layout_compare_equal():
    relaid = "// the address\nsyntax = \"proto3\"; package shop;\n/* block */ message Address { string street = 1; }"
    assert canonical(relaid) == canonical(ADDRESS_PROTO)
    assert canonical(ADDRESS_PROTO.replace("street", "road")) != canonical(ADDRESS_PROTO)


def _registered(spec_subject: str, text: str, version: int = 1, schema_type: str = "PROTOBUF",
                references: tuple = ()) -> LiveSubject:
    return LiveSubject(spec_subject, version, 10 + version, text, schema_type, "BACKWARD", (version,),
                       references=references)


def test_first_registration_orders_referenced_subjects_first_and_keeps_latest_unresolved(tmp_path):
    cluster = load_cluster(write_repo(tmp_path)).cluster
    actions, problems = diff_subjects(cluster, live())
    names = [a.subject for a in actions]
    assert names.index("shop.Address") < names.index("shop.Order")
    assert names.index("shop.JAddress") < names.index("shop.Customer")
    order = next(a for a in actions if a.subject == "shop.Order")
    assert order.references == (("address.proto", "shop.Address", "latest"),) and order.schema_type == "PROTOBUF"
    assert not [p for p in problems if p.severity == "error"]


def _all_registered(cluster) -> LiveRegistry:
    by_name = {s.subject: s for s in cluster.subjects}
    return live(_registered("shop.Address", ADDRESS_PROTO),
                _registered("shop.Order", by_name["shop.Order"].schema, references=(("address.proto", "shop.Address", 1),)),
                _registered("shop.JAddress", json.dumps(ADDRESS_JSON), schema_type="JSON"),
                _registered("shop.Customer", by_name["shop.Customer"].schema, schema_type="JSON",
                            references=(("address.json", "shop.JAddress", 1),)))


def test_equal_schemas_with_equal_references_plan_nothing(tmp_path):
    cluster = load_cluster(write_repo(tmp_path)).cluster
    actions, problems = diff_subjects(cluster, _all_registered(cluster))
    assert actions == [] and problems == []


def test_a_new_version_of_a_referenced_subject_is_a_reference_only_change_of_its_referrers(tmp_path):
    evolved = ADDRESS_PROTO.replace("string street = 1;", "string street = 1;\n  string city = 2;")
    cluster = load_cluster(write_repo(tmp_path, address_proto=evolved)).cluster
    actions, problems = diff_subjects(cluster, _all_registered(cluster))
    by_subject = {a.subject: a for a in actions}
    assert set(by_subject) == {"shop.Address", "shop.Order"}
    assert by_subject["shop.Address"].changes == ("+ field city = 2 (string)",)
    assert by_subject["shop.Order"].changes == (
        "~ reference address.proto: shop.Address v1 -> shop.Address (its new version)",)
    assert not [p for p in problems if p.severity == "error"]


def test_a_pinned_reference_version_change_alone_is_planned(tmp_path):
    cluster = load_cluster(write_repo(tmp_path, SUBJECTS.replace("version: 1", "version: 2"))).cluster
    actions, _ = diff_subjects(cluster, _all_registered(cluster))
    [customer] = actions
    assert customer.subject == "shop.Customer"
    assert customer.changes == ("~ reference address.json: shop.JAddress v1 -> shop.JAddress v2",)
    assert customer.references == (("address.json", "shop.JAddress", "2"),)


def test_an_incompatible_protobuf_change_is_refused_locally_with_its_path(tmp_path):
    changed = ORDER_PROTO.replace("string id = 1;", "int64 id = 1;")
    cluster = load_cluster(write_repo(tmp_path, order_proto=changed)).cluster
    registered = _all_registered(cluster)
    registered.subjects["shop.Order"] = _registered("shop.Order", ORDER_PROTO,
                                                    references=(("address.proto", "shop.Address", 1),))
    actions, problems = diff_subjects(cluster, registered)
    [refusal] = [p for p in problems if p.kind == "policy"]
    assert "shop.Order.id: field id = 1: string -> int64" in refusal.message
    assert refusal.file.endswith("order.proto")


def test_the_registrys_verdict_decides_when_it_was_asked(tmp_path):
    changed = {"type": "object", "properties": {"street": {"type": ["string", "integer"]}}}
    cluster = load_cluster(write_repo(tmp_path, address_json=json.dumps(changed))).cluster
    registered = _all_registered(cluster)
    subject = registered.subjects["shop.JAddress"]
    registered.subjects["shop.JAddress"] = LiveSubject(**{**subject.__dict__, "registry_verdict": (False, ())})
    _, problems = diff_subjects(cluster, registered)
    refusals = [p for p in problems if p.kind == "policy"]
    assert len(refusals) == 1 and "the schema registry says the new schema is not BACKWARD compatible" in refusals[0].message
    assert "checked by the registry only" in refusals[0].message  # the local checker could not tell


def test_a_mode_is_planned_when_it_differs(tmp_path):
    subjects = SUBJECTS.replace("    file: address.json\n", "    file: address.json\n    mode: READONLY\n")
    cluster = load_cluster(write_repo(tmp_path, subjects)).cluster
    registered = _all_registered(cluster)
    registered.subjects["shop.JAddress"] = LiveSubject(**{**registered.subjects["shop.JAddress"].__dict__,
                                                          "mode": "READWRITE"})
    actions, _ = diff_subjects(cluster, registered)
    assert actions == [SetMode(subject="shop.JAddress", before="READWRITE", after="READONLY")]


# -- saved plans and apply order ---------------------------------------------------------------


def test_a_registration_with_references_survives_a_saved_plan():
    action = RegisterSchema(subject="s", schema="x", schema_type="JSON",
                            references=(("a.json", "shop.A", "latest"), ("b.json", "shop.B", "3")))
    fields = json.loads(json.dumps({k: v for k, v in action.__dict__.items()}))
    assert RegisterSchema.from_fields(fields) == action


def test_apply_runs_referenced_subjects_in_an_earlier_wave():
    order = [RegisterSchema(subject="Order", references=(("a", "Address", "latest"),))]
    address = [RegisterSchema(subject="Address", references=(("c", "Country", "latest"),))]
    country = [RegisterSchema(subject="Country")]
    waves = _reference_waves([order, address, country])
    assert [[g[0].subject for g in wave] for wave in waves] == [["Country"], ["Address"], ["Order"]]


def test_a_topics_only_cluster_never_imports_the_schema_parsers(tmp_path):
    (tmp_path / "topics.yaml").write_text("topics:\n  - name: t\n    partitions: 1\n    replication_factor: 1\n")
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    code = ("import sys; from kgitops.desired.loader import load_cluster; "
            f"load_cluster({str(tmp_path / 'cluster.yaml')!r}); "
            "print(sorted(m for m in sys.modules if m.startswith(('grpc', 'google.protobuf', 'kgitops.protobuf', "
            "'kgitops.json_schema'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


# -- the local checkers on the recorded registry verdicts ---------------------------------------


@pytest.mark.parametrize("case", protobuf_cases.CASES, ids=lambda c: c.name)
def test_protobuf_local_verdict_is_the_registrys_where_it_decides(case):
    verdict = proto_compat.check(compile_proto(case.new, "new").descriptor, [compile_proto(case.old, "old").descriptor],
                                 case.level)
    if verdict.outcome == proto_compat.REGISTRY_ONLY:
        assert verdict.reasons  # says what it cannot decide
    else:
        assert (verdict.outcome == proto_compat.COMPATIBLE) == protobuf_cases.APICURIO[case.name]


@pytest.mark.parametrize("case", json_schema_cases.CASES, ids=lambda c: c.name)
def test_json_schema_local_verdict_is_the_registrys_where_it_decides(case):
    verdict = json_compat.check(case.new, [case.old], case.level)
    if verdict.outcome == json_compat.REGISTRY_ONLY:
        assert verdict.reasons
    else:
        assert (verdict.outcome == json_compat.COMPATIBLE) == json_schema_cases.APICURIO[case.name]


def test_where_the_local_checker_decides_it_also_gives_confluents_stated_verdict():
    # The checker decides only where Confluent's rules and Apicurio's agree.
    for case in protobuf_cases.CASES:
        verdict = proto_compat.check(compile_proto(case.new, "n").descriptor, [compile_proto(case.old, "o").descriptor],
                                     case.level)
        if verdict.outcome != proto_compat.REGISTRY_ONLY and case.confluent is not None:
            assert (verdict.outcome == proto_compat.COMPATIBLE) == case.confluent, case.name
    for case in json_schema_cases.CASES:
        verdict = json_compat.check(case.new, [case.old], case.level)
        if verdict.outcome != json_compat.REGISTRY_ONLY and case.confluent is not None:
            assert (verdict.outcome == json_compat.COMPATIBLE) == case.confluent, case.name


def test_a_global_mode_is_planned_with_its_risk_and_left_alone_when_equal(tmp_path):
    cluster_file = write_repo(tmp_path)
    cluster_file.write_text(CLUSTER.replace('{url: "http://localhost:8081"}',
                                            '{url: "http://localhost:8081", mode: READONLY}'))
    cluster = load_cluster(cluster_file).cluster
    registered = _all_registered(cluster)
    actions, _ = diff_subjects(cluster, registered)
    [mode] = actions
    assert (mode.subject, mode.resource, mode.after) == ("", "(global mode)", "READONLY")
    assert "refuses new schemas" in mode.risks[0]
    already = LiveRegistry("BACKWARD", registered.subjects, global_mode="READONLY")
    assert diff_subjects(cluster, already)[0] == []



AVRO_ADDRESS = {"type": "record", "name": "Address", "namespace": "com.example",
                "fields": [{"name": "street", "type": "string"}]}
AVRO_ORDER = {"type": "record", "name": "Order", "namespace": "shop",
              "fields": [{"name": "id", "type": "string"}, {"name": "address", "type": "com.example.Address"}]}
AVRO_SUBJECTS = """\
subjects:
  - subject: shop.AAddress
    file: address.avsc
  - subject: shop.AOrder
    file: order.avsc
    references: [{name: com.example.Address, subject: shop.AAddress}]
"""


def test_an_avro_schema_with_references_is_checked_with_the_referenced_types(tmp_path):
    cluster = load_cluster(write_repo(tmp_path, AVRO_SUBJECTS, address_avsc=json.dumps(AVRO_ADDRESS),
                                      order_avsc=json.dumps(AVRO_ORDER))).cluster
    assert [s.subject for s in cluster.subjects] == ["shop.AAddress", "shop.AOrder"]
    misspelt = json.dumps(AVRO_ORDER).replace("com.example.Address", "com.example.Adress")
    message = load_errors(write_repo(tmp_path, AVRO_SUBJECTS, address_avsc=json.dumps(AVRO_ADDRESS),
                                     order_avsc=misspelt))
    assert "order.avsc: invalid Avro schema: unknown type 'com.example.Adress' (with the referenced schemas' types)" \
        in message


def test_an_incompatible_avro_change_with_references_names_the_path_in_the_schema(tmp_path):
    changed = json.dumps(AVRO_ORDER).replace('"id", "type": "string"', '"id", "type": "int"')
    cluster = load_cluster(write_repo(tmp_path, AVRO_SUBJECTS, address_avsc=json.dumps(AVRO_ADDRESS),
                                      order_avsc=changed)).cluster
    registered = live(_registered("shop.AAddress", json.dumps(AVRO_ADDRESS), schema_type="AVRO"),
                      _registered("shop.AOrder", json.dumps(AVRO_ORDER), schema_type="AVRO",
                                  references=(("com.example.Address", "shop.AAddress", 1),)))
    actions, problems = diff_subjects(cluster, registered)
    [refusal] = [p for p in problems if p.kind == "policy"]
    assert "Order.id: writer type string cannot be read as int" in refusal.message
    assert [a.subject for a in actions] == ["shop.AOrder"]
    unchanged = load_cluster(write_repo(tmp_path, AVRO_SUBJECTS, address_avsc=json.dumps(AVRO_ADDRESS),
                                        order_avsc=json.dumps(AVRO_ORDER))).cluster
    assert diff_subjects(unchanged, registered) == ([], [])


def test_adding_references_to_an_unchanged_schema_is_a_change(tmp_path):
    cluster = load_cluster(write_repo(tmp_path)).cluster
    registered = _all_registered(cluster)
    customer = registered.subjects["shop.Customer"]
    registered.subjects["shop.Customer"] = LiveSubject(**{**customer.__dict__, "references": ()})
    actions, _ = diff_subjects(cluster, registered)
    [action] = actions
    assert action.subject == "shop.Customer"
    assert action.changes == ("+ reference address.json -> shop.JAddress v1",)

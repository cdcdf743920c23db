"""Protobuf compatibility cases: an old schema, a new one, a level, and the verdict of
Confluent's rules (ProtobufSchema's diff, as documented; Confluent Schema Registry is not
run here). tests/integration/test_protobuf_json_agreement.py registers each old schema
in the real registry (Apicurio), asks its compatibility endpoint about the new one, and
asserts that the local checker, wherever it gives a verdict, gives the registry's.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    """One case of a compatibility table (this one's and tests/json_schema_cases.py's)."""

    name: str
    old: Any  # a .proto text here; a JSON Schema document there
    new: Any
    level: str = "BACKWARD"
    confluent: bool | None = None  # compatible under Confluent's rules; None: not stated


def proto(body: str, package: str = "kg.cases", extra: str = "", syntax: str = "proto3") -> str:
    return f'syntax = "{syntax}";\npackage {package};\n{extra}\nmessage Order {{\n{body}\n}}\n'


BASE = "  string id = 1;\n  int32 qty = 2;"
P2 = "  required string id = 1;\n  optional int32 qty = 2;"

_PAIRS: list[tuple[str, str, str, bool | None]] = [
    ("same-schema", BASE, BASE, True),
    ("comment-only", BASE, "  // the order id\n  string id = 1;\n  int32 qty = 2;", True),
    ("layout-only", BASE, "  string   id = 1;   int32 qty = 2;", True),
    ("add-optional-field", BASE, BASE + "\n  string note = 3;", True),
    ("add-two-fields", BASE, BASE + "\n  string note = 3;\n  bool paid = 4;", True),
    ("add-repeated-field", BASE, BASE + "\n  repeated string tags = 3;", True),
    ("add-map-field", BASE, BASE + "\n  map<string, string> labels = 3;", True),
    ("add-proto3-optional", BASE, BASE + "\n  optional string note = 3;", True),
    ("remove-field-reserved", BASE, "  string id = 1;\n  reserved 2;", True),
    ("remove-field-reserved-name-and-number", BASE, '  string id = 1;\n  reserved 2;\n  reserved "qty";', True),
    ("remove-field-unreserved", BASE, "  string id = 1;", True),
    ("rename-field", BASE, "  string id = 1;\n  int32 quantity = 2;", True),
    ("renumber-field", BASE, "  string id = 1;\n  int32 qty = 3;", True),
    ("string-to-int32", BASE, "  int32 id = 1;\n  int32 qty = 2;", False),
    ("int32-to-string", BASE, "  string id = 1;\n  string qty = 2;", False),
    ("int32-to-int64", BASE, "  string id = 1;\n  int64 qty = 2;", True),
    ("int32-to-uint32", BASE, "  string id = 1;\n  uint32 qty = 2;", True),
    ("int32-to-sint32", BASE, "  string id = 1;\n  sint32 qty = 2;", False),
    ("int32-to-fixed32", BASE, "  string id = 1;\n  fixed32 qty = 2;", False),
    ("int32-to-double", BASE, "  string id = 1;\n  double qty = 2;", False),
    ("int32-to-bool", BASE, "  string id = 1;\n  bool qty = 2;", True),
    ("string-to-bytes", BASE, "  bytes id = 1;\n  int32 qty = 2;", True),
    ("int32-to-float", BASE, "  string id = 1;\n  float qty = 2;", False),
    ("singular-to-repeated-string", BASE, "  repeated string id = 1;\n  int32 qty = 2;", None),
    ("string-to-map", BASE, "  map<string, string> id = 1;\n  int32 qty = 2;", False),
    ("scalar-to-message", BASE, "  Item id = 1;\n  int32 qty = 2;\n}\nmessage Item {\n  string sku = 1;", False),
    ("add-message", BASE, BASE + "\n}\nmessage Item {\n  string sku = 1;", True),
    ("add-nested-message", BASE, BASE + "\n  message Line { string sku = 1; }", True),
    ("add-enum", BASE, BASE + "\n}\nenum Status {\n  UNKNOWN = 0;\n  OPEN = 1;", True),
    ("field-into-new-oneof", BASE, "  string id = 1;\n  oneof amount { int32 qty = 2; }", None),
    ("add-oneof-with-new-fields", BASE, BASE + "\n  oneof pay { string card = 3; string cash = 4; }", True),
    ("add-field-to-existing-oneof", "  string id = 1;\n  oneof pay { string card = 2; }",
     "  string id = 1;\n  oneof pay { string card = 2; string cash = 3; }", True),
    ("package-changed", BASE, BASE, False),
    ("using-reserved-number", "  string id = 1;\n  reserved 2;", "  string id = 1;\n  int32 qty = 2;", True),
    ("remove-reservation", "  string id = 1;\n  reserved 2;", "  string id = 1;", True),
    ("add-reservation", BASE, BASE + "\n  reserved 9;", True),
    ("reorder-fields", BASE, "  int32 qty = 2;\n  string id = 1;", True),
    ("proto2-add-optional", P2, P2 + "\n  optional string note = 3;", True),
    ("proto2-add-required", P2, P2 + "\n  required string note = 3;", False),
    ("proto2-remove-required", P2, "  optional int32 qty = 2;\n  reserved 1;", False),
    ("proto2-required-to-optional", P2, "  optional string id = 1;\n  optional int32 qty = 2;", False),
    ("proto2-optional-to-required", P2, "  required string id = 1;\n  required int32 qty = 2;", False),
    ("proto2-same", P2, P2, True),
]

CASES: list[Case] = []
for _name, _old, _new, _confluent in _PAIRS:
    _syntax = "proto2" if _name.startswith("proto2") else "proto3"
    _package = "kg.moved" if _name == "package-changed" else "kg.cases"
    CASES.append(Case(_name, proto(_old, syntax=_syntax), proto(_new, package=_package, syntax=_syntax),
                      confluent=_confluent))

_ENUM_OLD = proto(BASE + "\n  Status status = 3;", extra="enum Status {\n  UNKNOWN = 0;\n  OPEN = 1;\n}\n")
CASES += [
    Case("enum-value-added", _ENUM_OLD, _ENUM_OLD.replace("OPEN = 1;", "OPEN = 1;\n  PAID = 2;"), confluent=True),
    Case("enum-value-removed", _ENUM_OLD, _ENUM_OLD.replace("\n  OPEN = 1;", ""), confluent=True),
    Case("enum-value-renumbered", _ENUM_OLD, _ENUM_OLD.replace("OPEN = 1;", "OPEN = 5;"), confluent=True),
    Case("enum-field-to-int32", _ENUM_OLD, _ENUM_OLD.replace("Status status = 3;", "int32 status = 3;"), confluent=True),
    Case("remove-message", proto(BASE) + "message Item {\n  string sku = 1;\n}\n", proto(BASE), confluent=False),
    Case("message-field-type-changed", proto(BASE + "\n  Item item = 3;") + "message Item {\n  string sku = 1;\n}\n"
         + "message Other {\n  string sku = 1;\n}\n",
         proto(BASE + "\n  Other item = 3;") + "message Item {\n  string sku = 1;\n}\n" + "message Other {\n  string sku = 1;\n}\n",
         confluent=False),
    Case("forward-add-field", proto(BASE), proto(BASE + "\n  string note = 3;"), "FORWARD", True),
    Case("forward-remove-field-reserved", proto(BASE), proto("  string id = 1;\n  reserved 2;"), "FORWARD", True),
    Case("forward-type-changed", proto(BASE), proto("  int32 id = 1;\n  int32 qty = 2;"), "FORWARD", False),
    Case("full-add-field", proto(BASE), proto(BASE + "\n  string note = 3;"), "FULL", True),
    Case("full-type-changed", proto(BASE), proto("  int32 id = 1;\n  int32 qty = 2;"), "FULL", False),
    Case("full-remove-field-reserved", proto(BASE), proto("  string id = 1;\n  reserved 2;"), "FULL", True),
    Case("none-type-changed", proto(BASE), proto("  int32 id = 1;\n  int32 qty = 2;"), "NONE", True),
    Case("forward-proto2-add-required", proto(P2, syntax="proto2"),
         proto(P2 + "\n  required string note = 3;", syntax="proto2"), "FORWARD", False),
]


# The verdict of Apicurio Registry 3.3.3's compatibility endpoint (ccompat v7) on each case,
# as recorded by tests/integration/test_protobuf_json_agreement.py, which asserts it still
# holds: the unit tests check the local checker against it without a registry.
APICURIO: dict[str, bool] = {
    'same-schema': True,
    'comment-only': True,
    'layout-only': True,
    'add-optional-field': True,
    'add-two-fields': True,
    'add-repeated-field': True,
    'add-map-field': True,
    'add-proto3-optional': True,
    'remove-field-reserved': False,
    'remove-field-reserved-name-and-number': True,
    'remove-field-unreserved': False,
    'rename-field': False,
    'renumber-field': False,
    'string-to-int32': False,
    'int32-to-string': False,
    'int32-to-int64': False,
    'int32-to-uint32': False,
    'int32-to-sint32': False,
    'int32-to-fixed32': False,
    'int32-to-double': False,
    'int32-to-bool': False,
    'string-to-bytes': False,
    'int32-to-float': False,
    'singular-to-repeated-string': False,
    'string-to-map': False,
    'scalar-to-message': False,
    'add-message': True,
    'add-nested-message': True,
    'add-enum': True,
    'field-into-new-oneof': True,
    'add-oneof-with-new-fields': True,
    'add-field-to-existing-oneof': True,
    'package-changed': True,
    'using-reserved-number': False,
    'remove-reservation': False,
    'add-reservation': True,
    'reorder-fields': True,
    'proto2-add-optional': True,
    'proto2-add-required': False,
    'proto2-remove-required': False,
    'proto2-required-to-optional': False,
    'proto2-optional-to-required': False,
    'proto2-same': True,
    'enum-value-added': True,
    'enum-value-removed': False,
    'enum-value-renumbered': False,
    'enum-field-to-int32': False,
    'remove-message': False,
    'message-field-type-changed': False,
    'forward-add-field': False,
    'forward-remove-field-reserved': False,
    'forward-type-changed': False,
    'full-add-field': False,
    'full-type-changed': False,
    'full-remove-field-reserved': False,
    'none-type-changed': True,
    'forward-proto2-add-required': False,
}

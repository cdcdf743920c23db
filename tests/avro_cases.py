"""Avro compatibility cases: a data table, not a test module.

Each case is one subject's history (`previous`, oldest first), a candidate `new` schema, a
Confluent compatibility level and the verdict Confluent Schema Registry gives, which is the
verdict of Avro Java's SchemaCompatibility (see docs/compatibility.md). The rules come from
the Avro specification's "Schema Resolution" section, with Java's choices where it differs.

Reused by:
- tests/unit/test_avro_compatibility.py (the local checker, and the `avro` package's port);
- the registry agreement test: per case, register `previous_texts()` in order under its own
  subject (at level NONE: a history need not satisfy the level it is later checked at), set
  the subject's level to `level`, then ask the registry whether `new_text()` is compatible
  against all versions (`POST /compatibility/subjects/{subject}/versions`, which applies
  the level's transitivity; `/versions/latest` checks the latest version only).

Every case is self-contained: the root named type of each schema lives in a namespace of
its own (`kgitops.cases.<id>`), unless the case is about namespaces and spells them out.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Schema = Any  # a JSON value: a dict, a list (union) or a str (type name)


@dataclass(frozen=True)
class Case:
    id: str
    level: str
    previous: tuple[Schema, ...]  # oldest first
    new: Schema
    compatible: bool  # what Confluent Schema Registry (Avro Java) says
    why: str

    def previous_texts(self) -> list[str]:
        return [json.dumps(schema) for schema in self.previous]

    def new_text(self) -> str:
        return json.dumps(self.new)


def ns(case_id: str) -> str:
    """The namespace that keeps a case's names apart from every other case's."""
    return "kgitops.cases." + case_id.replace("-", "_")


def record(name: str, *fields: dict, **extra: Any) -> dict:
    return {"type": "record", "name": name, "fields": list(fields), **extra}


def field(name: str, type_: Schema, **extra: Any) -> dict:
    return {"name": name, "type": type_, **extra}


def enum(name: str, symbols: list[str], **extra: Any) -> dict:
    return {"type": "enum", "name": name, "symbols": symbols, **extra}


def fixed(name: str, size: int, **extra: Any) -> dict:
    return {"type": "fixed", "name": name, "size": size, **extra}


def array(items: Schema) -> dict:
    return {"type": "array", "items": items}


def map_of(values: Schema) -> dict:
    return {"type": "map", "values": values}


def logical(type_: str, logical_type: str, **params: Any) -> dict:
    return {"type": type_, "logicalType": logical_type, **params}


def one_field(value_type: Schema, **extra: Any) -> dict:
    """A record whose single field `value` has the given type: most cases vary only that."""
    return record("Reading", field("value", value_type, **extra))


ID = field("id", "string")


def _case(id: str, level: str, previous: list[Schema], new: Schema, compatible: bool, why: str) -> Case:
    return Case(
        id, level,
        tuple(_in_own_namespace(id, s) for s in previous), _in_own_namespace(id, new),
        compatible, why,
    )


def _in_own_namespace(case_id: str, schema: Schema) -> Schema:
    # Only a root named type without a namespace (and without a dotted name) moves; nested
    # types inherit it, as Avro namespaces do. Cases about namespaces set theirs explicitly.
    if isinstance(schema, dict) and "name" in schema and "namespace" not in schema and "." not in schema["name"]:
        return {**schema, "namespace": ns(case_id)}
    return schema


_CASES = [
    # ---------------------------------------------------------------- primitives and promotion
    _case("primitive-same-top-level", "FULL_TRANSITIVE", ["string"], "string", True,
          "identical primitive schemas"),
    _case("promote-int-to-long", "BACKWARD", [one_field("int")], one_field("long"), True,
          "int is promoted to long"),
    _case("promote-int-to-float", "BACKWARD", [one_field("int")], one_field("float"), True,
          "int is promoted to float"),
    _case("promote-int-to-double", "BACKWARD", [one_field("int")], one_field("double"), True,
          "int is promoted to double"),
    _case("promote-long-to-float", "BACKWARD", [one_field("long")], one_field("float"), True,
          "long is promoted to float"),
    _case("promote-long-to-double", "BACKWARD", [one_field("long")], one_field("double"), True,
          "long is promoted to double"),
    _case("promote-float-to-double", "BACKWARD", [one_field("float")], one_field("double"), True,
          "float is promoted to double"),
    _case("promote-string-to-bytes", "BACKWARD", [one_field("string")], one_field("bytes"), True,
          "string is promoted to bytes"),
    _case("promote-bytes-to-string", "BACKWARD", [one_field("bytes")], one_field("string"), True,
          "bytes is promoted to string"),
    _case("demote-long-to-int", "BACKWARD", [one_field("long")], one_field("int"), False,
          "long is not promoted to int"),
    _case("demote-double-to-float", "BACKWARD", [one_field("double")], one_field("float"), False,
          "double is not promoted to float"),
    _case("demote-float-to-long", "BACKWARD", [one_field("float")], one_field("long"), False,
          "float is not promoted to long"),
    _case("double-to-string", "BACKWARD", [one_field("double")], one_field("string"), False,
          "no promotion between numbers and strings"),
    _case("int-to-string", "BACKWARD", [one_field("int")], one_field("string"), False,
          "no promotion between numbers and strings"),
    _case("boolean-to-int", "BACKWARD", [one_field("boolean")], one_field("int"), False,
          "boolean is not a number"),
    _case("null-to-string", "BACKWARD", [one_field("null")], one_field("string"), False,
          "null is only read as null"),
    _case("int-to-long-forward", "FORWARD", [one_field("int")], one_field("long"), False,
          "the old reader (int) cannot read the new writer's long"),
    _case("int-to-long-full", "FULL", [one_field("int")], one_field("long"), False,
          "promotion works one way only"),
    _case("string-bytes-full", "FULL", [one_field("string")], one_field("bytes"), True,
          "string and bytes promote both ways"),
    _case("promote-top-level-int-to-long", "BACKWARD", ["int"], "long", True,
          "promotion applies to a top-level primitive schema too"),
    # ---------------------------------------------------------------- records
    _case("record-add-field-with-default", "BACKWARD",
          [record("Customer", ID)],
          record("Customer", ID, field("email", "string", default="")), True,
          "the new reader fills the added field from its default"),
    _case("record-add-field-without-default", "BACKWARD",
          [record("Customer", ID)],
          record("Customer", ID, field("email", "string")), False,
          "old data has no value for the added field and there is no default"),
    _case("record-remove-field-backward", "BACKWARD",
          [record("Customer", ID, field("email", "string"))],
          record("Customer", ID), True,
          "the new reader ignores the field old data still carries"),
    _case("record-remove-field-without-default-forward", "FORWARD",
          [record("Customer", ID, field("email", "string"))],
          record("Customer", ID), False,
          "old readers need the removed field and have no default for it"),
    _case("record-remove-field-with-default-forward", "FORWARD",
          [record("Customer", ID, field("email", "string", default=""))],
          record("Customer", ID), True,
          "old readers fill the removed field from their default"),
    _case("record-add-field-without-default-forward", "FORWARD",
          [record("Customer", ID)],
          record("Customer", ID, field("email", "string")), True,
          "old readers ignore the added field"),
    _case("record-add-field-with-default-full", "FULL",
          [record("Customer", ID)],
          record("Customer", ID, field("email", "string", default="")), True,
          "an added field with a default works both ways"),
    _case("record-add-field-without-default-full", "FULL",
          [record("Customer", ID)],
          record("Customer", ID, field("email", "string")), False,
          "backward half fails: no default for the added field"),
    _case("record-remove-field-with-default-full", "FULL",
          [record("Customer", ID, field("email", "string", default=""))],
          record("Customer", ID), True,
          "a removed field that had a default works both ways"),
    _case("record-rename-field-with-alias", "BACKWARD",
          [record("Customer", ID, field("mail", "string"))],
          record("Customer", ID, field("email", "string", aliases=["mail"])), True,
          "the reader field's alias names the writer field"),
    _case("record-rename-field-without-alias", "BACKWARD",
          [record("Customer", ID, field("mail", "string"))],
          record("Customer", ID, field("email", "string")), False,
          "a renamed field without alias or default is missing"),
    _case("record-rename-field-with-alias-forward", "FORWARD",
          [record("Customer", ID, field("mail", "string"))],
          record("Customer", ID, field("email", "string", aliases=["mail"])), False,
          "only reader aliases count: the old reader does not know the new name"),
    _case("record-rename-field-with-alias-and-defaults-full", "FULL",
          [record("Customer", ID, field("mail", "string", default=""))],
          record("Customer", ID, field("email", "string", aliases=["mail"], default="")), True,
          "alias for the new reader, default for the old one"),
    _case("record-field-alias-matches-two-writer-fields", "BACKWARD",
          [record("Customer", ID, field("mail", "string"), field("email", "string"))],
          record("Customer", ID, field("email", "string", aliases=["mail"])), False,
          "Avro Java throws when a reader field matches several writer fields; the registry "
          "reports that as incompatible"),
    _case("record-field-alias-repeats-its-name", "BACKWARD",
          [record("Customer", ID, field("email", "string"))],
          record("Customer", ID, field("email", "string", aliases=["email"])), False,
          "Java finds the writer field twice (by name and by alias) and throws"),
    _case("record-field-ambiguous-alias-in-tried-union-branch", "BACKWARD",
          [record("Wallet", field("item", [record("Voucher", field("code", "string"), field("pin", "string"))]))],
          record("Wallet", field("item", [record("Card", field("code", "string", aliases=["pin"])),
                                          record("Voucher", field("code", "string"), field("pin", "string"))])), False,
          "Java tries reader branch Card on writer Voucher, checks Card's fields although the names "
          "differ, and throws on the ambiguous alias: the Voucher branch is never tried"),
    _case("record-reorder-fields", "FULL_TRANSITIVE",
          [record("Customer", ID, field("email", "string"), field("age", "int"))],
          record("Customer", field("age", "int"), field("email", "string"), ID), True,
          "fields are matched by name, not position"),
    _case("record-add-optional-field", "FULL",
          [record("Customer", ID)],
          record("Customer", ID, field("phone", ["null", "string"], default=None)), True,
          "a null default counts as a default"),
    _case("record-rename", "BACKWARD",
          [record("Payment", ID)],
          record("Transfer", ID), False,
          "record names must match"),
    _case("record-rename-with-alias", "BACKWARD",
          [record("Payment", ID)],
          record("Transfer", ID, aliases=["Payment"]), True,
          "an unqualified reader alias takes the reader's namespace and names the writer"),
    _case("record-change-namespace", "FULL",
          [record("Payment", ID, namespace=ns("record-change-namespace") + ".old")],
          record("Payment", ID, namespace=ns("record-change-namespace") + ".new"), True,
          "Avro Java compares unqualified names, so a namespace change is compatible"),
    _case("record-rename-with-qualified-alias", "BACKWARD",
          [record("Payment", ID, namespace=ns("record-rename-with-qualified-alias") + ".old")],
          record("Transfer", ID, namespace=ns("record-rename-with-qualified-alias") + ".new",
                 aliases=[ns("record-rename-with-qualified-alias") + ".old.Payment"]), True,
          "a fully qualified reader alias names the writer in another namespace"),
    _case("record-rename-with-alias-in-wrong-namespace", "BACKWARD",
          [record("Payment", ID, namespace=ns("record-rename-with-alias-in-wrong-namespace") + ".old")],
          record("Transfer", ID, namespace=ns("record-rename-with-alias-in-wrong-namespace") + ".new",
                 aliases=["Payment"]), False,
          "the unqualified alias means <reader namespace>.Payment, not the writer's full name"),
    _case("record-rename-writer-alias-only", "BACKWARD",
          [record("Payment", ID, aliases=["Transfer"])],
          record("Transfer", ID), False,
          "a writer's aliases play no part"),
    _case("record-rename-with-alias-full", "FULL",
          [record("Payment", ID)],
          record("Transfer", ID, aliases=["Payment"]), False,
          "the forward half fails: the old reader has no alias for the new name"),
    _case("record-nested-rename", "BACKWARD",
          [record("Order", ID, field("ship_to", record("Address", field("city", "string"))))],
          record("Order", ID, field("ship_to", record("Location", field("city", "string")))), False,
          "a nested record's name must match as well"),
    _case("record-nested-field-type-change", "BACKWARD",
          [record("Order", ID, field("ship_to", record("Address", field("zip", "int"))))],
          record("Order", ID, field("ship_to", record("Address", field("zip", "string")))), False,
          "nested fields are resolved recursively"),
    _case("record-nested-add-field-with-default", "FULL",
          [record("Order", ID, field("ship_to", record("Address", field("city", "string"))))],
          record("Order", ID, field("ship_to", record("Address", field("city", "string"),
                                                         field("country", "string", default="NL")))), True,
          "a nested added field with a default works both ways"),
    _case("record-field-record-to-string", "BACKWARD",
          [record("Order", ID, field("ship_to", record("Address", field("city", "string"))))],
          record("Order", ID, field("ship_to", "string")), False,
          "a record is not read as a string"),
    _case("record-empty-gains-defaulted-field", "FULL",
          [record("Heartbeat")],
          record("Heartbeat", field("seq", "long", default=0)), True,
          "records without fields resolve like any other"),
    # ---------------------------------------------------------------- enums
    _case("enum-add-symbol", "BACKWARD",
          [one_field(enum("Colour", ["RED", "GREEN"]))],
          one_field(enum("Colour", ["RED", "GREEN", "BLUE"])), True,
          "the new reader knows every old symbol"),
    _case("enum-add-symbol-forward", "FORWARD",
          [one_field(enum("Colour", ["RED", "GREEN"]))],
          one_field(enum("Colour", ["RED", "GREEN", "BLUE"])), False,
          "old readers cannot read BLUE and have no enum default"),
    _case("enum-add-symbol-forward-with-default", "FORWARD",
          [one_field(enum("Colour", ["UNKNOWN", "RED", "GREEN"], default="UNKNOWN"))],
          one_field(enum("Colour", ["UNKNOWN", "RED", "GREEN", "BLUE"], default="UNKNOWN")), True,
          "old readers map BLUE to their enum default"),
    _case("enum-remove-symbol", "BACKWARD",
          [one_field(enum("Colour", ["RED", "GREEN", "BLUE"]))],
          one_field(enum("Colour", ["RED", "GREEN"])), False,
          "old data may hold BLUE"),
    _case("enum-remove-symbol-with-default", "BACKWARD",
          [one_field(enum("Colour", ["UNKNOWN", "RED", "GREEN", "BLUE"]))],
          one_field(enum("Colour", ["UNKNOWN", "RED", "GREEN"], default="UNKNOWN")), True,
          "the new reader maps BLUE to its enum default"),
    _case("enum-remove-symbol-forward", "FORWARD",
          [one_field(enum("Colour", ["RED", "GREEN", "BLUE"]))],
          one_field(enum("Colour", ["RED", "GREEN"])), True,
          "old readers know every new symbol"),
    _case("enum-reorder-symbols", "FULL",
          [one_field(enum("Colour", ["RED", "GREEN", "BLUE"]))],
          one_field(enum("Colour", ["BLUE", "RED", "GREEN"])), True,
          "symbols are matched by name"),
    _case("enum-add-symbol-full-with-defaults", "FULL",
          [one_field(enum("Colour", ["UNKNOWN", "RED"], default="UNKNOWN"))],
          one_field(enum("Colour", ["UNKNOWN", "RED", "GREEN"], default="UNKNOWN")), True,
          "with an enum default on both sides symbols may be added"),
    _case("enum-rename", "BACKWARD",
          [one_field(enum("Colour", ["RED"]))],
          one_field(enum("Hue", ["RED"])), False,
          "enum names must match"),
    _case("enum-rename-with-alias", "BACKWARD",
          [one_field(enum("Colour", ["RED"]))],
          one_field(enum("Hue", ["RED"], aliases=["Colour"])), True,
          "a reader alias names the writer enum"),
    _case("enum-to-string", "BACKWARD",
          [one_field(enum("Colour", ["RED"]))],
          one_field("string"), False,
          "an enum is not read as a string"),
    _case("string-to-enum", "BACKWARD",
          [one_field("string")],
          one_field(enum("Colour", ["RED"])), False,
          "a string is not read as an enum"),
    _case("enum-field-added-with-enum-default-only", "BACKWARD",
          [record("Shipment", ID)],
          record("Shipment", ID, field("status", enum("Status", ["UNKNOWN", "SENT"], default="UNKNOWN"))), False,
          "an enum default does not stand in for a missing field default"),
    _case("enum-field-added-with-field-default", "BACKWARD",
          [record("Shipment", ID)],
          record("Shipment", ID, field("status", enum("Status", ["UNKNOWN", "SENT"]), default="UNKNOWN")), True,
          "a field default fills the added enum field"),
    # ---------------------------------------------------------------- arrays and maps
    _case("array-items-promoted", "BACKWARD",
          [one_field(array("int"))], one_field(array("long")), True,
          "array items are resolved recursively"),
    _case("array-items-demoted", "BACKWARD",
          [one_field(array("long"))], one_field(array("int")), False,
          "long items are not read as int"),
    _case("map-values-promoted", "BACKWARD",
          [one_field(map_of("int"))], one_field(map_of("double")), True,
          "map values are resolved recursively"),
    _case("map-values-string-to-int", "BACKWARD",
          [one_field(map_of("string"))], one_field(map_of("int")), False,
          "string values are not read as int"),
    _case("array-to-map", "BACKWARD",
          [one_field(array("string"))], one_field(map_of("string")), False,
          "an array is not read as a map"),
    _case("array-of-records-field-type-change", "BACKWARD",
          [record("Order", ID, field("items", array(record("Item", field("price", "double")))))],
          record("Order", ID, field("items", array(record("Item", field("price", "string"))))), False,
          "Order.items[].price: double is not read as string"),
    _case("map-of-records-add-field-without-default", "BACKWARD",
          [record("Stock", field("by_store", map_of(record("Level", field("units", "int")))))],
          record("Stock", field("by_store", map_of(record("Level", field("units", "int"),
                                                                field("reserved", "int"))))), False,
          "map values: the added field has no default"),
    _case("array-of-records-add-field-with-default", "FULL",
          [record("Order", ID, field("items", array(record("Item", field("sku", "string")))))],
          record("Order", ID, field("items", array(record("Item", field("sku", "string"),
                                                          field("qty", "int", default=1))))), True,
          "array items: an added field with a default works both ways"),
    _case("array-top-level-string-bytes-full", "FULL",
          [array("string")], array("bytes"), True,
          "top-level arrays resolve their items"),
    _case("string-to-array", "BACKWARD",
          [one_field("string")], one_field(array("string")), False,
          "a string is not read as an array"),
    # ---------------------------------------------------------------- fixed
    _case("fixed-unchanged", "FULL",
          [one_field(fixed("Hash", 16))], one_field(fixed("Hash", 16)), True,
          "same name and size"),
    _case("fixed-size-change", "BACKWARD",
          [one_field(fixed("Hash", 16))], one_field(fixed("Hash", 32)), False,
          "fixed sizes must match"),
    _case("fixed-rename", "BACKWARD",
          [one_field(fixed("Hash", 16))], one_field(fixed("Digest", 16)), False,
          "fixed names must match"),
    _case("fixed-rename-with-alias", "BACKWARD",
          [one_field(fixed("Hash", 16))], one_field(fixed("Digest", 16, aliases=["Hash"])), True,
          "a reader alias names the writer fixed"),
    _case("fixed-to-bytes", "BACKWARD",
          [one_field(fixed("Hash", 16))], one_field("bytes"), False,
          "fixed is not promoted to bytes"),
    _case("bytes-to-fixed", "BACKWARD",
          [one_field("bytes")], one_field(fixed("Hash", 16)), False,
          "bytes is not read as fixed"),
    # ---------------------------------------------------------------- unions
    _case("union-from-plain-type", "BACKWARD",
          [one_field("string")], one_field(["null", "string"]), True,
          "a reader union reads the writer type with its matching branch"),
    _case("union-to-plain-type", "BACKWARD",
          [one_field(["null", "string"])], one_field("string"), False,
          "old data may hold null, which a string reader cannot read"),
    _case("union-to-plain-type-forward", "FORWARD",
          [one_field(["null", "string"])], one_field("string"), True,
          "old readers' union reads the new plain string"),
    _case("union-add-branch", "BACKWARD",
          [one_field(["null", "string"])], one_field(["null", "string", "long"]), True,
          "every old branch is still readable"),
    _case("union-remove-branch", "BACKWARD",
          [one_field(["null", "string", "long"])], one_field(["null", "string"]), False,
          "old data may hold a long"),
    _case("union-remove-branch-forward", "FORWARD",
          [one_field(["null", "string", "long"])], one_field(["null", "string"]), True,
          "old readers read every new branch"),
    _case("union-branch-promoted", "BACKWARD",
          [one_field(["null", "int"])], one_field(["null", "long"]), True,
          "a writer branch may be read by a promoting reader branch"),
    _case("union-branch-promoted-forward", "FORWARD",
          [one_field(["null", "int"])], one_field(["null", "long"]), False,
          "old readers cannot read long"),
    _case("union-reorder", "FULL",
          [one_field(["null", "string", "long"], default=None)],
          one_field(["null", "long", "string"], default=None), True,
          "union branches are matched by type, not position"),
    _case("union-writer-all-promotable", "BACKWARD",
          [one_field(["int", "long"])], one_field("double"), True,
          "each writer branch is promoted to double"),
    _case("union-writer-one-branch-unreadable", "BACKWARD",
          [one_field(["int", "string"])], one_field("long"), False,
          "the string branch is not read as long"),
    _case("union-record-branch-renamed", "BACKWARD",
          [record("Order", ID, field("payer", ["null", record("Card", field("number", "string"))]))],
          record("Order", ID, field("payer", ["null", record("Voucher", field("number", "string"))])), False,
          "no reader branch reads record Card"),
    _case("union-record-branch-field-change", "BACKWARD",
          [record("Order", ID, field("customer", ["null", record("Buyer", field("name", "int"))]))],
          record("Order", ID, field("customer", ["null", record("Buyer", field("name", "string"))])), False,
          "Order.customer.name: int is not read as string"),
    _case("union-wraps-record", "BACKWARD",
          [record("Order", ID, field("ship_to", record("Address", field("city", "string"))))],
          record("Order", ID, field("ship_to", ["null", record("Address", field("city", "string"))])), True,
          "the reader union's record branch reads the record"),
    _case("union-reader-branch-promotes", "BACKWARD",
          [one_field("int")], one_field(["null", "long"]), True,
          "a reader union branch may promote the writer type"),
    _case("union-reader-lacks-writer-type", "BACKWARD",
          [one_field("int")], one_field(["null", "string"]), False,
          "no reader branch reads int"),
    _case("union-of-records-add-defaulted-field", "FULL",
          [one_field([record("Card", field("number", "string")), record("Voucher", field("code", "string"))])],
          one_field([record("Card", field("number", "string"), field("expiry", "string", default="")),
                     record("Voucher", field("code", "string"))]), True,
          "each record branch resolves against its namesake"),
    _case("union-top-level-add-branch-forward", "FORWARD",
          [["null", "string"]], ["null", "string", "int"], False,
          "old readers have no branch for int"),
    # ---------------------------------------------------------------- logical types (ignored by Avro Java)
    _case("logical-decimal-precision-change", "BACKWARD",
          [one_field(logical("bytes", "decimal", precision=10, scale=2))],
          one_field(logical("bytes", "decimal", precision=12, scale=2)), True,
          "Avro Java compares only the underlying bytes (the specification would want equal precision)"),
    _case("logical-decimal-scale-change", "FULL",
          [one_field(logical("bytes", "decimal", precision=10, scale=2))],
          one_field(logical("bytes", "decimal", precision=10, scale=4)), True,
          "Avro Java ignores decimal scale too, although the value's meaning changes"),
    _case("logical-timestamp-millis-to-micros", "FULL",
          [one_field(logical("long", "timestamp-millis"))],
          one_field(logical("long", "timestamp-micros")), True,
          "both are long; the unit change is not detected"),
    _case("logical-plain-long-to-timestamp", "FULL",
          [one_field("long")], one_field(logical("long", "timestamp-millis")), True,
          "adding a logical type to a long changes nothing for resolution"),
    _case("logical-date-to-timestamp", "BACKWARD",
          [one_field(logical("int", "date"))], one_field(logical("long", "timestamp-millis")), True,
          "the underlying int is promoted to long"),
    _case("logical-timestamp-to-date", "BACKWARD",
          [one_field(logical("long", "timestamp-millis"))], one_field(logical("int", "date")), False,
          "the underlying long is not read as int"),
    _case("logical-uuid-to-string", "FULL",
          [one_field(logical("string", "uuid"))], one_field("string"), True,
          "uuid is a string"),
    _case("logical-decimal-bytes-to-fixed", "BACKWARD",
          [one_field(logical("bytes", "decimal", precision=10, scale=2))],
          one_field({"type": "fixed", "name": "Amount", "size": 8, "logicalType": "decimal",
                     "precision": 10, "scale": 2}), False,
          "bytes is not read as fixed"),
    # ---------------------------------------------------------------- recursive schemas
    _case("recursive-list-unchanged", "FULL_TRANSITIVE",
          [record("Node", field("value", "int"), field("next", ["null", "Node"], default=None))],
          record("Node", field("value", "int"), field("next", ["null", "Node"], default=None)), True,
          "a recursive schema is compatible with itself"),
    _case("recursive-list-add-defaulted-field", "FULL",
          [record("Node", field("value", "int"), field("next", ["null", "Node"], default=None))],
          record("Node", field("value", "int"), field("label", "string", default=""),
                 field("next", ["null", "Node"], default=None)), True,
          "an added field with a default, through the recursion"),
    _case("recursive-list-value-type-change", "BACKWARD",
          [record("Node", field("value", "long"), field("next", ["null", "Node"], default=None))],
          record("Node", field("value", "int"), field("next", ["null", "Node"], default=None)), False,
          "long values are not read as int"),
    _case("recursive-tree-add-field-without-default", "BACKWARD",
          [record("Tree", field("key", "string"), field("children", array("Tree")))],
          record("Tree", field("key", "string"), field("weight", "int"), field("children", array("Tree"))), False,
          "the added field has no default"),
    _case("recursive-mutual-add-defaulted-field", "FULL",
          [record("Person", field("name", "string"), field("employer", ["null", record(
              "Company", field("title", "string"), field("ceo", ["null", "Person"], default=None),
          )], default=None))],
          record("Person", field("name", "string"), field("employer", ["null", record(
              "Company", field("title", "string"), field("founded", "int", default=0),
              field("ceo", ["null", "Person"], default=None),
          )], default=None)), True,
          "mutually recursive records resolve and terminate"),
    _case("recursive-rename-with-alias", "BACKWARD",
          [record("Node", field("value", "int"), field("next", ["null", "Node"], default=None))],
          record("Link", field("value", "int"), field("next", ["null", "Link"], default=None),
                 aliases=["Node"]), True,
          "the alias matches at the root and again through the recursion"),
    # ---------------------------------------------------------------- names and namespaces
    _case("names-short-and-full-references", "FULL_TRANSITIVE",
          [record("Trip", field("start", record("Point", field("x", "double"))), field("end", "Point"))],
          record("Trip", field("start", record("Point", field("x", "double"))),
                 field("end", ns("names-short-and-full-references") + ".Point")), True,
          "a short and a full reference name the same type"),
    _case("names-nested-type-moves-namespace", "FULL",
          [record("Trip", field("start", record("Point", field("x", "double"))))],
          record("Trip", field("start", record("Point", field("x", "double"),
                                               namespace=ns("names-nested-type-moves-namespace") + ".geo"))), True,
          "unqualified names match, so a nested type may change namespace"),
    # ---------------------------------------------------------------- levels and transitivity
    _case("backward-checks-latest-only", "BACKWARD",
          [record("Ticket", ID, field("note", "int")), record("Ticket", ID)],
          record("Ticket", ID, field("note", "string", default="")), True,
          "compatible with version 2; version 1's int note is not checked"),
    _case("backward-transitive-checks-all", "BACKWARD_TRANSITIVE",
          [record("Ticket", ID, field("note", "int")), record("Ticket", ID)],
          record("Ticket", ID, field("note", "string", default="")), False,
          "version 1 wrote note as int, which the new string note cannot read"),
    _case("forward-checks-latest-only", "FORWARD",
          [record("Ticket", ID, field("note", "int")), record("Ticket", ID, field("note", "int", default=0))],
          record("Ticket", ID), True,
          "version 2 readers default the removed note"),
    _case("forward-transitive-checks-all", "FORWARD_TRANSITIVE",
          [record("Ticket", ID, field("note", "int")), record("Ticket", ID, field("note", "int", default=0))],
          record("Ticket", ID), False,
          "version 1 readers need note and have no default"),
    _case("full-checks-latest-only", "FULL",
          [record("Ticket", ID, field("note", "int", default=0)), record("Ticket", ID)],
          record("Ticket", ID, field("note", "string", default="")), True,
          "both ways compatible with version 2"),
    _case("full-transitive-checks-all", "FULL_TRANSITIVE",
          [record("Ticket", ID, field("note", "int", default=0)), record("Ticket", ID)],
          record("Ticket", ID, field("note", "string", default="")), False,
          "the new reader cannot read version 1's int note"),
    _case("backward-transitive-all-compatible", "BACKWARD_TRANSITIVE",
          [record("Ticket", ID), record("Ticket", ID, field("a", "int", default=0))],
          record("Ticket", ID, field("a", "int", default=0), field("b", "string", default="")), True,
          "each version only added defaulted fields"),
    _case("backward-transitive-latest-breaks", "BACKWARD_TRANSITIVE",
          [record("Ticket", ID), record("Ticket", ID, field("a", "int", default=0))],
          record("Ticket", ID, field("a", "string", default="")), False,
          "version 1 is fine (a is defaulted) but version 2's int a is not read as string"),
    _case("forward-transitive-all-compatible", "FORWARD_TRANSITIVE",
          [record("Ticket", ID, field("a", "int", default=0), field("b", "int", default=0)),
           record("Ticket", ID, field("a", "int", default=0))],
          record("Ticket", ID), True,
          "every removed field had a default in every old reader"),
    _case("full-transitive-promotion-breaks-forward", "FULL_TRANSITIVE",
          [record("Ticket", ID), record("Ticket", ID, field("a", "int", default=0))],
          record("Ticket", ID, field("a", "long", default=0)), False,
          "FULL needs both ways: version 2 readers cannot read the new long a"),
    _case("full-transitive-defaulted-additions", "FULL_TRANSITIVE",
          [record("Ticket", ID), record("Ticket", ID, field("a", "int", default=0))],
          record("Ticket", ID, field("a", "int", default=0), field("b", "string", default="")), True,
          "defaulted additions are compatible both ways with every version"),
    _case("none-anything-goes", "NONE",
          [record("Ticket", ID)], "string", True,
          "NONE checks nothing"),
    _case("none-incompatible-history", "NONE",
          [record("Ticket", ID, field("a", "int")), record("Ticket", field("b", "string"))],
          record("Ticket", field("c", "double")), True,
          "NONE checks nothing, whatever the history"),
    _case("record-to-primitive", "BACKWARD",
          [record("Ticket", ID)], "string", False,
          "a record is not read as a string"),
]

CASES: tuple[Case, ...] = tuple(_CASES)
CASES_BY_ID: dict[str, Case] = {case.id: case for case in CASES}
assert len(CASES_BY_ID) == len(CASES), "case ids must be unique"


def as_json_lines() -> str:
    """One JSON object per case (id, level, previous texts, new text, compatible), for tools
    in other languages, e.g. tests/tools/avro_java (Avro Java's own verdicts)."""
    return "".join(
        json.dumps({"id": c.id, "level": c.level, "previous": c.previous_texts(), "new": c.new_text(),
                    "compatible": c.compatible}) + "\n"
        for c in CASES
    )


if __name__ == "__main__":  # python -m tests.avro_cases > cases.jsonl
    print(as_json_lines(), end="")

"""JSON Schema compatibility cases: an old schema, a new one, a level, and the verdict of
Confluent's rules (its JSON Schema diff, as documented; Confluent Schema Registry is not
run here). tests/integration/test_protobuf_json_agreement.py asks the real registry
(Apicurio) about each and asserts the local checker, wherever it decides, agrees.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Case:
    name: str
    old: Any
    new: Any
    level: str = "BACKWARD"
    confluent: bool | None = None


def obj(properties: dict, required: tuple[str, ...] = (), closed: bool | None = None, **extra: Any) -> dict:
    schema: dict[str, Any] = {"type": "object", "properties": properties, **extra}
    if required:
        schema["required"] = list(required)
    if closed is not None:
        schema["additionalProperties"] = not closed
    return schema


S, I, N, B = {"type": "string"}, {"type": "integer"}, {"type": "number"}, {"type": "boolean"}
BASE = {"id": S, "qty": I}

CASES: list[Case] = [
    Case("same-schema", obj(BASE), obj(BASE), confluent=True),
    Case("description-added", obj(BASE), obj(BASE, description="an order"), confluent=True),
    Case("title-changed", obj(BASE, title="A"), obj(BASE, title="B"), confluent=True),
    Case("open-add-property", obj(BASE), obj({**BASE, "note": S}), confluent=False),
    Case("closed-add-optional-property", obj(BASE, closed=True), obj({**BASE, "note": S}, closed=True), confluent=True),
    Case("closed-add-required-property", obj(BASE, closed=True), obj({**BASE, "note": S}, ("note",), closed=True),
         confluent=False),
    Case("open-remove-property", obj(BASE), obj({"id": S}), confluent=True),
    Case("closed-remove-property", obj(BASE, closed=True), obj({"id": S}, closed=True), confluent=False),
    Case("required-added", obj(BASE), obj(BASE, ("id",)), confluent=False),
    Case("required-removed", obj(BASE, ("id",)), obj(BASE), confluent=True),
    Case("open-to-closed", obj(BASE), obj(BASE, closed=True), confluent=False),
    Case("closed-to-open", obj(BASE, closed=True), obj(BASE), confluent=True),
    Case("property-type-changed", obj(BASE), obj({"id": S, "qty": S}), confluent=False),
    Case("property-type-extended", obj(BASE), obj({"id": S, "qty": {"type": ["integer", "string"]}}), confluent=True),
    Case("property-type-narrowed", obj({"id": S, "qty": {"type": ["integer", "string"]}}), obj(BASE), confluent=False),
    Case("integer-to-number", obj(BASE), obj({"id": S, "qty": N}), confluent=True),
    Case("number-to-integer", obj({"id": S, "qty": N}), obj(BASE), confluent=False),
    Case("string-to-boolean", obj(BASE), obj({"id": B, "qty": I}), confluent=False),
    Case("enum-extended", obj({"s": {"type": "string", "enum": ["A", "B"]}}),
         obj({"s": {"type": "string", "enum": ["A", "B", "C"]}}), confluent=True),
    Case("enum-narrowed", obj({"s": {"type": "string", "enum": ["A", "B"]}}),
         obj({"s": {"type": "string", "enum": ["A"]}}), confluent=False),
    Case("enum-added", obj({"s": S}), obj({"s": {"type": "string", "enum": ["A"]}}), confluent=False),
    Case("enum-removed", obj({"s": {"type": "string", "enum": ["A"]}}), obj({"s": S}), confluent=True),
    Case("max-length-added", obj({"s": S}), obj({"s": {"type": "string", "maxLength": 5}}), confluent=False),
    Case("max-length-increased", obj({"s": {"type": "string", "maxLength": 5}}),
         obj({"s": {"type": "string", "maxLength": 9}}), confluent=True),
    Case("max-length-decreased", obj({"s": {"type": "string", "maxLength": 9}}),
         obj({"s": {"type": "string", "maxLength": 5}}), confluent=False),
    Case("max-length-removed", obj({"s": {"type": "string", "maxLength": 5}}), obj({"s": S}), confluent=True),
    Case("min-length-added", obj({"s": S}), obj({"s": {"type": "string", "minLength": 2}}), confluent=False),
    Case("min-length-decreased", obj({"s": {"type": "string", "minLength": 4}}),
         obj({"s": {"type": "string", "minLength": 2}}), confluent=True),
    Case("pattern-added", obj({"s": S}), obj({"s": {"type": "string", "pattern": "^[a-z]+$"}}), confluent=False),
    Case("pattern-changed", obj({"s": {"type": "string", "pattern": "^a"}}),
         obj({"s": {"type": "string", "pattern": "^b"}}), confluent=False),
    Case("pattern-removed", obj({"s": {"type": "string", "pattern": "^a"}}), obj({"s": S}), confluent=True),
    Case("maximum-added", obj({"n": I}), obj({"n": {"type": "integer", "maximum": 10}}), confluent=False),
    Case("maximum-increased", obj({"n": {"type": "integer", "maximum": 10}}),
         obj({"n": {"type": "integer", "maximum": 20}}), confluent=True),
    Case("maximum-decreased", obj({"n": {"type": "integer", "maximum": 20}}),
         obj({"n": {"type": "integer", "maximum": 10}}), confluent=False),
    Case("minimum-added", obj({"n": I}), obj({"n": {"type": "integer", "minimum": 0}}), confluent=False),
    Case("minimum-decreased", obj({"n": {"type": "integer", "minimum": 5}}),
         obj({"n": {"type": "integer", "minimum": 0}}), confluent=True),
    Case("minimum-increased", obj({"n": {"type": "integer", "minimum": 0}}),
         obj({"n": {"type": "integer", "minimum": 5}}), confluent=False),
    Case("array-items-type-changed", obj({"a": {"type": "array", "items": S}}),
         obj({"a": {"type": "array", "items": I}}), confluent=False),
    Case("array-max-items-added", obj({"a": {"type": "array", "items": S}}),
         obj({"a": {"type": "array", "items": S, "maxItems": 3}}), confluent=False),
    Case("array-min-items-removed", obj({"a": {"type": "array", "items": S, "minItems": 1}}),
         obj({"a": {"type": "array", "items": S}}), confluent=True),
    Case("array-unique-items-added", obj({"a": {"type": "array", "items": S}}),
         obj({"a": {"type": "array", "items": S, "uniqueItems": True}}), confluent=False),
    Case("nested-open-add-property", obj({"addr": obj({"street": S})}), obj({"addr": obj({"street": S, "city": S})}),
         confluent=False),
    Case("nested-closed-add-optional", obj({"addr": obj({"street": S}, closed=True)}),
         obj({"addr": obj({"street": S, "city": S}, closed=True)}), confluent=True),
    Case("nested-type-changed", obj({"addr": obj({"street": S})}), obj({"addr": obj({"street": I})}), confluent=False),
    Case("nested-required-added", obj({"addr": obj({"street": S})}), obj({"addr": obj({"street": S}, ("street",))}),
         confluent=False),
    Case("oneof-extended", obj({"v": {"oneOf": [S, I]}}), obj({"v": {"oneOf": [S, I, B]}}), confluent=True),
    Case("oneof-narrowed", obj({"v": {"oneOf": [S, I]}}), obj({"v": {"oneOf": [S]}}), confluent=False),
    Case("top-type-changed", {"$schema": "http://json-schema.org/draft-07/schema#", "type": "string"},
         {"$schema": "http://json-schema.org/draft-07/schema#", "type": "integer"}, confluent=False),
    Case("nullable-added", obj(BASE), obj({"id": {"type": ["string", "null"]}, "qty": I}), confluent=True),
    Case("nullable-removed", obj({"id": {"type": ["string", "null"]}, "qty": I}), obj(BASE), confluent=False),
    Case("forward-open-add-property", obj(BASE), obj({**BASE, "note": S}), "FORWARD", True),
    Case("forward-closed-add-optional", obj(BASE, closed=True), obj({**BASE, "note": S}, closed=True), "FORWARD",
         False),
    Case("forward-required-added", obj(BASE), obj(BASE, ("id",)), "FORWARD", True),
    Case("forward-type-changed", obj(BASE), obj({"id": S, "qty": S}), "FORWARD", False),
    Case("full-open-add-property", obj(BASE), obj({**BASE, "note": S}), "FULL", False),
    Case("full-description-added", obj(BASE), obj(BASE, description="d"), "FULL", True),
    Case("full-required-removed", obj(BASE, ("id",)), obj(BASE), "FULL", False),
    Case("none-type-changed", obj(BASE), obj({"id": S, "qty": S}), "NONE", True),
]


# The verdict of Apicurio Registry 3.3.3's compatibility endpoint (ccompat v7) on each case,
# as recorded by tests/integration/test_protobuf_json_agreement.py, which asserts it still
# holds: the unit tests check the local checker against it without a registry.
APICURIO: dict[str, bool] = {
    'same-schema': True,
    'description-added': True,
    'title-changed': True,
    'open-add-property': False,
    'closed-add-optional-property': True,
    'closed-add-required-property': False,
    'open-remove-property': True,
    'closed-remove-property': False,
    'required-added': False,
    'required-removed': True,
    'open-to-closed': False,
    'closed-to-open': True,
    'property-type-changed': False,
    'property-type-extended': False,
    'property-type-narrowed': False,
    'integer-to-number': True,
    'number-to-integer': False,
    'string-to-boolean': False,
    'enum-extended': True,
    'enum-narrowed': False,
    'enum-added': False,
    'enum-removed': True,
    'max-length-added': False,
    'max-length-increased': True,
    'max-length-decreased': False,
    'max-length-removed': True,
    'min-length-added': False,
    'min-length-decreased': True,
    'pattern-added': False,
    'pattern-changed': False,
    'pattern-removed': True,
    'maximum-added': False,
    'maximum-increased': True,
    'maximum-decreased': False,
    'minimum-added': False,
    'minimum-decreased': True,
    'minimum-increased': False,
    'array-items-type-changed': False,
    'array-max-items-added': False,
    'array-min-items-removed': True,
    'array-unique-items-added': False,
    'nested-open-add-property': False,
    'nested-closed-add-optional': True,
    'nested-type-changed': False,
    'nested-required-added': False,
    'oneof-extended': True,
    'oneof-narrowed': False,
    'top-type-changed': False,
    'nullable-added': True,
    'nullable-removed': False,
    'forward-open-add-property': True,
    'forward-closed-add-optional': False,
    'forward-required-added': True,
    'forward-type-changed': False,
    'full-open-add-property': False,
    'full-description-added': True,
    'full-required-removed': False,
    'none-type-changed': True,
}

"""The local compatibility verdict and the plan's field-level changes for Protobuf.

Two registries, two rule sets. Confluent's (ProtobufSchema's diff) accepts removing and
renaming fields and widening integers, and refuses removed messages and changed wire
types; Apicurio's (protolock's rules) refuses removing a field without reserving it,
renaming it, changing its number or its type at all. The local checker finds each change
between two descriptors and classifies it by what both registries say:

    agreed-compatible    an optional field, message or enum value added; a field removed
                         whose number is reserved; comments and layout
    agreed-incompatible  a field's wire type changed (string to int32, a message to a
                         scalar, repeated to singular), a required field added or removed
    registry only        everything the two rule sets judge differently, and constructs
                         the local checker does not model (services, oneofs, options)

A verdict is local only when every change is agreed; otherwise the plan says "checked
by the registry only" and uses the registry's own verdict (docs/compatibility.md).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

COMPATIBLE = "compatible"
INCOMPATIBLE = "incompatible"
REGISTRY_ONLY = "registry only"

# FieldDescriptorProto.Type numbers -> names, and their wire types.
_TYPE_NAMES = {1: "double", 2: "float", 3: "int64", 4: "uint64", 5: "int32", 6: "fixed64", 7: "fixed32",
               8: "bool", 9: "string", 10: "group", 11: "message", 12: "bytes", 13: "uint32", 14: "enum",
               15: "sfixed32", 16: "sfixed64", 17: "sint32", 18: "sint64"}
_LABELS = {1: "optional", 2: "required", 3: "repeated"}
# Scalar changes Confluent may accept (the same wire encoding read back): int32, int64,
# uint32, uint64, bool and enum; string and bytes; the zigzag and the fixed pairs.
_CONFLUENT_GROUPS = ({3, 4, 5, 8, 13, 14}, {9, 12}, {17, 18}, {7, 15}, {6, 16})


@dataclass(frozen=True)
class Change:
    """One difference between the old and the new schema, at a path like `shop.Order.qty`."""

    path: str
    text: str  # for the plan: "+ field note = 3 (string)"
    verdict: str  # COMPATIBLE, INCOMPATIBLE or REGISTRY_ONLY for readers of the new schema


@dataclass(frozen=True)
class Verdict:
    outcome: str  # COMPATIBLE, INCOMPATIBLE or REGISTRY_ONLY
    reasons: tuple[str, ...] = ()  # the incompatible changes, or why only the registry can tell


@dataclass(frozen=True)
class _Field:
    name: str
    number: int
    type: int
    type_name: str
    label: int
    oneof: str | None
    map_entry: bool

    def describe(self) -> str:
        kind = self.type_name.lstrip(".") if self.type in (11, 14) else _TYPE_NAMES.get(self.type, str(self.type))
        label = "repeated " if self.label == 3 and not self.map_entry else ("required " if self.label == 2 else "")
        return f"{label}{'map ' if self.map_entry else ''}{kind}"


@dataclass(frozen=True)
class _Message:
    fields: dict[int, _Field]
    reserved_numbers: tuple[tuple[int, int], ...]
    reserved_names: frozenset[str]

    def reserves(self, field: _Field) -> bool:
        return field.name in self.reserved_names or any(lo <= field.number < hi for lo, hi in self.reserved_numbers)

    def reserves_both(self, field: _Field) -> bool:
        return field.name in self.reserved_names and any(lo <= field.number < hi for lo, hi in self.reserved_numbers)


def _messages(descriptor) -> tuple[dict[str, _Message], dict[str, dict[str, int]]]:
    package = descriptor.package
    messages: dict[str, _Message] = {}
    enums: dict[str, dict[str, int]] = {}

    def walk(prefix: str, message_types: Iterable, enum_types: Iterable) -> None:
        for enum in enum_types:
            enums[f"{prefix}{enum.name}"] = {v.name: v.number for v in enum.value}
        for message in message_types:
            name = f"{prefix}{message.name}"
            if message.options.map_entry:
                continue
            maps = {f".{package + '.' if package else ''}{name}.{n.name}" for n in message.nested_type
                    if n.options.map_entry}
            oneofs = [o.name for o in message.oneof_decl]
            fields = {}
            for f in message.field:
                synthetic = f.proto3_optional
                oneof = oneofs[f.oneof_index] if f.HasField("oneof_index") and not synthetic else None
                fields[f.number] = _Field(f.name, f.number, f.type, f.type_name, f.label, oneof, f.type_name in maps)
            messages[name] = _Message(fields, tuple((r.start, r.end) for r in message.reserved_range),
                                      frozenset(message.reserved_name))
            walk(f"{name}.", message.nested_type, message.enum_type)

    walk(f"{package}." if package else "", descriptor.message_type, descriptor.enum_type)
    return messages, enums


def changes(old, new) -> list[Change]:
    """Every change from the old descriptor to the new one, messages and fields by name and
    number, with how both registries judge it."""
    found: list[Change] = []
    if old.package != new.package:
        # Every message moves with its package: Apicurio accepts it, Confluent does not.
        return [Change("package", f"~ package {old.package or '(none)'} -> {new.package or '(none)'}", REGISTRY_ONLY)]
    old_messages, old_enums = _messages(old)
    new_messages, new_enums = _messages(new)
    for name in sorted(set(old_messages) | set(new_messages)):
        before, after = old_messages.get(name), new_messages.get(name)
        if before is None:
            found.append(Change(name, f"+ message {name}", COMPATIBLE))
        elif after is None:
            found.append(Change(name, f"- message {name}", INCOMPATIBLE if before.fields else REGISTRY_ONLY))
        else:
            found += _message_changes(name, before, after)
    for name in sorted(set(old_enums) | set(new_enums)):
        found += _enum_changes(name, old_enums.get(name), new_enums.get(name))
    if [s.SerializeToString() for s in old.service] != [s.SerializeToString() for s in new.service]:
        found.append(Change("service", "~ services changed", REGISTRY_ONLY))
    return found


def _message_changes(name: str, before: _Message, after: _Message) -> list[Change]:
    found: list[Change] = []
    for number in sorted(set(before.fields) | set(after.fields)):
        old, new = before.fields.get(number), after.fields.get(number)
        path = f"{name}.{(new or old).name}"  # type: ignore[union-attr]
        if old is None:
            assert new is not None
            if new.label == 2:
                found.append(Change(path, f"+ field {new.name} = {number} ({new.describe()})", INCOMPATIBLE))
            elif new.oneof is not None and not before.reserves(new):
                found.append(Change(path, f"+ field {new.name} = {number} ({new.describe()}, in oneof {new.oneof})",
                                    COMPATIBLE))
            else:
                reused = before.reserves(new)
                found.append(Change(path, f"+ field {new.name} = {number} ({new.describe()})"
                                          + (" (reserved before)" if reused else ""),
                                    REGISTRY_ONLY if reused else COMPATIBLE))
        elif new is None:
            # Apicurio accepts a removal only when both the number and the name are reserved.
            reserved = after.reserves_both(old)
            verdict = INCOMPATIBLE if old.label == 2 else (COMPATIBLE if reserved and not old.oneof else REGISTRY_ONLY)
            found.append(Change(path, f"- field {old.name} = {number} ({old.describe()})"
                                      + (", number and name reserved" if reserved else ", not reserved by number and name"),
                                verdict))
        else:
            found += _field_changes(path, old, new)
    if set(before.reserved_numbers) - set(after.reserved_numbers) or before.reserved_names - after.reserved_names:
        found.append(Change(name, f"~ message {name}: reserved numbers or names removed", REGISTRY_ONLY))
    return found


def _field_changes(path: str, old: _Field, new: _Field) -> list[Change]:
    found: list[Change] = []
    if old.name != new.name:
        found.append(Change(path, f"~ field {old.name} = {old.number} renamed to {new.name}", REGISTRY_ONLY))
    if (old.type, old.type_name, old.map_entry) != (new.type, new.type_name, new.map_entry):
        # Confluent accepts a change within one of these groups, Apicurio none at all.
        same_group = any({old.type, new.type} <= group for group in _CONFLUENT_GROUPS) and old.label == new.label
        verdict = REGISTRY_ONLY if same_group else INCOMPATIBLE
        found.append(Change(path, f"~ field {new.name} = {new.number}: {old.describe()} -> {new.describe()}", verdict))
    elif old.label != new.label:
        verdict = INCOMPATIBLE if 2 in (old.label, new.label) else REGISTRY_ONLY
        found.append(Change(path, f"~ field {new.name} = {new.number}: {_LABELS[old.label]} -> {_LABELS[new.label]}",
                            verdict))
    if old.oneof != new.oneof:
        found.append(Change(path, f"~ field {new.name} = {new.number}: oneof {old.oneof} -> {new.oneof}", REGISTRY_ONLY))
    return found


def _enum_changes(name: str, before: dict[str, int] | None, after: dict[str, int] | None) -> list[Change]:
    if before is None:
        return [Change(name, f"+ enum {name}", COMPATIBLE)]
    if after is None:
        return [Change(name, f"- enum {name}", REGISTRY_ONLY)]
    found = []
    for value in sorted(set(before) | set(after)):
        if value not in before:
            found.append(Change(f"{name}.{value}", f"+ enum value {name}.{value} = {after[value]}", COMPATIBLE))
        elif value not in after:
            found.append(Change(f"{name}.{value}", f"- enum value {name}.{value} = {before[value]}", REGISTRY_ONLY))
        elif before[value] != after[value]:
            found.append(Change(f"{name}.{value}", f"~ enum value {name}.{value}: {before[value]} -> {after[value]}",
                                REGISTRY_ONLY))
    return found


def check(new, previous: Sequence[object], level: str) -> Verdict:
    """The verdict for registering descriptor `new` over `previous` (oldest first: the
    versions `level` checks) at `level`."""
    if level == "NONE" or not previous:
        return Verdict(COMPATIBLE)
    directions = []
    if level.startswith(("BACKWARD", "FULL")):
        directions.append("backward")
    if level.startswith(("FORWARD", "FULL")):
        directions.append("forward")
    incompatible: list[str] = []
    undecided: list[str] = []
    for old in previous:
        for direction in directions:
            # Forward: readers of the old schema reading the new, the backward rules reversed.
            found = changes(old, new) if direction == "backward" else changes(new, old)
            for change in found:
                verdict = change.verdict
                if verdict == INCOMPATIBLE:
                    incompatible.append(f"{change.path}: {_said(change, direction)}")
                elif verdict == REGISTRY_ONLY:
                    undecided.append(f"{change.path}: {_said(change, direction)}")
    if incompatible:
        return Verdict(INCOMPATIBLE, tuple(dict.fromkeys(incompatible)))
    if undecided:
        return Verdict(REGISTRY_ONLY, tuple(dict.fromkeys(undecided)))
    return Verdict(COMPATIBLE)


def _said(change: Change, direction: str) -> str:
    text = change.text.lstrip("+-~ ")
    return text if direction == "backward" else f"{text}, seen from readers of the old schema"

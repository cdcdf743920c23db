"""The ACL kind's desired form: `acls:` entries (plain bindings and the `consume` /
`produce` shorthands, expanded here so a plan always shows plain bindings), the
`owned_principals` prefixes whose undeclared ACLs are removed, and `external_principals`
(principals authenticated elsewhere, mTLS certificates say, that no `users:` entry backs)."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Mapping, Sequence

from kgitops.errors import Problem
from kgitops.kinds.acl.actions import CLUSTER_RESOURCE, OPERATIONS, PATTERNS, PERMISSIONS, RESOURCE_TYPES, Binding
from kgitops.model import Location

_TOPICS = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
ENTRY_SCHEMA: dict = {
    "type": "object",
    "additionalProperties": False,
    "required": ["principal"],
    "properties": {
        "principal": {"type": "string", "pattern": "^[A-Za-z]+:.+$"},
        "host": {"type": "string", "minLength": 1},
        "permission": {"type": "string", "enum": [*PERMISSIONS, *(p.lower() for p in PERMISSIONS)]},
        "resource": {
            "type": "object", "additionalProperties": False, "required": ["type"],
            "properties": {"type": {"type": "string", "enum": list(RESOURCE_TYPES)},
                           "name": {"type": "string", "minLength": 1},
                           "pattern": {"type": "string", "enum": list(PATTERNS)}}},
        "operations": {"type": "array", "minItems": 1,
                       "items": {"type": "string", "enum": [*OPERATIONS, *(o.lower() for o in OPERATIONS)]}},
        "consume": {"type": "object", "additionalProperties": False, "required": ["topics"],
                    "properties": {"topics": _TOPICS, "group": {"type": "string", "minLength": 1},
                                   "pattern": {"type": "string", "enum": list(PATTERNS)}}},
        "produce": {"type": "object", "additionalProperties": False, "required": ["topics"],
                    "properties": {"topics": _TOPICS, "transactional_id": {"type": "string", "minLength": 1},
                                   "pattern": {"type": "string", "enum": list(PATTERNS)}}},
        "reason": {"type": "string", "minLength": 1},
    },
    "oneOf": [{"required": ["resource", "operations"]}, {"required": ["consume"]}, {"required": ["produce"]}],
}
SECTIONS: Mapping[str, Mapping[str, object]] = {
    "acls": {"type": "array", "items": ENTRY_SCHEMA},
    "owned_principals": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z]+:"}},
    "external_principals": {"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z]+:.+$"}},
}


@dataclass(frozen=True)
class DeclaredBinding:
    binding: Binding
    location: Location
    reason: str | None = None


@dataclass(frozen=True)
class DesiredAcls:
    bindings: tuple[DeclaredBinding, ...] = ()
    owned_principals: tuple[str, ...] = ()
    external_principals: tuple[str, ...] = ()

    @functools.cached_property
    def _principals(self) -> frozenset[str]:
        return frozenset(d.binding.principal for d in self.bindings)

    def principals(self) -> frozenset[str]:
        return self._principals  # computed once: owns() is asked for every live binding

    def owns(self, principal: str) -> bool:
        return principal in self._principals or any(principal.startswith(p) for p in self.owned_principals)


def expand(entry: Mapping[str, object]) -> list[Binding]:
    """Plain bindings of one `acls:` entry (canonical forms; shorthands expanded)."""
    principal = str(entry["principal"])
    host = str(entry.get("host", "*"))
    permission = str(entry.get("permission", "ALLOW")).upper()

    def binding(resource_type: str, name: str, pattern: str, operation: str) -> Binding:
        return Binding(principal, resource_type, name, pattern, operation.upper(), permission, host)

    if "consume" in entry:
        spec = entry["consume"]
        pattern = str(spec.get("pattern", "literal"))
        out = [binding("topic", t, pattern, op) for t in spec["topics"] for op in ("READ", "DESCRIBE")]
        if spec.get("group"):
            out.append(binding("group", str(spec["group"]), "literal", "READ"))
        return out
    if "produce" in entry:
        spec = entry["produce"]
        pattern = str(spec.get("pattern", "literal"))
        out = [binding("topic", t, pattern, op) for t in spec["topics"] for op in ("WRITE", "DESCRIBE")]
        if spec.get("transactional_id"):
            out += [binding("transactional_id", str(spec["transactional_id"]), "prefixed", op)
                    for op in ("WRITE", "DESCRIBE")]
        return out
    resource = entry["resource"]
    kind = str(resource["type"])
    name = CLUSTER_RESOURCE if kind == "cluster" else str(resource.get("name", ""))
    pattern = "literal" if kind == "cluster" else str(resource.get("pattern", "literal"))
    return [binding(kind, name, pattern, str(op)) for op in entry["operations"]]


def load(sections: Sequence) -> tuple[DesiredAcls, list[Problem]]:
    """The desired ACLs from every `acls:`, `owned_principals:` and `external_principals:`
    section (already validated against SECTIONS), with duplicates and missing names reported."""
    declared: list[DeclaredBinding] = []
    owned: list[str] = []
    external: list[str] = []
    problems: list[Problem] = []
    seen: dict[Binding, Location] = {}
    for section in sections:
        data = section.data if isinstance(section.data, list) else []
        if section.key == "owned_principals":
            owned += [p for p in data if isinstance(p, str)]
            continue
        if section.key == "external_principals":
            external += [p for p in data if isinstance(p, str)]
            continue
        for index, entry in enumerate(data):
            if not isinstance(entry, dict) or "principal" not in entry:
                continue
            location = section.document.value_location((section.key, index))
            resource = entry.get("resource") if isinstance(entry.get("resource"), dict) else {}
            if resource and resource.get("type") != "cluster" and not resource.get("name"):
                problems.append(_at(location, f"acls[{index}]: resource.name is required for a "
                                              f"{resource.get('type')} resource"))
                continue
            for binding in expand(entry):
                if binding in seen:
                    problems.append(_at(location, f"ACL {binding.principal} {binding.describe()} is declared twice "
                                                  f"(first at {seen[binding]})", severity="warning"))
                    continue
                seen[binding] = location
                declared.append(DeclaredBinding(binding, location, entry.get("reason")))
    return DesiredAcls(tuple(declared), tuple(owned), tuple(external)), problems


def _at(location: Location, message: str, severity: str = "error") -> Problem:
    return Problem(message, location.file, location.line, location.column, severity=severity)  # type: ignore[arg-type]

"""The local compatibility verdict and the plan's changes for JSON Schema.

Confluent's rules (its JSON Schema diff) and Apicurio's agree on the core of the
language, which the local checker models: `type`, `properties`, `required`,
`additionalProperties` as a boolean (the open or closed content model), `enum`, `items`,
and the numeric, length and item-count bounds. Each difference between the old and the
new schema is classified for readers of the new schema (backward; forward reverses the
pair). A keyword outside that core which differs (`$ref` targets, `allOf`/`anyOf`/`oneOf`,
`patternProperties`, `if`/`then`, `not`, `dependentSchemas`, an additionalProperties
schema) makes the verdict "checked by the registry only".
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

COMPATIBLE = "compatible"
INCOMPATIBLE = "incompatible"
REGISTRY_ONLY = "registry only"

# Keywords that only annotate: never a compatibility change.
_ANNOTATIONS = frozenset({"title", "description", "$comment", "examples", "default", "$schema", "$id", "deprecated",
                          "readOnly", "writeOnly", "format", "$defs", "definitions"})
_MODELLED = frozenset({"type", "properties", "required", "additionalProperties", "enum", "items", "minimum",
                       "maximum", "minLength", "maxLength", "minItems", "maxItems", "pattern", "uniqueItems",
                       "minProperties", "maxProperties", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})
# (keyword, a larger value accepts more)
_LOWER_BOUNDS = ("minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties")
_UPPER_BOUNDS = ("maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties")
_ALL_TYPES = frozenset({"null", "boolean", "object", "array", "number", "string", "integer"})


@dataclass(frozen=True)
class Change:
    path: str  # a JSON pointer into the schema: #/properties/amount
    text: str
    verdict: str


@dataclass(frozen=True)
class Verdict:
    outcome: str
    reasons: tuple[str, ...] = ()


def changes(old: Any, new: Any, path: str = "#") -> list[Change]:
    """Every difference from `old` to `new`, judged for readers of `new`."""
    if old == new:
        return []
    if not isinstance(old, dict) or not isinstance(new, dict):
        return [Change(path, f"~ {path}: {_short(old)} -> {_short(new)}", REGISTRY_ONLY)]
    found: list[Change] = []
    found += _type_changes(old, new, path)
    found += _object_changes(old, new, path)
    for key in ("items",):
        if key in old or key in new:
            if isinstance(old.get(key, {}), dict) and isinstance(new.get(key, {}), dict):
                found += changes(old.get(key, {}), new.get(key, {}), f"{path}/{key}")
            elif old.get(key) != new.get(key):
                found.append(Change(f"{path}/{key}", f"~ {path}/{key} changed", REGISTRY_ONLY))
    found += _bound_changes(old, new, path)
    found += _enum_changes(old, new, path)
    if old.get("pattern") != new.get("pattern"):
        if "pattern" not in new:
            found.append(Change(path, f"- {path} pattern {old['pattern']!r}", COMPATIBLE))
        else:
            found.append(Change(path, f"~ {path} pattern {old.get('pattern')!r} -> {new['pattern']!r}", INCOMPATIBLE))
    if bool(old.get("uniqueItems")) != bool(new.get("uniqueItems")):
        found.append(Change(path, f"~ {path} uniqueItems {bool(old.get('uniqueItems'))} -> {bool(new.get('uniqueItems'))}",
                            INCOMPATIBLE if new.get("uniqueItems") else COMPATIBLE))
    if old.get("multipleOf") != new.get("multipleOf"):
        found.append(Change(path, f"~ {path} multipleOf {old.get('multipleOf')} -> {new.get('multipleOf')}", REGISTRY_ONLY))
    for key in sorted((set(old) | set(new)) - _ANNOTATIONS - _MODELLED):
        if old.get(key) != new.get(key):
            found.append(Change(path, f"~ {path} {key} changed", REGISTRY_ONLY))
    return found


def _types(schema: dict) -> frozenset[str] | None:
    kind = schema.get("type")
    if kind is None:
        return None
    return frozenset([kind] if isinstance(kind, str) else kind)


def _type_changes(old: dict, new: dict, path: str) -> list[Change]:
    before, after = _types(old), _types(new)
    if before == after:
        return []
    text = f"~ {path} type {_type_text(before)} -> {_type_text(after)}"
    if before is None or after is None:
        return [Change(path, text, REGISTRY_ONLY)]
    if (before, after) == ({"integer"}, {"number"}):
        return [Change(path, text, COMPATIBLE)]  # every integer is a number: both registries accept it
    # Confluent accepts a type extended (string -> string|null), Apicurio does not.
    return [Change(path, text, REGISTRY_ONLY if after > before else INCOMPATIBLE)]


def _type_text(types: frozenset[str] | None) -> str:
    if types is None:
        return "(any)"
    return "|".join(sorted(types))


def _open(schema: dict) -> bool | None:
    extra = schema.get("additionalProperties", True)
    return extra if isinstance(extra, bool) else None


def _object_changes(old: dict, new: dict, path: str) -> list[Change]:
    found: list[Change] = []
    old_open, new_open = _open(old), _open(new)
    if old_open is None or new_open is None:
        if old.get("additionalProperties") != new.get("additionalProperties"):
            found.append(Change(path, f"~ {path} additionalProperties changed", REGISTRY_ONLY))
    elif old_open != new_open:
        found.append(Change(path, f"~ {path} additionalProperties {old_open} -> {new_open}",
                            COMPATIBLE if new_open else INCOMPATIBLE))
    old_props, new_props = old.get("properties") or {}, new.get("properties") or {}
    if not isinstance(old_props, dict) or not isinstance(new_props, dict):
        return found + [Change(path, f"~ {path}/properties changed", REGISTRY_ONLY)]
    old_required, new_required = set(old.get("required") or ()), set(new.get("required") or ())
    for name in sorted(set(old_props) | set(new_props)):
        where = f"{path}/properties/{name}"
        if name not in old_props:
            required = name in new_required
            if new_open is None:
                verdict = REGISTRY_ONLY
            elif new_open:
                verdict = INCOMPATIBLE  # the old schema let any value through under that name
            else:
                verdict = INCOMPATIBLE if required else COMPATIBLE
            found.append(Change(where, f"+ {where} ({_short(new_props[name])}{', required' if required else ''})",
                                verdict))
        elif name not in new_props:
            verdict = REGISTRY_ONLY if new_open is None else (COMPATIBLE if new_open else INCOMPATIBLE)
            found.append(Change(where, f"- {where} ({_short(old_props[name])})", verdict))
        else:
            found += changes(old_props[name], new_props[name], where)
    for name in sorted(new_required - old_required):
        if name in old_props or name not in new_props:
            found.append(Change(path, f"+ {path} required {name}", INCOMPATIBLE))
    for name in sorted(old_required - new_required):
        found.append(Change(path, f"- {path} required {name}", COMPATIBLE))
    return found


def _bound_changes(old: dict, new: dict, path: str) -> list[Change]:
    found: list[Change] = []
    for key, lower in [(k, True) for k in _LOWER_BOUNDS] + [(k, False) for k in _UPPER_BOUNDS]:
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        text = f"~ {path} {key} {before if before is not None else '(none)'} -> {after if after is not None else '(none)'}"
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (before, after) if v is not None):
            found.append(Change(path, text, REGISTRY_ONLY))
        elif after is None:
            found.append(Change(path, text, COMPATIBLE))
        elif before is None:
            found.append(Change(path, text, INCOMPATIBLE))
        else:
            accepts_more = after < before if lower else after > before
            found.append(Change(path, text, COMPATIBLE if accepts_more else INCOMPATIBLE))
    return found


def _enum_changes(old: dict, new: dict, path: str) -> list[Change]:
    before, after = old.get("enum"), new.get("enum")
    if before == after:
        return []
    if not isinstance(before, list) or not isinstance(after, list):
        if after is None:
            return [Change(path, f"- {path} enum", COMPATIBLE)]
        return [Change(path, f"~ {path} enum {_short(before)} -> {_short(after)}", INCOMPATIBLE if before is None else REGISTRY_ONLY)]
    old_values, new_values = [json.dumps(v, sort_keys=True) for v in before], [json.dumps(v, sort_keys=True) for v in after]
    added, removed = set(new_values) - set(old_values), set(old_values) - set(new_values)
    if not removed:
        return [Change(path, f"~ {path} enum + {', '.join(sorted(added))}", COMPATIBLE)] if added else []
    return [Change(path, f"~ {path} enum - {', '.join(sorted(removed))}", INCOMPATIBLE)]


def _short(schema: Any) -> str:
    if isinstance(schema, dict):
        if "type" in schema:
            return _type_text(_types(schema))
        if "$ref" in schema:
            return f"$ref {schema['$ref']}"
    text = json.dumps(schema, sort_keys=True)
    return text if len(text) <= 40 else text[:37] + "..."


def check(new: Any, previous: Sequence[Any], level: str) -> Verdict:
    """The verdict for registering `new` over `previous` (oldest first) at `level`."""
    if level == "NONE" or not previous:
        return Verdict(COMPATIBLE)
    directions = [d for d, prefixes in (("backward", ("BACKWARD", "FULL")), ("forward", ("FORWARD", "FULL")))
                  if level.startswith(prefixes)]
    incompatible: list[str] = []
    undecided: list[str] = []
    for old in previous:
        for direction in directions:
            found = changes(old, new) if direction == "backward" else changes(new, old)
            suffix = "" if direction == "backward" else ", seen from readers of the old schema"
            for change in found:
                said = f"{change.text.lstrip('+-~ ')}{suffix}"
                if change.verdict == INCOMPATIBLE:
                    incompatible.append(said)
                elif change.verdict == REGISTRY_ONLY:
                    undecided.append(said)
    if incompatible:
        return Verdict(INCOMPATIBLE, tuple(dict.fromkeys(incompatible)))
    if undecided:
        return Verdict(REGISTRY_ONLY, tuple(dict.fromkeys(undecided)))
    return Verdict(COMPATIBLE)

"""The JSON Schemas shipped with kgitops, and their errors turned into located messages.

jsonschema says *what* failed (`'twelve' is not of type 'integer'`); users need *where*
and *what was expected*: `topics/orders.yaml:5:17: partitions: expected an integer >= 1,
got "twelve"`. Every error from `iter_errors` becomes one or more such Problems.
"""
from __future__ import annotations

import difflib
import json
import os
from functools import lru_cache
from typing import TYPE_CHECKING, Callable, Iterable, Sequence

from kgitops.desired.schema_fast import compiled_check
from kgitops.desired.yaml_nodes import PathPart, YamlDocument
from kgitops.errors import Problem

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

CLUSTER_SCHEMA = "cluster.schema.json"
TOPICS_SCHEMA = "topics.schema.json"

# Values under these top-level keys may be secrets: messages describe them, never show them.
SECRET_SECTIONS = ("kafka", "schema_registry")


def load_schema(name: str) -> dict:
    # A plain path, not importlib.resources (whose import alone costs more than the file):
    # the package ships the schemas beside this module (pyproject package-data).
    with open(os.path.join(os.path.dirname(__file__), "schemas", name), encoding="utf-8") as handle:
        return json.load(handle)


@lru_cache(maxsize=None)
def inlined_schema(name: str, sections: tuple[tuple[str, str], ...] = ()) -> dict:
    """One shipped schema with the top-level `sections` resource kinds add ((key, JSON
    Schema as JSON text) pairs, hashable for the cache). The files keep their `$ref`s,
    relative to the schema directory so editors resolve them too; the validators get a
    copy with every `$ref` inlined, which jsonschema validates about twice as fast. The
    schemas are not recursive, so inlining ends."""
    schemas = {schema_name: load_schema(schema_name) for schema_name in (CLUSTER_SCHEMA, TOPICS_SCHEMA)}
    inlined = _inline_refs(schemas[name], name, schemas)
    if sections:
        inlined = {**inlined, "properties": {**inlined["properties"], **{k: json.loads(v) for k, v in sections}}}
    return inlined  # type: ignore[return-value]


@lru_cache(maxsize=None)
def validator_for(name: str, sections: tuple[tuple[str, str], ...] = ()) -> Draft202012Validator:
    """jsonschema's validator of `inlined_schema(name, sections)`: it words the errors."""
    from jsonschema import Draft202012Validator

    inlined = inlined_schema(name, sections)
    Draft202012Validator.check_schema(inlined)
    return Draft202012Validator(inlined)


@lru_cache(maxsize=None)
def fast_check_for(name: str, sections: tuple[tuple[str, str], ...] = ()) -> Callable[[object], bool] | None:
    """The compiled yes/no check of the same schema (None when it cannot be compiled alike)."""
    return compiled_check(json.dumps(inlined_schema(name, sections), sort_keys=True))


def _inline_refs(node: object, base: str, schemas: dict[str, dict]) -> object:
    """`node` with each `{"$ref": "[file]#/pointer"}` replaced by what it points to."""
    if isinstance(node, list):
        return [_inline_refs(item, base, schemas) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        file, _, pointer = node["$ref"].partition("#")
        file = file or base
        target: object = schemas[file]
        for part in filter(None, pointer.split("/")):
            target = target[part]  # type: ignore[index]
        siblings = {key: value for key, value in node.items() if key != "$ref"}
        return {**_inline_refs(target, file, schemas), **_inline_refs(siblings, base, schemas)}  # type: ignore[dict-item]
    return {key: _inline_refs(value, base, schemas) for key, value in node.items() if key != "$defs"}


def schema_problems(name: str, document: YamlDocument, sections: tuple[tuple[str, str], ...] = ()) -> list[Problem]:
    """Every way `document` breaks schema `name` (with the kinds' `sections`), each located
    in the YAML file."""
    fast = fast_check_for(name, sections)
    if fast is not None and fast(document.data):
        return []
    problems: list[Problem] = []
    seen: set[tuple] = set()
    for error in validator_for(name, sections).iter_errors(document.data):
        for problem in _problems_for(error, document):
            identity = (problem.line, problem.column, problem.message)
            if identity not in seen:  # `required` reports each missing key once per key
                seen.add(identity)
                problems.append(problem)
    return problems


def _problems_for(error: ValidationError, document: YamlDocument) -> Iterable[Problem]:
    path = list(error.absolute_path)
    handler = _HANDLERS.get(str(error.validator), _generic)
    return handler(error, path, document)


# ---------------------------------------------------------------------------
# One handler per JSON Schema keyword
# ---------------------------------------------------------------------------


def _unknown_keys(error: ValidationError, path: list[PathPart], document: YamlDocument) -> Iterable[Problem]:
    known = list(error.schema.get("properties", {}))
    owner = _owner_name(error.schema, error.instance)
    for key in error.instance:
        if key in known:
            continue
        location = document.key_location([*path, key])
        yield _problem(location, f"unknown key '{key}' in {owner}{_did_you_mean(key, known)}")


def _missing_keys(error: ValidationError, path: list[PathPart], document: YamlDocument) -> Iterable[Problem]:
    owner = _owner_name(error.schema, error.instance)
    properties = error.schema.get("properties", {})
    location = document.key_location(path)
    for key in error.schema.get("required", []):
        if key in error.instance:
            continue
        description = properties.get(key, {}).get("description")
        hint = f" ({description})" if description else ""
        yield _problem(location, f"{owner} is missing required key '{key}'{hint}")


def _wrong_value(error: ValidationError, path: list[PathPart], document: YamlDocument) -> Iterable[Problem]:
    expected = describe_expected(error.schema)
    # A whole file that is not a mapping (say /etc/passwd) is described, never quoted.
    got = describe_value(error.instance, secret=_is_secret(path) or not path)
    hint = ""
    if "string" in _types(error.schema) and isinstance(error.instance, (bool, int, float)):
        hint = " (put it in quotes to make it text)"
    yield _problem(document.value_location(path), f"{_field(path)}: expected {expected}, got {got}{hint}")


def _not_in_enum(error: ValidationError, path: list[PathPart], document: YamlDocument) -> Iterable[Problem]:
    choices = [str(c) for c in error.schema.get("enum", [])]
    got = describe_value(error.instance, secret=_is_secret(path))
    suggestion = ""
    if isinstance(error.instance, str):
        upper = {c.upper(): c for c in choices}
        close = upper.get(error.instance.upper()) or next(
            iter(difflib.get_close_matches(error.instance.upper(), choices, n=1, cutoff=0.6)), None
        )
        suggestion = f" (did you mean '{close}'?)" if close else ""
    yield _problem(
        document.value_location(path), f"{_field(path)}: expected one of {', '.join(choices)}, got {got}{suggestion}"
    )


def _empty(error: ValidationError, path: list[PathPart], document: YamlDocument) -> Iterable[Problem]:
    yield _problem(document.value_location(path), f"{_field(path)}: must not be empty")


def _pattern(error: ValidationError, path: list[PathPart], document: YamlDocument) -> Iterable[Problem]:
    description = error.schema.get("description") or f"must match {error.schema.get('pattern')}"
    got = describe_value(error.instance, secret=_is_secret(path))
    yield _problem(document.value_location(path), f"{_field(path)}: expected {description}, got {got}")


def _duplicates(error: ValidationError, path: list[PathPart], document: YamlDocument) -> Iterable[Problem]:
    seen: set[str] = set()
    for index, item in enumerate(error.instance):
        marker = json.dumps(item, sort_keys=True, default=str)
        if marker in seen:
            yield _problem(
                document.value_location([*path, index]), f"{_field(path)}: {describe_value(item)} is listed twice"
            )
        seen.add(marker)


def _property_count(error: ValidationError, path: list[PathPart], document: YamlDocument) -> Iterable[Problem]:
    description = error.schema.get("description") or str(error.message)
    yield _problem(document.value_location(path), f"{_field(path)}: expected {description}")


def _generic(error: ValidationError, path: list[PathPart], document: YamlDocument) -> Iterable[Problem]:
    detail = "invalid value" if _is_secret(path) else error.message
    yield _problem(document.value_location(path), f"{_field(path)}: {detail}")


_HANDLERS = {
    "additionalProperties": _unknown_keys,
    "required": _missing_keys,
    "type": _wrong_value,
    "minimum": _wrong_value,
    "maximum": _wrong_value,
    "exclusiveMinimum": _wrong_value,
    "exclusiveMaximum": _wrong_value,
    "enum": _not_in_enum,
    "minLength": _empty,
    "minItems": _empty,
    "pattern": _pattern,
    "uniqueItems": _duplicates,
    "minProperties": _property_count,
    "maxProperties": _property_count,
}


# ---------------------------------------------------------------------------
# Describing expectations and values
# ---------------------------------------------------------------------------

_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping",
    "null": "nothing",
}


def describe_expected(schema: dict) -> str:
    """`an integer >= 1`, `a string`, `a mapping (topic)`, `a string or a list`..."""
    if "enum" in schema:
        return "one of " + ", ".join(str(c) for c in schema["enum"])
    types = _types(schema)
    if types == ["integer"] or types == ["number"]:
        return _TYPE_WORDS[types[0]] + _bounds(schema)
    if types == ["object"] and schema.get("title"):
        return f"a mapping ({schema['title']})"
    words = [_TYPE_WORDS.get(t, t) for t in types if t != "null"]
    if not words:
        return "a value"
    if len(words) == 1:
        return words[0]
    words = ["a boolean" if word == _TYPE_WORDS["boolean"] else word for word in words]
    return ", ".join(words[:-1]) + " or " + words[-1]


def describe_value(value: object, *, secret: bool = False) -> str:
    """How a value reads in a message; a possible secret is described by its type only."""
    if isinstance(value, bool):
        return "a boolean" if secret else ("true" if value else "false")
    if value is None:
        return "nothing"
    if isinstance(value, (int, float)):
        return "a number" if secret else str(value)
    if isinstance(value, str):
        if secret:
            return "a string"
        shown = value if len(value) <= 60 else value[:57] + "..."
        return json.dumps(shown, ensure_ascii=False)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _bounds(schema: dict) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    if low is not None and high is not None:
        return f" between {low} and {high}"
    if low is not None:
        return f" >= {low}"
    if high is not None:
        return f" <= {high}"
    return ""


def _types(schema: dict) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


def _field(path: Sequence[PathPart]) -> str:
    """The name a user recognises: the last key, or `topics entry 3` for a list item."""
    if not path:
        return "top level"
    last = path[-1]
    if isinstance(last, int):
        parent = next((p for p in reversed(path[:-1]) if isinstance(p, str)), "list")
        return f"{parent} entry {last + 1}"
    return str(last)


def _owner_name(schema: dict, instance: object) -> str:
    title = schema.get("title", "mapping")
    name = instance.get("name") if isinstance(instance, dict) else None
    if isinstance(name, str) and name:
        return f"{title} '{name}'"
    return title


def _is_secret(path: Sequence[PathPart]) -> bool:
    return bool(path) and path[0] in SECRET_SECTIONS


def _did_you_mean(word: str, choices: Sequence[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


def _problem(location, message: str) -> Problem:
    return Problem(message, location.file, location.line, location.column)

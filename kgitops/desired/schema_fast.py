"""A compiled yes/no check of a document against a shipped JSON Schema, in front of the
located messages of schema_errors.

Nearly every file kgitops reads is valid. jsonschema's validator walks 10,000 topics in
about 0.3 s, plus 0.25 s to import it; fastjsonschema turns the schema into Python code
once and answers "valid" in a few milliseconds. Only a document it rejects goes through
jsonschema, which finds and words every error exactly as before. So a compiled check that
is stricter than jsonschema costs time, never a message; one more lenient would hide an
error, which is why only the keywords whose meaning both libraries share (listed below) are
compiled, and a schema using any other is always checked by jsonschema.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Callable

# Keywords fastjsonschema (draft-07 mode) and jsonschema (draft 2020-12) read alike.
# `dependentRequired` (2019-09) is draft-07's `dependencies` with a list of names.
# Annotations (title, description...) validate nothing.
_SAME_MEANING = frozenset({
    "type", "properties", "additionalProperties", "required", "items", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
    "maxProperties", "pattern", "uniqueItems", "oneOf", "anyOf", "allOf", "not", "dependentRequired", "enum",
    "const",
})
_ANNOTATIONS = frozenset({"$schema", "$id", "$comment", "title", "description", "examples", "deprecated", "default"})


class NotCompilable(ValueError):
    """The schema uses a keyword whose meaning the compiled check might not share."""


def to_draft7(node: object) -> object:
    """`node` (a 2020-12 schema with its $refs inlined) as the draft-07 schema of the same
    meaning, or NotCompilable."""
    if isinstance(node, bool):
        return node
    if not isinstance(node, dict):
        raise NotCompilable(f"schema node {node!r}")
    out: dict[str, object] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS:
            continue
        if key not in _SAME_MEANING:
            raise NotCompilable(key)
        if key == "properties":
            out[key] = {name: to_draft7(sub) for name, sub in value.items()}
        elif key in ("additionalProperties", "items", "not"):
            if not isinstance(value, (dict, bool)):
                raise NotCompilable(f"{key}: {value!r}")  # a list of `items` means another thing in each draft
            out[key] = to_draft7(value)
        elif key in ("oneOf", "anyOf", "allOf"):
            out[key] = [to_draft7(sub) for sub in value]
        elif key == "dependentRequired":
            out["dependencies"] = {name: list(names) for name, names in value.items()}
        elif key in ("enum", "const"):
            # Python's `in` and `==` take True for 1: only text choices are compared alike.
            if not all(isinstance(choice, str) for choice in (value if key == "enum" else [value])):
                raise NotCompilable(f"{key} of non-strings")
            # A `const` is the enum of one choice (fastjsonschema 2.22 fails to compile some).
            out["enum"] = value if key == "enum" else [value]
        else:
            out[key] = value
    return out


@lru_cache(maxsize=None)
def compiled_check(schema_json: str) -> Callable[[object], bool] | None:
    """A function telling whether a document is valid against the schema (as JSON text, for
    the cache), or None when the schema cannot be compiled with the same meaning."""
    import json

    import fastjsonschema

    try:
        draft7 = to_draft7(json.loads(schema_json))
    except NotCompilable:
        return None
    # use_default=False: the check must never write defaults into the document.
    validate = fastjsonschema.compile({**draft7, "$schema": "http://json-schema.org/draft-07/schema#"},
                                      use_default=False, use_formats=False, detailed_exceptions=False)

    def is_valid(document: object) -> bool:
        try:
            validate(document)
        except fastjsonschema.JsonSchemaException:
            return False
        except (RecursionError, TypeError, ValueError):
            return False  # anything odd: jsonschema decides and explains
        return True

    return is_valid

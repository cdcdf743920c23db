"""The offline check of a JSON Schema file: strict JSON, then jsonschema's metaschema check
for the draft the schema names in `$schema` (draft-07, the registries' default, when it
names none), located at the line of the offending keyword."""
from __future__ import annotations

import json
from typing import Any

from kgitops.avro.json_text import JsonProblem, load_json, locate
from kgitops.errors import Problem


def json_schema_problem(text: str, display: str) -> Problem | None:
    try:
        document = load_json(text)
    except JsonProblem as err:
        return Problem(f"invalid JSON: {err.message}", display, err.line, err.column)
    return metaschema_problem(document, text, display)


def metaschema_problem(document: Any, text: str, display: str) -> Problem | None:
    from jsonschema import Draft7Validator, validators
    from jsonschema.exceptions import SchemaError

    if not isinstance(document, (dict, bool)):
        return Problem(f"not a JSON Schema: the document is a {type(document).__name__}, not an object", display, 1, 1)
    validator = validators.validator_for(document, default=Draft7Validator)
    try:
        validator.check_schema(document)
    except SchemaError as err:
        path = list(err.absolute_path)
        line, column = locate(text, path) if path else (1, 1)
        where = "/".join(str(p) for p in path) or "(the document)"
        return Problem(f"not a valid JSON Schema ({validator.__name__.replace('Validator', '')}): at {where}: "
                       f"{err.message}", display, line, column)
    return None


def canonical(text: str) -> str:
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))

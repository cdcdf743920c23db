"""Avro schema files referenced from topic files: read once, parsed with fastavro.

A file referenced by many topics is read and parsed once; its problems are reported once,
located in the .avsc file itself where JSON or Avro can say where.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass

import fastavro.schema

from kgitops.desired.yaml_nodes import decode_text
from kgitops.errors import Problem


@dataclass(frozen=True)
class SchemaFile:
    path: str  # absolute
    display: str  # as shown in messages
    text: str | None  # None when the file could not be read
    missing: bool = False  # not found: reported where it is referenced, not here
    problem: Problem | None = None  # unreadable, not JSON or not Avro


class SchemaFileReader:
    """Reads and parses each schema file once per load."""

    def __init__(self) -> None:
        self._files: dict[str, SchemaFile] = {}

    def read(self, path: str, display: str) -> SchemaFile:
        cached = self._files.get(path)
        if cached is None:
            cached = _read_schema_file(path, display)
            self._files[path] = cached
        return cached


def _read_schema_file(path: str, display: str) -> SchemaFile:
    if not os.path.isfile(path):
        return SchemaFile(path, display, None, missing=True)
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as err:
        return SchemaFile(path, display, None, problem=Problem(f"cannot read schema file: {err.strerror or err}", display))
    text, problem = decode_text(raw, display)
    if problem is not None:
        return SchemaFile(path, display, None, problem=problem)
    return SchemaFile(path, display, text, problem=avro_problem(text, display))


def avro_problem(text: str, display: str) -> Problem | None:
    """None if `text` is a valid Avro schema, else what is wrong and, if known, where."""
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError as err:
        return Problem(f"invalid JSON in Avro schema: {err.msg}", display, err.lineno, err.colno)
    try:
        # A fresh name table per file: one file's named types must not leak into another.
        fastavro.schema.parse_schema(parsed, named_schemas={})
    except fastavro.schema.UnknownType as err:
        line, column = _find_json_string(text, err.name)
        return Problem(f"invalid Avro schema: unknown type '{err.name}'", display, line, column)
    except fastavro.schema.SchemaParseException as err:
        return Problem(f"invalid Avro schema: {_shorten(str(err))}", display, 1, 1)
    except KeyError as err:
        return Problem(f"invalid Avro schema: missing attribute {err}", display, 1, 1)
    except Exception as err:  # fastavro raises TypeError/AttributeError on non-schema JSON
        return Problem(
            f"invalid Avro schema: not a schema ({type(err).__name__}: {_shorten(str(err))}); expected a type name, "
            "a JSON object with a \"type\" or a list of types (a union)",
            display, 1, 1,
        )
    return None


def _find_json_string(text: str, value: str) -> tuple[int, int]:
    """Line and column of the first JSON string equal to `value` (1:1 if not found)."""
    match = re.search(r'"' + re.escape(value) + r'"', text)
    if not match:
        return 1, 1
    before = text[: match.start()]
    return before.count("\n") + 1, match.start() - (before.rfind("\n") + 1) + 1


def _shorten(message: str) -> str:
    # fastavro appends the whole offending schema to some messages.
    message = message.split(": {", 1)[0]
    return message if len(message) <= 200 else message[:197] + "..."

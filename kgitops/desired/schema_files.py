"""Schema files referenced from topic files: read once, checked by their type (Avro with
kgitops.avro, JSON Schema with kgitops.json_schema.check; Protobuf after loading, with its
references, by kgitops.protobuf.check).

A file referenced by many topics is read and parsed once; its problems are reported once,
located in the .avsc file itself where JSON or Avro can say where.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from kgitops.desired.files import UnreadableFile, read_bounded
from kgitops.desired.yaml_nodes import decode_text
from kgitops.errors import InputError, Problem


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

    def read(self, path: str, display: str, schema_type: str = "AVRO", has_references: bool = False) -> SchemaFile:
        cached = self._files.get(path)
        if cached is None:
            # An Avro schema with references names types defined elsewhere: it is checked
            # once every subject is known (kgitops.kinds.subject.references).
            cached = _read_schema_file(path, display, "AVRO_WITH_REFERENCES" if has_references and
                                       schema_type == "AVRO" else schema_type)
            self._files[path] = cached
        return cached


def schema_type_of(path: str, declared: str | None) -> str:
    """The declared type, else the file extension's (.proto, .json), else Avro."""
    if declared:
        return declared.upper()
    extension = os.path.splitext(path)[1].lower()
    return {".proto": "PROTOBUF", ".json": "JSON"}.get(extension, "AVRO")


def _read_schema_file(path: str, display: str, schema_type: str = "AVRO") -> SchemaFile:
    if not os.path.exists(path):
        return SchemaFile(path, display, None, missing=True)
    try:
        raw = read_bounded(path)
    except FileNotFoundError:
        return SchemaFile(path, display, None, missing=True)
    except IsADirectoryError:
        return SchemaFile(path, display, None, problem=Problem("is a directory, not a schema file", display))
    except UnreadableFile as err:
        return SchemaFile(path, display, None, problem=Problem(err.reason, display))
    text, problem = decode_text(raw, display)
    if problem is not None:
        return SchemaFile(path, display, None, problem=problem)
    return SchemaFile(path, display, text, problem=_problem(text, display, schema_type))


def _problem(text: str, display: str, schema_type: str) -> Problem | None:
    if schema_type == "JSON":
        from kgitops.json_schema.check import json_schema_problem

        return json_schema_problem(text, display)
    if schema_type in ("PROTOBUF", "AVRO_WITH_REFERENCES"):
        from kgitops.avro.json_text import JsonProblem, load_json

        if schema_type == "AVRO_WITH_REFERENCES":
            try:
                load_json(text)
            except JsonProblem as err:
                return Problem(f"invalid JSON: {err.message}", display, err.line, err.column)
        return None  # checked once every subject is known: it needs the referenced schemas
    return avro_problem(text, display)


def avro_problem(text: str, display: str) -> Problem | None:
    """None if `text` is a valid Avro schema, else what is wrong and where: the same
    parser and rules as `kgitops compat` and the registry (Avro Java), so validate never
    accepts a schema they refuse."""
    from kgitops.avro.schema import parse  # fastavro: only a repository with schemas needs it

    try:
        parse(text, display, validate_defaults=True)
    except InputError as err:
        return err.problems[0] if err.problems else Problem(err.message, display)
    return None

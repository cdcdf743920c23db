"""`kgitops compat`: is a new Avro schema compatible with previous versions, with no registry?

Exit 0 compatible, 3 incompatible, 1 bad input (unreadable file, invalid Avro, unknown
level). Every bad file is reported at once.

JSON output (`--format json`), version 1:
    {"version": 1, "level": "BACKWARD", "compatible": false, "checked_versions": [2],
     "incompatibilities": [{"path": "Order.items[].price",
                            "reason": "writer type double cannot be read as string",
                            "previous_version": 2, "direction": "backward"}]}
Bad input with --format json: {"version": 1, "compatible": null, "exit_code": 1,
"error": message, "problems": [{"file", "line", "column", "severity", "kind", "message"}...]}.
checked_versions and previous_version count from 1, oldest first. direction "backward":
the new schema reading data written with that version; "forward": that version reading
data written with the new schema.
"""
from __future__ import annotations

import argparse
import json
import sys

from kgitops.render.escape import escape_control, escape_lines
from kgitops.avro.compatibility import CompatibilityResult, check_schemas, parse_level
from kgitops.avro.schema import AvroSchema, parse
from kgitops.desired.files import UnreadableFile, read_bounded
from kgitops.desired.yaml_nodes import decode_text
from kgitops.errors import EXIT_ERROR, EXIT_OK, EXIT_REJECTED, InputError, Problem

JSON_FORMAT_VERSION = 1


def run(args: argparse.Namespace) -> int:
    try:
        level = parse_level(args.level)
        new, previous = load_schemas(args.new, list(args.previous))
    except InputError as err:
        if args.format != "json":
            raise
        # A script reading stdout gets an answer it can parse, not an empty string.
        print(json.dumps(error_json(err), indent=2))
        print(f"Error: {escape_lines(err.message)}", file=sys.stderr)
        return EXIT_ERROR
    result = check_schemas(new, previous, level)
    if args.format == "json":
        print(json.dumps(result_json(result), indent=2))
    else:
        print(result_text(result))
    return EXIT_OK if result.compatible else EXIT_REJECTED


def load_schemas(new_path: str, previous_paths: list[str]) -> tuple[AvroSchema, list[AvroSchema]]:
    """Parse every file; all problems are reported together, one line each."""
    problems: list[Problem] = []
    schemas: list[AvroSchema] = []
    for index, path in enumerate([new_path, *previous_paths]):
        try:
            # Defaults are validated in the new schema only, as the registry does.
            schemas.append(load_schema(path, validate_defaults=index == 0))
        except InputError as err:
            problems.extend(err.problems or [Problem(err.message, file=path)])
    if problems:
        raise InputError("\n".join(str(p) for p in problems), problems)
    return schemas[0], schemas[1:]


def load_schema(path: str, validate_defaults: bool = True) -> AvroSchema:
    try:
        raw = read_bounded(path)
    except UnreadableFile as err:
        problem = Problem(err.reason, file=path)
        raise InputError(str(problem), [problem]) from None
    except OSError as err:
        problem = Problem(f"cannot read schema file: {err.strerror or err}", file=path)
        raise InputError(str(problem), [problem]) from None
    text, problem = decode_text(raw, path)
    if problem is not None:
        raise InputError(str(problem), [problem])
    return parse(text, path, validate_defaults)


def result_text(result: CompatibilityResult) -> str:
    if not result.compatible:
        lines = [f"incompatible ({result.level}):"]
        lines += [escape_control(f"  {i.path}: {i.reason} ({i.explain_direction()})") for i in result.incompatibilities]
        return "\n".join(lines)
    if result.level == "NONE":
        return "compatible (NONE: nothing to check)"
    if not result.checked_versions:
        return f"compatible ({result.level}: no previous versions)"
    return f"compatible ({result.level} against {_versions(result.checked_versions)} of {result.previous_count})"


def _versions(numbers: tuple[int, ...]) -> str:
    if len(numbers) == 1:
        return f"version {numbers[0]}"
    return f"versions {numbers[0]} to {numbers[-1]}"  # transitive levels check a contiguous run


def error_json(err: InputError) -> dict:
    problems = err.problems or (Problem(err.message),)
    return {
        "version": JSON_FORMAT_VERSION,
        "compatible": None,
        "exit_code": EXIT_ERROR,
        "error": err.message,
        "problems": [p.to_dict() for p in problems],
    }


def result_json(result: CompatibilityResult) -> dict:
    return {
        "version": JSON_FORMAT_VERSION,
        "level": result.level,
        "compatible": result.compatible,
        "checked_versions": list(result.checked_versions),
        "incompatibilities": [
            {
                "path": i.path,
                "reason": i.reason,
                "previous_version": i.previous_version,
                "direction": i.direction,
            }
            for i in result.incompatibilities
        ],
    }

"""Confluent Schema Registry compatibility levels over Avro schema resolution.

BACKWARD: the new schema (reader) reads data written with a previous version (writer), so
consumers upgrade first. FORWARD: a previous version (reader) reads data written with the
new schema (writer), so producers upgrade first. FULL: both. The plain levels check the
latest previous version only; the _TRANSITIVE ones check every previous version. NONE
checks nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from kgitops.avro.resolution import mismatches
from kgitops.avro.schema import AvroSchema, parse
from kgitops.errors import InputError, Problem
from kgitops.model import COMPATIBILITY_LEVELS

LEVELS = COMPATIBILITY_LEVELS

BACKWARD = "backward"  # the new schema reads data written with a previous version
FORWARD = "forward"  # a previous version reads data written with the new schema


@dataclass(frozen=True)
class Incompatibility:
    path: str  # in the reader's names, e.g. "Order.items[].price"
    reason: str
    previous_index: int  # 0-based position in the previous list (oldest first)
    direction: str  # BACKWARD or FORWARD

    @property
    def previous_version(self) -> int:
        """1-based, as people and the registry count versions."""
        return self.previous_index + 1

    def explain_direction(self) -> str:
        if self.direction == BACKWARD:
            return f"new schema reading data written with previous version {self.previous_version}"
        return f"previous version {self.previous_version} reading data written with the new schema"


@dataclass(frozen=True)
class CompatibilityResult:
    level: str
    checked_indexes: tuple[int, ...]  # 0-based positions of the previous versions checked
    previous_count: int
    incompatibilities: tuple[Incompatibility, ...]

    @property
    def compatible(self) -> bool:
        return not self.incompatibilities

    @property
    def checked_versions(self) -> tuple[int, ...]:
        return tuple(i + 1 for i in self.checked_indexes)


def check(new: str, previous: list[str], level: str) -> CompatibilityResult:
    """Is the schema text `new` compatible at `level` with `previous` (texts, oldest first)?

    Field defaults are validated in the new schema only, as the registry does: previous
    versions are already registered, whatever defaults they carry."""
    level = parse_level(level)
    new_schema = parse(new, "new schema")
    previous_schemas = [
        parse(text, f"previous version {i + 1}", validate_defaults=False) for i, text in enumerate(previous)
    ]
    return check_schemas(new_schema, previous_schemas, level)


def check_schemas(new: AvroSchema, previous: Sequence[AvroSchema], level: str) -> CompatibilityResult:
    level = parse_level(level)
    indexes = versions_to_check(level, len(previous))
    found: list[Incompatibility] = []
    for index in indexes:
        for direction in directions(level):
            reader, writer = (new, previous[index]) if direction == BACKWARD else (previous[index], new)
            found += [Incompatibility(m.path, m.reason, index, direction) for m in mismatches(reader, writer)]
    return CompatibilityResult(level, indexes, len(previous), tuple(found))


def parse_level(level: str) -> str:
    """The level in canonical spelling; an unknown level is an input error."""
    canonical = level.strip().upper()
    if canonical not in LEVELS:
        message = f"unknown compatibility level {level!r}; expected one of {', '.join(LEVELS)}"
        raise InputError(message, [Problem(message)])
    return canonical


def versions_to_check(level: str, previous_count: int) -> tuple[int, ...]:
    if level == "NONE" or previous_count == 0:
        return ()
    if level.endswith("_TRANSITIVE"):
        return tuple(range(previous_count))
    return (previous_count - 1,)


def directions(level: str) -> tuple[str, ...]:
    if level.startswith("BACKWARD"):
        return (BACKWARD,)
    if level.startswith("FORWARD"):
        return (FORWARD,)
    if level.startswith("FULL"):
        return (BACKWARD, FORWARD)
    return ()

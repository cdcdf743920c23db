"""Random schema histories for a differential test of kgitops' checker against Avro Java.

    python tests/tools/avro_java/random_pairs.py SEED COUNT > pairs.jsonl
    tests/tools/avro_java/verdicts.sh 1.12.0 pairs.jsonl

Each line is a case without an expected verdict: a random record schema (primitives,
enums, fixed, arrays, maps, unions, nested and recursive records, defaults, aliases), a
mutated next version now and then, and a new schema that is mostly a mutation of the
latest (fields added, removed, retyped, renamed with or without alias, enum symbols added
or removed, namespace moved), sometimes unrelated. Small name pools make collisions, and
so the interesting cases (same names, different shapes), frequent.
"""
from __future__ import annotations

import copy
import json
import random
import sys
from typing import Any

PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
FIELD_NAMES = ["a", "b", "c", "d", "e"]
RECORD_NAMES = ["R", "S", "T"]
ENUM_NAMES = ["E", "F"]
FIXED_NAMES = ["X", "Y"]
SYMBOLS = ["P", "Q", "U", "V"]
LEVELS = ["BACKWARD", "FORWARD", "FULL", "BACKWARD_TRANSITIVE", "FULL_TRANSITIVE"]
NO_DEFAULT = object()


class SchemaMaker:
    """One schema: each named type is defined once, then may be referenced."""

    def __init__(self, rnd: random.Random) -> None:
        self.rnd = rnd
        self.defined: set[str] = set()
        self.enclosing: list[str] = []  # records being defined: targets for recursion

    def any_type(self, depth: int) -> Any:
        roll = self.rnd.random()
        if depth > 2 or roll < 0.4:
            return self.rnd.choice(PRIMITIVES)
        if roll < 0.5:
            return self.enum() or "string"
        if roll < 0.57:
            return self.fixed() or "bytes"
        if roll < 0.67:
            return {"type": "array", "items": self.any_type(depth + 1)}
        if roll < 0.74:
            return {"type": "map", "values": self.any_type(depth + 1)}
        if roll < 0.87:
            return self.union(depth)
        if roll < 0.93 and self.enclosing:
            return ["null", self.rnd.choice(self.enclosing)]
        return self.record(depth + 1) or "int"

    def union(self, depth: int) -> list:
        branches: list = []
        keys: set[str] = set()
        for _ in range(self.rnd.randint(1, 3)):
            branch = self.any_type(depth + 1)
            if isinstance(branch, list):
                continue  # no nested unions
            key = branch if isinstance(branch, str) else branch.get("name", branch["type"])
            if key not in keys:
                keys.add(key)
                branches.append(branch)
        return branches or ["null"]

    def fresh_name(self, pool: list[str]) -> str | None:
        free = [name for name in pool if name not in self.defined]
        if not free:
            return None
        name = self.rnd.choice(free)
        self.defined.add(name)
        return name

    def enum(self) -> dict | None:
        name = self.fresh_name(ENUM_NAMES)
        if name is None:
            return None
        symbols = self.rnd.sample(SYMBOLS, self.rnd.randint(1, 4))
        schema: dict = {"type": "enum", "name": name, "symbols": symbols}
        if self.rnd.random() < 0.3:
            schema["default"] = self.rnd.choice(symbols)
        return schema

    def fixed(self) -> dict | None:
        name = self.fresh_name(FIXED_NAMES)
        return None if name is None else {"type": "fixed", "name": name, "size": self.rnd.choice([2, 4])}

    def record(self, depth: int, name: str | None = None) -> dict | None:
        name = name or self.fresh_name(RECORD_NAMES)
        if name is None:
            return None
        self.defined.add(name)
        self.enclosing.append(name)
        fields = []
        for field_name in self.rnd.sample(FIELD_NAMES, self.rnd.randint(0, 4)):
            field: dict = {"name": field_name, "type": self.any_type(depth)}
            if self.rnd.random() < 0.4:
                default = default_for(field["type"])
                if default is not NO_DEFAULT:
                    field["default"] = default
            if self.rnd.random() < 0.2:
                field["aliases"] = [self.rnd.choice(FIELD_NAMES)]
            fields.append(field)
        self.enclosing.pop()
        schema: dict = {"type": "record", "name": name, "fields": fields}
        if self.rnd.random() < 0.15:
            schema["aliases"] = [self.rnd.choice(RECORD_NAMES)]
        return schema


def default_for(schema: Any) -> Any:
    """A default valid for the schema (first union branch), or NO_DEFAULT for references."""
    if isinstance(schema, list):
        return default_for(schema[0])
    if isinstance(schema, str):
        return {"null": None, "boolean": True, "int": 1, "long": 2, "float": 1.5, "double": 2.5,
                "bytes": "\u0001", "string": "s"}.get(schema, NO_DEFAULT)
    kind = schema["type"]
    if kind == "enum":
        return schema["symbols"][0]
    if kind == "fixed":
        return "\u0000" * schema["size"]
    if kind in ("array", "map"):
        return [] if kind == "array" else {}
    values = {}
    for field in schema["fields"]:
        value = default_for(field["type"])
        if value is NO_DEFAULT:
            return NO_DEFAULT
        values[field["name"]] = value
    return values


def random_schema(rnd: random.Random, namespace: str) -> dict:
    schema = SchemaMaker(rnd).record(0, name="Root")
    assert schema is not None
    return {**schema, "namespace": namespace}


def nodes_of_type(schema: Any, kind: str) -> list[dict]:
    found: list[dict] = []
    if isinstance(schema, dict):
        if schema.get("type") == kind:
            found.append(schema)
        for value in schema.values():
            found += nodes_of_type(value, kind)
    elif isinstance(schema, list):
        for value in schema:
            found += nodes_of_type(value, kind)
    return found


def mutate(schema: dict, rnd: random.Random) -> dict:
    schema = copy.deepcopy(schema)
    for _ in range(rnd.randint(1, 3)):
        record = rnd.choice(nodes_of_type(schema, "record"))
        fields = record["fields"]
        free_names = [n for n in FIELD_NAMES if n not in {f["name"] for f in fields}]
        roll = rnd.random()
        if roll < 0.2 and fields:
            fields.pop(rnd.randrange(len(fields)))
        elif roll < 0.4 and free_names:
            field_type = rnd.choice(PRIMITIVES + [["null", "string"], {"type": "array", "items": "long"}])
            field = {"name": rnd.choice(free_names), "type": field_type}
            if rnd.random() < 0.5:
                field["default"] = default_for(field_type)
            fields.append(field)
        elif roll < 0.6 and fields:
            field = rnd.choice(fields)
            wrapped = ["null", field["type"]] if not isinstance(field["type"], list) else "string"
            field["type"] = rnd.choice(PRIMITIVES + [wrapped])
            field.pop("default", None)
        elif roll < 0.7 and fields and free_names:
            field = rnd.choice(fields)
            old_name, field["name"] = field["name"], rnd.choice(free_names)
            if rnd.random() < 0.6:
                field["aliases"] = [old_name]
        elif roll < 0.8:
            # Rename a record nobody references by name, sometimes keeping the old as alias.
            if json.dumps(schema).count(f'"{record["name"]}"') == 1:
                record["aliases"] = [record["name"]] if rnd.random() < 0.5 else []
                record["name"] += "2"
        elif roll < 0.9:
            for enum in nodes_of_type(schema, "enum"):
                symbols = enum["symbols"]
                if rnd.random() < 0.5 and len(symbols) > 1:
                    if enum.get("default") == symbols.pop():
                        enum.pop("default")
                else:
                    symbols += [s for s in SYMBOLS if s not in symbols][:1]
                if rnd.random() < 0.3:
                    enum["default"] = symbols[0]
        else:
            schema["namespace"] += ".moved"
    return schema


def main(seed: int, count: int) -> None:
    rnd = random.Random(seed)
    for index in range(count):
        namespace = f"random{index}"
        previous = [random_schema(rnd, namespace)]
        if rnd.random() < 0.3:
            previous.append(mutate(previous[0], rnd))
        new = mutate(previous[-1], rnd) if rnd.random() < 0.8 else random_schema(rnd, namespace)
        print(json.dumps({"id": f"random-{seed}-{index}", "level": rnd.choice(LEVELS),
                          "previous": [json.dumps(p) for p in previous], "new": json.dumps(new)}))


if __name__ == "__main__":
    main(int(sys.argv[1]), int(sys.argv[2]))

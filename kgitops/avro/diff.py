"""What changed between two Avro schemas, field by field, for people reviewing a plan:
`+ field channel: string = "web"`, `- field coupon`, `~ field amount: int -> long`, doc
and alias changes, enum symbols, nested records by path (`items[].price`). Pure: JSON in,
lines out; the schemas are assumed valid (the loader and the registry checked them)."""
from __future__ import annotations

import json
from typing import Any

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NO_DEFAULT = object()


def schema_changes(old_text: str, new_text: str) -> list[str]:
    """The changes from `old_text` to `new_text`, one line each, in schema order."""
    try:
        old, new = json.loads(old_text), json.loads(new_text)
    except ValueError:
        return []
    differ = _Differ(_names(old), _names(new))
    differ.compare(old, new, "")
    return differ.lines


def _names(schema: Any, namespace: str = "", found: dict[str, dict] | None = None) -> dict[str, dict]:
    """Every named type (record, enum, fixed) by its full name and its short name."""
    found = {} if found is None else found
    if isinstance(schema, list):
        for branch in schema:
            _names(branch, namespace, found)
    elif isinstance(schema, dict):
        kind = schema.get("type")
        if kind in ("record", "error", "enum", "fixed") and isinstance(schema.get("name"), str):
            name = schema["name"]
            space = schema.get("namespace", namespace) if "." not in name else name.rpartition(".")[0]
            full = name if "." in name or not space else f"{space}.{name}"
            found.setdefault(full, schema)
            found.setdefault(full.rpartition(".")[2], schema)
            namespace = space or ""
        if kind in ("record", "error"):
            for field in schema.get("fields", ()):
                if isinstance(field, dict):
                    _names(field.get("type"), namespace, found)
        elif kind == "array":
            _names(schema.get("items"), namespace, found)
        elif kind == "map":
            _names(schema.get("values"), namespace, found)
        elif isinstance(kind, (dict, list)):
            _names(kind, namespace, found)
    return found


class _Differ:
    def __init__(self, old_names: dict[str, dict], new_names: dict[str, dict]):
        self.old_names, self.new_names = old_names, new_names
        self.lines: list[str] = []
        self.seen: set[tuple[str, str]] = set()

    def resolve(self, schema: Any, names: dict[str, dict]) -> Any:
        if isinstance(schema, str) and schema not in PRIMITIVES:
            return names.get(schema, schema)
        if isinstance(schema, dict) and isinstance(schema.get("type"), (dict, list)) and len(schema) == 1:
            return self.resolve(schema["type"], names)
        return schema

    def compare(self, old: Any, new: Any, path: str) -> None:
        old, new = self.resolve(old, self.old_names), self.resolve(new, self.new_names)
        old_kind, new_kind = _kind(old), _kind(new)
        if old_kind in ("record", "error") and new_kind in ("record", "error"):
            key = (str(old.get("name")), str(new.get("name")))
            if key in self.seen:  # a named record is compared once, at its first path (and recursion ends)
                return
            self.seen.add(key)
            self.record(old, new, path)
        elif old_kind == "enum" and new_kind == "enum":
            self.enum(old, new, path)
        elif old_kind == new_kind == "array":
            self.compare(old.get("items"), new.get("items"), f"{path}[]")
        elif old_kind == new_kind == "map":
            self.compare(old.get("values"), new.get("values"), f"{path}{{}}")
        elif old_kind == new_kind == "union":
            self.union(old, new, path)

    def record(self, old: dict, new: dict, path: str) -> None:
        label = path or str(new.get("name"))
        self.attributes("record", label, old, new)
        old_fields = {f["name"]: f for f in old.get("fields", ()) if isinstance(f, dict) and "name" in f}
        new_fields = {f["name"]: f for f in new.get("fields", ()) if isinstance(f, dict) and "name" in f}
        prefix = f"{path}." if path else ""
        for name, field in new_fields.items():
            where = f"{prefix}{name}"
            if name not in old_fields:
                default = field.get("default", _NO_DEFAULT)
                shown = "" if default is _NO_DEFAULT else f" = {json.dumps(default)}"
                self.lines.append(f"+ field {where}: {type_text(field.get('type'))}{shown}")
                continue
            before = old_fields[name]
            old_type, new_type = type_text(before.get("type")), type_text(field.get("type"))
            if old_type != new_type:
                self.lines.append(f"~ field {where}: {old_type} -> {new_type}")
            old_default, new_default = before.get("default", _NO_DEFAULT), field.get("default", _NO_DEFAULT)
            if old_default != new_default:
                self.lines.append(f"~ field {where} default: {_default_text(old_default)} -> "
                                  f"{_default_text(new_default)}")
            self.attributes("field", where, before, field)
            self.compare(before.get("type"), field.get("type"), where)
        for name in old_fields:
            if name not in new_fields:
                self.lines.append(f"- field {prefix}{name}")

    def enum(self, old: dict, new: dict, path: str) -> None:
        label = path or str(new.get("name"))
        old_symbols, new_symbols = list(old.get("symbols", ())), list(new.get("symbols", ()))
        added = [s for s in new_symbols if s not in old_symbols]
        removed = [s for s in old_symbols if s not in new_symbols]
        if added or removed:
            parts = [f"+{s}" for s in added] + [f"-{s}" for s in removed]
            self.lines.append(f"~ enum {label} symbols: {', '.join(parts)}")
        if old.get("default") != new.get("default"):
            self.lines.append(f"~ enum {label} default: {old.get('default')} -> {new.get('default')}")
        self.attributes("enum", label, old, new)

    def union(self, old: list, new: list, path: str) -> None:
        # Branches of the same named record or container are compared inside.
        old_by, new_by = {_branch_key(b): b for b in old}, {_branch_key(b): b for b in new}
        for key, branch in new_by.items():
            if key in old_by:
                self.compare(old_by[key], branch, path)

    def attributes(self, what: str, label: str, old: dict, new: dict) -> None:
        if old.get("doc") != new.get("doc"):
            self.lines.append(f"~ {what} {label} doc changed")
        if sorted(old.get("aliases", ())) != sorted(new.get("aliases", ())):
            self.lines.append(f"~ {what} {label} aliases: {sorted(old.get('aliases', ()))} -> "
                              f"{sorted(new.get('aliases', ()))}")


def _kind(schema: Any) -> str:
    if isinstance(schema, list):
        return "union"
    if isinstance(schema, dict):
        kind = schema.get("type")
        return kind if isinstance(kind, str) else "?"
    return str(schema)


def _branch_key(branch: Any) -> str:
    if isinstance(branch, dict):
        return str(branch.get("name") or branch.get("type"))
    return str(branch)


def _default_text(value: object) -> str:
    return "(none)" if value is _NO_DEFAULT else json.dumps(value)


def type_text(schema: Any) -> str:
    """A type as a reviewer reads it: `string`, `array<Item>`, `null | long (timestamp-millis)`."""
    if isinstance(schema, list):
        return " | ".join(type_text(b) for b in schema)
    if isinstance(schema, dict):
        kind = schema.get("type")
        if isinstance(kind, (dict, list)):
            return type_text(kind)
        if kind == "array":
            return f"array<{type_text(schema.get('items'))}>"
        if kind == "map":
            return f"map<{type_text(schema.get('values'))}>"
        if kind in ("record", "error", "enum", "fixed"):
            return str(schema.get("name"))
        logical = schema.get("logicalType")
        return f"{kind} ({logical})" if logical else str(kind)
    return str(schema)

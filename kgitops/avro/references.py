"""Avro schemas with references: checked with the referenced schemas' named types known.

A schema referencing `com.example.Address` names a type another subject defines. Wrapped
as the last field of a record whose earlier fields are the referenced schemas, every name
resolves, and namespaces are unchanged (the wrapper has none, so nothing inherits one).
The wrapper's own path prefix is removed from the checker's paths.
"""
from __future__ import annotations

import json
from typing import Sequence

WRAPPER = "KgitopsReferencedTypes"
FIELD = "schema"


def with_references(text: str, referenced: Sequence[str]) -> str:
    fields = [{"name": f"reference{i}", "type": json.loads(t)} for i, t in enumerate(referenced)]
    fields.append({"name": FIELD, "type": json.loads(text)})
    return json.dumps({"type": "record", "name": WRAPPER, "fields": fields})


def unwrapped_path(path: str, text: str) -> str:
    """The checker's path in the wrapper as it reads for the schema alone (`Order.id`)."""
    prefix = f"{WRAPPER}.{FIELD}"
    if not path.startswith(prefix):
        return path
    try:
        root = json.loads(text)
    except ValueError:
        root = None
    name = str(root.get("name", "")).rsplit(".", 1)[-1] if isinstance(root, dict) else ""
    rest = path[len(prefix):]
    return f"{name}{rest}" if name else rest.lstrip(".") or "(the schema)"

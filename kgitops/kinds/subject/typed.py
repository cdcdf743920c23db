"""Protobuf and JSON Schema subjects in the plan: their compared form, field-level
changes and local compatibility verdict (kgitops.protobuf, kgitops.json_schema), each
imported only when such a subject is compared."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Sequence

from kgitops.desired.loader import display_path
from kgitops.errors import InputError
from kgitops.model import SubjectSpec

COMPATIBLE = "compatible"
INCOMPATIBLE = "incompatible"
REGISTRY_ONLY = "registry only"


@dataclass(frozen=True)
class LocalVerdict:
    outcome: str  # COMPATIBLE, INCOMPATIBLE or REGISTRY_ONLY
    reasons: tuple[str, ...] = ()


def canonical(text: str, schema_type: str) -> str:
    if schema_type == "PROTOBUF":
        from kgitops.protobuf.text import canonical as proto_canonical

        return proto_canonical(text)
    return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))


def _descriptor(text: str, spec: SubjectSpec, specs: Sequence[SubjectSpec], display: str):
    from kgitops.kinds.subject.references import compiled_dependencies
    from kgitops.protobuf.compile import compile_proto

    dependencies = compiled_dependencies(spec, specs)
    if dependencies is None:
        raise InputError(f"{spec.subject}: a referenced schema is not declared")
    # The latest version is compiled against the declared referenced schemas: a field's
    # type is compared by its full name, which they define.
    return compile_proto(text, display, dependencies).descriptor


def verdict(spec: SubjectSpec, previous: Sequence[str], level: str, specs: Sequence[SubjectSpec]) -> LocalVerdict:
    """The local checker's verdict on registering `spec` over `previous` (oldest first)."""
    try:
        if spec.schema_type == "PROTOBUF":
            from kgitops.protobuf import compatibility as proto

            new = _descriptor(spec.schema, spec, specs, display_path(spec.schema_file))
            olds = [_descriptor(text, spec, specs, "the registered schema") for text in previous]
            result = proto.check(new, olds, level)
        else:
            from kgitops.json_schema import compatibility as js

            result = js.check(json.loads(spec.schema), [json.loads(text) for text in previous], level)
    except (InputError, ValueError) as err:
        return LocalVerdict(REGISTRY_ONLY, (f"the local checker could not read a schema ({err})",))
    return LocalVerdict(result.outcome, result.reasons)


def field_changes(spec: SubjectSpec, live_text: str, specs: Sequence[SubjectSpec]) -> list[str]:
    """The plan's lines for what changed from the latest version, in the shape of Avro's
    (kgitops.avro.diff): `+ ...`, `- ...`, `~ ...`."""
    try:
        if spec.schema_type == "PROTOBUF":
            from kgitops.protobuf import compatibility as proto

            old = _descriptor(live_text, spec, specs, "the registered schema")
            new = _descriptor(spec.schema, spec, specs, display_path(spec.schema_file))
            return [c.text for c in proto.changes(old, new)]
        from kgitops.json_schema import compatibility as js

        return [c.text for c in js.changes(json.loads(live_text), json.loads(spec.schema))]
    except (InputError, ValueError):
        return []

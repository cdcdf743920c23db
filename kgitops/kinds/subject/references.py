"""Schema references between declared subjects: their order (a referenced subject is
registered first), cycles (refused, naming the cycle), and the offline compile of
Protobuf schemas, whose imports are the references' names."""
from __future__ import annotations

from typing import Iterable, Mapping, Sequence

from kgitops.desired.loader import display_path
from kgitops.errors import InputError, Problem
from kgitops.model import SubjectSpec


def find_cycle(edges: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle in the graph subject -> referenced subjects, as [a, b, ..., a], or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in edges.get(node, ()):
            if state.get(target) == 1:
                return path[path.index(target):] + [target]
            if target not in state and target in edges:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in edges:
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def waves(subjects: Iterable[str], edges: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """`subjects` in groups: each group references only subjects of earlier groups (or
    subjects outside `subjects`). Assumes no cycle; a node left in a cycle goes last."""
    pending = list(dict.fromkeys(subjects))
    placed: set[str] = set()
    groups: list[list[str]] = []
    while pending:
        ready = [s for s in pending if all(t in placed or t not in pending or t == s for t in edges.get(s, ()))]
        if not ready:
            ready = pending[:]
        groups.append(ready)
        placed.update(ready)
        pending = [s for s in pending if s not in placed]
    return groups


def reference_edges(subjects: Iterable[SubjectSpec]) -> dict[str, list[str]]:
    return {s.subject: [r.subject for r in s.references] for s in subjects}


def desired_problems(subjects: Sequence[SubjectSpec]) -> list[Problem]:
    """Cycles, references a schema does not use (Protobuf imports without a reference),
    and Protobuf schemas protoc refuses, each located."""
    problems: list[Problem] = []
    cycle = find_cycle(reference_edges(subjects))
    by_name = {s.subject: s for s in subjects}
    if cycle:
        first = by_name[cycle[0]]
        where = first.location
        problems.append(Problem(f"subject {cycle[0]}: schema references form a cycle: {' -> '.join(cycle)}; "
                                f"a registry cannot register any of them", where.file if where else None,
                                where.line if where else None, where.column if where else None))
        return problems
    for spec in subjects:
        if spec.schema_type == "PROTOBUF":
            problems += _protobuf_problems(spec, by_name)
        elif spec.schema_type == "AVRO" and spec.references:
            problems += _avro_problems(spec, by_name)
    return problems


def avro_referenced_texts(spec: SubjectSpec, by_name: Mapping[str, SubjectSpec]) -> list[str] | None:
    """The declared schemas `spec` references, transitively, each after those it references
    itself (Avro defines a name before its use); None when one is not declared."""
    ordered: list[str] = []
    seen: set[str] = set()

    def visit(current: SubjectSpec) -> bool:
        for reference in current.references:
            target = by_name.get(reference.subject)
            if target is None:
                return False
            if target.subject not in seen:
                seen.add(target.subject)
                if not visit(target):
                    return False
                ordered.append(target.schema)
        return True

    return ordered if visit(spec) else None


def _avro_problems(spec: SubjectSpec, by_name: Mapping[str, SubjectSpec]) -> list[Problem]:
    from kgitops.avro.references import with_references
    from kgitops.avro.schema import parse

    referenced = avro_referenced_texts(spec, by_name)
    if referenced is None:
        return []  # a reference to a subject only the registry holds: the registry checks it
    display = display_path(spec.schema_file)
    try:
        parse(with_references(spec.schema, referenced), display, validate_defaults=True)
    except InputError as err:
        # Located in the combined text, so only the file is named.
        reasons = [p.message for p in err.problems] or [err.message]
        return [Problem(f"{reason} (with the referenced schemas' types)", display) for reason in reasons]
    return []


def _protobuf_problems(spec: SubjectSpec, by_name: Mapping[str, SubjectSpec]) -> list[Problem]:
    from kgitops.protobuf.compile import compile_proto, missing_imports

    display = display_path(spec.schema_file)
    missing = missing_imports(spec.schema, display, {r.name for r in spec.references})
    if missing:
        return missing
    dependencies = _dependencies(spec, by_name)
    if dependencies is None:
        return []  # a reference to a subject only the registry holds: the registry checks it
    try:
        compile_proto(spec.schema, display, dependencies)
    except InputError as err:
        return list(err.problems) or [Problem(err.message, display)]
    return []


def _dependencies(spec: SubjectSpec, by_name: Mapping[str, SubjectSpec]) -> dict[str, tuple[str, str]] | None:
    """Every schema `spec` references, transitively, by its reference name; None when one
    is not declared."""
    found: dict[str, tuple[str, str]] = {}
    todo = list(spec.references)
    while todo:
        reference = todo.pop()
        target = by_name.get(reference.subject)
        if target is None:
            return None
        if reference.name not in found:
            found[reference.name] = (target.schema, display_path(target.schema_file))
            todo += target.references
    return found


def compiled_dependencies(spec: SubjectSpec, specs: Sequence[SubjectSpec]) -> dict[str, tuple[str, str]] | None:
    return _dependencies(spec, {s.subject: s for s in specs})

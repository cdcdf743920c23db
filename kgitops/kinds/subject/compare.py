"""Desired subjects + live registry -> schema actions (register, set level, delete) and the
problems that stop a plan (incompatible schemas, exit 3).

Schemas are compared by their normalised forms (kgitops.avro.schema.normalised), never as
raw text: registries re-serialise what they store. Where the registry's own notion of
"the same schema" differs from ours (Apicurio ignores aliases, for one), its lookup
(LiveSubject.desired_schema_version) decides, because it is what decides whether
registering makes a new version; planning a registration the registry would turn into a
no-op would make a plan that never converges.

A registry never registers a schema twice under one subject: registering a schema equal
to an older version returns that version's id and leaves the latest as it is (Confluent
and Apicurio alike). So a desired schema equal to an older version is reported, not planned.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Sequence

from kgitops.avro import compatibility
from kgitops.avro.diff import schema_changes
from kgitops.desired.loader import display_path
from kgitops.avro.schema import normalised
from kgitops.errors import InputError, Problem
from kgitops.desired.topic_names import is_claimed, topic_of_subject
from kgitops.live.registry_client import DEFAULT_GLOBAL_LEVEL
from kgitops.model import ClusterSpec, LiveRegistry, LiveSubject, SubjectSpec
from kgitops.plan import Action
from kgitops.kinds.subject.actions import DeleteSubject, RegisterSchema, SetCompatibility, SetMode

GLOBAL_READONLY_RISK = ("global mode READONLY: every subject without a mode of its own refuses new schemas; "
                        "producers that register schemas fail")
NONE_RISK = "compatibility NONE: the registry checks nothing; consumers may fail on records written with the new schema"

# What each level guarantees, to tell a loosening from a tightening.
_GUARANTEES: dict[str, frozenset[str]] = {
    "NONE": frozenset(),
    "BACKWARD": frozenset({"backward"}),
    "BACKWARD_TRANSITIVE": frozenset({"backward", "backward with every version"}),
    "FORWARD": frozenset({"forward"}),
    "FORWARD_TRANSITIVE": frozenset({"forward", "forward with every version"}),
    "FULL": frozenset({"backward", "forward"}),
    "FULL_TRANSITIVE": frozenset({"backward", "forward", "backward with every version", "forward with every version"}),
}
_GUARANTEE_MEANING = {
    "backward": "backward (new consumers reading older records)",
    "forward": "forward (existing consumers reading records written with newer schemas)",
    "backward with every version": "backward with every earlier version, not only the latest",
    "forward with every version": "forward with every earlier version, not only the latest",
}


@dataclass(frozen=True)
class EffectiveLevel:
    """The level a new version is checked with, and where it comes from (for messages)."""

    level: str
    source: str


def diff_subjects(cluster: ClusterSpec, live: LiveRegistry) -> tuple[list[Action], list[Problem]]:
    """Actions for every declared subject (level first, then registration), then deletions
    of claimed subjects no longer declared; problems: incompatible schemas (kind "policy",
    exit 3), unreadable input (kind "input") and warnings."""
    actions: list[Action] = []
    problems: list[Problem] = []
    global_level = (live.global_compatibility or DEFAULT_GLOBAL_LEVEL).upper()
    context = Context(tuple(cluster.subjects), live, set())
    for spec in _in_reference_order(cluster.subjects, problems):
        current = live.subjects.get(spec.subject) or LiveSubject(spec.subject, None, None, None)
        subject_actions, subject_problems = diff_subject(spec, current, global_level, context)
        if any(isinstance(a, RegisterSchema) for a in subject_actions):
            context.pending.add(spec.subject)
        actions += subject_actions
        problems += subject_problems
    declared_mode = cluster.schema_registry.mode if cluster.schema_registry is not None else None
    if declared_mode and declared_mode != (live.global_mode or "READWRITE"):
        risks = (GLOBAL_READONLY_RISK,) if declared_mode == "READONLY" else ()
        actions.append(SetMode(subject="", before=live.global_mode, after=declared_mode, risks=risks))
    deletions, deletion_problems = diff_claimed_subjects(cluster, live)
    return actions + deletions, problems + deletion_problems


@dataclass
class Context:
    """What comparing one subject needs of the others: every declared subject, the live
    registry, and the subjects this plan registers a new version of (so far)."""

    specs: tuple[SubjectSpec, ...] = ()
    live: LiveRegistry | None = None
    pending: set[str] = field(default_factory=set)

    def resolved(self, spec: SubjectSpec) -> tuple[tuple[str, str, str], ...]:
        """The references with `latest` resolved to the referenced subject's latest version,
        or "latest" when this plan registers a new one (or it has none yet)."""
        resolved = []
        for ref in spec.references:
            version: str = ref.version_text
            if ref.version is None and ref.subject not in self.pending and self.live is not None:
                target = self.live.subjects.get(ref.subject)
                if target is not None and target.version is not None:
                    version = str(target.version)
            resolved.append((ref.name, ref.subject, version))
        return tuple(sorted(resolved))


def _in_reference_order(subjects: Sequence[SubjectSpec], problems: list[Problem]) -> list[SubjectSpec]:
    if not any(s.references for s in subjects):
        return list(subjects)
    from kgitops.kinds.subject.references import find_cycle, reference_edges, waves

    edges = reference_edges(subjects)
    cycle = find_cycle(edges)
    if cycle:
        problems.append(Problem(f"schema references form a cycle: {' -> '.join(cycle)}"))
    by_name = {s.subject: s for s in subjects}
    return [by_name[name] for group in waves(by_name, edges) for name in group]


def diff_subject(spec: SubjectSpec, live: LiveSubject, global_level: str,
                 context: Context | None = None) -> tuple[list[Action], list[Problem]]:
    context = context or Context((spec,))
    try:
        declared = compatibility.parse_level(spec.compatibility) if spec.compatibility else None
    except InputError as err:
        return [], [Problem(f"subject {spec.subject}: {err.message}", **_where(spec))]
    actions: list[Action] = []
    level_change = compatibility_action(spec.subject, declared, live, global_level)
    if level_change is not None:
        actions.append(level_change)
    effective = effective_level(spec, declared, live, global_level)
    registration, problems = registration_action(spec, live, effective, context)
    if spec.mode and spec.mode != (live.mode or "READWRITE"):
        actions.append(SetMode(subject=spec.subject, before=live.mode, after=spec.mode))
    if registration is not None:
        actions.append(registration)
    return actions, problems


# ---------------------------------------------------------------------------
# Compatibility level
# ---------------------------------------------------------------------------


def effective_level(spec: SubjectSpec, declared: str | None, live: LiveSubject, global_level: str) -> EffectiveLevel:
    """Declared level, else the subject's live level, else the registry's global level."""
    if declared:
        where = str(spec.location) if spec.location else "the cluster files"
        return EffectiveLevel(declared, f"declared in {where}")
    if live.compatibility:
        return EffectiveLevel(live.compatibility.upper(), "the subject's level on the registry")
    return EffectiveLevel(global_level, "the registry's global level")


def compatibility_action(subject: str, declared: str | None, live: LiveSubject,
                         global_level: str) -> SetCompatibility | None:
    """Set the declared level when the subject's own level differs. An unset subject level
    is set even when the global level equals it: a declared level is pinned to the subject,
    so changing the global level later does not move it. (Apicurio reports an unset level
    as the global one, so there it is left unset: it cannot be told apart.)"""
    current = live.compatibility.upper() if live.compatibility else None
    if declared is None or declared == current:
        return None
    return SetCompatibility(subject=subject, before=current, after=declared,
                            risks=level_change_risks(current or global_level, declared))


def level_change_risks(before: str, after: str) -> tuple[str, ...]:
    if after == "NONE":
        return (NONE_RISK,)
    lost = _GUARANTEES.get(before, frozenset()) - _GUARANTEES.get(after, frozenset())
    if not lost:
        return ()
    meaning = "; ".join(_GUARANTEE_MEANING[g] for g in sorted(lost))
    return (f"loosening compatibility from {before} to {after}: new versions are no longer checked for {meaning}",)


# ---------------------------------------------------------------------------
# Registration
# ---------------------------------------------------------------------------


def registration_action(spec: SubjectSpec, live: LiveSubject, effective: EffectiveLevel,
                        context: Context | None = None) -> tuple[RegisterSchema | None, list[Problem]]:
    """Register when the desired schema (with its references) is not already registered
    under the subject and passes the local check at the effective level; otherwise say why not."""
    context = context or Context((spec,))
    try:
        desired = canonical_form(spec.schema, _compared_as(spec), spec.schema_file)
    except InputError as err:
        return None, list(err.problems) or [Problem(err.message, file=display_path(spec.schema_file))]
    references = context.resolved(spec)
    if live.version is None or live.schema is None:
        return _register(spec, live, effective, context, references), []
    live_references = tuple((n, s, str(v)) for n, s, v in live.references)
    same_references = references == live_references
    if _canonical_or_none(live.schema, _compared_as(spec, live.schema_type)) == desired and same_references:
        return None, []
    pending_reference = any(v == "latest" for _, _, v in references)
    registered = None if pending_reference else _registered_version(spec, live, desired, same_references)
    if registered is not None:
        return None, [_already_registered_warning(spec, live, registered)]
    # An incompatible schema stays in the plan with its refusals (the plan is then refused
    # as a whole and never applied), so the reviewer sees what was asked for.
    return _register(spec, live, effective, context, references), local_check(spec, live, effective, context)


def _register(spec: SubjectSpec, live: LiveSubject, effective: EffectiveLevel, context: Context,
              references: tuple[tuple[str, str, str], ...] = ()) -> RegisterSchema:
    is_new_version = live.version is not None
    risks = (NONE_RISK,) if is_new_version and effective.level == "NONE" else ()
    changes: tuple[str, ...] = ()
    if is_new_version and live.schema and spec.schema_type == "AVRO" == live.schema_type:
        changes = tuple(schema_changes(live.schema, spec.schema))
    elif is_new_version and live.schema and spec.schema_type == live.schema_type:
        from kgitops.kinds.subject import typed

        changes = tuple(typed.field_changes(spec, live.schema, context.specs))
    live_references = tuple((n, s, str(v)) for n, s, v in live.references)
    if is_new_version and references != live_references:
        changes += tuple(_reference_changes(live_references, references))
    return RegisterSchema(subject=spec.subject, schema=spec.schema, schema_file=display_path(spec.schema_file),
                          schema_type=spec.schema_type, previous_version=live.version,
                          topic=spec.topic or topic_of_subject(spec.subject), risks=risks,
                          level=effective.level if is_new_version else None, changes=changes,
                          references=references)


def _reference_changes(before: tuple[tuple[str, str, str], ...], after: tuple[tuple[str, str, str], ...]) -> list[str]:
    old = {name: (subject, version) for name, subject, version in before}
    new = {name: (subject, version) for name, subject, version in after}
    lines = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            lines.append(f"+ reference {name} -> {_ref_text(new[name])}")
        elif name not in new:
            lines.append(f"- reference {name} -> {_ref_text(old[name])}")
        elif old[name] != new[name]:
            lines.append(f"~ reference {name}: {_ref_text(old[name])} -> {_ref_text(new[name])}")
    return lines


def _ref_text(target: tuple[str, str]) -> str:
    subject, version = target
    return f"{subject} {'(its new version)' if version == 'latest' else 'v' + version}"


def _registered_version(spec: SubjectSpec, live: LiveSubject, desired: str, same_references: bool = True) -> int | None:
    """The version already holding the desired schema: the registry's lookup when it was
    asked, else our own comparison with the versions read (references known only for the
    latest, so a schema with references is matched by the lookup alone)."""
    if live.desired_schema_version is not None:
        return live.desired_schema_version
    if spec.references or not same_references:
        return None
    for version, text in sorted(live.history.items(), reverse=True):
        if _canonical_or_none(text, live.schema_type) == desired:
            return version
    return None


def _already_registered_warning(spec: SubjectSpec, live: LiveSubject, version: int) -> Problem:
    if version == live.version:
        message = (f"subject {spec.subject}: the schema differs from registered version {version} only in ways the "
                   f"registry ignores when comparing schemas (e.g. aliases, on Apicurio); registering it would "
                   f"make no new version, so nothing is planned")
    else:
        message = (f"subject {spec.subject}: the schema equals registered version {version}, but the latest is "
                   f"version {live.version}; a registry never registers a schema twice under one subject, so "
                   f"version {live.version} stays the latest and nothing is planned (producers looking up their "
                   f"schema still find version {version}); declare version {live.version}'s schema, or delete the "
                   f"later versions deliberately to roll back")
    return Problem(message, file=display_path(spec.schema_file), severity="warning")


def local_check(spec: SubjectSpec, live: LiveSubject, effective: EffectiveLevel,
                context: Context | None = None) -> list[Problem]:
    """The local checker against the versions the effective level requires; each
    incompatibility is a "policy" problem (exit 3) naming the file, subject, path and reason."""
    if effective.level == "NONE":
        return []
    if spec.schema_type != "AVRO":
        from kgitops.kinds.subject.typed_check import typed_check

        return typed_check(spec, live, effective, (context or Context((spec,))).specs)
    versions, texts = previous_versions(live, effective.level)
    notes: list[Problem] = []
    if effective.level.endswith("_TRANSITIVE") and not live.history and (live.version or 0) > 1:
        notes.append(Problem(
            f"subject {spec.subject}: {effective.level} checks every earlier version but only version "
            f"{live.version} was read; the registry checks the others when applying",
            file=display_path(spec.schema_file), severity="warning"))
    try:
        if spec.references:
            result = _check_with_references(spec, texts, effective.level, context)
        else:
            result = compatibility.check(spec.schema, texts, effective.level)
    except InputError as err:
        return notes + [Problem(f"subject {spec.subject}: could not check compatibility locally ({err.message}); "
                                f"the registry checks it when applying", file=display_path(spec.schema_file), severity="warning")]
    return notes + [
        Problem(
            f"subject {spec.subject}: the new schema is not {effective.level} compatible ({effective.source}): "
            f"{inc.path}: {inc.reason} ({_direction(inc, versions)})",
            file=display_path(spec.schema_file), kind="policy", resource=f"subject {spec.subject}",
        )
        for inc in result.incompatibilities
    ]


def previous_versions(live: LiveSubject, level: str) -> tuple[list[int], list[str]]:
    """(version numbers, schema texts), oldest first, that `level` checks against: all read
    versions for a transitive level, the latest otherwise."""
    if level.endswith("_TRANSITIVE") and live.history:
        ordered = sorted(live.history.items())
        return [v for v, _ in ordered], [t for _, t in ordered]
    assert live.version is not None and live.schema is not None
    return [live.version], [live.schema]


def _direction(inc: compatibility.Incompatibility, versions: Sequence[int]) -> str:
    version = versions[inc.previous_index] if inc.previous_index < len(versions) else inc.previous_version
    if inc.direction == compatibility.BACKWARD:
        return f"the new schema cannot read records written with version {version}"
    return f"consumers on version {version} cannot read records written with the new schema"


def canonical_form(text: str, schema_type: str, source: str) -> str:
    """The form two schema texts are compared in: Avro's normalised form; for other
    schema types, the JSON document with sorted keys (or the stripped text)."""
    if schema_type == "AVRO":
        return normalised(text, source)
    if schema_type == "PROTOBUF":
        from kgitops.protobuf.text import canonical

        return canonical(text)
    try:
        return json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
    except ValueError:
        return text.strip()


def _compared_as(spec: SubjectSpec, schema_type: str | None = None) -> str:
    """An Avro schema with references names types it does not define, so it has no
    normalised form of its own: it is compared as a JSON document."""
    schema_type = schema_type or spec.schema_type
    return "JSON" if schema_type == "AVRO" and spec.references else schema_type


def _check_with_references(spec: SubjectSpec, texts: Sequence[str], level: str,
                           context: Context | None) -> compatibility.CompatibilityResult:
    """The Avro checker with the declared referenced schemas' types defined; paths as in
    the schema alone. An undeclared referenced subject leaves the check to the registry."""
    import dataclasses

    from kgitops.avro.references import unwrapped_path, with_references
    from kgitops.kinds.subject.references import avro_referenced_texts

    specs = context.specs if context else (spec,)
    referenced = avro_referenced_texts(spec, {s.subject: s for s in specs})
    if referenced is None:
        raise InputError("a referenced subject is not declared")
    result = compatibility.check(with_references(spec.schema, referenced),
                                 [with_references(t, referenced) for t in texts], level)
    return dataclasses.replace(result, incompatibilities=tuple(
        dataclasses.replace(inc, path=unwrapped_path(inc.path, spec.schema)) for inc in result.incompatibilities))


def _canonical_or_none(text: str, schema_type: str) -> str | None:
    try:
        return canonical_form(text, schema_type, "registered schema")
    except InputError:
        return None


def _where(spec: SubjectSpec) -> dict[str, object]:
    if spec.location is None:
        return {"file": display_path(spec.schema_file)}
    return {"file": spec.location.file, "line": spec.location.line, "column": spec.location.column}


# ---------------------------------------------------------------------------
# Deletion
# ---------------------------------------------------------------------------


def diff_claimed_subjects(cluster: ClusterSpec, live: LiveRegistry) -> tuple[list[Action], list[Problem]]:
    """Claimed subjects (of a topic under owned_prefixes) that are no longer declared:
    soft-deleted when policy.allow_subject_deletion, otherwise reported and kept."""
    declared = {s.subject for s in cluster.subjects}
    actions: list[Action] = []
    problems: list[Problem] = []
    for name, subject in sorted(live.subjects.items()):
        if name in declared or subject.version is None or not is_claimed(cluster, name):
            continue
        if cluster.policy.allow_subject_deletion:
            actions.append(DeleteSubject(subject=name, versions=subject.versions or (subject.version,), risks=(
                "soft delete: producers that register or look up schemas under this subject fail; records "
                "already written stay readable (their schema ids still resolve)",)))
        else:
            problems.append(Problem(
                f"subject {name} belongs to owned topic {topic_of_subject(name)} but is not declared; kept, "
                f"because policy.allow_subject_deletion is false", file=cluster.source_file, severity="warning"))
    return actions, problems

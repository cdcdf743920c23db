"""Executes the schema actions of a plan against the registry.

Order, per subject: the level first (the new version is then checked, by us at plan time
and by the registry now, with the level it will live under), then the registration.
Subjects run concurrently over the shared client, in waves: a subject whose schema
references another runs in a wave after that subject's (kgitops.kinds.subject.references).
A mode that lets registrations through is set before them, READONLY after them. Deletions come
last, and only when every constructive schema action succeeded (docs/architecture.md,
"Apply order").

Every action yields an Outcome with the registry's exact error. Re-running is harmless:
registering a schema the subject already holds returns its id and makes no new version,
setting a level to its current value changes nothing, and deleting a deleted subject is
taken as done.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, Sequence

from kgitops.desired.loader import display_path
from kgitops.kinds.base import Outcome
from kgitops.errors import KgitopsError
from kgitops.live.registry_client import IncompatibleSchema, RegistryClient, SubjectNotFound, is_transitive
from kgitops.plan import Action
from kgitops.kinds.subject.actions import DeleteSubject, RegisterSchema, SetCompatibility, SetMode

SCHEMA_ACTIONS = (SetCompatibility, RegisterSchema, SetMode, DeleteSubject)


def apply_schema_actions(client: RegistryClient, actions: Iterable[Action], max_workers: int = 8) -> list[Outcome]:
    """Run the schema actions among `actions` (others are ignored); one Outcome each, in
    the order they ran: per subject level then registration, then deletions."""
    schema_actions = [a for a in actions if isinstance(a, SCHEMA_ACTIONS)]
    # The global mode: one that lets registrations through first, READONLY after them all.
    global_modes = [a for a in schema_actions if isinstance(a, SetMode) and not a.subject]
    schema_actions = [a for a in schema_actions if a not in global_modes]
    first = [set_mode(client, a) for a in global_modes if a.after != "READONLY"]
    if any(not o.ok for o in first):
        return first + [Outcome(a, ok=False, skipped=True, error="not attempted: setting the global mode failed")
                        for a in schema_actions]
    later = [a for a in global_modes if a.after == "READONLY"]
    groups = _constructive_groups(schema_actions)
    deletions = [a for a in schema_actions if isinstance(a, DeleteSubject)]
    global_level = _GlobalLevel(client)
    workers = max(1, min(max_workers, len(groups)))
    outcomes: list[Outcome] = []
    failed: set[str] = set()
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry-apply") as pool:
        # Referenced subjects first: one wave after another, the subjects of a wave concurrently.
        for wave in _reference_waves(groups):
            ready, blocked = [], []
            for group in wave:
                waits_for = sorted(_referenced(group) & failed)
                (blocked if waits_for else ready).append((group, waits_for))
            for group, waits_for in blocked:
                outcomes += [Outcome(a, ok=False, skipped=True,
                                     error=f"not attempted: referenced subject {', '.join(waits_for)} failed first")
                             for a in group]
                failed.add(group[0].subject)
            for group_outcomes in pool.map(lambda g: _apply_subject(client, g[0], global_level), ready):
                outcomes += group_outcomes
                failed.update(o.action.subject for o in group_outcomes if not o.ok)  # type: ignore[attr-defined]
    outcomes = first + outcomes
    if later:
        outcomes += ([set_mode(client, a) for a in later] if all(o.ok for o in outcomes) else
                     [Outcome(a, ok=False, skipped=True, error="not attempted: an earlier schema action failed")
                      for a in later])
    if any(not o.ok for o in outcomes):
        return outcomes + [Outcome(a, ok=False, skipped=True,
                                   error="not attempted: an earlier schema action failed, and nothing destructive "
                                         "runs before everything constructive has succeeded")
                           for a in deletions]
    return outcomes + [delete_subject(client, a) for a in deletions]


def _constructive_groups(actions: Sequence[Action]) -> list[list[Action]]:
    """Per subject (first-seen order), its SetCompatibility before its RegisterSchema; a
    mode that lets registrations through (READWRITE, IMPORT) before them, READONLY after."""
    groups: dict[str, list[Action]] = {}
    for action in actions:
        if isinstance(action, (SetCompatibility, RegisterSchema, SetMode)):
            groups.setdefault(action.subject, []).append(action)
    return [sorted(group, key=_position) for group in groups.values()]


def _position(action: Action) -> int:
    if isinstance(action, SetCompatibility):
        return 0
    if isinstance(action, SetMode):
        return 3 if action.after == "READONLY" else 1
    return 2


def _referenced(group: list[Action]) -> set[str]:
    return {subject for a in group if isinstance(a, RegisterSchema) for _, subject, _ in a.references}


def _reference_waves(groups: list[list[Action]]) -> list[list[list[Action]]]:
    if not any(_referenced(g) for g in groups):
        return [groups]
    from kgitops.kinds.subject.references import waves

    by_subject = {g[0].subject: g for g in groups}  # type: ignore[attr-defined]
    edges = {name: sorted(_referenced(g)) for name, g in by_subject.items()}
    return [[by_subject[name] for name in wave] for wave in waves(by_subject, edges)]


def _apply_subject(client: RegistryClient, group: list[Action], global_level: "_GlobalLevel") -> list[Outcome]:
    outcomes: list[Outcome] = []
    for action in group:
        if outcomes and not outcomes[-1].ok:
            outcomes.append(Outcome(action, ok=False, skipped=True,
                                    error=f"not attempted: {outcomes[-1].action.kind} of subject "
                                          f"{action.resource} failed first"))
        elif isinstance(action, SetCompatibility):
            outcomes.append(set_compatibility(client, action))
        elif isinstance(action, SetMode):
            outcomes.append(set_mode(client, action))
        else:
            assert isinstance(action, RegisterSchema)
            outcomes.append(register_schema(client, action, global_level))
    return outcomes


def set_compatibility(client: RegistryClient, action: SetCompatibility) -> Outcome:
    try:
        client.set_subject_config(action.subject, action.after)
    except KgitopsError as err:
        return Outcome(action, ok=False, error=err.message)
    return Outcome(action, ok=True)


def set_mode(client: RegistryClient, action: SetMode) -> Outcome:
    try:
        client.set_mode(action.after, action.subject or None)
    except KgitopsError as err:
        return Outcome(action, ok=False, error=err.message)
    return Outcome(action, ok=True)


def register_schema(client: RegistryClient, action: RegisterSchema, global_level: "_GlobalLevel") -> Outcome:
    """Ask the registry's compatibility endpoint first (its messages explain a refusal
    better than a failed registration does), then register. A schema with references is
    registered directly: Apicurio's compatibility endpoint cannot resolve references, and
    registering checks compatibility on every registry (a refusal is HTTP 409 with the
    registry's reasons)."""
    if action.references:
        return _register_with_references(client, action)
    try:
        level = client.get_subject_config(action.subject) or global_level.get()
        # /versions/latest checks the latest only; /versions checks what the level requires
        # (Apicurio: every version whatever the level), so each level gets the endpoint
        # that applies exactly its rule on both registries.
        against = None if is_transitive(level) else "latest"
        compatible, messages = client.test_compatibility(action.subject, action.schema, version=against,
                                                         schema_type=action.schema_type)
        if not compatible:
            details = "; ".join(messages) if messages else "the registry gave no details"
            return Outcome(action, ok=False, rejected=True, error=(
                f"the schema registry at {client.url} says the schema in {display_path(action.schema_file)} is not {level} "
                f"compatible with subject {action.subject} ({details}); nothing was registered"))
        client.register(action.subject, action.schema, action.schema_type)
    except IncompatibleSchema as err:
        return Outcome(action, ok=False, rejected=True, error=err.message)
    except KgitopsError as err:
        return Outcome(action, ok=False, error=err.message)
    return Outcome(action, ok=True)


def _register_with_references(client: RegistryClient, action: RegisterSchema) -> Outcome:
    try:
        references = tuple((name, subject, int(version) if version != "latest"
                            else client.get_version(subject, "latest").version)
                           for name, subject, version in action.references)
        client.register(action.subject, action.schema, action.schema_type, references)
    except IncompatibleSchema as err:
        return Outcome(action, ok=False, rejected=True, error=(
            f"the schema registry at {client.url} refused the schema in {display_path(action.schema_file)} as "
            f"incompatible with subject {action.subject} ({err.registry_message or err.message}); nothing was registered"))
    except KgitopsError as err:
        return Outcome(action, ok=False, error=err.message)
    return Outcome(action, ok=True)


def delete_subject(client: RegistryClient, action: DeleteSubject) -> Outcome:
    """Soft delete; a subject already gone (or soft-deleted) counts as deleted."""
    try:
        client.delete_subject(action.subject)
    except SubjectNotFound:
        return Outcome(action, ok=True)
    except KgitopsError as err:
        return Outcome(action, ok=False, error=err.message)
    return Outcome(action, ok=True)


class _GlobalLevel:
    """The global level, read once and only if a subject has no level of its own."""

    def __init__(self, client: RegistryClient):
        self._client = client
        self._lock = threading.Lock()
        self._level: str | None = None

    def get(self) -> str:
        with self._lock:
            if self._level is None:
                self._level = self._client.get_global_config()
            return self._level

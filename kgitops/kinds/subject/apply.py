"""Executes the schema actions of a plan against the registry.

Order, per subject: the level first (the new version is then checked, by us at plan time
and by the registry now, with the level it will live under), then the registration.
Subjects are independent, so they run concurrently over the shared client. Deletions come
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
from kgitops.live.registry_client import RegistryClient, SubjectNotFound, is_transitive
from kgitops.plan import Action
from kgitops.kinds.subject.actions import DeleteSubject, RegisterSchema, SetCompatibility

SCHEMA_ACTIONS = (SetCompatibility, RegisterSchema, DeleteSubject)


def apply_schema_actions(client: RegistryClient, actions: Iterable[Action], max_workers: int = 8) -> list[Outcome]:
    """Run the schema actions among `actions` (others are ignored); one Outcome each, in
    the order they ran: per subject level then registration, then deletions."""
    schema_actions = [a for a in actions if isinstance(a, SCHEMA_ACTIONS)]
    groups = _constructive_groups(schema_actions)
    deletions = [a for a in schema_actions if isinstance(a, DeleteSubject)]
    global_level = _GlobalLevel(client)
    workers = max(1, min(max_workers, len(groups)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry-apply") as pool:
        outcomes = [o for group in pool.map(lambda g: _apply_subject(client, g, global_level), groups) for o in group]
    if any(not o.ok for o in outcomes):
        return outcomes + [Outcome(a, ok=False, skipped=True,
                                   error="not attempted: an earlier schema action failed, and nothing destructive "
                                         "runs before everything constructive has succeeded")
                           for a in deletions]
    return outcomes + [delete_subject(client, a) for a in deletions]


def _constructive_groups(actions: Sequence[Action]) -> list[list[Action]]:
    """Per subject (first-seen order), its SetCompatibility before its RegisterSchema."""
    groups: dict[str, list[Action]] = {}
    for action in actions:
        if isinstance(action, (SetCompatibility, RegisterSchema)):
            groups.setdefault(action.subject, []).append(action)
    return [sorted(group, key=lambda a: 0 if isinstance(a, SetCompatibility) else 1) for group in groups.values()]


def _apply_subject(client: RegistryClient, group: list[Action], global_level: "_GlobalLevel") -> list[Outcome]:
    outcomes: list[Outcome] = []
    for action in group:
        if outcomes and not outcomes[-1].ok:
            outcomes.append(Outcome(action, ok=False, skipped=True,
                                    error=f"not attempted: {outcomes[-1].action.kind} of subject "
                                          f"{action.resource} failed first"))
        elif isinstance(action, SetCompatibility):
            outcomes.append(set_compatibility(client, action))
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


def register_schema(client: RegistryClient, action: RegisterSchema, global_level: "_GlobalLevel") -> Outcome:
    """Ask the registry's compatibility endpoint first (its messages explain a refusal
    better than a failed registration does), then register."""
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
            return Outcome(action, ok=False, error=(
                f"the schema registry at {client.url} says the schema in {display_path(action.schema_file)} is not {level} "
                f"compatible with subject {action.subject} ({details}); nothing was registered"))
        client.register(action.subject, action.schema, action.schema_type)
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

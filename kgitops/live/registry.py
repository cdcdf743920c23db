"""The live state of the managed subjects, read concurrently over one RegistryClient
(kgitops.live.registry_client): what a plan needs and nothing more."""
from __future__ import annotations

import dataclasses
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Collection, Iterable, Mapping

from kgitops.desired.topic_names import is_claimed
from kgitops.live.registry_client import (RegistryClient, SchemaVersion, SubjectNotFound, VersionNotFound,
                                          is_transitive)
from kgitops.model import ClusterSpec, LiveRegistry, LiveSubject

# ---------------------------------------------------------------------------
# Reading the managed subjects
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _SubjectRead:
    """What phase one learnt about a subject, and which version bodies phase two must fetch."""

    subject: LiveSubject
    history_versions: tuple[int, ...] = ()


@dataclass
class _ReadPlan:
    desired: Mapping[str, str] = field(default_factory=dict)  # subject -> desired schema text
    history_for: frozenset[str] = frozenset()


def read_subjects(client: RegistryClient, subjects: Iterable[str], max_workers: int = 16, *,
                  desired: Mapping[str, str] | None = None,
                  history_for: Collection[str] = ()) -> LiveRegistry:
    """The live state of exactly `subjects` (nothing else is read), concurrently over the
    shared client, plus the global level.

    Per subject: the latest version, the subject's own level and, when `desired` holds a
    schema for it that is not textually the latest, the registry's lookup of that schema
    (`LiveSubject.desired_schema_version`: the registry's own notion of "already
    registered", which is what decides whether registering makes a new version). When the
    subject's level is transitive, or it is in `history_for`, every version's schema is
    read too (`LiveSubject.history`), for the local compatibility check. Versions are listed
    when history is read or the subject is not in `desired` (a deletion candidate)."""
    names = list(dict.fromkeys(subjects))
    plan = _ReadPlan(dict(desired or {}), frozenset(history_for))
    global_level = client.get_global_config()
    workers = max(1, min(max_workers, len(names)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry-read") as pool:
        reads = list(pool.map(lambda s: _read_subject(client, s, plan, global_level), names))
        # Phase two: every version body that history needs, all subjects at once.
        wanted = [(r.subject.subject, v) for r in reads for v in r.history_versions]
        bodies = dict(zip(wanted, pool.map(lambda sv: client.get_version(*sv).schema, wanted)))
    live: dict[str, LiveSubject] = {}
    for read in reads:
        subject = read.subject
        if read.history_versions:
            history = {v: bodies[(subject.subject, v)] for v in read.history_versions}
            if subject.version is not None and subject.schema is not None:
                history[subject.version] = subject.schema
            subject = _replace(subject, history=dict(sorted(history.items())))
        live[subject.subject] = subject
    return LiveRegistry(global_compatibility=global_level, subjects=live)


def _read_subject(client: RegistryClient, name: str, plan: _ReadPlan, global_level: str) -> _SubjectRead:
    level = client.get_subject_config(name)
    try:
        latest: SchemaVersion | None = client.get_version(name, "latest")
    except (SubjectNotFound, VersionNotFound):
        latest = None
    if latest is None:
        return _SubjectRead(LiveSubject(subject=name, version=None, schema_id=None, schema=None, compatibility=level))

    desired_text = plan.desired.get(name)
    desired_version = None
    if desired_text is not None:
        desired_version = latest.version if _same_json(desired_text, latest.schema) else None
        if desired_version is None:
            found = client.lookup(name, desired_text, latest.schema_type)
            desired_version = found.version if found else None

    # History only matters for a schema that will be checked before registering.
    needs_check = desired_text is None or desired_version is None
    wants_history = needs_check and (
        name in plan.history_for or (desired_text is not None and is_transitive(level or global_level)))
    versions: tuple[int, ...] = (latest.version,)
    if wants_history or desired_text is None:
        versions = tuple(client.list_versions(name)) or (latest.version,)
    subject = LiveSubject(
        subject=name, version=latest.version, schema_id=latest.id, schema=latest.schema,
        schema_type=latest.schema_type, compatibility=level, versions=versions,
        desired_schema_version=desired_version,
    )
    if not wants_history:
        return _SubjectRead(subject)
    older = tuple(v for v in versions if v != latest.version)
    if not older:
        return _SubjectRead(_replace(subject, history={latest.version: latest.schema}))
    return _SubjectRead(subject, older)


def read_history(client: RegistryClient, subject: str) -> dict[int, str]:
    """Every undeleted version's schema of `subject`, oldest first ({} if it has none)."""
    try:
        versions = client.list_versions(subject)
    except SubjectNotFound:
        return {}
    return {v: client.get_version(subject, v).schema for v in versions}


def managed_subjects(cluster: ClusterSpec, live_subjects: Iterable[str]) -> list[str]:
    """The subjects a plan reads: every declared one, plus live subjects the cluster file
    claims (a `<topic>-key`/`<topic>-value` subject of a topic under `owned_prefixes`)."""
    declared = [s.subject for s in cluster.subjects]
    declared_set = set(declared)
    claimed = sorted(s for s in live_subjects if s not in declared_set and is_claimed(cluster, s))
    return declared + claimed


def read_registry(client: RegistryClient, cluster: ClusterSpec, max_workers: int = 16,
                  include_claimed: bool = True) -> LiveRegistry:
    """The live state a plan for `cluster` needs: declared subjects (with the registry's
    lookup of their desired schema, and history where a declared level is transitive) and,
    when `include_claimed`, the claimed ones (one GET /subjects to find them)."""
    names = [s.subject for s in cluster.subjects]
    if include_claimed and cluster.owned_prefixes:
        names = managed_subjects(cluster, client.list_subjects())
    desired = {s.subject: s.schema for s in cluster.subjects}
    history_for = {s.subject for s in cluster.subjects if is_transitive(_upper(s.compatibility))}
    return read_subjects(client, names, max_workers, desired=desired, history_for=history_for)


def _upper(level: str | None) -> str | None:
    return level.upper() if level else None


def _same_json(a: str, b: str) -> bool:
    """Equal as JSON documents (key order and whitespace ignored): a cheap first test that
    saves a lookup round trip for unchanged subjects; anything else asks the registry."""
    try:
        return json.loads(a) == json.loads(b)
    except ValueError:
        return False


def _replace(subject: LiveSubject, **changes: Any) -> LiveSubject:
    return dataclasses.replace(subject, **changes)

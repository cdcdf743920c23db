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
from kgitops.model import ClusterSpec, LiveRegistry, LiveSubject, SubjectSpec

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
    specs: Mapping[str, SubjectSpec] = field(default_factory=dict)  # declared subjects with types and references


def read_subjects(client: RegistryClient, subjects: Iterable[str], max_workers: int = 16, *,
                  desired: Mapping[str, str] | None = None,
                  history_for: Collection[str] = (),
                  specs: Mapping[str, SubjectSpec] | None = None) -> LiveRegistry:
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
    plan = _ReadPlan(dict(desired or {}), frozenset(history_for), dict(specs or {}))
    global_level = client.get_global_config()
    workers = max(1, min(max_workers, len(names)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="registry-read") as pool:
        reads = list(pool.map(lambda s: _read_subject(client, s, plan, global_level), names))
        # Phase two: every version body that history needs, all subjects at once.
        wanted = [(r.subject.subject, v) for r in reads for v in r.history_versions]
        bodies = dict(zip(wanted, pool.map(lambda sv: client.get_version(*sv).schema, wanted)))
        # Phase three: what needs the latest versions of referenced subjects (lookups of
        # schemas with references), and the registry's verdict on Protobuf and JSON Schema.
        latest = {r.subject.subject: r.subject.version for r in reads}
        reads = list(pool.map(lambda r: _after_references(client, r, plan, latest, global_level), reads))
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
        spec = plan.specs.get(name)
        return _SubjectRead(LiveSubject(subject=name, version=None, schema_id=None, schema=None, compatibility=level,
                                        mode=client.get_mode(name) if spec is not None and spec.mode else None))

    desired_text = plan.desired.get(name)
    spec = plan.specs.get(name)
    desired_version = None
    if desired_text is not None and spec is not None and spec.references:
        pass  # looked up in phase three, with the references resolved
    elif desired_text is not None:
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
        desired_schema_version=desired_version, references=_references_of(latest),
        mode=client.get_mode(name) if spec is not None and spec.mode else None,
    )
    if not wants_history:
        return _SubjectRead(subject)
    older = tuple(v for v in versions if v != latest.version)
    if not older:
        return _SubjectRead(_replace(subject, history={latest.version: latest.schema}))
    return _SubjectRead(subject, older)


def _references_of(version: SchemaVersion) -> tuple[tuple[str, str, int], ...]:
    return tuple(sorted((str(r.get("name")), str(r.get("subject")), int(r.get("version") or 0))
                        for r in version.references))


def resolved_references(spec: SubjectSpec, latest: Mapping[str, int | None],
                        client: RegistryClient | None = None) -> tuple[tuple[str, str, int], ...] | None:
    """The references of `spec` with `latest` resolved to version numbers, sorted; None
    when a referenced subject has no version yet."""
    resolved = []
    for reference in spec.references:
        version = reference.version
        if version is None:
            if reference.subject in latest:
                version = latest[reference.subject]
            elif client is not None:
                try:
                    version = client.get_version(reference.subject, "latest").version
                except (SubjectNotFound, VersionNotFound):
                    version = None
        if version is None:
            return None
        resolved.append((reference.name, reference.subject, version))
    return tuple(sorted(resolved))


def _after_references(client: RegistryClient, read: _SubjectRead, plan: _ReadPlan, latest: Mapping[str, int | None],
                      global_level: str) -> _SubjectRead:
    subject = read.subject
    spec = plan.specs.get(subject.subject)
    if spec is None or subject.version is None or subject.schema is None:
        return read
    if spec.references and subject.desired_schema_version is None:
        references = resolved_references(spec, latest, client)
        if references is not None:
            found = client.lookup(subject.subject, spec.schema, spec.schema_type, references)
            if found is not None:
                subject = _replace(subject, desired_schema_version=found.version)
    if spec.schema_type != "AVRO" and subject.desired_schema_version is None and not spec.references:
        # Apicurio's compatibility endpoint cannot resolve references (HTTP 422 or 500):
        # a schema with references is checked by the registry when it is registered.
        level = (subject.compatibility or global_level).upper()
        against = None if is_transitive(level) else "latest"
        compatible, messages = client.test_compatibility(subject.subject, spec.schema, version=against,
                                                         schema_type=spec.schema_type)
        subject = _replace(subject, registry_verdict=(compatible, tuple(messages)))
    return _SubjectRead(subject, read.history_versions)


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
    live = read_subjects(client, names, max_workers, desired=desired, history_for=history_for,
                         specs={s.subject: s for s in cluster.subjects})
    if cluster.schema_registry is not None and cluster.schema_registry.mode:
        live = dataclasses.replace(live, global_mode=client.get_mode())
    return live


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

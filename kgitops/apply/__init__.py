"""Executing a plan: the one place where kgitops changes a cluster or a registry.

Order (design.md section 6): topics are created first, then configs, partitions and
replication change, then schemas are registered (their topics exist by then); deletions
come last and only when everything constructive succeeded. Each step is one batched
request per kind of change. A failed action never stops the independent ones; actions
that depend on a failed one are skipped and reported as such.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from confluent_kafka.admin import AdminClient

from kgitops.apply import topics as topic_steps
from kgitops.apply.outcome import Outcome
from kgitops.plan import (Action, AddPartitions, AlterTopicConfig, ChangeReplicationFactor, CreateTopic,
                          DeleteSubject, DeleteTopic, RegisterSchema, SetCompatibility)

Report = Callable[[Outcome], None]


@dataclass(frozen=True)
class ApplySettings:
    timeout: float = 60.0
    reassignment_timeout: float = 600.0
    throttle_bytes_per_sec: int | None = None


def _of(actions: Sequence[Action], kind: type) -> list:
    return [a for a in actions if isinstance(a, kind)]


def execute(actions: Sequence[Action], *, client_config: dict, registry_client=None, report: Report,
            settings: ApplySettings = ApplySettings()) -> list[Outcome]:
    admin = AdminClient(client_config)
    outcomes: list[Outcome] = []
    outcomes += topic_steps.create_topics(admin, _of(actions, CreateTopic), settings.timeout, report)
    failed_topics = {o.action.topic for o in outcomes if not o.ok}
    outcomes += topic_steps.alter_configs(admin, _of(actions, AlterTopicConfig), settings.timeout, report)
    outcomes += topic_steps.add_partitions(admin, _of(actions, AddPartitions), settings.timeout, report)
    replication = _of(actions, ChangeReplicationFactor)
    if replication:
        from kgitops.apply.replication import apply_replication_changes

        outcomes += _reported(apply_replication_changes(
            client_config, replication, throttle_bytes_per_sec=settings.throttle_bytes_per_sec,
            timeout=settings.reassignment_timeout), report)

    schema_actions = [a for a in actions if isinstance(a, (RegisterSchema, SetCompatibility))]
    # A schema of a topic that could not be created waits for the next apply.
    blocked = [a for a in schema_actions if isinstance(a, RegisterSchema) and a.topic in failed_topics]
    runnable = [a for a in schema_actions if a not in blocked]
    outcomes += _skipped(blocked, "its topic was not created", report)
    if runnable:
        outcomes += _reported(_apply_schemas(registry_client, runnable), report)

    destructive = [a for a in actions if isinstance(a, (DeleteSubject, DeleteTopic))]
    if destructive and any(not o.ok for o in outcomes):
        outcomes += _skipped(destructive, "an earlier change failed; nothing is deleted until every "
                                          "constructive change has succeeded", report)
        return outcomes
    subject_deletions = _of(destructive, DeleteSubject)
    if subject_deletions:
        outcomes += _reported(_apply_schemas(registry_client, subject_deletions), report)
    outcomes += topic_steps.delete_topics(admin, _of(destructive, DeleteTopic), settings.timeout, report)
    return outcomes


def _apply_schemas(registry_client, actions: list[Action]) -> list[Outcome]:
    from kgitops.apply.schemas import apply_schema_actions

    if registry_client is None:
        return [Outcome(a, ok=False, error="no schema_registry is configured in the cluster file") for a in actions]
    return apply_schema_actions(registry_client, actions)


def _reported(outcomes: list[Outcome], report: Report) -> list[Outcome]:
    for outcome in outcomes:
        report(outcome)
    return outcomes


def _skipped(actions: Sequence[Action], why: str, report: Report) -> list[Outcome]:
    return _reported([Outcome(a, ok=False, error=why, skipped=True) for a in actions], report)

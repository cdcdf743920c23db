"""Executing topic actions: one admin request per kind of change for all topics.

CreateTopics (pre-checked with validate_only), IncrementalAlterConfigs, CreatePartitions,
DeleteTopics. Every action gets an Outcome with the broker's exact error.
"""
from __future__ import annotations

import time
from concurrent.futures import Future
from typing import Callable, Sequence

from confluent_kafka import KafkaException
from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions,
                                   NewTopic, ResourceType)

from kgitops.apply.outcome import Outcome
from kgitops.plan import AddPartitions, AlterTopicConfig, CreateTopic, DeleteTopic

Report = Callable[[Outcome], None]


def error_text(err: BaseException) -> str:
    if isinstance(err, KafkaException) and err.args and hasattr(err.args[0], "str"):
        kerr = err.args[0]
        return f"{kerr.name()}: {kerr.str()}"
    return f"{type(err).__name__}: {err}"


def _collect(futures: dict, timeout: float) -> dict[str, str | None]:
    """Wait for every future; the error text per key, None for success."""
    errors: dict[str, str | None] = {}
    for key, future in futures.items():
        name = key.name if isinstance(key, ConfigResource) else key
        try:
            future.result(timeout=timeout)
            errors[name] = None
        except Exception as err:  # each topic's own error is the outcome, not a crash
            errors[name] = error_text(err)
    return errors


def create_topics(admin: AdminClient, actions: Sequence[CreateTopic], timeout: float, report: Report) -> list[Outcome]:
    if not actions:
        return []
    new = {a.topic: NewTopic(a.topic, a.partitions, a.replication_factor, config=dict(a.config)) for a in actions}
    # Dry run first: the broker checks every topic (names, configs, replication) without
    # creating any, so a bad one is reported before the others are created.
    checked = _collect(admin.create_topics(list(new.values()), validate_only=True, request_timeout=timeout), timeout)
    valid = [new[a.topic] for a in actions if checked.get(a.topic) is None]
    created = _collect(admin.create_topics(valid, request_timeout=timeout), timeout) if valid else {}
    outcomes = []
    for a in actions:
        error = checked.get(a.topic) or created.get(a.topic)
        if error and error.startswith("TOPIC_ALREADY_EXISTS"):
            error = None  # a re-run after a crash: the topic is there, its configs are compared next plan
        outcome = Outcome(a, ok=error is None, error=error)
        report(outcome)
        outcomes.append(outcome)
    wait_for_topics(admin, [o.action.topic for o in outcomes if o.ok], timeout)
    return outcomes


def wait_for_topics(admin: AdminClient, topics: list[str], timeout: float) -> None:
    """Until every topic has a leader for each partition, so the next steps (configs,
    schemas, producers) find them. Bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    pending = set(topics)
    while pending and time.monotonic() < deadline:
        metadata = admin.list_topics(timeout=min(10.0, timeout))
        for name in list(pending):
            meta = metadata.topics.get(name)
            if meta is not None and meta.error is None and meta.partitions and \
                    all(p.leader >= 0 for p in meta.partitions.values()):
                pending.discard(name)
        if pending:
            time.sleep(0.2)


def alter_configs(admin: AdminClient, actions: Sequence[AlterTopicConfig], timeout: float,
                  report: Report) -> list[Outcome]:
    if not actions:
        return []
    resources = []
    for a in actions:
        entries = [
            ConfigEntry(c.key, c.after if c.op == "set" else None,
                        incremental_operation=AlterConfigOpType.SET if c.op == "set" else AlterConfigOpType.DELETE)
            for c in a.changes
        ]
        resources.append(ConfigResource(ResourceType.TOPIC, a.topic, incremental_configs=entries))
    errors = _collect(admin.incremental_alter_configs(resources, request_timeout=timeout), timeout)
    return _outcomes(actions, errors, report)


def add_partitions(admin: AdminClient, actions: Sequence[AddPartitions], timeout: float,
                   report: Report) -> list[Outcome]:
    if not actions:
        return []
    futures = admin.create_partitions([NewPartitions(a.topic, a.after) for a in actions], request_timeout=timeout)
    errors = _collect(futures, timeout)
    return _outcomes(actions, errors, report)


def delete_topics(admin: AdminClient, actions: Sequence[DeleteTopic], timeout: float, report: Report) -> list[Outcome]:
    if not actions:
        return []
    errors = _collect(admin.delete_topics([a.topic for a in actions], request_timeout=timeout), timeout)
    for name, error in errors.items():
        if error and error.startswith("UNKNOWN_TOPIC_OR_PART"):
            errors[name] = None  # already gone: a re-run after a crash converges
    return _outcomes(actions, errors, report)


def _outcomes(actions, errors: dict[str, str | None], report: Report) -> list[Outcome]:
    outcomes = []
    for a in actions:
        error = errors.get(a.topic, "no answer from the cluster")
        outcome = Outcome(a, ok=error is None, error=error)
        report(outcome)
        outcomes.append(outcome)
    return outcomes

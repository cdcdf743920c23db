"""Executing topic actions: one admin request per kind of change for all topics.

CreateTopics (pre-checked with validate_only), IncrementalAlterConfigs, CreatePartitions,
DeleteTopics. Every action gets an Outcome with the broker's exact error.
"""
from __future__ import annotations

import time
from typing import Callable, Sequence, TypeVar

from confluent_kafka.admin import (AdminClient, AlterConfigOpType, ConfigEntry, ConfigResource, NewPartitions,
                                   NewTopic, ResourceType)

from kgitops.kinds.base import Outcome
from kgitops.live.kafka_errors import kafka_error_text
from kgitops.kinds.topic.actions import AddPartitions, AlterTopicConfig, CreateTopic, DeleteTopic

Report = Callable[[Outcome], None]
T = TypeVar("T")

# The KRaft controller refuses one request that would write more than 10,000 metadata
# records ("excessively large batch operation"): a topic costs one record, plus one per
# partition and one per config. Requests are cut well below that and sent together.
MAX_RECORDS_PER_REQUEST = 5000


def chunks(items: Sequence[T], weight: Callable[[T], int], limit: int = MAX_RECORDS_PER_REQUEST) -> list[list[T]]:
    """`items` cut into consecutive groups whose total weight stays within `limit`."""
    groups: list[list[T]] = []
    current: list[T] = []
    total = 0
    for item in items:
        w = weight(item)
        if current and total + w > limit:
            groups.append(current)
            current, total = [], 0
        current.append(item)
        total += w
    if current:
        groups.append(current)
    return groups


def _in_chunks(send: Callable[[list], dict], items: list, weight: Callable, timeout: float) -> dict[str, str | None]:
    """Send every chunk at once (the controller queues them), then collect all answers."""
    in_flight = [send(group) for group in chunks(items, weight)]
    errors: dict[str, str | None] = {}
    for futures in in_flight:
        errors.update(_collect(futures, timeout))
    return errors


def _collect(futures: dict, timeout: float) -> dict[str, str | None]:
    """Wait for every future; the error text per key, None for success."""
    errors: dict[str, str | None] = {}
    for key, future in futures.items():
        name = key.name if isinstance(key, ConfigResource) else key
        try:
            future.result(timeout=timeout)
            errors[name] = None
        except Exception as err:  # each topic's own error is the outcome, not a crash
            errors[name] = kafka_error_text(err)
    return errors


def create_topics(admin: AdminClient, actions: Sequence[CreateTopic], timeout: float, report: Report) -> list[Outcome]:
    if not actions:
        return []
    new = {a.topic: NewTopic(a.topic, a.partitions, a.replication_factor, config=dict(a.config)) for a in actions}
    weight = {a.topic: 1 + a.partitions + len(a.config) for a in actions}
    by_weight = lambda t: weight[t.topic]  # noqa: E731
    # Dry run first: the broker checks every topic (names, configs, replication) without
    # creating any, so a bad one is reported before the others are created.
    checked = _in_chunks(lambda group: admin.create_topics(group, validate_only=True, request_timeout=timeout),
                         list(new.values()), by_weight, timeout)
    valid = [new[a.topic] for a in actions if checked.get(a.topic) is None]
    created = _in_chunks(lambda group: admin.create_topics(group, request_timeout=timeout),
                         valid, by_weight, timeout) if valid else {}
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
    """Until the metadata lists every topic, so that a plan run right after the apply finds
    them. Leaders are not awaited: brokers elect them on their own, and on a large create
    that takes seconds nothing after this step needs. Bounded by `timeout`."""
    deadline = time.monotonic() + timeout
    pending = set(topics)
    while pending and time.monotonic() < deadline:
        metadata = admin.list_topics(timeout=min(10.0, timeout))
        # Listed with an error (LEADER_NOT_AVAILABLE) still counts: the topic exists.
        pending = {name for name in pending if name not in metadata.topics}
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
    errors = _in_chunks(lambda group: admin.incremental_alter_configs(group, request_timeout=timeout),
                        resources, lambda r: len(r.incremental_configs), timeout)
    return _outcomes(actions, errors, report)


def add_partitions(admin: AdminClient, actions: Sequence[AddPartitions], timeout: float,
                   report: Report) -> list[Outcome]:
    if not actions:
        return []
    added = {a.topic: a.after - a.before for a in actions}
    new = [NewPartitions(a.topic, a.after, replica_assignment=[list(a.assignment[p]) for p in sorted(a.assignment)])
           if a.assignment else NewPartitions(a.topic, a.after) for a in actions]
    errors = _in_chunks(lambda group: admin.create_partitions(group, request_timeout=timeout),
                        new, lambda p: added[p.topic], timeout)
    return _outcomes(actions, errors, report)


def delete_topics(admin: AdminClient, actions: Sequence[DeleteTopic], timeout: float, report: Report) -> list[Outcome]:
    if not actions:
        return []
    errors = _in_chunks(lambda group: admin.delete_topics(group, request_timeout=timeout),
                        [a.topic for a in actions], lambda topic: 1, timeout)
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

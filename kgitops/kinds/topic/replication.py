"""Apply replication-factor changes: one partition reassignment for every topic, optionally
throttled, waited on until every target replica is in the ISR (docs/architecture.md,
"Apply order").

Re-running is safe: partitions already at their target are not sent again, and a target
that is still moving from an interrupted run is simply sent again (Kafka keeps going).
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence, TextIO

from confluent_kafka.admin import AdminClient

from kgitops.kinds.base import Outcome
from kgitops.errors import InputError, KgitopsError
from kgitops.live.reassign import (
    PartitionReplicas,
    PartitionSync,
    ProgressCallback,
    ReassignmentProgress,
    Reassigner,
    ReassignmentTimeout,
    TopicPartitionId,
    format_pending,
)
from kgitops.live.throttle import ReplicationThrottle, throttle_left_behind, throttle_plan
from kgitops.kinds.topic.actions import ChangeReplicationFactor

REASSIGNMENT_TIMEOUT_S = 600.0


class StderrProgress:
    """`reassigning: 12/24 partitions in sync (5 s)`: a line whenever the count changes and
    at least every `every` seconds, so a CI log shows the apply is alive without flooding."""

    def __init__(self, stream: TextIO | None = None, every: float = 10.0):
        self._stream = stream
        self._every = every
        self._last_count: int | None = None
        self._last_at = 0.0

    def __call__(self, progress: ReassignmentProgress) -> None:
        now = time.monotonic()
        if progress.in_sync == self._last_count and now - self._last_at < self._every:
            return
        self._last_count, self._last_at = progress.in_sync, now
        stream = self._stream or sys.stderr
        stream.write(f"reassigning: {progress.in_sync}/{progress.total} partitions in sync "
                     f"({progress.elapsed:.0f} s)\n")
        stream.flush()


@dataclass
class _Prepared:
    """The partitions whose replicas must change, per topic, with their live replicas; and
    the actions that cannot start at all."""

    moves: dict[str, dict[int, tuple[int, ...]]] = field(default_factory=dict)
    current: dict[str, dict[int, tuple[int, ...]]] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)


@dataclass
class _Report:
    refused: dict[TopicPartitionId, str] = field(default_factory=dict)
    pending: dict[TopicPartitionId, PartitionSync] = field(default_factory=dict)
    failure: str | None = None  # nothing was started: throttle or request failed
    throttle_left: list[str] = field(default_factory=list)


def apply_replication_changes(
    client_props: Mapping[str, object],
    actions: Sequence[ChangeReplicationFactor],
    *,
    throttle_bytes_per_sec: int | None = None,
    timeout: float = REASSIGNMENT_TIMEOUT_S,
    progress: ProgressCallback | None = None,
    connect: Callable[[], Reassigner] | None = None,
) -> list[Outcome]:
    """Reassign the partitions of every action in one AlterPartitionReassignments request
    and wait until they are in sync; one Outcome per action, in order, with the exact
    error of each failure. `progress` defaults to a line on stderr.

    With `throttle_bytes_per_sec`, replication of the moving replicas is throttled while
    they copy, and the throttle is removed afterwards whatever happened (a throttle that
    cannot be removed fails the actions and names the configs left)."""
    if not actions:
        return []
    _check_throttle(throttle_bytes_per_sec)
    try:
        reassigner = connect() if connect is not None else Reassigner.connect(client_props)
    except KgitopsError as exc:
        return [Outcome(a, ok=False, error=exc.message) for a in actions]
    with reassigner:
        try:
            prepared = _prepare(reassigner, actions)
        except KgitopsError as exc:
            return [Outcome(a, ok=False, error=exc.message) for a in actions]
        report = _reassign(reassigner, client_props, prepared, throttle_bytes_per_sec, timeout,
                           progress or StderrProgress())
    return [_outcome(a, prepared, report, timeout) for a in actions]


def _check_throttle(throttle: int | None) -> None:
    if throttle is not None and (isinstance(throttle, bool) or not isinstance(throttle, int) or throttle < 1):
        raise InputError(f"replication throttle must be a positive number of bytes per second, got {throttle!r}")


def _prepare(reassigner: Reassigner, actions: Sequence[ChangeReplicationFactor]) -> _Prepared:
    live = reassigner.partitions(a.topic for a in actions)
    brokers = reassigner.live_broker_ids()
    prepared = _Prepared()
    for action in actions:
        problem = _unstartable(action, live.get(action.topic), brokers)
        if problem is not None:
            prepared.problems[action.topic] = problem
            continue
        partitions = live[action.topic]
        changed = {p: tuple(t) for p, t in sorted(action.assignment.items()) if partitions[p].replicas != tuple(t)}
        if changed:
            prepared.moves[action.topic] = changed
            prepared.current[action.topic] = {p: partitions[p].replicas for p in changed}
    return prepared


def _unstartable(action: ChangeReplicationFactor, partitions: Mapping[int, PartitionReplicas] | None,
                 brokers: Sequence[int]) -> str | None:
    """Why Kafka would refuse this action, said before anything is sent, so an action is
    refused whole rather than with some of its partitions already moving."""
    if partitions is None:
        return f"topic {action.topic} does not exist"
    unknown = sorted(set(action.assignment) - set(partitions))
    if unknown:
        return (f"partition(s) {', '.join(map(str, unknown))} of {action.topic} do not exist "
                f"(it has {len(partitions)} partitions); the plan is out of date")
    named = {b for replicas in action.assignment.values() for b in replicas}
    absent = sorted(named - set(brokers))
    if absent:
        return (f"the target assignment of {action.topic} names broker(s) {', '.join(map(str, absent))}, "
                f"which are not live brokers of this cluster (live: {', '.join(map(str, brokers))})")
    return None


def _reassign(reassigner: Reassigner, client_props: Mapping[str, object], prepared: _Prepared,
              throttle_bytes_per_sec: int | None, timeout: float, progress: ProgressCallback) -> _Report:
    report = _Report()
    if not prepared.moves:
        return report
    throttle = None
    if throttle_bytes_per_sec:
        plan = throttle_plan(prepared.moves, prepared.current, throttle_bytes_per_sec)
        throttle = ReplicationThrottle(AdminClient(dict(client_props)), plan)
    try:
        if throttle is not None:
            throttle.set()
        report.refused = reassigner.start(prepared.moves)
        accepted = {
            topic: {p: r for p, r in parts.items() if (topic, p) not in report.refused}
            for topic, parts in prepared.moves.items()
        }
        reassigner.wait_until_in_sync(accepted, timeout, progress)
    except ReassignmentTimeout as exc:
        report.pending = {(s.topic, s.partition): s for s in exc.progress.pending}
    except KgitopsError as exc:
        report.failure = exc.message
    finally:
        if throttle is not None:
            report.throttle_left = throttle.remove()
    return report


def _outcome(action: ChangeReplicationFactor, prepared: _Prepared, report: _Report, timeout: float) -> Outcome:
    topic = action.topic
    if topic in prepared.problems:
        return Outcome(action, ok=False, error=prepared.problems[topic])
    moves = prepared.moves.get(topic, {})
    if not moves:
        return Outcome(action, ok=True)  # already at the target: nothing to move
    errors: list[str] = []
    if report.failure is not None:
        errors.append(f"{report.failure}; nothing was reassigned")
    refused = sorted((p, e) for (t, p), e in report.refused.items() if t == topic)
    if refused:
        errors.append("Kafka refused " + "; ".join(f"{topic}-{p} -> {list(moves[p])}: {e}" for p, e in refused))
    pending = [s for (t, _), s in sorted(report.pending.items()) if t == topic]
    if pending:
        errors.append(
            f"reassignment not finished after {timeout:g} s; still moving: {format_pending(pending)}. "
            "Kafka keeps moving these partitions in the background (without any throttle); "
            "the next plan shows them as being reassigned"
        )
    if report.throttle_left:
        errors.append(throttle_left_behind(report.throttle_left))
    return Outcome(action, ok=not errors, error="; ".join(errors) or None)

"""Partition reassignments, the way Kafka changes a topic's replication factor.

confluent-kafka has no API for AlterPartitionReassignments / ListPartitionReassignments;
kafka-python's KafkaAdminClient has (verified against Kafka 4.4 with kafka-python 3.0):
`alter_partition_reassignments({TopicPartition: [broker ids]})` answers per partition
(None when accepted, else the error class, without the broker's message text),
`list_partition_reassignments({topic: [partitions]})` lists what is still moving with its
adding/removing replicas, and `describe_topics([...])` gives `replica_nodes` / `isr_nodes`.

A reassignment outlives the process that started it, so an interrupted apply leaves work in
flight: `list_in_progress` lets the live-state reader show it in the next plan.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable, Iterable, Mapping, Sequence

from kafka import TopicPartition
from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError as KafkaPythonError

from kgitops.errors import KgitopsError
from kgitops.live.kafka_python_admin import open_kafka_python_admin

TopicPartitionId = tuple[str, int]
# topic -> partition -> target replicas, preferred leader first.
Assignments = Mapping[str, Mapping[int, Sequence[int]]]

PENDING_LINES_SHOWN = 20


class ReassignmentError(KgitopsError):
    """Kafka refused or failed a reassignment request as a whole."""


@dataclass(frozen=True)
class ReassignmentInProgress:
    """A partition whose replica set is still changing: `replicas` is the full set while
    moving (old and new together), `adding` / `removing` what is still to change."""

    topic: str
    partition: int
    replicas: tuple[int, ...]
    adding: tuple[int, ...]
    removing: tuple[int, ...]


@dataclass(frozen=True)
class PartitionReplicas:
    topic: str
    partition: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


@dataclass(frozen=True)
class PartitionSync:
    """One partition's state against the replicas it should end with."""

    topic: str
    partition: int
    target: tuple[int, ...]
    live: PartitionReplicas | None  # None: the partition was not found
    moving: ReassignmentInProgress | None

    @property
    def in_sync(self) -> bool:
        return (
            self.live is not None
            and self.moving is None
            and set(self.live.replicas) == set(self.target)
            and set(self.target) <= set(self.live.isr)
        )

    @property
    def missing_from_isr(self) -> tuple[int, ...]:
        isr = set(self.live.isr) if self.live else set()
        return tuple(b for b in self.target if b not in isr)

    def describe(self) -> str:
        name = f"{self.topic}-{self.partition}"
        if self.live is None:
            return f"{name}: partition not found (was the topic deleted?)"
        parts = [f"{name}: replicas {list(self.live.replicas)}, target {list(self.target)}"]
        if self.missing_from_isr:
            parts.append(f"not yet in the ISR: broker(s) {', '.join(map(str, self.missing_from_isr))}")
        if self.moving is not None:
            if self.moving.adding:
                parts.append(f"adding {list(self.moving.adding)}")
            if self.moving.removing:
                parts.append(f"removing {list(self.moving.removing)}")
        elif set(self.live.replicas) != set(self.target):
            parts.append("no reassignment in progress (cancelled, or replaced by another one?)")
        return "; ".join(parts)


@dataclass(frozen=True)
class ReassignmentProgress:
    in_sync: int
    total: int
    elapsed: float
    pending: tuple[PartitionSync, ...]  # partitions not yet in sync
    last_error: str | None = None  # a poll that failed (retried until the deadline)


ProgressCallback = Callable[[ReassignmentProgress], None]


class ReassignmentTimeout(ReassignmentError):
    """Some partitions were still moving when the wait ended; Kafka keeps moving them."""

    def __init__(self, progress: ReassignmentProgress, timeout: float):
        self.progress = progress
        self.timeout = timeout
        super().__init__(
            f"reassignment not finished after {timeout:g} s: {progress.in_sync}/{progress.total} "
            f"partitions in sync; still moving: {format_pending(progress.pending)}"
            + (f" (last poll error: {progress.last_error})" if progress.last_error else "")
        )


def format_pending(pending: Sequence[PartitionSync], limit: int = PENDING_LINES_SHOWN) -> str:
    shown = "; ".join(p.describe() for p in pending[:limit])
    more = len(pending) - limit
    return shown + (f"; ... and {more} more partition(s)" if more > 0 else "")


def kafka_error_text(error: type[BaseException] | BaseException) -> str:
    """`INVALID_REPLICATION_ASSIGNMENT: Replication assignment is invalid.` for a
    kafka-python error class or instance (its protocol name and description)."""
    cls = error if isinstance(error, type) else type(error)
    name = getattr(cls, "message", None) or cls.__name__
    description = getattr(cls, "description", "") or ""
    detail = str(error) if isinstance(error, BaseException) and str(error) else ""
    return ": ".join(p for p in (name, description, detail) if p)


class Reassigner:
    """Starts reassignments and watches them, over one kafka-python admin connection."""

    def __init__(self, admin: KafkaAdminClient):
        self._admin = admin

    @classmethod
    def connect(cls, client_props: Mapping[str, object]) -> Reassigner:
        return cls(open_kafka_python_admin(client_props))

    def close(self) -> None:
        self._admin.close()

    def __enter__(self) -> Reassigner:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def live_broker_ids(self) -> tuple[int, ...]:
        """Registered, unfenced brokers: the only ones Kafka accepts in an assignment."""
        cluster = self._call("describe the cluster", self._admin.describe_cluster)
        return tuple(sorted(b["broker_id"] for b in cluster["brokers"] if not b.get("is_fenced")))

    def partitions(self, topics: Iterable[str]) -> dict[str, dict[int, PartitionReplicas]]:
        """Replicas and ISR of every partition of `topics`; a missing topic is absent."""
        names = sorted(set(topics))
        if not names:
            return {}
        described = self._call("describe topics", self._admin.describe_topics, names)
        found: dict[str, dict[int, PartitionReplicas]] = {}
        for topic in described:
            if topic["error_code"] != 0:
                continue
            found[topic["name"]] = {
                p["partition_index"]: PartitionReplicas(
                    topic=topic["name"],
                    partition=p["partition_index"],
                    leader=p["leader_id"],
                    replicas=tuple(p["replica_nodes"]),
                    isr=tuple(p["isr_nodes"]),
                )
                for p in topic["partitions"]
            }
        return found

    def start(self, assignments: Assignments) -> dict[TopicPartitionId, str]:
        """Send one AlterPartitionReassignments request for every partition of every topic.
        Kafka accepts or refuses each partition on its own: the refusals are returned
        (topic, partition) -> error; an accepted partition starts moving at once."""
        request = {
            TopicPartition(topic, partition): [int(b) for b in replicas]
            for topic, partitions in assignments.items()
            for partition, replicas in partitions.items()
        }
        if not request:
            return {}
        answers = self._call("start the partition reassignment", self._admin.alter_partition_reassignments, request)
        refused = {(tp.topic, tp.partition): kafka_error_text(error) for tp, error in answers.items() if error}
        # The broker answers for every partition; one it skipped was not started either.
        for tp in request:
            if tp not in answers:
                refused[(tp.topic, tp.partition)] = "no answer from the controller for this partition"
        return refused

    def in_progress(self, topics: Iterable[str] | None = None) -> dict[str, dict[int, ReassignmentInProgress]]:
        """Reassignments still running, for `topics` or the whole cluster (None)."""
        if topics is None:
            selection = None
        else:
            # ListPartitionReassignments takes partitions, not topics: ask for all of them.
            selection = {t: sorted(parts) for t, parts in self.partitions(topics).items()}
            if not selection:
                return {}
        by_topic: dict[str, dict[int, ReassignmentInProgress]] = {}
        for (topic, partition), moving in self._list_reassignments(selection).items():
            by_topic.setdefault(topic, {})[partition] = moving
        return by_topic

    def sync_state(self, assignments: Assignments) -> list[PartitionSync]:
        """Where each partition of `assignments` stands against its target."""
        topics = sorted(assignments)
        live = self.partitions(topics)
        selection = {t: sorted(assignments[t]) for t in topics if t in live}
        moving = self._list_reassignments(selection) if selection else {}
        return [
            PartitionSync(
                topic=topic,
                partition=partition,
                target=tuple(target),
                live=live.get(topic, {}).get(partition),
                moving=moving.get((topic, partition)),
            )
            for topic in topics
            for partition, target in sorted(assignments[topic].items())
        ]

    def wait_until_in_sync(
        self,
        assignments: Assignments,
        timeout: float,
        progress_callback: ProgressCallback | None = None,
        poll_interval: float = 0.5,
    ) -> ReassignmentProgress:
        """Poll until every partition has its target replicas (compared as sets: Kafka
        writes the target order when it finishes), all of them in the ISR, and no
        reassignment is running for it; report progress after every poll.

        Raises ReassignmentTimeout listing each partition still moving and the replicas it
        waits for. A failed poll (a broker restarting, a controller change) is retried
        until the deadline rather than abandoning a reassignment that is still running."""
        started = time.monotonic()
        if not _count(assignments):
            return ReassignmentProgress(in_sync=0, total=0, elapsed=0.0, pending=())
        deadline = started + timeout
        last_error: str | None = None
        states: list[PartitionSync] = []
        while True:
            try:
                states = self.sync_state(assignments)
                last_error = None
            except ReassignmentError as exc:
                last_error = exc.message
            progress = _progress(states, _count(assignments), time.monotonic() - started, last_error)
            if progress_callback is not None:
                progress_callback(progress)
            if last_error is None and not progress.pending:
                return progress
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReassignmentTimeout(progress, timeout)
            time.sleep(min(poll_interval, remaining))

    def _list_reassignments(self, selection: Mapping[str, Sequence[int]] | None
                            ) -> dict[TopicPartitionId, ReassignmentInProgress]:
        listed = self._call("list partition reassignments", self._admin.list_partition_reassignments,
                            None if selection is None else {t: list(p) for t, p in selection.items()})
        return {
            (tp.topic, tp.partition): ReassignmentInProgress(
                topic=tp.topic,
                partition=tp.partition,
                replicas=tuple(state["replicas"]),
                adding=tuple(state["adding_replicas"]),
                removing=tuple(state["removing_replicas"]),
            )
            for tp, state in listed.items()
        }

    def _call(self, what: str, method: Callable, *args: object):
        try:
            return method(*args)
        except KafkaPythonError as exc:
            raise ReassignmentError(f"could not {what}: {kafka_error_text(exc)}") from exc


def _count(assignments: Assignments) -> int:
    return sum(len(partitions) for partitions in assignments.values())


def _progress(states: Sequence[PartitionSync], total: int, elapsed: float, last_error: str | None) -> ReassignmentProgress:
    pending = tuple(s for s in states if not s.in_sync)
    in_sync = len(states) - len(pending)
    return ReassignmentProgress(in_sync=in_sync, total=total, elapsed=elapsed, pending=pending, last_error=last_error)


def list_in_progress(client_props: Mapping[str, object],
                     topics: Iterable[str] | None = None) -> dict[str, dict[int, ReassignmentInProgress]]:
    """Reassignments still running on the cluster (all topics when `topics` is None), for
    the live-state reader: an apply that was interrupted shows up in the next plan."""
    with Reassigner.connect(client_props) as reassigner:
        return reassigner.in_progress(topics)

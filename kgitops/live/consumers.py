"""Reads behind a plan's impact: consumer groups, committed offsets, partition offsets by
time, log-dir sizes and a bounded sample of the newest records.

Every read is batched: one ListConsumerGroups; one OffsetFetch per group (confluent-kafka
reads one group per call) sent concurrently, at most `OFFSET_FETCH_IN_FLIGHT` at a time;
one DescribeConsumerGroups for the groups that matter; ListOffsets calls each carrying every
partition with one OffsetSpec (librdkafka sends one request per partition leader) and all
in flight together; DescribeLogDirs (kafka-python) only to the brokers leading the
partitions asked about. `requests` counts them per kind, like the plan reader does.

A read the principal is not allowed to make raises `ReadDenied` naming the ACL it needs,
so the caller can turn it into a warning instead of failing the plan.
"""
from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from confluent_kafka import (ConsumerGroupTopicPartitions, KafkaError, KafkaException,
                             TopicPartition)

from kgitops.live.kafka_errors import kafka_error_text

# Measured with benchmarks/impact_bench.py on the local stack (docs/impact.md, 1,000
# groups): 1 call in flight 3.4-5.2 ms per group, 10: 1.7-2.0, 50: 1.1-1.5, 200: 0.5-1.9;
# 50 is as fast as any and keeps the coordinators' queues short.
OFFSET_FETCH_IN_FLIGHT = 50
# From this many groups on, kafka-python's OffsetFetch v8 (KIP-709: one request per
# coordinator for all its groups, 0.2 s for 1,000 groups) beats one call per group, even
# with its own connection to open (0.1-0.2 s).
BATCHED_OFFSET_FETCH_FROM = 200
OFFSET_INVALID = -1001  # librdkafka: no committed offset for this partition
SAMPLE_RECORDS_PER_PARTITION = 5
SAMPLE_TIMEOUT_S = 5.0

Partition = tuple[str, int]

# The ACL each authorization error means, for warnings a platform team can act on.
PERMISSIONS = {
    KafkaError.GROUP_AUTHORIZATION_FAILED: "DESCRIBE on the consumer groups (ACL resource GROUP)",
    KafkaError.TOPIC_AUTHORIZATION_FAILED: "DESCRIBE on the topics (ACL resource TOPIC)",
    KafkaError.CLUSTER_AUTHORIZATION_FAILED: "DESCRIBE on the cluster (ACL resource CLUSTER)",
}


class ReadDenied(Exception):
    """The cluster refused a read for lack of a permission (`permission` names the ACL)."""

    def __init__(self, what: str, permission: str, detail: str):
        super().__init__(f"{what}: {detail}")
        self.what = what
        self.permission = permission
        self.detail = detail


class ReadFailed(Exception):
    """Any other failure of an impact read (timeout, broker error): reported as a warning."""


@dataclass(frozen=True)
class GroupListing:
    group_id: str
    state: str  # "Stable", "Empty", "PreparingRebalance"...
    type: str  # "classic", "consumer" (KIP-848), "streams" (KIP-1071), "unknown"


@dataclass(frozen=True)
class OffsetAt:
    """One ListOffsets answer: the offset, and the record timestamp when the spec has one
    (-1 when Kafka found no record: an empty partition, or no record that new)."""

    offset: int
    timestamp: int = -1


def _kafka_error(err: BaseException) -> KafkaError | None:
    if isinstance(err, KafkaException) and err.args and isinstance(err.args[0], KafkaError):
        return err.args[0]
    return err if isinstance(err, KafkaError) else None


def read_error(what: str, err: BaseException) -> ReadDenied | ReadFailed:
    """`err` (a confluent-kafka error, or anything else) as the impact's own error."""
    error = _kafka_error(err)
    if error is not None and error.code() in PERMISSIONS:
        return ReadDenied(what, PERMISSIONS[error.code()], kafka_error_text(error))
    return ReadFailed(f"{what}: {kafka_error_text(err)}")


def raise_read_error(what: str, err: BaseException) -> None:
    raise read_error(what, err) from err


def _state_name(state: Any) -> str:
    name = getattr(state, "name", str(state))
    return {"PREPARING_REBALANCE": "PreparingRebalance", "COMPLETING_REBALANCE": "CompletingRebalance"}.get(
        name, name.capitalize())


class ConsumerReader:
    """The impact reads over one confluent-kafka AdminClient (or a fake with its methods)."""

    def __init__(self, admin: Any, *, timeout: float = 30.0, requests: dict[str, int] | None = None,
                 in_flight: int = OFFSET_FETCH_IN_FLIGHT):
        self.admin = admin
        self.timeout = timeout
        self.requests = requests if requests is not None else {}
        self.in_flight = in_flight

    def _count(self, kind: str, n: int = 1) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + n

    def list_groups(self) -> list[GroupListing]:
        self._count("list_consumer_groups")
        try:
            result = self.admin.list_consumer_groups(request_timeout=self.timeout).result(timeout=self.timeout + 5)
        except Exception as err:  # noqa: BLE001 - every failure becomes a warning
            raise_read_error("listing consumer groups", err)
        for error in getattr(result, "errors", None) or ():
            raise_read_error("listing consumer groups", error)
        return sorted((GroupListing(g.group_id, _state_name(g.state), _state_name(getattr(g, "type", "unknown")).lower())
                       for g in result.valid), key=lambda g: g.group_id)

    def committed_offsets(self, group_ids: Iterable[str], partitions: Iterable[Partition]
                          ) -> dict[str, dict[Partition, int]]:
        """Each group's committed offsets on `partitions` (groups without any left out),
        at most `in_flight` OffsetFetch calls outstanding."""
        wanted = [TopicPartition(t, p) for t, p in sorted(set(partitions))]
        if not wanted:
            return {}
        pending: deque[tuple[str, Any]] = deque()
        found: dict[str, dict[Partition, int]] = {}

        def collect(group_id: str, future: Any) -> None:
            try:
                answer = future.result(timeout=self.timeout + 5)
            except Exception as err:  # noqa: BLE001
                error = _kafka_error(err)
                if error is not None and error.code() in (KafkaError.GROUP_ID_NOT_FOUND,
                                                          KafkaError.COORDINATOR_NOT_AVAILABLE):
                    return  # deleted between the listing and now
                raise_read_error(f"reading the committed offsets of group {group_id}", err)
            offsets = {(tp.topic, tp.partition): tp.offset for tp in answer.topic_partitions
                       if tp.error is None and tp.offset >= 0}
            if offsets:
                found[group_id] = offsets

        for group_id in group_ids:
            if len(pending) >= self.in_flight:
                collect(*pending.popleft())
            self._count("offset_fetch")
            futures = self.admin.list_consumer_group_offsets(
                [ConsumerGroupTopicPartitions(group_id, wanted)], request_timeout=self.timeout)
            pending.append((group_id, futures[group_id]))
        while pending:
            collect(*pending.popleft())
        return found

    def member_counts(self, group_ids: Iterable[str]) -> dict[str, int]:
        names = sorted(set(group_ids))
        if not names:
            return {}
        self._count("describe_consumer_groups")
        try:
            futures = self.admin.describe_consumer_groups(names, request_timeout=self.timeout)
            return {name: len(future.result(timeout=self.timeout + 5).members) for name, future in futures.items()}
        except Exception as err:  # noqa: BLE001
            raise_read_error("describing consumer groups", err)
            raise  # unreachable: raise_read_error always raises

    def send_list_offsets(self, specs: Mapping[Partition, Any]) -> dict[Partition, Any]:
        """One ListOffsets call (one request per partition leader) for `specs`; answers are
        awaited with `collect_list_offsets`, so several calls travel together."""
        if not specs:
            return {}
        self._count("list_offsets")
        futures = self.admin.list_offsets({TopicPartition(t, p): spec for (t, p), spec in specs.items()},
                                          request_timeout=self.timeout)
        return {(tp.topic, tp.partition): future for tp, future in futures.items()}

    def collect_list_offsets(self, what: str, in_flight: Mapping[Partition, Any]) -> dict[Partition, OffsetAt]:
        answers: dict[Partition, OffsetAt] = {}
        for partition, future in in_flight.items():
            try:
                info = future.result(timeout=self.timeout + 5)
            except Exception as err:  # noqa: BLE001
                raise_read_error(f"reading {what} offsets of {partition[0]}", err)
            answers[partition] = OffsetAt(info.offset, getattr(info, "timestamp", -1))
        return answers


def committed_offsets_batched(open_admin: Callable[[], Any], group_ids: Iterable[str], partitions: Iterable[Partition],
                              requests: dict[str, int]) -> dict[str, dict[Partition, int]]:
    """The same answer as ConsumerReader.committed_offsets in one FindCoordinator and one
    OffsetFetch per coordinator (kafka-python `list_group_offsets`, OffsetFetch v8)."""
    from kafka import TopicPartition as KafkaPythonPartition
    from kafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

    wanted = [KafkaPythonPartition(t, p) for t, p in sorted(set(partitions))]
    names = sorted(set(group_ids))
    if not wanted or not names:
        return {}
    requests["offset_fetch_batched"] = requests.get("offset_fetch_batched", 0) + 1
    try:
        client = open_admin()
        try:
            answers = client.list_group_offsets({g: wanted for g in names})
        finally:
            client.close()
    except GroupAuthorizationFailedError as err:
        raise ReadDenied("reading committed offsets", PERMISSIONS[KafkaError.GROUP_AUTHORIZATION_FAILED],
                         str(err)) from err
    except TopicAuthorizationFailedError as err:
        raise ReadDenied("reading committed offsets", PERMISSIONS[KafkaError.TOPIC_AUTHORIZATION_FAILED],
                         str(err)) from err
    except Exception as err:  # noqa: BLE001
        raise ReadFailed(f"reading committed offsets: {err}") from err
    found: dict[str, dict[Partition, int]] = {}
    for group, offsets in answers.items():
        mine = {(tp.topic, tp.partition): meta.offset for tp, meta in offsets.items() if meta.offset >= 0}
        if mine:
            found[group] = mine
    return found


def log_dir_sizes(open_admin: Callable[[], Any], leaders: Mapping[Partition, int],
                  requests: dict[str, int]) -> dict[Partition, int]:
    """Each partition's size on its leader (kafka-python DescribeLogDirs, one request per
    leading broker). `open_admin` returns a kafka-python KafkaAdminClient."""
    if not leaders:
        return {}
    from kafka.errors import ClusterAuthorizationFailedError, KafkaError as KafkaPythonError

    by_topic: dict[str, list[int]] = {}
    for topic, partition in sorted(leaders):
        by_topic.setdefault(topic, []).append(partition)
    brokers = sorted(set(leaders.values()))
    requests["describe_log_dirs"] = requests.get("describe_log_dirs", 0) + len(brokers)
    try:
        client = open_admin()
        try:
            answers = client.describe_log_dirs(by_topic, brokers=brokers)
        finally:
            client.close()
    except ClusterAuthorizationFailedError as err:
        raise ReadDenied("reading log-dir sizes", PERMISSIONS[KafkaError.CLUSTER_AUTHORIZATION_FAILED],
                         str(err)) from err
    except (KafkaPythonError, OSError, Exception) as err:  # noqa: BLE001
        raise ReadFailed(f"reading log-dir sizes: {err}") from err
    sizes: dict[Partition, int] = {}
    for answer in answers:
        broker = answer["broker"]
        for log_dir in answer["log_dirs"]:
            if log_dir.get("error_code", 0) == 31:  # CLUSTER_AUTHORIZATION_FAILED
                raise ReadDenied("reading log-dir sizes", PERMISSIONS[KafkaError.CLUSTER_AUTHORIZATION_FAILED],
                                 "CLUSTER_AUTHORIZATION_FAILED")
            for topic in log_dir.get("topics", ()):
                for part in topic["partitions"]:
                    key = (topic["name"], part["partition_index"])
                    if leaders.get(key) == broker and not part.get("is_future_key"):
                        sizes[key] = sizes.get(key, 0) + part["partition_size"]
    return sizes


def sample_null_keys(client_config: Mapping[str, object], ranges: Mapping[Partition, tuple[int, int]],
                     requests: dict[str, int], *, timeout: float = SAMPLE_TIMEOUT_S,
                     clock: Callable[[], float] = time.monotonic) -> dict[Partition, tuple[int, int]]:
    """(records read, records with a null key) per partition, reading each partition from
    `start` up to `end` (exclusive; a few records from its end). Bounded by the ranges and
    by `timeout`: a partition not read in time is left out. Nothing is committed."""
    from confluent_kafka import Consumer

    todo = {p: r for p, r in ranges.items() if r[1] > r[0]}
    if not todo:
        return {}
    requests["fetch_sample"] = requests.get("fetch_sample", 0) + len(todo)
    settings = {k: v for k, v in client_config.items() if not k.startswith("group.")}
    consumer = Consumer({**settings, "group.id": "kgitops-impact-sample", "enable.auto.commit": False,
                         "enable.partition.eof": True, "fetch.wait.max.ms": 100})
    counts = {p: (0, 0) for p in todo}
    try:
        consumer.assign([TopicPartition(t, p, start) for (t, p), (start, _end) in sorted(todo.items())])
        remaining = set(todo)
        deadline = clock() + timeout
        while remaining and clock() < deadline:
            for message in consumer.consume(num_messages=500, timeout=0.2):
                error = message.error()
                if error is not None:
                    if error.code() == KafkaError._PARTITION_EOF:  # read to the end: done
                        remaining.discard((message.topic(), message.partition()))
                        continue
                    if error.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED:
                        raise ReadDenied("sampling record keys", "READ on the topics (ACL resource TOPIC)",
                                         kafka_error_text(error))
                    continue
                key = (message.topic(), message.partition())
                if key not in remaining:
                    continue
                read, null = counts[key]
                counts[key] = (read + 1, null + (message.key() is None))
                if message.offset() + 1 >= todo[key][1]:
                    remaining.discard(key)
    except KafkaException as err:
        raise_read_error("sampling record keys", err)
    finally:
        consumer.close()
    return {p: c for p, c in counts.items() if c[0]}

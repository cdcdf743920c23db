"""kgitops' own bookkeeping topics (apply locks, audit trail): create them, append to them
and read them back. They start with "__", so plans ignore them (kafka.is_internal).

Each is a single partition: one partition is one totally ordered log, which is what a lock
and an audit trail need. Records are appended with acks=all so that an acknowledged
record survives the loss of a broker.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from kgitops.errors import ConnectionFailed
from kgitops.live.kafka_errors import kafka_error_text


@dataclass(frozen=True)
class StoredRecord:
    offset: int
    timestamp_ms: int  # the broker's LogAppendTime where the topic asks for it
    value: bytes


def durable_topic(name: str, brokers: int, config: dict[str, str]) -> NewTopic:
    """One partition, replicated like the data it guards: RF 3 with min.insync.replicas 2
    where there are 3 brokers, fewer only on smaller (development) clusters."""
    replication = max(1, min(3, brokers))
    min_insync = 2 if replication >= 3 else 1
    return NewTopic(name, 1, replication, config={"min.insync.replicas": str(min_insync), **config})


def create_topic(admin: AdminClient, topic: NewTopic, timeout: float) -> bool:
    """True when this call created the topic, False when it already existed.

    CreateTopics is decided by the controller: of several concurrent creators of one name,
    exactly one succeeds and the others get TOPIC_ALREADY_EXISTS."""
    future = admin.create_topics([topic], request_timeout=timeout)[topic.topic]
    try:
        future.result(timeout=timeout + 5)
        return True
    except KafkaException as err:
        if err.args and err.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS:
            return False
        raise ConnectionFailed(f"creating topic {topic.topic} failed: {kafka_error_text(err)}") from err


def delete_topics(admin: AdminClient, names: list[str], timeout: float) -> None:
    """Best effort: leftovers are harmless and removed by a later call."""
    if not names:
        return
    for future in admin.delete_topics(names, operation_timeout=timeout, request_timeout=timeout).values():
        try:
            future.result(timeout=timeout + 5)
        except Exception:
            pass


def durable_producer(client_config: dict, delivery_timeout: float, **overrides: object) -> Producer:
    """`delivery_timeout` (seconds) is how long librdkafka keeps retrying a record; append()
    waits as long, so a record is never still queued when its caller has given up on it."""
    return Producer({
        **client_config,
        "acks": "all",
        # A duplicated heartbeat is harmless; idempotence would cost a producer-id round
        # trip (measured up to 1 s) on every apply.
        "enable.idempotence": False,
        "linger.ms": 0,
        "message.timeout.ms": max(1, int(delivery_timeout * 1000)),
        # A topic that does not exist (deleted lock generation) fails after this long
        # instead of librdkafka's default 30 s.
        "topic.metadata.propagation.max.ms": 3_000,
        **overrides,
    })


def append(producer: Producer, topic: str, value: bytes, key: bytes | None, timeout: float) -> StoredRecord:
    """Produce one record and wait until the broker acknowledged it (all in-sync replicas)."""
    delivered: dict[str, object] = {}

    def on_delivery(err, msg) -> None:
        delivered["error"] = err
        if err is None:
            delivered["record"] = StoredRecord(msg.offset(), msg.timestamp()[1], value)

    try:
        producer.produce(topic, value, key=key, on_delivery=on_delivery)
    except (KafkaException, BufferError) as err:  # refused at once, e.g. a topic known to be deleted
        raise ConnectionFailed(f"writing to topic {topic} failed: {kafka_error_text(err)}") from err
    producer.flush(timeout + 1)  # the record's own delivery timeout is `timeout` (durable_producer)
    if "record" in delivered:
        return delivered["record"]  # type: ignore[return-value]
    error = delivered.get("error") or "not acknowledged in time"
    raise ConnectionFailed(f"writing to topic {topic} failed: {kafka_error_text(error)}")


def leader_ready(client: Producer | AdminClient, topic: str, min_insync: int, timeout: float) -> bool:
    """True when partition 0 of `topic` has a leader and at least `min_insync` in-sync
    replicas, as `client` sees the metadata (asked of the producer that is about to write,
    this also fills its own metadata cache)."""
    try:
        meta = client.list_topics(topic=topic, timeout=timeout).topics.get(topic)
    except KafkaException:
        return False
    partition = meta.partitions.get(0) if meta is not None and meta.error is None else None
    return partition is not None and partition.error is None and partition.leader >= 0 and \
        len(partition.isrs) >= min_insync


def wait_for_leader(client: Producer | AdminClient, topic: str, min_insync: int, deadline: float) -> bool:
    """Wait (until monotonic `deadline`) for a topic created a moment ago to accept acks=all
    writes: on a busy cluster the new partition's leader and followers take seconds to
    start, and a record produced before that waits for them (or times out)."""
    delay = 0.05
    while True:
        remaining = deadline - time.monotonic()
        if leader_ready(client, topic, min_insync, max(0.5, min(5.0, remaining))):
            return True
        if time.monotonic() + delay >= deadline:
            return False
        time.sleep(delay)
        delay = min(0.5, delay * 2)


def _reader(client_config: dict) -> Consumer:
    # assign() only: the group is never joined and no offsets are committed.
    return Consumer({**client_config, "group.id": "kgitops-reader", "enable.auto.commit": False,
                     "auto.offset.reset": "earliest"})


def read_range(client_config: dict, topic: str, start: int, end: int, timeout: float) -> list[StoredRecord]:
    """The records of partition 0 with start <= offset < end."""
    if end <= start:
        return []
    consumer = _reader(client_config)
    try:
        # An explicit offset, not OFFSET_BEGINNING: that one costs a ListOffsets
        # (measured 0.5 s); auto.offset.reset covers a start below the log start.
        consumer.assign([TopicPartition(topic, 0, start)])
        return _read_until(consumer, topic, end, timeout)
    finally:
        consumer.close()


def read_tail(client_config: dict, topic: str, limit: int, timeout: float) -> list[StoredRecord]:
    """The last `limit` records of partition 0, oldest first."""
    consumer = _reader(client_config)
    try:
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, 0), timeout=timeout)
        start = max(low, high - limit)
        if high <= start:
            return []
        consumer.assign([TopicPartition(topic, 0, start)])
        return _read_until(consumer, topic, high, timeout)
    except KafkaException as err:
        raise ConnectionFailed(f"reading topic {topic} failed: {kafka_error_text(err)}") from err
    finally:
        consumer.close()


def _read_until(consumer: Consumer, topic: str, end: int, timeout: float) -> list[StoredRecord]:
    records: list[StoredRecord] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = consumer.poll(min(0.5, max(0.0, deadline - time.monotonic())))
        if msg is None:
            # Offsets can have gaps (a control record, say): the position tells when the
            # fetch has gone past `end` without a record at end - 1.
            position = consumer.position([TopicPartition(topic, 0)])[0].offset
            if position >= end:
                return records
            continue
        if msg.error() is not None:
            # librdkafka looks up the coordinator of the (never joined) group.id it insists
            # on; a principal with no ACL on that group reads assigned partitions all the same.
            if msg.error().code() in (KafkaError._PARTITION_EOF, KafkaError.GROUP_AUTHORIZATION_FAILED):
                continue
            raise ConnectionFailed(f"reading topic {topic} failed: {kafka_error_text(msg.error())}")
        if msg.offset() >= end:
            return records
        records.append(StoredRecord(msg.offset(), msg.timestamp()[1], msg.value() or b""))
        if msg.offset() == end - 1:
            return records
    raise ConnectionFailed(f"reading topic {topic} up to offset {end} did not finish within {timeout:.0f} s")


def topic_exists(admin: AdminClient, name: str, timeout: float) -> bool:
    try:
        meta = admin.list_topics(topic=name, timeout=timeout).topics.get(name)
    except KafkaException as err:
        raise ConnectionFailed(f"reading the metadata of topic {name} failed: {kafka_error_text(err)}") from err
    return meta is not None and meta.error is None and bool(meta.partitions)

"""The local stack is the real thing: 3 brokers enforcing RF 3 / min.insync.replicas 2,
and a registry speaking the Confluent API."""
from __future__ import annotations

import json
import time

import httpx
import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic

from kgitops.devstack.stack import live_broker_count, start_node, stop_node


def _create_topic(bootstrap: str, name: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, 1, 3, config={"min.insync.replicas": "2"})])
    futures[name].result(timeout=30)
    # Wait until the partition has a leader and a full ISR.
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        meta = admin.list_topics(name, timeout=10).topics[name]
        if meta.error is None and meta.partitions and len(meta.partitions[0].isrs) == 3:
            return
        time.sleep(0.3)
    raise AssertionError(f"{name} never reached a full ISR")


def _produce(bootstrap: str, topic: str, value: bytes, timeout: float = 20.0) -> KafkaError | None:
    """Produce one record with acks=all; the delivery error, or None on success."""
    outcome: list[KafkaError | None] = []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": False,
                         "message.timeout.ms": int(timeout * 1000), "retries": 0})
    producer.produce(topic, value=value, key=b"k", on_delivery=lambda err, msg: outcome.append(err))
    producer.flush(timeout + 5)
    assert outcome, "no delivery report"
    return outcome[0]


def _consume_all(bootstrap: str, topic: str, expected: int) -> list[bytes]:
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-reader",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    values: list[bytes] = []
    deadline = time.monotonic() + 30
    try:
        while len(values) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                values.append(msg.value())
    finally:
        consumer.close()
    return values


def _wait_brokers(stack, count: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if live_broker_count(stack.layout, timeout=2.0)[0] == count:
            return
        time.sleep(0.5)
    raise AssertionError(f"expected {count} live brokers")


def test_rf3_topic_round_trips_with_acks_all(stack, unique_name):
    _create_topic(stack.bootstrap_servers, unique_name)
    for i in range(5):
        assert _produce(stack.bootstrap_servers, unique_name, f"record-{i}".encode()) is None
    assert _consume_all(stack.bootstrap_servers, unique_name, 5) == [f"record-{i}".encode() for i in range(5)]


@pytest.mark.stops_brokers
def test_acks_all_survives_one_broker_down_and_fails_with_two_down(stack, unique_name):
    _create_topic(stack.bootstrap_servers, unique_name)
    try:
        stop_node(stack.layout, 3)
        _wait_brokers(stack, 2)
        assert _produce(stack.bootstrap_servers, unique_name, b"one-broker-down") is None

        stop_node(stack.layout, 2)
        _wait_brokers(stack, 1)
        # Bounded retry: the ISR shrinks to the last broker shortly after it is fenced.
        error = None
        deadline = time.monotonic() + 45
        while time.monotonic() < deadline:
            error = _produce(stack.bootstrap_servers, unique_name, b"two-brokers-down", timeout=8)
            if error is not None and error.code() == KafkaError.NOT_ENOUGH_REPLICAS:
                break
            time.sleep(1)
        assert error is not None and error.code() == KafkaError.NOT_ENOUGH_REPLICAS, error
    finally:
        start_node(stack.layout, 2)
        start_node(stack.layout, 3)
        _wait_brokers(stack, 3, timeout=90)
    assert _wait_full_isr(stack.bootstrap_servers, unique_name)
    assert _produce(stack.bootstrap_servers, unique_name, b"all-back") is None
    assert b"one-broker-down" in _consume_all(stack.bootstrap_servers, unique_name, 2)


def _wait_full_isr(bootstrap: str, topic: str, timeout: float = 60.0) -> bool:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        meta = admin.list_topics(topic, timeout=10).topics[topic]
        if meta.partitions and len(meta.partitions[0].isrs) == 3:
            return True
        time.sleep(0.5)
    return False


def test_registry_registers_avro_schema_and_returns_it_by_id(stack, unique_name):
    schema = {"type": "record", "name": "Reading", "namespace": "kgitops.test",
              "fields": [{"name": "sensor", "type": "string"}, {"name": "value", "type": "double"}]}
    subject = f"{unique_name}-value"
    with httpx.Client(base_url=stack.registry_url, timeout=10) as client:
        registered = client.post(f"/subjects/{subject}/versions", json={"schema": json.dumps(schema)},
                                 headers={"Content-Type": "application/vnd.schemaregistry.v1+json"})
        assert registered.status_code == 200, registered.text
        schema_id = registered.json()["id"]
        fetched = client.get(f"/schemas/ids/{schema_id}")
        assert fetched.status_code == 200
        assert json.loads(fetched.json()["schema"]) == schema
        versions = client.get(f"/subjects/{subject}/versions").json()
        assert versions == [1]


def test_registry_enforces_backward_compatibility_globally(stack, unique_name):
    subject = f"{unique_name}-value"
    v1 = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"}]}
    v2_incompatible = {"type": "record", "name": "R", "fields": [{"name": "a", "type": "string"},
                                                                {"name": "b", "type": "int"}]}
    with httpx.Client(base_url=stack.registry_url, timeout=10) as client:
        assert client.post(f"/subjects/{subject}/versions", json={"schema": json.dumps(v1)}).status_code == 200
        refused = client.post(f"/subjects/{subject}/versions", json={"schema": json.dumps(v2_incompatible)})
        assert refused.status_code == 409, refused.text

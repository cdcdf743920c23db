"""Helpers for integration tests: write cluster files, run the CLI, read the cluster back
through Kafka's own admin API."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import yaml
from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

from kgitops.cli import main


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    @property
    def text(self) -> str:
        return self.out + self.err


def run_cli(capsys, *args: str) -> CliResult:
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return CliResult(code, captured.out, captured.err)


def write_cluster(path: Path, stack, topics: list[dict], **extra) -> Path:
    kafka = {"bootstrap_servers": stack.bootstrap_servers}
    if getattr(stack, "cluster_properties", None):
        kafka["properties"] = dict(stack.cluster_properties)
    doc = {
        "name": "it",
        "kafka": kafka,
        "defaults": {"replication_factor": 3, "config": {"min.insync.replicas": 2}},
        "topics": topics,
        **extra,
    }
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def admin(stack) -> AdminClient:
    return AdminClient({"bootstrap.servers": stack.bootstrap_servers, **getattr(stack, "admin_properties", {})})


def registry_section(stack) -> dict:
    """The cluster file's schema_registry section for `stack` (TLS and auth on the secured one)."""
    return {"url": stack.registry_url, **getattr(stack, "registry_settings", {})}


def topic_state(stack, name: str) -> dict:
    """What Kafka's admin API reports: partitions, RF, and topic-level overrides."""
    client = admin(stack)
    meta = client.list_topics(name, timeout=10).topics[name]
    if meta.error is not None:
        return {}
    resource = ConfigResource(ResourceType.TOPIC, name)
    entries = client.describe_configs([resource])[resource].result(timeout=10)
    overrides = {k: e.value for k, e in entries.items() if e.source == 1}  # DYNAMIC_TOPIC_CONFIG
    return {"partitions": len(meta.partitions),
            "replication_factor": min(len(p.replicas) for p in meta.partitions.values()),
            "overrides": overrides}


def topic_exists(stack, name: str) -> bool:
    return name in admin(stack).list_topics(timeout=10).topics


def create_outside(stack, name: str, partitions: int = 3, rf: int = 3, config: dict | None = None) -> None:
    """A topic created by someone else, not through kgitops."""
    client = admin(stack)  # kept referenced until the future resolves
    futures = client.create_topics([NewTopic(name, partitions, rf, config=config or {})])
    futures[name].result(timeout=30)
    wait_until(lambda: fully_replicated(stack, name, rf))


def fully_replicated(stack, name: str, rf: int) -> bool:
    """Every partition has a leader and `rf` in-sync replicas: each broker holding a
    replica has processed the topic, so any broker answers requests about it."""
    meta = admin(stack).list_topics(name, timeout=10).topics.get(name)
    return bool(meta is not None and meta.error is None and meta.partitions and all(
        p.leader >= 0 and len(p.isrs) == rf for p in meta.partitions.values()))


def alter_outside(stack, name: str, config: dict) -> None:
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry

    entries = [ConfigEntry(k, v, incremental_operation=AlterConfigOpType.SET) for k, v in config.items()]
    resource = ConfigResource(ResourceType.TOPIC, name, incremental_configs=entries)
    client = admin(stack)
    client.incremental_alter_configs([resource])[resource].result(timeout=30)


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError("condition not met in time")


def plan_json(capsys, cluster: Path) -> dict:
    result = run_cli(capsys, "plan", "-c", str(cluster), "--format", "json")
    assert result.code in (0, 1, 3), result.text
    return json.loads(result.out)


def delete_outside(stack, name: str) -> None:
    client = admin(stack)
    client.delete_topics([name])[name].result(timeout=30)
    wait_until(lambda: not topic_exists(stack, name))


def stack_cluster_id(stack) -> str:
    """The id DescribeCluster reports: what names the stack's lock and audit topics."""
    client = admin(stack)  # kept referenced until the future resolves
    return client.describe_cluster(request_timeout=10).result(timeout=15).cluster_id


def produce(bootstrap: str, topic: str, records: dict[bytes, bytes]) -> None:
    """Write every record with acks=all and check that each was acknowledged."""
    delivered: list[object] = []
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all", "linger.ms": 20})
    for key, value in records.items():
        producer.produce(topic, key=key, value=value, on_delivery=lambda err, msg: delivered.append(err))
        producer.poll(0)
    assert producer.flush(30) == 0
    assert delivered == [None] * len(records)


def consume_all(bootstrap: str, topic: str, partitions: int, expected: int) -> dict[bytes, bytes]:
    """The topic's records by key, read from the start until `expected` arrived (or 30 s)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"{topic}-check",
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.assign([TopicPartition(topic, p, 0) for p in range(partitions)])
    records: dict[bytes, bytes] = {}
    deadline = time.monotonic() + 30
    try:
        while len(records) < expected and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is not None and msg.error() is None:
                records[msg.key()] = msg.value()
    finally:
        consumer.close()
    return records

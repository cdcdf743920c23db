"""Plans that hold on a real cluster: safe ordering of min.insync.replicas and the
replication factor (polled during the apply), refused changes listed and counted, one
block per resource, schema changes field by field, and cluster health (a broker stopped)."""
from __future__ import annotations

import json
import threading
import time

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType

from kgitops.devstack.stack import live_broker_count, start_node, stop_node
from tests.integration.kgitops_helpers import create_outside, plan_json, run_cli, wait_until, write_cluster


def _state(admin: AdminClient, topic: str) -> tuple[int, int] | None:
    """(replicas of partition 0, effective min.insync.replicas) as Kafka reports them now."""
    meta = admin.list_topics(topic, timeout=10).topics.get(topic)
    if meta is None or not meta.partitions:
        return None
    resource = ConfigResource(ResourceType.TOPIC, topic)
    entries = admin.describe_configs([resource])[resource].result(timeout=10)
    return len(meta.partitions[0].replicas), int(entries["min.insync.replicas"].value)


def _fill(bootstrap: str, topic: str, megabytes: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20, "acks": "all"})
    payload = b"x" * 100_000
    for _ in range(megabytes * 10):
        producer.produce(topic, payload)
        producer.poll(0)
    assert producer.flush(60) == 0


def test_rf_and_min_insync_raised_together_never_pass_through_min_insync_at_rf(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, partitions=1, rf=2, config={"min.insync.replicas": "1"})
    _fill(stack.bootstrap_servers, unique_name, 4)  # ~4 MB behind a 1 MiB/s throttle: seconds of reassignment
    cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": unique_name, "partitions": 1,
                                                          "replication_factor": 3}])
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.out.count(f"~ topic {unique_name}") == 1, planned.out
    assert "only after the replication factor reaches 3" in planned.out

    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    seen: list[tuple[int, int]] = []
    done = threading.Event()

    def poll() -> None:
        deadline = time.monotonic() + 240
        while not done.is_set() and time.monotonic() < deadline:
            state = _state(admin, unique_name)
            if state is not None:
                seen.append(state)
            time.sleep(0.1)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    try:
        applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve", "--throttle", "1MiB")
    finally:
        done.set()
        poller.join(timeout=30)
    assert applied.code == 0, applied.text
    wait_until(lambda: _state(admin, unique_name) == (3, 2))
    assert (3, 1) in seen  # the replication factor went up first, then min.insync.replicas
    assert all(mi < rf for rf, mi in seen), sorted(set(seen))


def test_refused_change_is_listed_and_counted(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, config={"min.insync.replicas": "2"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [
        {"name": unique_name, "partitions": 3, "replication_factor": 4},
        {"name": f"{unique_name}-new", "partitions": 1}])
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.code == 3, planned.text
    assert "No changes" not in planned.out
    assert f"~ topic {unique_name} (refused)" in planned.out and "replication_factor: 3 -> 4" in planned.out
    assert f"+ topic {unique_name}-new" in planned.out
    assert "Plan: 1 to create, 0 to change, 0 to delete, 1 refused." in planned.out
    assert "(broker ids: 1, 2, 3)" in planned.out and "cluster it (" in planned.out
    data = plan_json(capsys, cluster)
    assert data["summary"]["refused"] == 1
    refused = [r for r in data["resources"] if r["refused"]]
    assert [r["resource"] for r in refused] == [unique_name]
    markdown = run_cli(capsys, "plan", "-c", str(cluster), "--format", "markdown")
    assert "1 refused" in markdown.out and ":no_entry:" in markdown.out


def test_a_topic_with_three_changes_is_one_block_counted_once(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, partitions=3, rf=2, config={"min.insync.replicas": "1",
                                                                   "retention.ms": "604800000"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [
        {"name": unique_name, "partitions": 6, "replication_factor": 3,
         "config": {"retention.ms": "3d", "min.insync.replicas": 2}}])
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.out.count(f"topic {unique_name}") == 1, planned.out
    assert "Plan: 0 to create, 1 to change, 0 to delete." in planned.out
    data = plan_json(capsys, cluster)
    assert data["summary"]["change"] == 1 and len(data["resources"]) == 1
    assert [a["kind"] for a in data["actions"]] == ["alter_topic_config", "change_replication_factor",
                                                    "alter_topic_config_after_replication",
                                                    "add_partitions_after_replication"]
    applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert applied.code == 0, applied.text
    again = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
    assert again.code == 0, again.out


def test_a_schema_change_shows_its_fields(stack, unique_name, tmp_path, capsys):
    def schema(*extra: dict) -> str:
        return json.dumps({"type": "record", "name": "Payment", "fields": [
            {"name": "id", "type": "string"}, {"name": "amount", "type": "int"}, *extra]})

    (tmp_path / "schemas").mkdir()
    avsc = tmp_path / "schemas" / "payment.avsc"
    avsc.write_text(schema({"name": "coupon", "type": ["null", "string"], "default": None}))
    extra = {"schema_registry": {"url": stack.registry_url}}
    topics = [{"name": unique_name, "partitions": 1, "schemas": {"value": {"file": "schemas/payment.avsc"}}}]
    cluster = write_cluster(tmp_path / "c.yaml", stack, topics, **extra)
    assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0
    avsc.write_text(schema({"name": "channel", "type": "string", "default": "web"}))
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.code == 0, planned.text
    assert f"~ subject {unique_name}-value" in planned.out
    assert '+ field channel: string = "web"' in planned.out and "- field coupon" in planned.out
    markdown = run_cli(capsys, "plan", "-c", str(cluster), "--format", "markdown")
    assert '+ field channel: string = \\"web\\"' in markdown.out or '+ field channel: string = "web"' in markdown.out


def _live_brokers(stack) -> int:
    return live_broker_count(stack.layout, timeout=2.0)[0]  # a fresh client each time, as the stack's own check


@pytest.mark.stops_brokers
def test_a_stopped_broker_makes_the_plan_say_so(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, config={"min.insync.replicas": "2"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": unique_name, "partitions": 3}])
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    try:
        stop_node(stack.layout, 3)
        wait_until(lambda: _live_brokers(stack) == 2, 90)
        wait_until(lambda: all(len(p.isrs) < 3 for p in
                               admin.list_topics(unique_name, timeout=10).topics[unique_name].partitions.values()), 60)
        drift = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
        assert drift.code == 0, drift.text  # a drift check keeps its exit codes
        assert "2 live broker(s) (ids 1, 2), 3 expected" in drift.out
        assert "under-replicated" in drift.out
        data = plan_json(capsys, cluster)
        assert {w["kind"] for w in data["warnings"]} >= {"health"}
        strict = run_cli(capsys, "plan", "-c", str(cluster), "--fail-on-unhealthy")
        assert strict.code == 1 and "unhealthy" in strict.err
    finally:
        start_node(stack.layout, 3)
        wait_until(lambda: _live_brokers(stack) == 3, 120)

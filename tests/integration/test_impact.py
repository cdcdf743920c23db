"""The live impact of risky changes, on records whose timestamps and offsets are known:
every number in the plan is exact, in text, markdown and JSON."""
from __future__ import annotations

import json
import time
from datetime import datetime, timezone

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer, TopicPartition

from kgitops.kinds.topic.impact import read_impacts
from kgitops.live.clients import Clients
from kgitops.live.kafka import KafkaReader
from tests.integration.kgitops_helpers import admin, create_outside, run_cli, wait_until, write_cluster

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def produce(stack, topic: str, partition: int, count: int, timestamp_ms: int, *, null_keys: set[int] = frozenset(),
            start: int = 0) -> None:
    """`count` records with CreateTime `timestamp_ms`; record i has a null key when i is in `null_keys`."""
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "linger.ms": 5})
    for i in range(start, start + count):
        producer.produce(topic, value=b"x" * 100, key=None if i in null_keys else f"k{i}".encode(),
                         partition=partition, timestamp=timestamp_ms)
    assert producer.flush(30) == 0


def commit(stack, group: str, offsets: dict[tuple[str, int], int]) -> None:
    consumer = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": group,
                         "enable.auto.commit": False})
    try:
        # On a fresh cluster the offsets topic and its coordinators are still being set up:
        # a commit may answer NOT_COORDINATOR (or COORDINATOR_LOAD_IN_PROGRESS) for a while.
        deadline = time.monotonic() + 60
        while True:
            try:
                consumer.commit(offsets=[TopicPartition(t, p, o) for (t, p), o in offsets.items()],
                                asynchronous=False)
                return
            except KafkaException as err:
                retriable = err.args[0].code() in (KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_LOAD_IN_PROGRESS,
                                                   KafkaError.COORDINATOR_NOT_AVAILABLE)
                if not retriable or time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
    finally:
        consumer.close()


def active_consumer(stack, group: str, topic: str, *, read: int) -> Consumer:
    """A member of `group` subscribed to `topic` that read and committed `read` records."""
    consumer = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": group,
                         "enable.auto.commit": False, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    seen = 0
    deadline = time.monotonic() + 30
    while seen < read and time.monotonic() < deadline:
        for message in consumer.consume(num_messages=read - seen, timeout=1.0):
            if message.error() is None:
                seen += 1
                consumer.commit(message=message, asynchronous=False)
    assert seen == read
    return consumer


def plan(capsys, cluster, *extra: str):
    text = run_cli(capsys, "plan", "-c", str(cluster), "--no-color", *extra)
    assert text.code == 0, text.text
    as_json = run_cli(capsys, "plan", "-c", str(cluster), "--format", "json", *extra)
    assert as_json.code == 0, as_json.text
    markdown = run_cli(capsys, "plan", "-c", str(cluster), "--format", "markdown", *extra)
    return text, json.loads(as_json.out), markdown.out


def action(data: dict, kind: str, topic: str) -> dict:
    return next(a for a in data["actions"] if a["kind"] == kind and a["topic"] == topic)


def aged_topic(stack, name: str, now_ms: int) -> None:
    """2 partitions, each: 500 records 3 days old (offsets 0-499), then 300 records 2 hours old."""
    create_outside(stack, name, partitions=2, config={"min.insync.replicas": "2"})
    for partition in (0, 1):
        produce(stack, name, partition, 500, now_ms - 3 * DAY_MS)
        produce(stack, name, partition, 300, now_ms - 2 * HOUR_MS, start=500)


def test_retention_decrease_counts_the_records_and_each_groups_unread_records_that_go(
        stack, unique_name, tmp_path, capsys):
    now = int(time.time() * 1000)
    aged_topic(stack, unique_name, now)
    group, caught_up = f"{unique_name}-billing", f"{unique_name}-audit"
    commit(stack, group, {(unique_name, 0): 200, (unique_name, 1): 350})
    commit(stack, caught_up, {(unique_name, 0): 800, (unique_name, 1): 600})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [
        {"name": unique_name, "partitions": 2, "config": {"retention.ms": "1d"}}])

    text, data, markdown = plan(capsys, cluster)

    assert ("impact: 1,000 records (about" in text.out
            and "are older than the new limit (1d) and would be deleted: partition 0: 500, partition 1: 500" in text.out)
    assert f"impact: group {group}: 450 unread records would be deleted (partition 0: 300, partition 1: 150)" in text.out
    assert f"group {caught_up}:" not in text.out.split("Consumers of changed topics")[0]
    assert f"{unique_name}: group {group} (Empty, 0 members): lag 1,050" in text.out  # 600 + 450
    assert f"{unique_name}: group {caught_up} (Empty, 0 members): lag 200" in text.out
    assert "450 unread records would be deleted" in markdown

    impact = action(data, "alter_topic_config", unique_name)["impact"]["retention_ms"]
    assert impact["limit_ms"] == DAY_MS and impact["records"] == 1000
    assert [(p["partition"], p["records"]) for p in impact["partitions"]] == [(0, 500), (1, 500)]
    assert all(0 < p["bytes"] for p in impact["partitions"])
    assert {g["group"]: (g["unread_records"], g["partitions"]) for g in impact["groups"]} == {
        group: (450, {"0": 300, "1": 150}), caught_up: (0, {})}
    consumers = {g["group"]: g["lag"] for g in data["consumers"][unique_name]}
    assert consumers == {group: 1050, caught_up: 200}

    # The same numbers from the reader itself with the clock injected: exact at the edge.
    live = KafkaReader(admin(stack)).read()
    plan_actions = _actions(stack, cluster)
    exact = read_impacts(plan_actions, live, Clients(admin(stack), {"bootstrap.servers": stack.bootstrap_servers}),
                         now_ms=now - 2 * HOUR_MS + DAY_MS + 1)  # the 2-hour-old records pass the limit too
    assert exact.for_action(plan_actions[0]).retention_time.records == 1600

    # Many groups: one OffsetFetch per coordinator (kafka-python) gives the same numbers.
    batched = read_impacts(plan_actions, live, connect_clients(stack), now_ms=now, batch_groups_from=1)
    assert batched.requests.get("offset_fetch_batched") == 1 and "offset_fetch" not in batched.requests
    losses = {g.group: g.unread_records for g in batched.for_action(plan_actions[0]).retention_time.groups}
    assert losses == {group: 450, caught_up: 0}


def connect_clients(stack) -> Clients:
    from kgitops.live.kafka_python_admin import open_kafka_python_admin

    config = {"bootstrap.servers": stack.bootstrap_servers}
    return Clients(admin(stack), config, kafka_python=lambda: open_kafka_python_admin(config))


def _actions(stack, cluster):
    from kgitops import planner
    from kgitops.live.clients import connect

    desired = planner.load(str(cluster))
    return planner.compute(desired, connect(desired.cluster)).plan.actions


def test_no_impact_flag_and_a_plan_without_risky_change_send_no_impact_request(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, partitions=2, config={"min.insync.replicas": "2"})
    risky = write_cluster(tmp_path / "c.yaml", stack, [
        {"name": unique_name, "partitions": 2, "config": {"retention.ms": "1d"}}])
    skipped = run_cli(capsys, "plan", "-c", str(risky), "--no-impact")
    assert skipped.code == 0 and "impact:" not in skipped.out and "impact." not in skipped.err
    harmless = write_cluster(tmp_path / "h.yaml", stack, [
        {"name": unique_name, "partitions": 2, "config": {"retention.ms": "30d"}}])
    quiet = run_cli(capsys, "plan", "-c", str(harmless))
    assert quiet.code == 0 and "retention.ms" in quiet.out
    assert "impact:" not in quiet.out and "impact." not in quiet.err  # no impact line, no impact request


def test_partition_increase_shows_an_active_group_with_its_lag_and_a_streams_application(
        stack, unique_name, tmp_path, capsys):
    now = int(time.time() * 1000)
    create_outside(stack, unique_name, partitions=1, config={"min.insync.replicas": "2"})
    produce(stack, unique_name, 0, 30, now - HOUR_MS)
    group, app = f"{unique_name}-live", f"{unique_name}-app"
    create_outside(stack, f"{app}-store-changelog", partitions=1, config={"min.insync.replicas": "2"})
    commit(stack, app, {(unique_name, 0): 25})
    consumer = active_consumer(stack, group, unique_name, read=12)
    try:
        cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": unique_name, "partitions": 2}])
        text, data, _ = plan(capsys, cluster)
    finally:
        consumer.close()
    assert f"impact: group {group} (Stable, 1 member): lag 18" in text.out
    assert f"impact: group {app} (Empty, 0 members): lag 5" in text.out
    assert (f"impact: group {app} looks like a Kafka Streams application (its topics {app}-store-changelog exist)"
            in text.out)
    groups = {g["group"]: g for g in action(data, "add_partitions", unique_name)["impact"]["groups"]}
    assert (groups[group]["state"], groups[group]["members"], groups[group]["lag"], groups[group]["streams"]) == (
        "Stable", 1, 18, False)
    assert groups[app]["streams"] is True and groups[app]["streams_topics"] == [f"{app}-store-changelog"]


def test_deletion_shows_the_group_still_reading_and_the_last_write(stack, unique_name, tmp_path, capsys):
    now = int(time.time() * 1000)
    doomed = f"{unique_name}.gone"
    create_outside(stack, doomed, partitions=2, config={"min.insync.replicas": "2"})
    produce(stack, doomed, 0, 10, now - 3 * DAY_MS)
    produce(stack, doomed, 0, 5, now - 2 * HOUR_MS, start=10)
    group = f"{unique_name}-reader"
    consumer = active_consumer(stack, group, doomed, read=6)
    try:
        cluster = write_cluster(tmp_path / "c.yaml", stack, [], owned_prefixes=[f"{unique_name}."],
                                policy={"allow_topic_deletion": True})
        text, data, _ = plan(capsys, cluster)
    finally:
        consumer.close()
    written = datetime.fromtimestamp((now - 2 * HOUR_MS) / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert f"impact: group {group} (Stable, 1 member): lag 9" in text.out
    assert f"impact: last write 2h ago ({written}) on partition 0" in text.out
    assert "impact: 1 partition never written to (empty): 1" in text.out
    impact = action(data, "delete_topic", doomed)["impact"]
    assert impact["last_writes"] == [{"partition": 0, "timestamp_ms": now - 2 * HOUR_MS},
                                     {"partition": 1, "timestamp_ms": None}]
    assert [(g["group"], g["lag"], g["members"]) for g in impact["groups"]] == [(group, 9, 1)]


def test_change_to_compact_flags_keyless_records(stack, unique_name, tmp_path, capsys):
    now = int(time.time() * 1000)
    create_outside(stack, unique_name, partitions=2, config={"min.insync.replicas": "2"})
    produce(stack, unique_name, 0, 20, now, null_keys={16, 18})  # two of the last five are keyless
    produce(stack, unique_name, 1, 20, now, null_keys={3})  # only an older record is keyless
    cluster = write_cluster(tmp_path / "c.yaml", stack, [
        {"name": unique_name, "partitions": 2, "config": {"cleanup.policy": "compact"}}])
    text, data, _ = plan(capsys, cluster)
    assert "impact: 2 of the 10 newest records sampled have a null key (partitions 0)" in text.out
    assert action(data, "alter_topic_config", unique_name)["impact"]["null_keys"] == {
        "records_sampled": 10, "null_key_records": 2, "partitions_sampled": 2, "partitions": [0]}


def test_replication_increase_counts_the_bytes_to_copy_and_min_insync_at_the_isr(stack, unique_name, tmp_path, capsys):
    now = int(time.time() * 1000)
    create_outside(stack, unique_name, partitions=2, rf=2, config={"min.insync.replicas": "1"})
    for partition in (0, 1):
        produce(stack, unique_name, partition, 200, now)
    sizes = _leader_sizes(stack, unique_name)
    cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": unique_name, "partitions": 2}])
    text, data, _ = plan(capsys, cluster, "--throttle", "1KiB")
    total = sum(sizes.values())
    assert f"impact: {total:,} bytes" in text.out and "to copy to new replicas" in text.out
    replication = action(data, "change_replication_factor", unique_name)["impact"]["replication"]
    assert replication["bytes_to_copy"] == total and replication["throttle_bytes_per_sec"] == 1024
    by_broker = {int(b): n for b, n in replication["by_broker"].items()}
    assert sum(by_broker.values()) == total
    assert replication["estimated_seconds"] >= max(by_broker.values()) / 1024
    assert ("impact: 2 partitions with an ISR at the new min.insync.replicas 2: acks=all writes fail as soon as "
            "one more replica drops out: 0 (ISR 2), 1 (ISR 2)") in text.out
    assert action(data, "alter_topic_config_after_replication", unique_name)["impact"]["min_insync"] == {
        "min_insync_replicas": 2, "partitions": [{"partition": 0, "isr": 2}, {"partition": 1, "isr": 2}]}


def _leader_sizes(stack, topic: str) -> dict[int, int]:
    """Each partition's size on its leader, straight from DescribeLogDirs, once the
    followers caught up (so the numbers no longer move)."""
    from kgitops.live.kafka_python_admin import open_kafka_python_admin

    meta = admin(stack).list_topics(topic, timeout=10).topics[topic]
    leaders = {p.id: p.leader for p in meta.partitions.values()}
    client = open_kafka_python_admin({"bootstrap.servers": stack.bootstrap_servers})
    try:
        def sizes() -> dict[int, int]:
            found = {}
            for answer in client.describe_log_dirs({topic: sorted(leaders)}):
                for log_dir in answer["log_dirs"]:
                    for t in log_dir["topics"]:
                        for p in t["partitions"]:
                            if leaders[p["partition_index"]] == answer["broker"]:
                                found[p["partition_index"]] = p["partition_size"]
            return found

        wait_until(lambda: len(sizes()) == len(leaders) and all(sizes().values()))
        return sizes()
    finally:
        client.close()


def test_retention_bytes_decrease_shows_the_bytes_over_the_limit_per_partition(stack, unique_name, tmp_path, capsys):
    now = int(time.time() * 1000)
    create_outside(stack, unique_name, partitions=2, config={"min.insync.replicas": "2"})
    produce(stack, unique_name, 0, 300, now)
    produce(stack, unique_name, 1, 10, now)
    sizes = _leader_sizes(stack, unique_name)
    limit = (sizes[0] + sizes[1]) // 2  # partition 0 is over it, partition 1 is not
    assert sizes[1] < limit < sizes[0]
    cluster = write_cluster(tmp_path / "c.yaml", stack, [
        {"name": unique_name, "partitions": 2, "config": {"retention.bytes": limit}}])
    text, data, _ = plan(capsys, cluster)
    over = sizes[0] - limit
    assert f"over the new size limit would be deleted: partition 0: {over:,} bytes" in text.out
    assert action(data, "alter_topic_config", unique_name)["impact"]["retention_bytes"] == {
        "limit_bytes": limit, "bytes_over": over, "partitions": [
            {"partition": 0, "size": sizes[0], "over": over}, {"partition": 1, "size": sizes[1], "over": 0}]}

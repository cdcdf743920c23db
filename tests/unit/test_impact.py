"""The impact reader over a fake admin client: exact numbers from known offsets, request
counts, and a missing permission that degrades to a warning naming it."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from types import SimpleNamespace

import pytest
from confluent_kafka import KafkaError

from kgitops.kinds.topic.actions import (AddPartitions, AlterTopicConfig, ChangeReplicationFactor, ConfigChange,
                                         CreateTopic, DeleteTopic)
from kgitops.kinds.topic.impact import (GroupOnTopic, Impact, KeylessSample, MinInsyncRisk, ReplicationCopy,
                                        impact_lines, impact_to_dict, needs_of, read_impacts)
from kgitops.live.clients import Clients
from kgitops.model import Broker, LiveCluster, LivePartition, LiveState, LiveTopic
from tests.unit.futures import done, failed

NOW = 1_800_000_000_000
DAY = 86_400_000


@dataclass
class FakeAdmin:
    """Partition offsets by spec: earliest, latest, the first offset at or after a
    timestamp (from `timestamps`: offset -> record timestamp), and committed offsets."""

    earliest: dict = field(default_factory=dict)
    latest: dict = field(default_factory=dict)
    timestamps: dict = field(default_factory=dict)  # (topic, partition) -> [timestamp per offset]
    groups: dict = field(default_factory=dict)  # group -> {(topic, partition): offset}
    deny_offsets: bool = False
    calls: list = field(default_factory=list)

    def list_offsets(self, specs, request_timeout=None):
        self.calls.append("list_offsets")
        answers = {}
        for tp, spec in specs.items():
            key = (tp.topic, tp.partition)
            name = type(spec).__name__
            if name == "EarliestSpec":
                offset, ts = self.earliest[key], -1
            elif name == "LatestSpec":
                offset, ts = self.latest[key], -1
            elif name == "MaxTimestampSpec":
                stamps = self.timestamps.get(key, [])
                offset, ts = (stamps.index(max(stamps)), max(stamps)) if stamps else (-1, -1)
            else:
                target = spec.timestamp
                stamps = self.timestamps[key]
                offset = next((i for i, t in enumerate(stamps) if t >= target), -1)
                ts = stamps[offset] if offset >= 0 else -1
            answers[tp] = done(SimpleNamespace(offset=offset, timestamp=ts))
        return answers

    def list_consumer_groups(self, request_timeout=None):
        self.calls.append("list_consumer_groups")
        listings = [SimpleNamespace(group_id=g, state=SimpleNamespace(name="STABLE"), type=SimpleNamespace(name="CLASSIC"))
                    for g in self.groups]
        return done(SimpleNamespace(valid=listings, errors=[]))

    def list_consumer_group_offsets(self, requests, request_timeout=None):
        self.calls.append("list_consumer_group_offsets")
        request = requests[0]
        if self.deny_offsets:
            return {request.group_id: failed(KafkaError.GROUP_AUTHORIZATION_FAILED)}
        wanted = {(tp.topic, tp.partition) for tp in request.topic_partitions}
        committed = [SimpleNamespace(topic=t, partition=p, offset=o, error=None)
                     for (t, p), o in self.groups[request.group_id].items() if (t, p) in wanted]
        return {request.group_id: done(SimpleNamespace(topic_partitions=committed))}

    def describe_consumer_groups(self, names, request_timeout=None):
        self.calls.append("describe_consumer_groups")
        return {n: done(SimpleNamespace(members=[object(), object()])) for n in names}


def live_cluster(*topics: tuple[str, int], isr: int = 3) -> LiveCluster:
    return LiveCluster("c1", 1, tuple(Broker(i, "h", 9092) for i in (1, 2, 3)), {
        name: LiveTopic(name, tuple(LivePartition(p, 1, (1, 2, 3), (1, 2, 3)[:isr]) for p in range(count)))
        for name, count in topics})


def aged(admin: FakeAdmin, topic: str, now: int = NOW) -> None:
    """Per partition: offsets 0-499 three days old, 500-799 two hours old."""
    for p in (0, 1):
        admin.earliest[(topic, p)] = 0
        admin.latest[(topic, p)] = 800
        admin.timestamps[(topic, p)] = [now - 3 * DAY] * 500 + [now - 7_200_000] * 300


def retention(topic: str, before: str = "604800000", after: str = "86400000") -> AlterTopicConfig:
    return AlterTopicConfig(topic=topic, changes=(ConfigChange("retention.ms", before, after),), risks=("r",))


def test_retention_decrease_counts_records_and_each_groups_unread_records_exactly():
    admin = FakeAdmin(groups={"billing": {("orders", 0): 200, ("orders", 1): 350}, "audit": {("orders", 0): 800}})
    aged(admin, "orders")
    action = retention("orders")
    impacts = read_impacts([action], live_cluster(("orders", 2)), Clients(admin, {}), now_ms=NOW)
    rt = impacts.for_action(action).retention_time
    assert [(p.partition, p.records) for p in rt.partitions] == [(0, 500), (1, 500)]
    assert {g.group: (g.unread_records, dict(g.by_partition)) for g in rt.groups} == {
        "audit": (0, {}), "billing": (450, {0: 300, 1: 150})}
    lines = impact_lines(impacts.for_action(action))
    assert ("impact: 1,000 records are older than the new limit (1d) and would be deleted: "
            "partition 0: 500, partition 1: 500") in lines
    assert "impact: group billing: 450 unread records would be deleted (partition 0: 300, partition 1: 150)" in lines
    assert {g.group: g.lag for g in impacts.consumers["orders"]} == {"audit": 0, "billing": 1050}
    assert impacts.requests == {"list_offsets": 3, "list_consumer_groups": 1, "offset_fetch": 2,
                                "describe_consumer_groups": 1}


def test_the_cutoff_is_the_injected_clock():
    admin = FakeAdmin()
    aged(admin, "orders")
    action = retention("orders")
    later = NOW - 7_200_000 + DAY + 1  # the two-hour-old records are now past a day as well
    impacts = read_impacts([action], live_cluster(("orders", 2)), Clients(admin, {}), now_ms=later)
    assert impacts.for_action(action).retention_time.records == 1600


def test_a_plan_without_risky_change_sends_no_request():
    admin = FakeAdmin()
    actions = [CreateTopic(topic="new"), AlterTopicConfig(topic="orders", changes=(
        ConfigChange("retention.ms", "86400000", "604800000"), ConfigChange("compression.type", "producer", "zstd")))]
    impacts = read_impacts(actions, live_cluster(("orders", 2)), Clients(admin, {}), now_ms=NOW)
    assert admin.calls == [] and impacts.requests == {} and not impacts.by_action and not impacts.consumers


def test_min_insync_increase_reads_nothing_and_lists_partitions_at_or_below():
    admin = FakeAdmin()
    action = AlterTopicConfig(topic="orders", changes=(ConfigChange("min.insync.replicas", "1", "2"),))
    impacts = read_impacts([action], live_cluster(("orders", 2), isr=2), Clients(admin, {}), now_ms=NOW)
    assert admin.calls == []
    assert impacts.for_action(action).min_insync == MinInsyncRisk(2, ((0, 2), (1, 2)))


def test_missing_group_permission_is_a_warning_naming_it_and_the_record_counts_remain():
    admin = FakeAdmin(groups={"billing": {("orders", 0): 1}}, deny_offsets=True)
    aged(admin, "orders")
    action = retention("orders")
    impacts = read_impacts([action], live_cluster(("orders", 2)), Clients(admin, {}), now_ms=NOW)
    impact = impacts.for_action(action)
    assert impact.retention_time.records == 1000 and impact.retention_time.groups is None
    assert len(impacts.warnings) == 1
    warning = impacts.warnings[0]
    assert warning.severity == "warning"
    assert "missing permission DESCRIBE on the consumer groups (ACL resource GROUP)" in warning.message
    assert "GROUP_AUTHORIZATION_FAILED" in warning.message
    assert any(line.startswith("impact: not computed: consumer groups: missing permission DESCRIBE")
               for line in impact_lines(impact))
    assert impacts.consumers == {}
    assert impact_to_dict(impact)["retention_ms"]["groups"] is None


def test_missing_permission_through_the_plan_command_still_renders_the_plan():
    """The command renders the plan, the impact it could read and the warning."""
    from kgitops.commands import plan as plan_command
    from kgitops.plan import Plan

    admin = FakeAdmin(groups={"g": {}}, deny_offsets=True)
    aged(admin, "orders", now=int(time.time() * 1000))  # the command reads the real clock
    action = retention("orders")
    live = live_cluster(("orders", 2))
    run = SimpleNamespace(plan=Plan("c", "c1", (action,)), live=live, clients=Clients(admin, {}), timings={},
                          requests={}, live_state=LiveState({"topic": live}))
    args = SimpleNamespace(no_impact=False, throttle=None, debug=False)
    impacts = plan_command.read_impact(args, run)
    text = plan_command.render(run.plan, "text", impacts=impacts)
    assert "impact: 1,000 records" in text and "warning: impact of the plan on orders is incomplete" in text
    assert run.requests["impact.offset_fetch"] == 1


def test_a_failing_reader_never_fails_the_plan():
    from kgitops.commands import plan as plan_command
    from kgitops.plan import Plan

    class Broken(FakeAdmin):
        def list_offsets(self, specs, request_timeout=None):
            raise RuntimeError("boom")

    action = retention("orders")
    live = live_cluster(("orders", 2))
    run = SimpleNamespace(plan=Plan("c", "c1", (action,)), live=live, clients=Clients(Broken(), {}), timings={},
                          requests={}, live_state=LiveState({"topic": live}))
    impacts = plan_command.read_impact(SimpleNamespace(no_impact=False, throttle=None, debug=False), run)
    assert impacts.warnings and "boom" in impacts.warnings[0].message


@pytest.mark.parametrize("action, expected", [
    (AddPartitions(topic="t", before=2, after=4), {"groups": True}),
    (DeleteTopic(topic="t"), {"groups": True, "last_writes": True}),
    (retention("t", "604800000", "86400000"), {"retention_ms": 86400000}),
    (retention("t", "-1", "86400000"), {"retention_ms": 86400000}),
    (retention("t", "86400000", "604800000"), None),  # an increase deletes nothing
    (retention("t", "86400000", "-1"), None),
    (AlterTopicConfig(topic="t", changes=(ConfigChange("retention.bytes", "-1", "1048576"),)), {"retention_bytes": 1048576}),
    (AlterTopicConfig(topic="t", changes=(ConfigChange("cleanup.policy", "delete", "compact"),)), {"compact": True}),
    (AlterTopicConfig(topic="t", changes=(ConfigChange("cleanup.policy", "compact", "compact,delete"),)), None),
    (AlterTopicConfig(topic="t", changes=(ConfigChange("min.insync.replicas", "2", "1"),)), None),
    (AlterTopicConfig(topic="t", changes=(ConfigChange("retention.ms", "604800000", None, op="reset"),)), None),
    (ChangeReplicationFactor(topic="t", before=2, after=3, current={0: (1, 2)}, assignment={0: (1, 2, 3)}),
     {"added_replicas": {0: (3,)}}),
    (ChangeReplicationFactor(topic="t", before=3, after=2, current={0: (1, 2, 3)}, assignment={0: (1, 2)}), None),
    (CreateTopic(topic="t"), None),
])
def test_which_actions_have_an_impact(action, expected):
    needs = needs_of(action)
    if expected is None:
        assert needs is None
    else:
        assert {k: getattr(needs, k) for k in expected} == expected


def test_text_and_json_of_the_parts_read_elsewhere():
    impact = Impact(
        topic="t", action="change_replication_factor", now_ms=NOW,
        replication=ReplicationCopy(3 * 1024 * 1024, {3: 2 * 1024 * 1024, 4: 1024 * 1024}, {1: 3 * 1024 * 1024},
                                    throttle=1024 * 1024),
        keyless=KeylessSample(records=10, null_keys=2, partitions=(0,), partitions_sampled=2),
        groups=(GroupOnTopic("app", "Stable", "classic", 3, 42, 2, ("app-store-changelog",)),))
    lines = impact_lines(impact)
    assert ("impact: 3,145,728 bytes (3.0 MiB) to copy to new replicas (broker 3: 2.0 MiB, broker 4: 1.0 MiB); "
            "at the throttle of 1.0 MiB/s per broker: about 3s") in lines
    assert "impact: group app (Stable, 3 members): lag 42" in lines
    assert impact_to_dict(impact)["replication"] == {"bytes_to_copy": 3 * 1024 * 1024,
                                                     "by_broker": {"3": 2097152, "4": 1048576},
                                                     "throttle_bytes_per_sec": 1048576, "estimated_seconds": 3.0}
    assert impact_to_dict(impact)["groups"][0]["streams"] is True


class FakeKafkaPython:
    """kafka-python's admin for the batched OffsetFetch: `list_group_offsets` and `close`."""

    def __init__(self, groups: dict, deny: bool = False):
        self.groups, self.deny, self.calls = groups, deny, 0

    def list_group_offsets(self, specs):
        from kafka.errors import GroupAuthorizationFailedError
        from kafka.structs import OffsetAndMetadata

        self.calls += 1
        if self.deny:
            raise GroupAuthorizationFailedError("OffsetFetchResponse failed")
        return {g: {tp: OffsetAndMetadata(self.groups[g].get((tp.topic, tp.partition), -1), "", -1) for tp in tps}
                for g, tps in specs.items()}

    def describe_log_dirs(self, topic_partitions, brokers=None):
        return [{"broker": 1, "log_dirs": [{"error_code": 0, "topics": [
            {"name": t, "partitions": [{"partition_index": p, "partition_size": 8000, "is_future_key": False}
                                       for p in parts]} for t, parts in topic_partitions.items()]}]}]

    def close(self):
        pass


def test_many_groups_are_read_in_one_batched_offset_fetch_with_the_same_numbers():
    committed = {"billing": {("orders", 0): 200, ("orders", 1): 350}, "idle": {}}
    admin = FakeAdmin(groups=committed)
    aged(admin, "orders")
    fake = FakeKafkaPython(committed)
    action = retention("orders")
    impacts = read_impacts([action], live_cluster(("orders", 2)), Clients(admin, {}, kafka_python=lambda: fake),
                           now_ms=NOW, batch_groups_from=2)
    assert fake.calls == 1 and "list_consumer_group_offsets" not in admin.calls
    rt = impacts.for_action(action).retention_time
    assert {g.group: g.unread_records for g in rt.groups} == {"billing": 450}
    assert [p.bytes for p in rt.partitions] == [5000, 5000]  # 500 of 800 records of 8,000 bytes
    assert impacts.requests["offset_fetch_batched"] == 1 and "offset_fetch" not in impacts.requests


def test_a_denied_batched_offset_fetch_is_a_warning_naming_the_permission():
    admin = FakeAdmin(groups={"a": {}, "b": {}})
    aged(admin, "orders")
    action = retention("orders")
    impacts = read_impacts([action], live_cluster(("orders", 2)),
                           Clients(admin, {}, kafka_python=lambda: FakeKafkaPython({}, deny=True)),
                           now_ms=NOW, batch_groups_from=2)
    assert impacts.for_action(action).retention_time.records == 1000
    assert [w.message for w in impacts.warnings if "missing permission DESCRIBE on the consumer groups" in w.message]
    assert len(impacts.warnings) == 1

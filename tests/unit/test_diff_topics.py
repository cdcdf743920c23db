"""Desired vs live topics -> actions, without a server."""
from __future__ import annotations

import pytest

from kgitops import diff
from kgitops.kinds import KINDS, action_types
from kgitops.model import LiveState
from kgitops.kinds.topic.compare import diff_topics
from kgitops.model import (Broker, ClusterSpec, KafkaConnection, LiveCluster, LiveConfigEntry, LivePartition,
                           LiveTopic, Location, Policy, TopicSpec)
from kgitops.plan import plan_from_dict, plan_to_dict
from kgitops.kinds.topic.actions import AddPartitions, AlterTopicConfig, ChangeReplicationFactor, CreateTopic, DeleteTopic

BROKERS = (Broker(1, "h", 1), Broker(2, "h", 2), Broker(3, "h", 3))


def live_topic(name: str, partitions: int = 3, rf: int = 3, overrides: dict | None = None,
               defaults: dict | None = None) -> LiveTopic:
    parts = tuple(LivePartition(p, 1 + p % 3, tuple(1 + (p + i) % 3 for i in range(rf)),
                                tuple(1 + (p + i) % 3 for i in range(rf))) for p in range(partitions))
    config = {k: LiveConfigEntry(k, v, "DEFAULT_CONFIG", is_default=True)
              for k, v in {"retention.ms": "604800000", "cleanup.policy": "delete", "min.insync.replicas": "1",
                           **(defaults or {})}.items()}
    config.update({k: LiveConfigEntry(k, v, "DYNAMIC_TOPIC_CONFIG") for k, v in (overrides or {}).items()})
    return LiveTopic(name, parts, config)


def cluster(*topics: TopicSpec, owned=(), allow_deletion=False) -> ClusterSpec:
    return ClusterSpec(name="test", source_file="clusters/test.yaml", kafka=KafkaConnection("x:9092"),
                       policy=Policy(allow_topic_deletion=allow_deletion), topics=topics, owned_prefixes=owned)


def live(*topics: LiveTopic) -> LiveCluster:
    return LiveCluster("cid", 1, BROKERS, {t.name: t for t in topics})


def spec(name="orders", partitions=3, rf=3, **config) -> TopicSpec:
    return TopicSpec(name, partitions, rf, {k.replace("_", "."): v for k, v in config.items()},
                     Location("clusters/topics/orders.yaml", 3, 5))


def test_missing_topic_is_created_with_its_config():
    result = diff_topics(cluster(spec(retention_ms="86400000")), live())
    assert result.actions == [CreateTopic(topic="orders", partitions=3, replication_factor=3,
                                          config={"retention.ms": "86400000"})]


def test_matching_topic_gives_no_actions():
    result = diff_topics(cluster(spec(min_insync_replicas="2")), live(live_topic("orders", overrides={"min.insync.replicas": "2"})))
    assert result.actions == [] and result.refusals == []


def test_declared_value_equal_to_broker_default_is_no_change():
    result = diff_topics(cluster(spec(retention_ms="604800000")), live(live_topic("orders")))
    assert result.actions == []


def test_equivalent_cleanup_policy_spellings_are_no_change():
    result = diff_topics(cluster(spec(cleanup_policy="compact,delete")),
                         live(live_topic("orders", overrides={"cleanup.policy": "delete,compact"})))
    assert result.actions == []


def test_changed_config_shows_before_and_after_with_source():
    result = diff_topics(cluster(spec(retention_ms="86400000")), live(live_topic("orders")))
    (action,) = result.actions
    assert isinstance(action, AlterTopicConfig)
    (change,) = action.changes
    assert (change.key, change.before, change.after, change.op) == ("retention.ms", "604800000", "86400000", "set")
    assert change.before_source == "Kafka default"
    assert any("retention decrease" in r for r in action.risks)


def test_undeclared_override_is_reset():
    result = diff_topics(cluster(spec()), live(live_topic("orders", overrides={"segment.ms": "3600000"})))
    (action,) = result.actions
    (change,) = action.changes
    assert (change.key, change.op, change.before, change.after) == ("segment.ms", "reset", "3600000", None)


def test_throttle_overrides_are_never_reset():
    result = diff_topics(cluster(spec()), live(live_topic("orders", overrides={
        "leader.replication.throttled.replicas": "0:1", "follower.replication.throttled.replicas": "0:2"})))
    assert result.actions == []


def test_partition_increase_has_key_movement_risk():
    result = diff_topics(cluster(spec(partitions=6)), live(live_topic("orders", partitions=3)))
    (action,) = result.actions
    assert action == AddPartitions(topic="orders", before=3, after=6, risks=action.risks)
    assert "keyed records move" in action.risks[0] and "murmur2" in action.risks[0]


def test_partition_decrease_is_refused_never_recreated():
    result = diff_topics(cluster(spec(partitions=3)), live(live_topic("orders", partitions=6)))
    assert result.actions == []
    (problem,) = result.refusals
    assert "cannot decrease from 6 to 3" in problem.message
    assert (problem.file, problem.line, problem.kind) == ("clusters/topics/orders.yaml", 3, "input")


def test_replication_change_is_planned_with_an_assignment():
    result = diff_topics(cluster(spec(rf=3)), live(live_topic("orders", rf=2)))
    (action,) = result.actions
    assert isinstance(action, ChangeReplicationFactor)
    assert (action.before, action.after) == (2, 3)
    for p, replicas in action.assignment.items():
        assert len(replicas) == 3 and replicas[0] == action.current[p][0]


def test_undeclared_topics_are_unmanaged_unless_claimed():
    result = diff_topics(cluster(spec(), owned=("team-a.",)),
                         live(live_topic("orders"), live_topic("other"), live_topic("team-a.old")))
    assert result.unmanaged == ["other"]
    (problem,) = result.refusals
    assert "team-a.old" in problem.message and problem.kind == "policy"


def test_claimed_undeclared_topic_is_deleted_when_allowed():
    result = diff_topics(cluster(spec(), owned=("team-a.",), allow_deletion=True),
                         live(live_topic("orders"), live_topic("team-a.old")))
    (action,) = result.actions
    assert isinstance(action, DeleteTopic) and action.topic == "team-a.old"
    assert "cannot be undone" in action.risks[0]


def test_plan_orders_constructive_before_destructive_and_round_trips_as_json():
    desired = cluster(spec("a-new"), spec("b-grow", partitions=6), spec("c-conf", retention_ms="1000"),
                      owned=("z",), allow_deletion=True)
    plan = plan_for(desired, live(live_topic("b-grow"), live_topic("c-conf"), live_topic("zz-old")))
    assert [a.kind for a in plan.actions] == ["create_topic", "alter_topic_config", "add_partitions", "delete_topic"]
    assert plan.counts() == {"create": 1, "change": 2, "delete": 1, "refused": 0}
    assert plan_from_dict(plan_to_dict(plan), action_types()) == plan


@pytest.mark.parametrize("before,after,changes", [
    ({"retention.ms": "604800000"}, {"retention.ms": "604800000"}, False),
    ({}, {"retention.ms": "7d-as-ms-already"}, True),
])
def test_live_fingerprint_changes_only_with_managed_state(before, after, changes):
    desired = cluster(spec())
    one = plan_for(desired, live(live_topic("orders", overrides=before)))
    two = plan_for(desired, live(live_topic("orders", overrides=after)))
    assert (one.live_fingerprint != two.live_fingerprint) == changes


def test_unmanaged_topic_changes_do_not_make_the_plan_stale():
    desired = cluster(spec())
    one = plan_for(desired, live(live_topic("orders")))
    two = plan_for(desired, live(live_topic("orders"), live_topic("someone-elses")))
    assert one.live_fingerprint == two.live_fingerprint


def test_reassignment_in_progress_is_reported_never_started_again():
    moving = live(live_topic("orders", rf=2))
    moving = LiveCluster(moving.cluster_id, 1, BROKERS, moving.topics, reassignments={"orders": {0: ((3,), ())}})
    result = diff_topics(cluster(spec(rf=3)), moving)
    assert result.actions == []
    (warning,) = result.warnings
    assert "reassignment is still in progress" in warning.message and "adding [3]" in warning.message


@pytest.mark.parametrize("weights,limit,expected", [
    ([1, 1, 1], 5, [[1, 1, 1]]),
    ([3, 3, 3], 5, [[3], [3], [3]]),
    ([2, 3, 4, 1], 5, [[2, 3], [4, 1]]),
    ([9], 5, [[9]]),  # one item above the limit still goes, alone
    ([], 5, []),
])
def test_admin_requests_are_cut_below_the_controller_limit(weights, limit, expected):
    from kgitops.kinds.topic.apply import chunks

    assert chunks(weights, lambda w: w, limit) == expected


def test_a_throttle_left_without_a_reassignment_is_reported():
    result = diff_topics(cluster(spec()), live(live_topic("orders", overrides={
        "leader.replication.throttled.replicas": "0:1"})))
    assert result.actions == []
    (warning,) = result.warnings
    assert "leader.replication.throttled.replicas set but no reassignment is in progress" in warning.message


def plan_for(desired, live_cluster):
    return diff.plan_of(KINDS, desired, LiveState({"topic": live_cluster}))

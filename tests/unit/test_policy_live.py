"""The topic kind's live policy rules (kgitops/kinds/topic/policy.py), without a server:
each rule on hand-made live state, at and around its limit."""
from __future__ import annotations

import pytest

from kgitops.kinds import KINDS
from kgitops.kinds.topic import policy
from kgitops.kinds.topic.actions import AddPartitions, ChangeReplicationFactor, CreateTopic, DeleteTopic
from kgitops.model import (Broker, ClusterSpec, KafkaConnection, LiveCluster, LivePartition, LiveState, LiveTopic,
                           Location, Policy, PolicyException, TopicSpec)
from kgitops.policy.live import check_live

BROKERS = (Broker(1, "h", 1), Broker(2, "h", 2), Broker(3, "h", 3))


def live_topic(name: str, partitions: int = 3, rf: int = 3) -> LiveTopic:
    return LiveTopic(name, tuple(LivePartition(p, 1, tuple(range(1, rf + 1)), tuple(range(1, rf + 1)))
                                 for p in range(partitions)))


def live(*topics: LiveTopic, brokers=BROKERS) -> LiveCluster:
    return LiveCluster("cid", 1, brokers, {t.name: t for t in topics})


def desired(*topics: str, **policy_rules) -> ClusterSpec:
    specs = tuple(TopicSpec(t, 3, 3, {}, Location("topics.yaml", 2 + i, 5)) for i, t in enumerate(topics))
    return ClusterSpec(name="c", source_file="c.yaml", kafka=KafkaConnection("x:9092"),
                       policy=Policy(**policy_rules), topics=specs)


@pytest.mark.parametrize("rf,brokers,refused", [(3, 3, False), (4, 3, True), (3, 2, True), (1, 1, False)])
def test_replication_factor_within_live_brokers(rf, brokers, refused):
    problems = policy.replication_within_brokers(desired("a"), live(brokers=BROKERS[:brokers]),
                                                 [CreateTopic(topic="a", partitions=1, replication_factor=rf)])
    assert bool(problems) == refused
    if refused:
        assert problems[0].kind == "policy" and f"replication factor {rf} exceeds the {brokers} live" in problems[0].message
        assert (problems[0].file, problems[0].line) == ("topics.yaml", 2)


def test_replication_change_above_brokers_is_refused_too():
    action = ChangeReplicationFactor(topic="a", before=3, after=4, current={0: (1, 2, 3)}, assignment={0: (1, 2, 3, 4)})
    assert policy.replication_within_brokers(desired("a"), live(live_topic("a")), [action])


@pytest.mark.parametrize("existing,created,limit,refused", [
    (0, 1000, 1000, False),  # 1000 partitions x RF 3 over 3 brokers: 1000 replicas each
    (0, 1001, 1000, True),
    (999, 1, 1000, False),  # 999 x 3 / 3 = 999 on each broker, plus 1
    (999, 2, 1000, True),
])
def test_partitions_per_broker_count_existing_replicas(existing, created, limit, refused):
    topics = [live_topic("old", partitions=existing)] if existing else []
    problems = policy.partition_budget(desired("new", max_partitions_per_broker=limit), live(*topics),
                                       [CreateTopic(topic="new", partitions=created, replication_factor=3)])
    assert bool(problems) == refused
    if refused:
        assert "above policy.max_partitions_per_broker" in problems[0].message


def test_partitions_per_cluster_count_partitions_not_replicas():
    at_limit = policy.partition_budget(desired("new", max_partitions_per_cluster=10), live(live_topic("old", 4)),
                                       [CreateTopic(topic="new", partitions=6, replication_factor=3)])
    over = policy.partition_budget(desired("new", max_partitions_per_cluster=10), live(live_topic("old", 4)),
                                   [CreateTopic(topic="new", partitions=7, replication_factor=3)])
    assert at_limit == [] and "would hold 11 partitions (now 4)" in over[0].message


def test_a_deletion_frees_budget_for_a_create():
    problems = policy.partition_budget(desired("new", max_partitions_per_cluster=10), live(live_topic("old", 8)),
                                       [DeleteTopic(topic="old", partitions=8, replication_factor=3),
                                        CreateTopic(topic="new", partitions=9, replication_factor=3)])
    assert problems == []


def test_shrinking_the_budget_below_today_does_not_refuse_a_plan_that_adds_nothing():
    problems = policy.partition_budget(desired("old", max_partitions_per_broker=1, max_partitions_per_cluster=1),
                                       live(live_topic("old", 8)), [])
    assert problems == []


@pytest.mark.parametrize("deletions,limit,refused", [(5, 5, False), (6, 5, True), (0, 0, False), (1, 0, True)])
def test_blast_radius_counts_topic_deletions(deletions, limit, refused):
    actions = [DeleteTopic(topic=f"t{i}", partitions=1, replication_factor=3) for i in range(deletions)]
    problems = policy.blast_radius(desired(max_topic_deletions_per_apply=limit), live(), actions)
    assert bool(problems) == refused
    if refused:
        assert f"deletes {deletions} topics, above policy.max_topic_deletions_per_apply {limit}" in problems[0].message


@pytest.mark.parametrize("before,after,limit,refused", [(6, 12, 100, False), (6, 13, 100, True), (4, 5, 20, True),
                                                        (5, 6, 20, False)])
def test_blast_radius_limits_the_partition_increase_percent(before, after, limit, refused):
    problems = policy.blast_radius(desired("a", max_partition_increase_percent=limit), live(live_topic("a", before)),
                                   [AddPartitions(topic="a", before=before, after=after)])
    assert bool(problems) == refused


def test_a_per_topic_exception_relaxes_the_partition_increase_for_that_topic_only():
    exception = PolicyException("a", {"max_partition_increase_percent": 300}, "backfill (PLAT-1)")
    cluster = desired("a", "b", exceptions=(exception,))
    actions = [AddPartitions(topic="a", before=3, after=12), AddPartitions(topic="b", before=3, after=12)]
    problems = policy.blast_radius(cluster, live(live_topic("a"), live_topic("b")), actions)
    assert [p.line for p in problems] == [3]  # topic b's line only


def test_check_live_asks_every_kind_over_the_whole_plan():
    actions = [DeleteTopic(topic=f"t{i}", partitions=1, replication_factor=3) for i in range(2)]
    cluster = desired(max_topic_deletions_per_apply=1)
    state = LiveState({"topic": live()})
    problems = check_live(KINDS, cluster, state, actions)
    assert len(problems) == 1 and problems[0].kind == "policy"

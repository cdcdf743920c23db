"""The topic kind's policy rules that need the live cluster: what the desired state alone
cannot tell (docs/architecture.md, "Policy"). Run by plan, and again by apply.

- replication factor <= live broker count
- partitions per broker (replicas counted) and per cluster, counting existing topics
- blast radius: topic deletions and partition increases per apply
"""
from __future__ import annotations

import math

from kgitops.errors import Problem
from kgitops.model import ClusterSpec, LiveCluster
from kgitops.plan import Action
from kgitops.kinds.topic.actions import AddPartitions, ChangeReplicationFactor, CreateTopic, DeleteTopic


# A single-broker cluster is the classic course setup: say what kgitops needs and where to get it.
LEARNER_TIP = ("; kgitops enforces replication factor 3 or more, so it needs a cluster of at least 3 brokers "
               "(`kgitops dev up` starts a local one with 3 brokers)")


def check_live(cluster: ClusterSpec, live: LiveCluster, actions: list[Action] | tuple[Action, ...]) -> list[Problem]:
    problems: list[Problem] = []
    problems += replication_within_brokers(cluster, live, actions)
    problems += partition_budget(cluster, live, actions)
    problems += blast_radius(cluster, live, actions)
    return problems


def _problem(cluster: ClusterSpec, topic: str | None, message: str) -> Problem:
    spec = cluster.topic(topic) if topic else None
    loc = spec.location if spec and spec.location else cluster.policy.location
    resource = f"topic {topic}" if topic else None
    if loc is None:
        return Problem(message, file=cluster.source_file, kind="policy", resource=resource)
    return Problem(message, file=loc.file, line=loc.line, column=loc.column, kind="policy", resource=resource)


def replication_within_brokers(cluster: ClusterSpec, live: LiveCluster, actions) -> list[Problem]:
    brokers = len(live.brokers)
    problems = []
    for action in actions:
        rf = action.replication_factor if isinstance(action, CreateTopic) else (
            action.after if isinstance(action, ChangeReplicationFactor) else None)
        if rf is not None and rf > brokers:
            problems.append(_problem(cluster, action.topic,
                                     f"topic {action.topic}: replication factor {rf} exceeds the {brokers} live "
                                     f"broker(s) of cluster {cluster.name} ({live.cluster_id}); Kafka cannot place "
                                     f"{rf} replicas{LEARNER_TIP if brokers < 3 else ''}"))
    return problems


def _added_replicas(live: LiveCluster, actions) -> tuple[dict[int, int], int]:
    """Replicas the plan adds per broker (creates spread evenly, as Kafka does) and the
    change in the cluster's partition count."""
    per_broker = {b.id: 0 for b in live.brokers}
    broker_ids = sorted(per_broker)
    partitions_delta = 0
    for action in actions:
        if isinstance(action, CreateTopic) and broker_ids:
            share = math.ceil(action.partitions * action.replication_factor / len(broker_ids))
            for b in broker_ids:
                per_broker[b] += share
            partitions_delta += action.partitions
        elif isinstance(action, AddPartitions) and action.assignment:
            for replicas in action.assignment.values():
                for b in replicas:
                    per_broker[b] = per_broker.get(b, 0) + 1
            partitions_delta += action.after - action.before
        elif isinstance(action, AddPartitions) and broker_ids:
            rf = live.topics[action.topic].replication_factor if action.topic in live.topics else 1
            share = math.ceil((action.after - action.before) * rf / len(broker_ids))
            for b in broker_ids:
                per_broker[b] += share
            partitions_delta += action.after - action.before
        elif isinstance(action, ChangeReplicationFactor):
            for p, target in action.assignment.items():
                before = set(action.current.get(p, ()))
                for b in set(target) - before:
                    per_broker[b] = per_broker.get(b, 0) + 1
                for b in before - set(target):
                    per_broker[b] = per_broker.get(b, 0) - 1
        elif isinstance(action, DeleteTopic) and action.topic in live.topics:
            for part in live.topics[action.topic].partitions:
                for b in part.replicas:
                    per_broker[b] = per_broker.get(b, 0) - 1
            partitions_delta -= live.topics[action.topic].partition_count
    return per_broker, partitions_delta


def partition_budget(cluster: ClusterSpec, live: LiveCluster, actions) -> list[Problem]:
    policy = cluster.policy
    added, partitions_delta = _added_replicas(live, actions)
    current = live.replicas_per_broker()
    problems = []
    for broker, count in sorted(current.items()):
        after = count + added.get(broker, 0)
        if after > policy.max_partitions_per_broker and added.get(broker, 0) > 0:
            problems.append(_problem(cluster, None,
                                     f"broker {broker} would hold {after} partition replicas (now {count}), above "
                                     f"policy.max_partitions_per_broker {policy.max_partitions_per_broker}"))
    total_now = sum(t.partition_count for t in live.topics.values())
    total_after = total_now + partitions_delta
    if total_after > policy.max_partitions_per_cluster and partitions_delta > 0:
        problems.append(_problem(cluster, None,
                                 f"the cluster would hold {total_after} partitions (now {total_now}), above "
                                 f"policy.max_partitions_per_cluster {policy.max_partitions_per_cluster}"))
    return problems


def blast_radius(cluster: ClusterSpec, live: LiveCluster, actions) -> list[Problem]:
    policy = cluster.policy
    problems = []
    deletions = [a.topic for a in actions if isinstance(a, DeleteTopic)]
    if len(deletions) > policy.max_topic_deletions_per_apply:
        problems.append(_problem(cluster, None,
                                 f"the plan deletes {len(deletions)} topics, above policy.max_topic_deletions_per_apply "
                                 f"{policy.max_topic_deletions_per_apply} ({', '.join(deletions[:10])}"
                                 f"{', ...' if len(deletions) > 10 else ''}); raise the limit in "
                                 f"{cluster.source_file} if this is intended"))
    for action in actions:
        if isinstance(action, AddPartitions) and action.before > 0:
            percent = (action.after - action.before) * 100 / action.before
            limit = policy.for_topic(action.topic, "max_partition_increase_percent")
            if percent > float(limit):  # type: ignore[arg-type]
                problems.append(_problem(cluster, action.topic,
                                         f"topic {action.topic}: partitions {action.before} -> {action.after} is a "
                                         f"{percent:.0f}% increase, above policy.max_partition_increase_percent "
                                         f"{limit}; raise it (per topic with a reason) if this is intended"))
    return problems

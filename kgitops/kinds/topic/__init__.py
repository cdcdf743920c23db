"""The topic kind: Kafka topics, their partitions, replication factor and configs.

    read     kgitops.live.kafka.KafkaReader (one DescribeCluster, one Metadata, batched
             DescribeConfigs), plus reassignments in flight (kafka-python) when a managed
             partition is under-replicated
    compare  compare.py: one comparator per attribute, risk notes from risks.py
    render   render.py
    policy   policy.py: replication within the live brokers, partition budgets, blast radius
    apply    apply.py (one batched admin request per kind of change), replication.py
             (partition reassignments); order: create, configs, partitions, replication
             ... deletions last
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from kgitops.errors import Problem
from kgitops.kinds.base import ApplyContext, ApplyStep, KindDiff, Outcome, ReadContext, ResourceKind
from kgitops.kinds.topic import compare, policy, render
from kgitops.kinds.topic.health import health_warnings
from kgitops.live import kafka_version
from kgitops.kinds.topic.actions import (AddPartitions, AddPartitionsAfterReplication, AlterTopicConfig,
                                         AlterTopicConfigAfterReplication, ChangeReplicationFactor, CreateTopic,
                                         DeleteTopic)
from kgitops.model import ClusterSpec, LiveCluster, LiveState
from kgitops.plan import Action


# The apply module (confluent-kafka's admin classes) is imported by the steps that use it:
# validate and a plan without changes never do.
def _create(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.kinds.topic import apply as steps

    return steps.create_topics(context.clients.admin, actions, context.settings.timeout, context.report)


def _alter_configs(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.kinds.topic import apply as steps

    return steps.alter_configs(context.clients.admin, actions, context.settings.timeout, context.report)


def _add_partitions(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.kinds.topic import apply as steps

    return steps.add_partitions(context.clients.admin, actions, context.settings.timeout, context.report)


def _change_replication(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.kinds.topic.replication import apply_replication_changes

    outcomes = apply_replication_changes(
        context.clients.client_config, actions, throttle_bytes_per_sec=context.settings.throttle_bytes_per_sec,
        timeout=context.settings.reassignment_timeout, connect=context.clients.reassigner)
    for outcome in outcomes:
        context.report(outcome)
    return outcomes


def _delete(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.kinds.topic import apply as steps

    return steps.delete_topics(context.clients.admin, actions, context.settings.timeout, context.report)


class TopicKind(ResourceKind):
    name = "topic"
    action_types = (CreateTopic, AlterTopicConfig, AddPartitions, ChangeReplicationFactor,
                    AlterTopicConfigAfterReplication, AddPartitionsAfterReplication, DeleteTopic)
    # Constructive first; deletions last (and only when everything before succeeded).
    apply_steps = (
        ApplyStep(10, (CreateTopic,), _create),
        ApplyStep(20, (AlterTopicConfig,), _alter_configs),
        ApplyStep(30, (AddPartitions,), _add_partitions),
        ApplyStep(40, (ChangeReplicationFactor,), _change_replication),
        ApplyStep(45, (AlterTopicConfigAfterReplication,), _alter_configs),
        ApplyStep(46, (AddPartitionsAfterReplication,), _add_partitions),
        ApplyStep(90, (DeleteTopic,), _delete, destructive=True),
    )

    def read_live(self, context: ReadContext) -> LiveCluster:
        from kgitops.live.kafka import KafkaReader

        desired = context.desired
        config = context.clients.client_config
        reader = KafkaReader(context.clients.admin, bootstrap=str(config.get("bootstrap.servers", "")),
                             errors=config.get("error_cb"))
        declared_keys = frozenset(key for topic in desired.topics for key in topic.config)
        live = reader.read(describe=desired.manages, expected_cluster_id=desired.cluster_id,
                           config_keys=declared_keys, declared=[t.name for t in desired.topics])
        config = context.clients.client_config
        version = kafka_version.detect(kafka_version.reported_config_names(reader, live.topics),
                                       kafka_version.api_version_of(config), desired.kafka_version)
        live = dataclasses.replace(live, kafka_version=version)
        from kgitops.live import reset_values

        resets = reset_values.keys_to_reset(desired, live)
        if resets:
            live = dataclasses.replace(live, reset_values=reset_values.reset_values(
                reader.admin, live, resets, version.line, reader.timeout))
        for phase, count in reader.stats.requests.items():
            context.requests[phase] = context.requests.get(phase, 0) + count
        return with_reassignments(live, desired, context)

    def compare(self, desired: ClusterSpec, live: LiveState) -> KindDiff:
        cluster = live.cluster
        result = compare.diff_topics(desired, cluster)
        refusals, warnings = tuple(result.refusals), tuple(result.warnings)
        if cluster.kafka_version is not None:  # configs the cluster's Kafka line does not know are refused
            refusals += tuple(kafka_version.config_problems(desired, cluster.kafka_version))
            warnings += tuple(kafka_version.version_warnings(desired, cluster.kafka_version))
        warnings += tuple(health_warnings(desired, cluster))
        return KindDiff(tuple(result.actions), refusals, warnings, tuple(result.unmanaged))

    def check_live(self, desired: ClusterSpec, live: LiveState, actions: Sequence[Action]) -> list[Problem]:
        return policy.check_live(desired, live.cluster, actions)

    def details(self, action: Action) -> list[str]:
        return render.details(action)

    def live_fingerprint(self, desired: ClusterSpec, live: LiveState) -> object:
        """The managed and claimed topics' assignments and configs and the brokers. Leaders
        and ISRs are left out: they move without anyone changing anything."""
        cluster = live.cluster
        topics = {}
        for name in sorted(cluster.topics):
            spec = desired.topic(name)
            if spec is None and not desired.owns(name):
                continue
            declared = spec.config if spec is not None else {}
            topic = cluster.topics[name]
            topics[name] = {
                "replicas": [list(p.replicas) for p in topic.partitions],
                "config": {k: e.value for k, e in sorted(topic.config.items()) if e.is_topic_override or k in declared},
            }
        return {"cluster_id": cluster.cluster_id, "brokers": [b.id for b in cluster.brokers], "topics": topics}


def with_reassignments(live: LiveCluster, desired: ClusterSpec, context: ReadContext) -> LiveCluster:
    """Add the reassignments in flight on managed topics. Only a topic with a partition
    whose ISR is smaller than its replica set can be moving, so only then is the cluster
    asked (kafka-python: confluent-kafka has no API for it)."""
    suspects = sorted(name for name, topic in live.topics.items() if desired.manages(name)
                      and any(len(p.isr) < len(p.replicas) for p in topic.partitions))
    if not suspects or context.clients.reassigner is None:
        return live
    with context.clients.reassigner() as reassigner:
        moving = reassigner.in_progress(suspects)
    reassignments = {topic: {p: (tuple(r.adding), tuple(r.removing)) for p, r in parts.items()}
                     for topic, parts in moving.items() if parts}
    return dataclasses.replace(live, reassignments=reassignments)

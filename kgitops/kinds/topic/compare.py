"""Comparing declared topics with live ones: one small comparator per attribute.

    result = diff_topics(cluster, live)
    result.actions   # CreateTopic, AddPartitions, AlterTopicConfig, ChangeReplicationFactor, DeleteTopic
    result.refusals  # changes Kafka cannot make or the policy forbids
    result.unmanaged # live topics that are neither declared nor claimed
"""
from __future__ import annotations

from dataclasses import dataclass, field

from kgitops.desired.topic_configs import canonical_value
from kgitops.kinds.topic import risks
from kgitops.kinds.topic.placement import place_new_partitions
from kgitops.errors import Problem
from kgitops.model import ClusterSpec, LiveCluster, LiveConfigEntry, LiveTopic, TopicSpec
from kgitops.plan import Action
from kgitops.kinds.topic.actions import (AddPartitions, AlterTopicConfig, AlterTopicConfigAfterReplication,
                                         ChangeReplicationFactor, ConfigChange, CreateTopic, DeleteTopic)

# Set by partition reassignments (kgitops' own RF changes among them), never declared.
UNMANAGED_CONFIGS = frozenset({"leader.replication.throttled.replicas", "follower.replication.throttled.replicas"})

SOURCE_NAMES = {
    "DYNAMIC_TOPIC_CONFIG": "topic override",
    "DYNAMIC_BROKER_CONFIG": "broker config",
    "DYNAMIC_DEFAULT_BROKER_CONFIG": "cluster-wide broker default",
    "STATIC_BROKER_CONFIG": "broker default (server.properties)",
    "DEFAULT_CONFIG": "Kafka default",
}


@dataclass
class TopicDiff:
    actions: list[Action] = field(default_factory=list)
    refusals: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    unmanaged: list[str] = field(default_factory=list)


def diff_topics(cluster: ClusterSpec, live: LiveCluster) -> TopicDiff:
    result = TopicDiff()
    for spec in cluster.topics:
        current = live.topics.get(spec.name)
        if current is None:
            result.actions.append(create_topic(spec))
            continue
        compare_partitions(spec, current, live, result)
        rf_change = compare_replication(spec, current, live, result)
        compare_configs(spec, current, result, rf_before=current.replication_factor if rf_change else None)
        report_leftover_throttle(spec, current, live, result)
    declared = {t.name for t in cluster.topics}
    for name in sorted(set(live.topics) - declared):
        if cluster.owns(name):
            compare_claimed_undeclared(cluster, live.topics[name], result)
        else:
            result.unmanaged.append(name)
    return result


def create_topic(spec: TopicSpec) -> CreateTopic:
    min_insync = spec.config.get("min.insync.replicas")
    notes = risks.min_insync_vs_replication(int(min_insync) if min_insync else None, spec.replication_factor)
    return CreateTopic(topic=spec.name, partitions=spec.partitions, replication_factor=spec.replication_factor,
                       config=dict(sorted(spec.config.items())), risks=tuple(notes))


def _where(spec: TopicSpec) -> dict:
    loc = spec.location
    return {"file": loc.file, "line": loc.line, "column": loc.column} if loc else {}


def compare_partitions(spec: TopicSpec, current: LiveTopic, live: LiveCluster, result: TopicDiff) -> None:
    before, after = current.partition_count, spec.partitions
    if after > before:
        assignment: dict[int, tuple[int, ...]] = {}
        if spec.replication_factor != current.replication_factor and not live.reassignments.get(spec.name):
            try:  # created at the new replication factor: the reassignment covers only the old partitions
                assignment = place_new_partitions(before, after - before, live.brokers, spec.replication_factor,
                                                  racks={b.id: b.rack for b in live.brokers},
                                                  load=live.replicas_per_broker())
            except ValueError:
                assignment = {}  # the replication change is refused with the reason
        result.actions.append(AddPartitions(topic=spec.name, before=before, after=after, assignment=assignment,
                                            risks=tuple(risks.partition_increase(spec.name, before, after))))
    elif after < before:
        result.refusals.append(Problem(
            f"topic {spec.name}: partitions cannot decrease from {before} to {after}: Kafka cannot remove "
            f"partitions. Keep partitions: {before}, or create a new topic with {after} partitions and move "
            f"producers and consumers to it (kgitops never deletes and recreates a topic)",
            kind="input", resource=f"topic {spec.name}", **_where(spec)))


def compare_replication(spec: TopicSpec, current: LiveTopic, live: LiveCluster, result: TopicDiff) -> bool:
    """Plan the replication-factor change, if any; True when one is planned."""
    moving = live.reassignments.get(spec.name)
    if moving:
        # Kafka finishes a reassignment by itself; starting another would duplicate it.
        parts = ", ".join(f"{p} (adding {list(a)}, removing {list(r)})" for p, (a, r) in sorted(moving.items()))
        result.warnings.append(Problem(
            f"topic {spec.name}: a partition reassignment is still in progress on partitions {parts}; "
            f"replication changes for this topic wait until it completes", severity="warning", **_where(spec)))
        return False
    before, after = current.replication_factor, spec.replication_factor
    if before == after:
        return False
    current_assignment = {p.id: p.replicas for p in current.partitions}
    try:
        assignment = plan_assignment(current_assignment, live, after)
    except ValueError as err:
        # The change stays in the plan, refused, with no assignment: a plan with a refusal
        # is never applied, and the reviewer sees what was asked for and why it cannot be.
        result.refusals.append(Problem(f"topic {spec.name}: replication factor {before} -> {after}: {err}",
                                       kind="policy", resource=f"topic {spec.name}", **_where(spec)))
        assignment = {}
    result.actions.append(ChangeReplicationFactor(
        topic=spec.name, before=before, after=after, current=current_assignment, assignment=assignment,
        risks=tuple(risks.replication_change(before, after, current.partition_count))))
    return True


def plan_assignment(current: dict[int, tuple[int, ...]], live: LiveCluster, target_rf: int) -> dict[int, tuple[int, ...]]:
    from kgitops.kinds.topic.placement import reassign_for_replication_factor

    racks = {b.id: b.rack for b in live.brokers}
    return {p: tuple(r) for p, r in reassign_for_replication_factor(
        current, live.brokers, target_rf, racks=racks, load=live.replicas_per_broker()).items()}


def effective_value(entry: LiveConfigEntry | None) -> str | None:
    return entry.value if entry is not None else None


def source_name(entry: LiveConfigEntry | None) -> str | None:
    return SOURCE_NAMES.get(entry.source, entry.source.lower()) if entry is not None else None


def compare_configs(spec: TopicSpec, current: LiveTopic, result: TopicDiff, rf_before: int | None = None) -> None:
    """Config changes; with `rf_before` (a replication-factor change is planned from it), a
    min.insync.replicas raised to rf_before or above is applied after the reassignment, so
    that min.insync.replicas stays below the replication factor at every step."""
    changes: list[ConfigChange] = []
    notes: dict[str, list[str]] = {}
    for key, wanted in sorted(spec.config.items()):
        entry = current.config.get(key)
        have = effective_value(entry)
        # Compared with the effective value whatever its source: a declared value equal to
        # the broker default is no change.
        if have is not None and (have == wanted or canonical_value(key, have) == canonical_value(key, wanted)):
            continue
        changes.append(ConfigChange(key=key, before=have, after=wanted, op="set", before_source=source_name(entry)))
        notes[key] = config_risks(key, have, wanted, spec)
    for key, entry in sorted(current.config.items()):
        if entry.is_topic_override and key not in spec.config and key not in UNMANAGED_CONFIGS:
            changes.append(ConfigChange(key=key, before=entry.value, after=None, op="reset",
                                        before_source=source_name(entry),
                                        after_note="override removed: the broker default applies"))
    late = [c for c in changes if rf_before is not None and _waits_for_replication(c, rf_before)]
    early = [c for c in changes if c not in late]
    def risks_of(group: list[ConfigChange]) -> tuple[str, ...]:
        return tuple(note for c in group for note in notes.get(c.key, ()) if c.op == "set")

    if early:
        result.actions.append(AlterTopicConfig(topic=spec.name, changes=tuple(early), risks=risks_of(early)))
    if late:
        result.actions.append(AlterTopicConfigAfterReplication(
            topic=spec.name, changes=tuple(late), risks=risks_of(late) + tuple(risks.min_insync_after_replication(
                int(late[0].after or 0), rf_before or 0, spec.replication_factor))))


def _waits_for_replication(change: ConfigChange, rf_before: int) -> bool:
    return (change.key == "min.insync.replicas" and change.op == "set" and change.after is not None
            and change.after.isdigit() and int(change.after) >= rf_before)


def report_leftover_throttle(spec: TopicSpec, current: LiveTopic, live: LiveCluster, result: TopicDiff) -> None:
    """Throttled-replica lists on a topic with no reassignment in flight are most likely left
    by an interrupted one (kgitops never resets them: an operator may be moving data). Say
    so, since a forgotten throttle slows that topic's replication for good."""
    if spec.name in live.reassignments:
        return
    left = sorted(k for k in UNMANAGED_CONFIGS if k in current.config and current.config[k].is_topic_override
                  and current.config[k].value)
    if left:
        result.warnings.append(Problem(
            f"topic {spec.name}: {', '.join(left)} set but no reassignment is in progress: a replication "
            f"throttle left by an interrupted reassignment? Remove it (kafka-configs --alter --delete-config) "
            f"if nobody is moving this topic's data", severity="warning", **_where(spec)))


def config_risks(key: str, before: str | None, after: str | None, spec: TopicSpec) -> list[str]:
    notes = risks.retention_decrease(key, before, after)
    if key == "cleanup.policy":
        notes += risks.cleanup_policy_change(canonical_value(key, before) if before else None, after)
    if key == "min.insync.replicas" and after is not None:
        notes += risks.min_insync_vs_replication(int(after), spec.replication_factor)
    return notes


def compare_claimed_undeclared(cluster: ClusterSpec, topic: LiveTopic, result: TopicDiff) -> None:
    """A live topic under an owned prefix that Git no longer declares: deleted only when the
    cluster allows deletion."""
    if cluster.policy.allow_topic_deletion:
        result.actions.append(DeleteTopic(topic=topic.name, partitions=topic.partition_count,
                                          replication_factor=topic.replication_factor,
                                          risks=tuple(risks.topic_deletion(topic.name))))
        return
    loc = cluster.policy.location
    # The deletion stays in the plan, refused: the reviewer sees what Git now says.
    result.actions.append(DeleteTopic(topic=topic.name, partitions=topic.partition_count,
                                      replication_factor=topic.replication_factor,
                                      risks=tuple(risks.topic_deletion(topic.name))))
    result.refusals.append(Problem(
        f"topic {topic.name} is claimed by owned_prefixes but no longer declared, and topic deletion is "
        f"disabled (policy.allow_topic_deletion: false). Declare it again, or set allow_topic_deletion: true "
        f"in {cluster.source_file} to delete it",
        kind="policy", file=cluster.source_file, line=loc.line if loc else None, resource=f"topic {topic.name}"))

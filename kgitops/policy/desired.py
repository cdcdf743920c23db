"""Safety policy checked on the desired state alone (docs/architecture.md, "Policy"): what validate,
plan and apply can all refuse before touching a cluster. Problems have kind="policy"
(exit 3); warnings do not fail.

- replication factor >= policy.min_replication_factor; RF 1 is refused even with an
  exception
- min.insync.replicas >= policy.min_insync_replicas and < replication factor; a topic that
  declares none (nor do the cluster defaults) gets a warning: it relies on the broker
  default, which is 1 unless the brokers set it
- partition budget: the declared topics' partitions (replicas not counted, as
  kgitops.kinds.topic.policy does) <= policy.max_partitions_per_cluster. The per-broker budget
  needs the live broker count: see kgitops.kinds.topic.policy.
- a policy exception that relaxes nothing the topic needs gets a warning

What needs the live cluster (RF vs broker count, budgets with existing topics, blast
radius) is in kgitops.kinds.topic.policy.
"""
from __future__ import annotations

from kgitops.errors import Problem
from kgitops.model import ClusterSpec, Location, Policy, TopicSpec

MIN_INSYNC = "min.insync.replicas"


def check_desired(cluster: ClusterSpec) -> list[Problem]:
    problems: list[Problem] = []
    for topic in cluster.topics:
        problems += replication_factor_problems(cluster.policy, topic)
        problems += min_insync_problems(cluster.policy, topic)
    problems += partition_budget_problems(cluster)
    problems += unneeded_exception_warnings(cluster)
    return problems


def replication_factor_problems(policy: Policy, topic: TopicSpec) -> list[Problem]:
    rf = topic.replication_factor
    if rf == 1:
        return [
            _violation(
                _field_location(topic, "replication_factor"),
                f"topic '{topic.name}': replication_factor 1 is always refused: losing one broker loses the data "
                "(no policy exception can allow it)",
            )
        ]
    minimum = int(policy.for_topic(topic.name, "min_replication_factor"))  # type: ignore[call-overload]
    if minimum <= 1:
        return [
            _violation(
                _rule_location(policy, topic.name, "min_replication_factor") or _field_location(topic, "replication_factor"),
                f"a policy exception cannot allow replication_factor 1 for '{topic.name}'",
            )
        ]
    if rf < minimum:
        return [
            _violation(
                _field_location(topic, "replication_factor"),
                f"topic '{topic.name}': replication_factor {rf} is below the policy minimum {minimum} "
                f"({_rule_source(policy, topic.name, 'min_replication_factor')})",
            )
        ]
    return []


def min_insync_problems(policy: Policy, topic: TopicSpec) -> list[Problem]:
    if topic.replication_factor <= 1:
        return []  # refused for its replication factor already; one message is clearer
    required = int(policy.for_topic(topic.name, "min_insync_replicas"))  # type: ignore[call-overload]
    declared = topic.config.get(MIN_INSYNC)
    if declared is None:
        if required < topic.replication_factor:
            advice = f"declare {required} on the topic or in defaults.config"
        else:
            advice = (
                f"no value is both >= {required} and below replication_factor {topic.replication_factor}; "
                "raise the replication factor or add a min_insync_replicas policy exception"
            )
        return [
            _warning(
                topic.location,
                f"topic '{topic.name}' does not declare min.insync.replicas and relies on the broker default "
                f"(1 unless the brokers set it); {advice} ({_rule_source(policy, topic.name, 'min_insync_replicas')})",
            )
        ]
    value = int(declared)
    if required <= value < topic.replication_factor:
        return []
    where = _field_location(topic, f"config.{MIN_INSYNC}")  # looked up only for a message (it costs a walk)
    problems = []
    if value < required:
        problems.append(
            _violation(
                where,
                f"topic '{topic.name}': min.insync.replicas {value} is below the policy minimum {required} "
                f"({_rule_source(policy, topic.name, 'min_insync_replicas')})",
            )
        )
    if value >= topic.replication_factor:
        problems.append(
            _violation(
                where,
                f"topic '{topic.name}': min.insync.replicas {value} must be lower than replication_factor "
                f"{topic.replication_factor} (declared at {_field_location(topic, 'replication_factor')}): with one "
                "broker down, producers using acks=all could not write",
            )
        )
    return problems


def partition_budget_problems(cluster: ClusterSpec) -> list[Problem]:
    """Partitions (not replicas) of all declared topics against the cluster budget."""
    policy = cluster.policy
    total = sum(topic.partitions for topic in cluster.topics)
    if total <= policy.max_partitions_per_cluster:
        return []
    where = policy.field_locations.get("max_partitions_per_cluster") or policy.location or Location(cluster.source_file)
    return [
        _violation(
            where,
            f"the declared topics have {total} partitions, above policy.max_partitions_per_cluster "
            f"{policy.max_partitions_per_cluster} ({_default_or_location(policy, 'max_partitions_per_cluster')})",
        )
    ]


def unneeded_exception_warnings(cluster: ClusterSpec) -> list[Problem]:
    """An exception whose topic meets the normal rule anyway is stale: say so."""
    warnings = []
    for exception in cluster.policy.exceptions:
        topic = cluster.topic(exception.topic)
        if topic is None:
            continue  # the loader reports exceptions for undeclared topics
        for rule, relaxed in exception.rules.items():
            if _meets_normal_rule(cluster.policy, topic, rule):
                warnings.append(
                    _warning(
                        exception.location,
                        f"policy exception for '{topic.name}' relaxes {rule} to {relaxed}, but the topic meets "
                        f"the normal rule ({rule} {getattr(cluster.policy, rule)}); remove the exception",
                    )
                )
    return warnings


def _meets_normal_rule(policy: Policy, topic: TopicSpec, rule: str) -> bool:
    if rule == "min_replication_factor":
        return topic.replication_factor >= policy.min_replication_factor
    if rule == "min_insync_replicas":
        declared = topic.config.get(MIN_INSYNC)
        return declared is not None and int(declared) >= policy.min_insync_replicas
    return False  # partition increases are judged at plan time


# ---------------------------------------------------------------------------
# Where rules and values come from
# ---------------------------------------------------------------------------


def _field_location(topic: TopicSpec, name: str) -> Location | None:
    return topic.field_locations.get(name) or topic.location


def _rule_location(policy: Policy, topic: str, rule: str) -> Location | None:
    for exception in policy.exceptions:
        if exception.topic == topic and rule in exception.rules:
            return exception.location
    return policy.field_locations.get(rule)


def _rule_source(policy: Policy, topic: str, rule: str) -> str:
    """`policy.min_replication_factor in clusters/prod.yaml:9`, or the exception that set it."""
    for exception in policy.exceptions:
        if exception.topic == topic and rule in exception.rules:
            return f"policy exception for '{topic}' in {exception.location}"
    return _default_or_location(policy, rule)


def _default_or_location(policy: Policy, rule: str) -> str:
    location = policy.field_locations.get(rule)
    if location is None:
        return f"policy.{rule}, kgitops default"
    return f"policy.{rule} in {location}"


def _violation(location: Location | None, message: str) -> Problem:
    return _problem(location, message, "error")


def _warning(location: Location | None, message: str) -> Problem:
    return _problem(location, message, "warning")


def _problem(location: Location | None, message: str, severity: str) -> Problem:
    if location is None:
        return Problem(message, severity=severity, kind="policy")
    return Problem(message, location.file, location.line, location.column, severity=severity, kind="policy")

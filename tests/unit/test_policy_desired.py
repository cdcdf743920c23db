"""kgitops.policy.check_desired: the safety rules judged on the desired state alone."""
from __future__ import annotations

import pytest

from kgitops.model import ClusterSpec, KafkaConnection, Location, Policy, PolicyException, TopicSpec
from kgitops.policy.desired import check_desired

POLICY_FILE = "clusters/prod.yaml"
RULE_LOCATIONS = {
    "min_replication_factor": Location(POLICY_FILE, 9, 3),
    "min_insync_replicas": Location(POLICY_FILE, 10, 3),
}


def topic(name: str = "orders", partitions: int = 6, rf: int = 3, isr: int | None = 2) -> TopicSpec:
    config = {} if isr is None else {"min.insync.replicas": str(isr)}
    return TopicSpec(
        name, partitions, rf, config, location=Location("topics/orders.yaml", 2, 5),
        field_locations={"replication_factor": Location("topics/orders.yaml", 14, 7),
                         "config.min.insync.replicas": Location("topics/orders.yaml", 16, 9)},
    )


def cluster(*topics: TopicSpec, exceptions: tuple[PolicyException, ...] = (), **rules: object) -> ClusterSpec:
    policy = Policy(exceptions=exceptions, field_locations=RULE_LOCATIONS, **rules)  # type: ignore[arg-type]
    return ClusterSpec("prod", POLICY_FILE, KafkaConnection("k:9092"), policy=policy, topics=topics)


def exception(**rules: object) -> PolicyException:
    return PolicyException("orders", rules, "replayable from the source", Location(POLICY_FILE, 20, 7))


CASES = [
    # id, cluster, expected (severity, "file:line:col", message fragment) in order
    ("compliant", cluster(topic()), []),
    ("rf-1-refused", cluster(topic(rf=1, isr=None)),
     [("error", "topics/orders.yaml:14:7", "replication_factor 1 is always refused")]),
    ("rf-1-refused-despite-exception", cluster(topic(rf=1, isr=None), exceptions=(exception(min_replication_factor=1),)),
     [("error", "topics/orders.yaml:14:7", "no policy exception can allow it")]),
    ("exception-cannot-lower-minimum-to-1",
     cluster(topic(rf=2, isr=1), exceptions=(exception(min_replication_factor=1, min_insync_replicas=1),)),
     [("error", "clusters/prod.yaml:20:7", "cannot allow replication_factor 1")]),
    ("rf-below-minimum", cluster(topic(rf=2, isr=1)),
     [("error", "topics/orders.yaml:14:7",
       "replication_factor 2 is below the policy minimum 3 (policy.min_replication_factor in clusters/prod.yaml:9:3)"),
      ("error", "topics/orders.yaml:16:9", "min.insync.replicas 1 is below the policy minimum 2")]),
    ("rf-2-allowed-by-exception",
     cluster(topic(rf=2, isr=1), exceptions=(exception(min_replication_factor=2, min_insync_replicas=1),)), []),
    ("isr-equal-rf", cluster(topic(rf=3, isr=3)),
     [("error", "topics/orders.yaml:16:9", "min.insync.replicas 3 must be lower than replication_factor 3")]),
    ("isr-above-policy-is-fine", cluster(topic(rf=5, isr=3)), []),
    ("isr-below-policy-names-exception-source",
     cluster(topic(rf=3, isr=1), exceptions=(exception(min_insync_replicas=2),), min_insync_replicas=3),
     [("error", "topics/orders.yaml:16:9", "policy exception for 'orders' in clusters/prod.yaml:20:7")]),
    ("isr-undeclared-warns", cluster(topic(isr=None)),
     [("warning", "topics/orders.yaml:2:5", "declare 2 on the topic or in defaults.config")]),
    ("isr-undeclared-with-no-valid-value",
     cluster(topic(rf=2, isr=None), exceptions=(exception(min_replication_factor=2),)),
     [("warning", "topics/orders.yaml:2:5", "no value is both >= 2 and below replication_factor 2")]),
    ("partition-budget", cluster(topic("a", 8), topic("b", 8), max_partitions_per_cluster=15),
     [("error", "clusters/prod.yaml", "16 partitions, above policy.max_partitions_per_cluster 15")]),
    ("unneeded-exception-warns", cluster(topic(), exceptions=(exception(min_replication_factor=2),)),
     [("warning", "clusters/prod.yaml:20:7", "remove the exception")]),
]


@pytest.mark.parametrize("spec,expected", [(c, e) for _, c, e in CASES], ids=[i for i, _, _ in CASES])
def test_check_desired(spec: ClusterSpec, expected: list[tuple[str, str, str]]) -> None:
    problems = check_desired(spec)
    assert [p.kind for p in problems] == ["policy"] * len(problems)
    got = [(p.severity, p.where(), p.message) for p in problems]
    assert len(got) == len(expected), got
    for (severity, where, message), (want_severity, want_where, fragment) in zip(got, expected):
        assert severity == want_severity, got
        assert where.startswith(want_where), got
        assert fragment in message, got

"""Safe ordering within one apply: walking every intermediate state of generated plans,
min.insync.replicas never reaches the replication factor unless the state before or after
the apply already has it (then the policy refuses the plan anyway)."""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from kgitops import diff
from kgitops.kinds import KINDS
from kgitops.kinds.topic.actions import AlterTopicConfig, ChangeReplicationFactor
from kgitops.model import (Broker, ClusterSpec, KafkaConnection, LiveCluster, LiveConfigEntry, LivePartition,
                           LiveState, LiveTopic, Policy, TopicSpec)

BROKERS = tuple(Broker(i, "h", i) for i in range(1, 7))


def plan_for(rf_before: int, mi_before: int, rf_after: int, mi_after: int):
    replicas = tuple(range(1, rf_before + 1))
    live_topic = LiveTopic("t", (LivePartition(0, 1, replicas, replicas),),
                           {"min.insync.replicas": LiveConfigEntry("min.insync.replicas", str(mi_before),
                                                                   "DYNAMIC_TOPIC_CONFIG")})
    desired = ClusterSpec(name="c", source_file="c.yaml", kafka=KafkaConnection("x:9092"), policy=Policy(),
                          topics=(TopicSpec("t", 1, rf_after, {"min.insync.replicas": str(mi_after)}),))
    live = LiveState({"topic": LiveCluster("cid", 1, BROKERS, {"t": live_topic})})
    return diff.plan_of(KINDS, desired, live)


def states(rf: int, mi: int, actions) -> list[tuple[int, int]]:
    """(rf, min.insync) after each action, in the order apply runs them."""
    seen = []
    for action in actions:
        if isinstance(action, ChangeReplicationFactor):
            rf = action.after
        elif isinstance(action, AlterTopicConfig):
            for change in action.changes:
                if change.key == "min.insync.replicas" and change.op == "set":
                    mi = int(change.after)
        seen.append((rf, mi))
    return seen


@settings(max_examples=400, deadline=None)
@given(st.integers(1, 6), st.integers(1, 6), st.integers(1, 6), st.integers(1, 6))
def test_no_intermediate_state_has_min_insync_at_or_above_the_replication_factor(rf_b, mi_b, rf_a, mi_a):
    plan = plan_for(rf_b, mi_b, rf_a, mi_a)
    walked = states(rf_b, mi_b, plan.actions)
    assert (walked[-1] if walked else (rf_b, mi_b)) == (rf_a, mi_a)  # the apply ends at the desired state
    if mi_b < rf_b and mi_a < rf_a:
        assert all(mi < rf for rf, mi in walked), (plan.actions, walked)


def test_raising_both_sets_min_insync_after_the_reassignment_and_says_so():
    plan = plan_for(2, 1, 3, 2)
    assert [a.kind for a in plan.actions] == ["change_replication_factor", "alter_topic_config_after_replication"]
    assert any("only after the replication factor reaches 3" in r for r in plan.actions[1].risks)
    assert len(plan.resources()) == 1 and plan.counts()["change"] == 1


def test_lowering_both_lowers_min_insync_first():
    plan = plan_for(3, 2, 2, 1)
    assert [a.kind for a in plan.actions] == ["alter_topic_config", "change_replication_factor"]


def test_a_min_insync_raise_below_the_old_replication_factor_needs_no_wait():
    plan = plan_for(4, 1, 5, 2)
    assert [a.kind for a in plan.actions] == ["alter_topic_config", "change_replication_factor"]

"""Replica placement for RF changes: table cases for each rule, and properties that hold
for any input."""
from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kgitops.model import Broker
from kgitops.kinds.topic.placement import reassign_for_replication_factor


def brokers(*ids: int, racks: dict[int, str] | None = None) -> list[Broker]:
    racks = racks or {}
    return [Broker(id=i, host="127.0.0.1", port=19091 + i, rack=racks.get(i)) for i in ids]


CASES = [
    pytest.param(
        dict(current={0: (1,)}, brokers=brokers(1, 2, 3), target_rf=3),
        {0: (1, 2, 3)},
        id="increase-1-to-3-single-partition",
    ),
    pytest.param(
        dict(current={0: (1,), 1: (2,), 2: (3,)}, brokers=brokers(1, 2, 3), target_rf=3),
        {0: (1, 2, 3), 1: (2, 1, 3), 2: (3, 1, 2)},
        id="increase-1-to-3-every-broker-gets-every-partition",
    ),
    pytest.param(
        dict(current={0: (1,), 1: (2,), 2: (3,)}, brokers=brokers(1, 2, 3), target_rf=2),
        # Partition by partition, 2 would go to broker 1 twice (3, 2, 1 replicas); the
        # rebalancing pass turns it into a ring with 2 replicas on each broker.
        {0: (1, 2), 1: (2, 3), 2: (3, 1)},
        id="increase-1-to-2-rebalances-greedy-choices",
    ),
    pytest.param(
        dict(current={0: (1, 2)}, brokers=brokers(1, 2, 3, 4), target_rf=3, load={1: 5, 2: 5, 3: 9, 4: 2}),
        {0: (1, 2, 4)},
        id="increase-2-to-3-picks-least-loaded-broker",
    ),
    pytest.param(
        dict(current={0: (1, 2), 1: (2, 3), 2: (3, 1)}, brokers=brokers(1, 2, 3, 4), target_rf=3,
             load={1: 10, 2: 10, 3: 10, 4: 8}),
        # Broker 4 is two replicas behind: it takes two new ones, not all three.
        {0: (1, 2, 4), 1: (2, 3, 4), 2: (3, 1, 2)},
        id="increase-2-to-3-uneven-counts-what-this-reassignment-added",
    ),
    pytest.param(
        dict(current={0: (1, 2)}, brokers=brokers(1, 2, 3, 4), target_rf=3, load={1: 3, 2: 3, 3: 7, 4: 7}),
        {0: (1, 2, 3)},
        id="tie-on-load-goes-to-lowest-broker-id",
    ),
    pytest.param(
        dict(current={0: (1, 2, 3)}, brokers=brokers(1, 2, 3), target_rf=2),
        {0: (1, 2)},
        id="decrease-3-to-2-keeps-leader-drops-highest-id-on-tie",
    ),
    pytest.param(
        dict(current={0: (3, 1, 2)}, brokers=brokers(1, 2, 3), target_rf=1),
        {0: (3,)},
        id="decrease-to-1-keeps-only-the-leader",
    ),
    pytest.param(
        dict(current={0: (2, 1, 3)}, brokers=brokers(1, 2, 3), target_rf=2, load={1: 50, 2: 10, 3: 10}),
        {0: (2, 3)},
        id="decrease-removes-from-most-loaded-broker",
    ),
    pytest.param(
        dict(current={0: (3, 1, 2)}, brokers=brokers(1, 2, 3), target_rf=2, load={1: 1, 2: 1, 3: 100}),
        {0: (3, 1)},
        id="decrease-never-removes-the-leader-even-on-the-busiest-broker",
    ),
    pytest.param(
        dict(current={0: (1, 2, 3), 1: (2, 3, 1), 2: (3, 1, 2)}, brokers=brokers(1, 2, 3), target_rf=2),
        {0: (1, 2), 1: (2, 3), 2: (3, 1)},
        id="decrease-3-to-2-spreads-removals-evenly",
    ),
    pytest.param(
        dict(current={0: (1,)}, brokers=brokers(1, 2, 3, 4, racks={1: "a", 2: "a", 3: "b", 4: "b"}),
             target_rf=2),
        {0: (1, 3)},
        id="racks-increase-prefers-a-new-rack-over-lower-id",
    ),
    pytest.param(
        dict(current={0: (1,)}, brokers=brokers(1, 2, 3, 4, racks={1: "a", 2: "a", 3: "b", 4: "b"}),
             target_rf=2, load={1: 1, 2: 0, 3: 50, 4: 60}),
        {0: (1, 3)},
        id="racks-outrank-load",
    ),
    pytest.param(
        dict(current={0: (1, 3, 2)}, brokers=brokers(1, 2, 3, 4, racks={1: "a", 2: "a", 3: "b", 4: "b"}),
             target_rf=2, load={1: 1, 2: 1, 3: 90, 4: 1}),
        {0: (1, 3)},
        id="racks-decrease-drops-the-duplicate-rack-first",
    ),
    pytest.param(
        dict(current={0: (1, 2)}, brokers=brokers(1, 2, 3, 4), target_rf=3,
             racks={1: "a", 2: "b", 3: "b", 4: "c"}),
        {0: (1, 2, 4)},
        id="racks-given-explicitly-override-broker-racks",
    ),
    pytest.param(
        dict(current={0: (1, 2, 3), 1: (2, 3, 1)}, brokers=brokers(1, 2, 3), target_rf=3),
        {0: (1, 2, 3), 1: (2, 3, 1)},
        id="no-op-when-rf-already-equal",
    ),
    pytest.param(
        dict(current={0: (1, 2), 1: (2, 3, 1)}, brokers=brokers(1, 2, 3), target_rf=3),
        {0: (1, 2, 3), 1: (2, 3, 1)},
        id="only-partitions-below-target-change",
    ),
    pytest.param(
        dict(current={0: (1, 2), 1: (2, 3, 1)}, brokers=brokers(1, 2, 3, 4), target_rf=2),
        {0: (1, 2), 1: (2, 3)},
        id="mixed-rf-after-interrupted-reassignment-converges",
    ),
    pytest.param(
        dict(current={}, brokers=brokers(1, 2, 3), target_rf=3),
        {},
        id="no-partitions",
    ),
    pytest.param(
        dict(current={0: (4,), 1: (1,)}, brokers=brokers(1, 2, 3, 4), target_rf=1),
        {0: (4,), 1: (1,)},
        id="unchanged-partitions-are-not-checked-against-live-brokers",
    ),
]


@pytest.mark.parametrize(("arguments", "expected"), CASES)
def test_assignment(arguments, expected):
    assert reassign_for_replication_factor(**arguments) == expected


@pytest.mark.parametrize(
    ("partitions", "broker_count", "target_rf"),
    [(12, 6, 3), (24, 3, 3), (7, 5, 2), (100, 7, 3)],
)
def test_many_partitions_spread_evenly(partitions, broker_count, target_rf):
    ids = list(range(1, broker_count + 1))
    current = {p: (ids[p % broker_count],) for p in range(partitions)}
    result = reassign_for_replication_factor(current, brokers(*ids), target_rf)
    per_broker = Counter(b for replicas in result.values() for b in replicas)
    assert max(per_broker.values()) - min(per_broker.values()) <= 1, per_broker


def test_added_replicas_balance_an_unevenly_loaded_cluster():
    # Broker 3 is far behind: it takes new replicas until it catches up, then the rest spread.
    current = {p: (1, 2) for p in range(6)}
    result = reassign_for_replication_factor(current, brokers(1, 2, 3, 4), 3, load={1: 20, 2: 20, 3: 0, 4: 4})
    added = Counter(replicas[2] for replicas in result.values())
    assert added == {3: 5, 4: 1}


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (dict(current={0: (1,)}, brokers=brokers(1, 2, 3), target_rf=4), "needs 4 brokers, but the cluster has 3"),
        (dict(current={0: (1,)}, brokers=brokers(1, 2, 3), target_rf=0), "at least 1"),
        (dict(current={0: (1,)}, brokers=brokers(1, 2, 3), target_rf=-2), "at least 1"),
        (dict(current={0: (1,)}, brokers=brokers(), target_rf=1), "has 0 live broker(s) (broker ids: none)"),
        (dict(current={0: (1, 9)}, brokers=brokers(1, 2, 3), target_rf=3), "broker(s) 9, which are not live"),
        (dict(current={0: ()}, brokers=brokers(1, 2, 3), target_rf=2), "no replicas"),
        (dict(current={0: (1, 1)}, brokers=brokers(1, 2, 3), target_rf=3), "lists a broker twice"),
    ],
    ids=["above-broker-count", "zero", "negative", "no-brokers", "replica-on-dead-broker", "empty", "duplicate"],
)
def test_invalid_input_is_a_clear_value_error(arguments, message):
    with pytest.raises(ValueError) as raised:
        reassign_for_replication_factor(**arguments)
    assert message in str(raised.value)


@st.composite
def placement_inputs(draw):
    broker_count = draw(st.integers(1, 7))
    ids = draw(st.lists(st.integers(1, 50), min_size=broker_count, max_size=broker_count, unique=True))
    rack_names = draw(st.one_of(st.none(), st.lists(st.sampled_from(["a", "b", "c", None]),
                                                      min_size=broker_count, max_size=broker_count)))
    live = brokers(*ids, racks=dict(zip(ids, rack_names)) if rack_names else None)
    partitions = draw(st.integers(0, 12))
    current = {
        p: tuple(draw(st.permutations(ids)))[: draw(st.integers(1, broker_count))]
        for p in range(partitions)
    }
    load = draw(st.one_of(st.none(), st.fixed_dictionaries({i: st.integers(0, 30) for i in ids})))
    target_rf = draw(st.integers(1, broker_count))
    return current, live, target_rf, load


@settings(max_examples=300, deadline=None)
@given(placement_inputs())
def test_any_valid_input_gives_a_valid_assignment(inputs):
    current, live, target_rf, load = inputs
    result = reassign_for_replication_factor(current, live, target_rf, load=load)
    live_ids = {b.id for b in live}
    assert result.keys() == current.keys()
    for partition, replicas in result.items():
        before = current[partition]
        assert len(replicas) == target_rf
        assert len(set(replicas)) == len(replicas)
        assert replicas[0] == before[0], "the preferred leader stays first"
        assert set(replicas) <= live_ids
        if target_rf >= len(before):
            assert replicas[: len(before)] == before, "growing keeps every replica, in order"
        else:
            assert [b for b in before if b in replicas] == list(replicas), "shrinking keeps order"


@settings(max_examples=100, deadline=None)
@given(placement_inputs())
def test_placement_is_deterministic(inputs):
    current, live, target_rf, load = inputs
    first = reassign_for_replication_factor(current, live, target_rf, load=load)
    assert reassign_for_replication_factor(current, list(reversed(live)), target_rf, load=load) == first


def test_new_partitions_of_a_topic_changing_rf_are_placed_at_the_target_rf():
    from kgitops.kinds.topic.placement import place_new_partitions

    placed = place_new_partitions(3, 3, brokers(1, 2, 3), 3, load={1: 5, 2: 1, 3: 1})
    assert sorted(placed) == [3, 4, 5]
    assert all(len(set(r)) == 3 for r in placed.values())
    assert [r[0] for r in placed.values()] == [2, 3, 2]  # leaders to the least loaded first

"""Which throttle configs a reassignment sets, and how each is undone."""
from __future__ import annotations

import pytest
from confluent_kafka.admin import AlterConfigOpType

from kgitops.live.throttle import (
    FOLLOWER_REPLICAS,
    LEADER_REPLICAS,
    _topic_list_change,
    throttle_plan,
)


def test_current_replicas_lead_and_new_replicas_follow():
    plan = throttle_plan({"orders": {0: (1, 2, 3), 1: (2, 3, 4)}}, {"orders": {0: (1, 2), 1: (2, 3)}}, rate=10_000)
    assert plan.rate == 10_000
    assert plan.brokers == (1, 2, 3, 4)
    assert plan.topic_entries == {
        "orders": {LEADER_REPLICAS: ("0:1", "0:2", "1:2", "1:3"), FOLLOWER_REPLICAS: ("0:3", "1:4")},
    }


def test_shrinking_copies_nothing_so_sets_no_throttle():
    plan = throttle_plan({"orders": {0: (1, 2)}}, {"orders": {0: (1, 2, 3)}}, rate=10_000)
    assert plan.is_empty and plan.topic_entries == {}


@pytest.mark.parametrize("rate", [0, -5, True, 1.5])
def test_rate_must_be_positive_bytes_per_second(rate):
    with pytest.raises(ValueError):
        throttle_plan({}, {}, rate)


def test_unset_topic_list_is_set_and_later_deleted():
    entry, reverse = _topic_list_change(LEADER_REPLICAS, ("0:1", "0:2"), None)
    assert (entry.value, entry.incremental_operation) == ("0:1,0:2", AlterConfigOpType.SET)
    assert reverse is None


def test_operator_entries_are_kept_and_only_ours_are_appended_then_subtracted():
    entry, reverse = _topic_list_change(LEADER_REPLICAS, ("0:1", "0:2"), "0:1,5:3")
    assert (entry.value, entry.incremental_operation) == ("0:2", AlterConfigOpType.APPEND)
    assert reverse == ("0:2",)


def test_wildcard_or_already_listed_entries_need_no_change():
    assert _topic_list_change(FOLLOWER_REPLICAS, ("0:3",), "*") == (None, ())
    assert _topic_list_change(FOLLOWER_REPLICAS, ("0:3",), "0:3") == (None, ())

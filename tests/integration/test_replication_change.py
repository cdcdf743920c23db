"""Changing a topic's replication factor on the real 3-broker cluster: a partition
reassignment that loses no record, keeps the leader, and never leaves a throttle behind."""
from __future__ import annotations

import os
import time
from typing import Iterator

import pytest
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    NewTopic,
    ResourceType,
)

from kgitops.kinds.topic.replication import apply_replication_changes
from kgitops.live.reassign import Reassigner, list_in_progress
from kgitops.live.throttle import (
    BROKER_THROTTLE_KEYS,
    FOLLOWER_RATE,
    FOLLOWER_REPLICAS,
    LEADER_REPLICAS,
    TOPIC_THROTTLE_KEYS,
    ReplicationThrottle,
    throttle_plan,
)
from kgitops.model import Broker
from kgitops.kinds.topic.placement import reassign_for_replication_factor
from kgitops.kinds.topic.actions import ChangeReplicationFactor

from tests.integration.kgitops_helpers import consume_all, produce

BROKER_IDS = (1, 2, 3)


# -- helpers ------------------------------------------------------------------


@pytest.fixture
def admin(stack) -> AdminClient:
    return AdminClient({"bootstrap.servers": stack.bootstrap_servers})


@pytest.fixture
def props(stack) -> dict[str, object]:
    return {"bootstrap.servers": stack.bootstrap_servers}


@pytest.fixture
def topics(admin) -> Iterator[list[str]]:
    """Topics a test creates; deleted afterwards (a reassignment still running is dropped
    with its topic)."""
    created: list[str] = []
    yield created
    if created:
        for future in admin.delete_topics(created, operation_timeout=30).values():
            future.result(timeout=60)


def create_topic(admin: AdminClient, topics: list[str], name: str, assignment: list[list[int]]) -> None:
    admin.create_topics([NewTopic(name, len(assignment), replica_assignment=assignment)])[name].result(timeout=30)
    topics.append(name)
    def every_partition_has_a_full_isr() -> bool:
        live = describe(admin, name)
        return len(live) == len(assignment) and all(len(isr) == len(replicas) for replicas, isr, _ in live.values())

    wait_for(every_partition_has_a_full_isr, f"{name} to have a full ISR")


def describe(admin: AdminClient, topic: str) -> dict[int, tuple[tuple[int, ...], tuple[int, ...], int]]:
    """partition -> (replicas, isr, leader), as a client outside kgitops sees them."""
    meta = admin.list_topics(topic, timeout=10).topics[topic]
    if meta.error is not None:  # not yet known to the broker that answered
        return {}
    return {p.id: (tuple(p.replicas), tuple(p.isrs), p.leader) for p in meta.partitions.values()}


def wait_for(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def rf_change(admin: AdminClient, topic: str, target_rf: int) -> ChangeReplicationFactor:
    """The action a plan would hold: target computed by placement from the live state."""
    current = {p: replicas for p, (replicas, _, _) in describe(admin, topic).items()}
    brokers = [Broker(b.id, b.host, b.port) for b in admin.list_topics(timeout=10).brokers.values()]
    assignment = reassign_for_replication_factor(current, brokers, target_rf)
    return ChangeReplicationFactor(topic=topic, before=len(current[0]), after=target_rf,
                                   current=current, assignment=assignment)


def throttle_configs(admin: AdminClient, topic_names: list[str]) -> dict[str, str]:
    """Every throttle config set on the brokers or the topics, `resource key` -> value."""
    found: dict[str, str] = {}
    for broker in BROKER_IDS:
        resource = ConfigResource(ResourceType.BROKER, str(broker))
        configs = admin.describe_configs([resource])[resource].result(timeout=30)
        for key in BROKER_THROTTLE_KEYS:
            if key in configs and configs[key].source == ConfigSource.DYNAMIC_BROKER_CONFIG.value:
                found[f"broker {broker} {key}"] = configs[key].value
    resources = [ConfigResource(ResourceType.TOPIC, t) for t in topic_names]
    for resource, future in admin.describe_configs(resources).items():
        configs = future.result(timeout=30)
        for key in TOPIC_THROTTLE_KEYS:
            if configs[key].source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value:
                found[f"topic {resource.name} {key}"] = configs[key].value
    return found


def wait_for_throttles(admin: AdminClient, topic_names: list[str], expected: dict[str, str]) -> None:
    """Config changes reach every broker's metadata cache a moment after the controller
    accepts them, so a describe right after an alter can still show the old value."""
    seen: list[dict[str, str]] = []

    def matches() -> bool:
        seen.append(throttle_configs(admin, topic_names))
        return seen[-1] == expected

    try:
        wait_for(matches, f"throttle configs {expected}", timeout=15)
    except AssertionError:
        assert seen[-1] == expected  # shows the difference


def set_config(admin: AdminClient, kind: ResourceType, name: str, key: str, value: str | None) -> None:
    operation = AlterConfigOpType.DELETE if value is None else AlterConfigOpType.SET
    resource = ConfigResource(kind, name, incremental_configs=[ConfigEntry(key, value, incremental_operation=operation)])
    admin.incremental_alter_configs([resource])[resource].result(timeout=30)


def keyed_records(count: int, size: int = 100) -> dict[bytes, bytes]:
    return {f"key-{i}".encode(): f"value-{i}-".encode().ljust(size, b"x") for i in range(count)}


# -- tests --------------------------------------------------------------------


def test_rf_2_to_3_adds_replicas_that_join_the_isr_and_loses_no_record(stack, admin, props, topics, unique_name):
    create_topic(admin, topics, unique_name, [[1, 2], [2, 3], [3, 1]])
    records = keyed_records(200)
    produce(stack.bootstrap_servers, unique_name, records)
    action = rf_change(admin, unique_name, 3)
    seen = []

    started = time.monotonic()
    outcomes = apply_replication_changes(props, [action], timeout=60, progress=seen.append)
    elapsed = time.monotonic() - started

    assert [(o.ok, o.error) for o in outcomes] == [(True, None)]
    live = describe(admin, unique_name)
    for partition, target in action.assignment.items():
        replicas, isr, leader = live[partition]
        assert replicas == target and len(replicas) == 3
        assert set(isr) == {1, 2, 3}
        assert leader == action.current[partition][0], "the leader did not move"
    assert seen[-1].in_sync == seen[-1].total == 3
    assert consume_all(stack.bootstrap_servers, unique_name, 3, 200) == records
    assert list_in_progress(props, [unique_name]) == {}
    print(f"\nRF 2->3, 3 partitions, 200 records: {elapsed:.2f} s")


def test_rf_3_to_2_keeps_the_preferred_leader_as_leader(stack, admin, props, topics, unique_name):
    create_topic(admin, topics, unique_name, [[1, 2, 3], [2, 3, 1], [3, 1, 2]])
    records = keyed_records(50)
    produce(stack.bootstrap_servers, unique_name, records)
    action = rf_change(admin, unique_name, 2)

    outcomes = apply_replication_changes(props, [action], timeout=60, progress=lambda p: None)

    assert [(o.ok, o.error) for o in outcomes] == [(True, None)]
    live = describe(admin, unique_name)
    for partition, target in action.assignment.items():
        replicas, isr, leader = live[partition]
        assert replicas == target and len(replicas) == 2
        assert replicas[0] == action.current[partition][0] == leader
        assert set(isr) == set(target)
    assert consume_all(stack.bootstrap_servers, unique_name, 3, 50) == records


def test_applying_again_changes_nothing(stack, admin, props, topics, unique_name):
    create_topic(admin, topics, unique_name, [[1, 2]])
    action = rf_change(admin, unique_name, 3)
    assert apply_replication_changes(props, [action], timeout=60, progress=lambda p: None)[0].ok
    seen = []
    again = apply_replication_changes(props, [action], timeout=60, progress=seen.append)
    assert [(o.ok, o.error) for o in again] == [(True, None)]
    assert seen == [], "nothing was sent, so there was nothing to wait for"


def test_throttle_is_removed_after_a_throttled_reassignment(stack, admin, props, topics, unique_name):
    create_topic(admin, topics, unique_name, [[1, 2], [2, 3]])
    produce(stack.bootstrap_servers, unique_name, keyed_records(100))
    action = rf_change(admin, unique_name, 3)

    outcomes = apply_replication_changes(props, [action], throttle_bytes_per_sec=50_000_000, timeout=60,
                                         progress=lambda p: None)

    assert [(o.ok, o.error) for o in outcomes] == [(True, None)]
    wait_for_throttles(admin, [unique_name], {})


def test_unknown_broker_fails_its_action_only_and_leaves_no_throttle(stack, admin, props, topics, unique_name):
    good, bad = f"{unique_name}-good", f"{unique_name}-bad"
    create_topic(admin, topics, good, [[1, 2]])
    create_topic(admin, topics, bad, [[2, 3]])
    actions = [
        rf_change(admin, good, 3),
        ChangeReplicationFactor(topic=bad, before=2, after=3, current={0: (2, 3)}, assignment={0: (2, 3, 99)}),
    ]

    outcomes = apply_replication_changes(props, actions, throttle_bytes_per_sec=50_000_000, timeout=60,
                                         progress=lambda p: None)

    assert outcomes[0].ok, outcomes[0].error
    assert not outcomes[1].ok
    assert outcomes[1].error == (f"the target assignment of {bad} names broker(s) 99, which are not live "
                                 "brokers of this cluster (live: 1, 2, 3)")
    assert describe(admin, bad)[0][0] == (2, 3)
    wait_for_throttles(admin, [good, bad], {})


def test_kafka_refuses_an_assignment_naming_an_unknown_broker(admin, props, topics, unique_name):
    create_topic(admin, topics, unique_name, [[1, 2], [2, 3]])
    with Reassigner.connect(props) as reassigner:
        refused = reassigner.start({unique_name: {0: (1, 2, 99), 1: (2, 3, 1)}})
        assert refused == {(unique_name, 0): "INVALID_REPLICATION_ASSIGNMENT: Replication assignment is invalid."}
        reassigner.wait_until_in_sync({unique_name: {1: (2, 3, 1)}}, timeout=60)
    assert describe(admin, unique_name)[0][0] == (1, 2)


def test_timeout_names_what_is_still_moving_and_removes_the_throttle(stack, admin, props, topics, unique_name):
    # 4 MB behind a 10 KB/s throttle needs minutes; unthrottled it copies in under a second.
    create_topic(admin, topics, unique_name, [[1, 2]])
    blob = os.urandom(10_000)
    produce(stack.bootstrap_servers, unique_name, {f"k{i}".encode(): blob for i in range(400)})
    action = rf_change(admin, unique_name, 3)
    assert action.assignment == {0: (1, 2, 3)}

    during: list[dict[str, str]] = []

    def look_at_throttle(progress) -> None:
        if progress.elapsed > 1.5 and not during:  # well after the configs reached every broker
            during.append(throttle_configs(admin, [unique_name]))

    outcomes = apply_replication_changes(props, [action], throttle_bytes_per_sec=10_000, timeout=3,
                                         progress=look_at_throttle)

    assert not outcomes[0].ok
    assert outcomes[0].error.startswith(
        f"reassignment not finished after 3 s; still moving: {unique_name}-0: replicas [1, 2, 3], "
        "target [1, 2, 3]; not yet in the ISR: broker(s) 3; adding [3]. Kafka keeps moving"
    ), outcomes[0].error
    rates = {f"broker {b} {key}": "10000" for b in BROKER_IDS for key in BROKER_THROTTLE_KEYS}
    assert during == [{**rates, f"topic {unique_name} {LEADER_REPLICAS}": "0:1,0:2",
                       f"topic {unique_name} {FOLLOWER_REPLICAS}": "0:3"}]
    wait_for_throttles(admin, [unique_name], {})
    # Unthrottled now, the reassignment Kafka kept running completes by itself.
    with Reassigner.connect(props) as reassigner:
        reassigner.wait_until_in_sync({unique_name: dict(action.assignment)}, timeout=60)


def test_running_reassignment_is_listed_and_throttle_exit_restores_operator_values(
        stack, admin, props, topics, unique_name):
    create_topic(admin, topics, unique_name, [[1, 2], [2, 1]])
    blob = os.urandom(10_000)
    produce(stack.bootstrap_servers, unique_name, {f"k{i}".encode(): blob for i in range(400)})
    # An operator's own throttle settings, which kgitops must put back as they were.
    set_config(admin, ResourceType.TOPIC, unique_name, LEADER_REPLICAS, "1:2")
    set_config(admin, ResourceType.BROKER, "1", FOLLOWER_RATE, "123456789")
    operator_values = {f"broker 1 {FOLLOWER_RATE}": "123456789", f"topic {unique_name} {LEADER_REPLICAS}": "1:2"}
    wait_for_throttles(admin, [unique_name], operator_values)
    moves = {unique_name: {0: (1, 2, 3)}}
    try:
        plan = throttle_plan(moves, {unique_name: {0: (1, 2)}}, rate=10_000)
        with Reassigner.connect(props) as reassigner:
            with pytest.raises(RuntimeError, match="interrupted"):
                with ReplicationThrottle(admin, plan):
                    assert reassigner.start(moves) == {}
                    running = list_in_progress(props, [unique_name])
                    assert running[unique_name][0].adding == (3,)
                    assert running[unique_name][0].replicas == (1, 2, 3)
                    raise RuntimeError("interrupted")
            wait_for_throttles(admin, [unique_name], operator_values)
            reassigner.wait_until_in_sync(moves, timeout=60)
    finally:
        set_config(admin, ResourceType.BROKER, "1", FOLLOWER_RATE, None)
    wait_for_throttles(admin, [unique_name], {f"topic {unique_name} {LEADER_REPLICAS}": "1:2"})


def test_unreachable_cluster_fails_every_action_with_one_clear_error():
    props = {"bootstrap.servers": "127.0.0.1:1", "socket.timeout.ms": 2000}
    actions = [ChangeReplicationFactor(topic=t, before=2, after=3, current={0: (1, 2)}, assignment={0: (1, 2, 3)})
               for t in ("orders", "payments")]
    outcomes = apply_replication_changes(props, actions, timeout=5, progress=lambda p: None)
    assert [o.ok for o in outcomes] == [False, False]
    assert outcomes[0].error == outcomes[1].error
    assert outcomes[0].error.startswith("cannot reach the Kafka cluster at 127.0.0.1:1 with kafka-python")

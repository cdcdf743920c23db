"""What a reassignment reports while it runs and when it does not finish in time."""
from __future__ import annotations

import io

import kafka.errors

from kgitops.kinds.topic.replication import StderrProgress
from kgitops.live.reassign import (
    PartitionReplicas,
    PartitionSync,
    ReassignmentInProgress,
    ReassignmentProgress,
    ReassignmentTimeout,
    format_pending,
    kafka_error_text,
)


def sync(partition: int, target, replicas, isr, adding=(), removing=(), moving=True, found=True) -> PartitionSync:
    live = PartitionReplicas("orders", partition, replicas[0], tuple(replicas), tuple(isr)) if found else None
    progress = ReassignmentInProgress("orders", partition, tuple(replicas), tuple(adding), tuple(removing))
    return PartitionSync("orders", partition, tuple(target), live, progress if moving else None)


def test_partition_is_in_sync_only_with_its_target_replicas_all_in_the_isr_and_nothing_moving():
    assert sync(0, (1, 2, 3), (1, 2, 3), (1, 2, 3), moving=False).in_sync
    assert not sync(0, (1, 2, 3), (1, 2, 3), (1, 2), moving=False).in_sync
    assert not sync(0, (1, 2, 3), (1, 2, 3), (1, 2, 3), adding=(3,)).in_sync
    assert not sync(0, (1, 2), (1, 2, 3), (1, 2, 3), moving=False).in_sync
    assert not sync(0, (1, 2), (1, 2), (1, 2), found=False).in_sync


def test_still_moving_names_the_partition_and_the_replicas_it_waits_for():
    assert sync(3, (1, 2, 3), (1, 2, 3), (1, 2), adding=(3,)).describe() == (
        "orders-3: replicas [1, 2, 3], target [1, 2, 3]; not yet in the ISR: broker(s) 3; adding [3]"
    )
    assert sync(1, (2, 3), (2, 3, 1), (2, 3, 1), removing=(1,)).describe() == (
        "orders-1: replicas [2, 3, 1], target [2, 3]; removing [1]"
    )
    assert "cancelled" in sync(0, (1, 2, 3), (1, 2), (1, 2), moving=False).describe()
    assert "not found" in sync(0, (1, 2, 3), (1, 2), (1, 2), found=False).describe()


def test_timeout_message_lists_what_is_still_moving():
    pending = (sync(0, (1, 2, 3), (1, 2, 3), (1, 2), adding=(3,)), sync(2, (3, 1, 2), (3, 1, 2), (3, 1), adding=(2,)))
    error = ReassignmentTimeout(ReassignmentProgress(in_sync=1, total=3, elapsed=5.2, pending=pending), timeout=5)
    assert error.message == (
        "reassignment not finished after 5 s: 1/3 partitions in sync; still moving: "
        "orders-0: replicas [1, 2, 3], target [1, 2, 3]; not yet in the ISR: broker(s) 3; adding [3]; "
        "orders-2: replicas [3, 1, 2], target [3, 1, 2]; not yet in the ISR: broker(s) 2; adding [2]"
    )


def test_a_long_pending_list_is_cut_with_a_count():
    pending = [sync(p, (1, 2, 3), (1, 2, 3), (1, 2), adding=(3,)) for p in range(25)]
    text = format_pending(pending, limit=20)
    assert "orders-19:" in text and "orders-20:" not in text
    assert text.endswith("; ... and 5 more partition(s)")


def test_kafka_errors_show_their_protocol_name_and_description():
    assert kafka_error_text(kafka.errors.InvalidReplicationAssignmentError) == (
        "INVALID_REPLICATION_ASSIGNMENT: Replication assignment is invalid."
    )


def test_stderr_progress_prints_a_line_when_the_count_changes():
    stream = io.StringIO()
    show = StderrProgress(stream, every=3600)
    for in_sync, elapsed in [(0, 0.1), (0, 0.6), (12, 5.2), (12, 5.7), (24, 9.9)]:
        show(ReassignmentProgress(in_sync=in_sync, total=24, elapsed=elapsed, pending=()))
    assert stream.getvalue().splitlines() == [
        "reassigning: 0/24 partitions in sync (0 s)",
        "reassigning: 12/24 partitions in sync (5 s)",
        "reassigning: 24/24 partitions in sync (10 s)",
    ]

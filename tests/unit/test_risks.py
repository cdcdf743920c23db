"""Each risk rule, table-driven."""
from __future__ import annotations

import pytest

from kgitops.kinds.topic import risks


@pytest.mark.parametrize("key,before,after,expected", [
    ("retention.ms", "604800000", "86400000", True),
    ("retention.ms", "86400000", "604800000", False),
    ("retention.ms", "-1", "86400000", True),  # unlimited -> limited
    ("retention.ms", "86400000", "-1", False),  # limited -> unlimited
    ("retention.bytes", "1073741824", "1048576", True),
    ("retention.bytes", "-1", "-1", False),
    ("segment.ms", "604800000", "1000", False),  # not a retention key
    ("retention.ms", None, "1000", False),
])
def test_retention_decrease(key, before, after, expected):
    assert bool(risks.retention_decrease(key, before, after)) is expected


@pytest.mark.parametrize("before,after,fragment", [
    ("delete", "compact", "latest record per key"),
    ("compact", "delete", "no longer kept per key"),
    ("delete", "compact,delete", "latest record per key"),
    ("compact", "compact,delete", "retention now deletes"),
])
def test_cleanup_policy_change(before, after, fragment):
    (note,) = risks.cleanup_policy_change(before, after)
    assert fragment in note


def test_cleanup_policy_unchanged_has_no_risk():
    assert risks.cleanup_policy_change("compact,delete", "compact,delete") == []


@pytest.mark.parametrize("min_isr,rf,fragment", [
    (2, 3, None), (3, 3, "fail as soon as one replica"), (4, 3, "every write"), (None, 3, None), (1, 1, "fail"),
])
def test_min_insync_vs_replication(min_isr, rf, fragment):
    notes = risks.min_insync_vs_replication(min_isr, rf)
    assert (notes == []) if fragment is None else fragment in notes[0]


@pytest.mark.parametrize("before,after,expected", [(3, 6, True), (6, 6, False), (6, 3, False)])
def test_partition_increase(before, after, expected):
    assert bool(risks.partition_increase("t", before, after)) is expected


@pytest.mark.parametrize("before,after,fragment", [(2, 3, "copies"), (3, 2, "removed"), (3, 3, None)])
def test_replication_change(before, after, fragment):
    notes = risks.replication_change(before, after, 6)
    assert (not notes) if fragment is None else fragment in notes[0]

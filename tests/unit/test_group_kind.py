"""Consumer group configs without a server."""
from __future__ import annotations

from kgitops.kinds.group import AlterGroupConfig, diff_groups
from kgitops.kinds.topic.actions import ConfigChange


def test_declared_values_are_set_and_undeclared_overrides_reset():
    live = {"billing": {"consumer.session.timeout.ms": ("45000", True), "consumer.heartbeat.interval.ms": ("3000", False)}}
    result = diff_groups({"billing": {"consumer.session.timeout.ms": "30000"}}, live)
    assert result.actions == (AlterGroupConfig(group="billing", changes=(
        ConfigChange("consumer.session.timeout.ms", "45000", "30000"),
        ConfigChange("consumer.heartbeat.interval.ms", "3000", None, op="reset",
                     after_note="override removed: the group default applies"))),)


def test_equal_values_are_no_change():
    live = {"billing": {"consumer.session.timeout.ms": ("45000", False)}}
    assert diff_groups({"billing": {"consumer.session.timeout.ms": "45000"}}, live).actions == ()

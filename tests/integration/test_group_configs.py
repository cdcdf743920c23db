"""Consumer group configs (Kafka 4, KIP-848) through plan and apply."""
from __future__ import annotations

from confluent_kafka.admin import ConfigResource, ResourceType

from tests.integration.kgitops_helpers import admin, run_cli, write_cluster


def test_group_config_is_applied_and_then_plan_shows_no_changes(stack, unique_name, tmp_path, capsys):
    group = f"g-{unique_name}"
    cluster = write_cluster(tmp_path / "c.yaml", stack, [], groups={group: {"consumer.session.timeout.ms": 50000}})
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.code == 0, planned.text
    assert f"~ group {group}" in planned.out and "config.consumer.session.timeout.ms: 45000 -> 50000" in planned.out
    assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0
    resource = ConfigResource(ResourceType.GROUP, group)
    client = admin(stack)  # kept referenced until the future resolves
    entries = client.describe_configs([resource])[resource].result(timeout=30)
    assert entries["consumer.session.timeout.ms"].value == "50000"
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0

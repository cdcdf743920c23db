"""Guards that keep a plan from hurting the wrong cluster or too much of the right one."""
from __future__ import annotations

from tests.integration.kgitops_helpers import create_outside, run_cli, topic_exists, topic_state, write_cluster


def test_wrong_cluster_id_is_refused_before_anything_is_read_or_changed(stack, unique_name, tmp_path, capsys):
    cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": unique_name, "partitions": 3}],
                            cluster_id="AAAAAAAAAAAAAAAAAAAAAA")
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.code == 1
    assert "pins cluster_id AAAAAAAAAAAAAAAAAAAAAA" in planned.err and "Nothing was read or changed" in planned.err
    applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert applied.code == 1 and not topic_exists(stack, unique_name)


def test_right_cluster_id_plans_normally(stack, unique_name, tmp_path, capsys):
    from kgitops.devstack.stack import live_broker_count

    _, cluster_id = live_broker_count(stack.layout)
    cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": unique_name, "partitions": 3}], cluster_id=cluster_id)
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 2


def test_partition_increase_above_the_blast_radius_is_refused(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, partitions=2, config={"min.insync.replicas": "2"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": unique_name, "partitions": 8}])
    result = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert result.code == 3, result.text
    assert "partitions 2 -> 8 is a 300% increase, above policy.max_partition_increase_percent 100" in result.text
    assert topic_state(stack, unique_name)["partitions"] == 2


def test_too_many_deletions_are_refused_with_the_numbers(stack, unique_name, tmp_path, capsys):
    for suffix in ("a", "b"):
        create_outside(stack, f"{unique_name}-{suffix}", config={"min.insync.replicas": "2"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [], owned_prefixes=[unique_name],
                            policy={"allow_topic_deletion": True, "max_topic_deletions_per_apply": 1})
    result = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert result.code == 3, result.text
    assert "deletes 2 topics, above policy.max_topic_deletions_per_apply 1" in result.text
    assert topic_exists(stack, f"{unique_name}-a") and topic_exists(stack, f"{unique_name}-b")

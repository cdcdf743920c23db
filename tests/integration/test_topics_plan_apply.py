"""Topics: plan and apply against the real 3-broker cluster, as a user runs them, on the
plaintext stack and on the secured one (SASL_SSL as a principal with only the minimal ACLs)."""
from __future__ import annotations

import json

import pytest

from tests.conftest import EVERY_STACK, STACK_FIXTURES
from tests.integration.kgitops_helpers import (alter_outside, create_outside, delete_outside, plan_json, run_cli,
                                               topic_exists, topic_state, write_cluster)


@pytest.fixture(params=["plaintext", "secured"])
def stack(request):
    """Both 4.4 stacks for every test here; EVERY_STACK tests run on Kafka 3.9 as well."""
    return request.getfixturevalue(STACK_FIXTURES[request.param])


def topic(name: str, partitions: int = 3, **config) -> dict:
    entry = {"name": name, "partitions": partitions}
    if config:
        entry["config"] = {k.replace("_", "."): v for k, v in config.items()}
    return entry


@EVERY_STACK
def test_apply_creates_exactly_what_is_declared_and_then_plan_shows_no_changes(stack, unique_name, tmp_path, capsys):
    cluster = write_cluster(tmp_path / "c.yaml", stack, [
        topic(unique_name, 6, retention_ms="1d", cleanup_policy="compact,delete", max_message_bytes="2MiB")])
    planned = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
    assert planned.code == 2, planned.text
    assert f"+ topic {unique_name}" in planned.out and "Plan: 1 to create, 0 to change, 0 to delete." in planned.out

    applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert applied.code == 0, applied.text
    assert topic_state(stack, unique_name) == {
        "partitions": 6, "replication_factor": 3,
        "overrides": {"retention.ms": "86400000", "cleanup.policy": "compact,delete",
                      "max.message.bytes": "2097152", "min.insync.replicas": "2"}}

    again = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
    assert again.code == 0, again.text
    assert "No changes" in again.out
    second_apply = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert second_apply.code == 0 and "No changes" in second_apply.out


@EVERY_STACK
def test_changed_config_is_applied_and_shown_before_after(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, config={"min.insync.replicas": "2", "retention.ms": "604800000"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name, retention_ms="2d")])
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert "config.retention.ms: 604800000 (7d) -> 172800000 (2d)" in planned.out
    assert "retention decrease" in planned.out
    assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0
    assert topic_state(stack, unique_name)["overrides"]["retention.ms"] == "172800000"


@EVERY_STACK
def test_undeclared_override_is_reset(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, config={"min.insync.replicas": "2", "segment.ms": "3600000"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name)])
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert "config.segment.ms: 3600000 (1h) -> (reset" in planned.out
    assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0
    assert "segment.ms" not in topic_state(stack, unique_name)["overrides"]


def test_declared_value_equal_to_broker_default_is_no_change(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, config={"min.insync.replicas": "2"})
    # 7 days and delete are Kafka's defaults: declaring them changes nothing.
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name, retention_ms="7d", cleanup_policy="delete")])
    planned = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
    assert planned.code == 0, planned.text


@EVERY_STACK
def test_partition_increase_warns_about_keys_and_applies(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, partitions=3, config={"min.insync.replicas": "2"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name, 6)])
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert "partitions: 3 -> 6" in planned.out and "keyed records move" in planned.out
    assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0
    assert topic_state(stack, unique_name)["partitions"] == 6


def test_partition_decrease_is_refused_and_changes_nothing(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, partitions=6, config={"min.insync.replicas": "2"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name, 3)])
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.code == 1 and "cannot decrease from 6 to 3" in planned.out
    applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert applied.code == 1
    assert topic_state(stack, unique_name)["partitions"] == 6


def test_deletion_is_refused_by_default_and_done_when_allowed(stack, unique_name, tmp_path, capsys):
    doomed = f"{unique_name}-old"
    create_outside(stack, doomed, config={"min.insync.replicas": "2"})
    refused = write_cluster(tmp_path / "a.yaml", stack, [topic(unique_name)], owned_prefixes=[unique_name])
    result = run_cli(capsys, "apply", "-c", str(refused), "--auto-approve")
    assert result.code == 3, result.text
    assert "allow_topic_deletion" in result.text
    assert topic_exists(stack, doomed) and not topic_exists(stack, unique_name)

    allowed = write_cluster(tmp_path / "b.yaml", stack, [topic(unique_name)], owned_prefixes=[unique_name],
                            policy={"allow_topic_deletion": True})
    planned = run_cli(capsys, "plan", "-c", str(allowed))
    assert f"- topic {doomed}" in planned.out and "1 to delete" in planned.out
    assert run_cli(capsys, "apply", "-c", str(allowed), "--auto-approve").code == 0
    assert not topic_exists(stack, doomed) and topic_exists(stack, unique_name)


def test_saved_plan_applies_and_a_stale_one_is_refused(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, config={"min.insync.replicas": "2"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name, retention_ms="1d")])
    plan_file = tmp_path / "plan.json"
    assert run_cli(capsys, "plan", "-c", str(cluster), "--out", str(plan_file)).code == 0
    saved = json.loads(plan_file.read_text())
    assert saved["format_version"] == 2 and saved["fingerprints"]["live"].startswith("sha256:")

    alter_outside(stack, unique_name, {"segment.ms": "3600000"})  # someone changes the cluster meanwhile
    stale = run_cli(capsys, "apply", "-c", str(cluster), str(plan_file), "--auto-approve")
    assert stale.code == 1 and "stale" in stale.err
    assert topic_state(stack, unique_name)["overrides"].get("retention.ms") is None

    assert run_cli(capsys, "plan", "-c", str(cluster), "--out", str(plan_file)).code == 0
    applied = run_cli(capsys, "apply", "-c", str(cluster), str(plan_file), "--auto-approve")
    assert applied.code == 0, applied.text
    assert topic_state(stack, unique_name)["overrides"] == {"min.insync.replicas": "2", "retention.ms": "86400000"}


def test_plan_refuses_stale_plan_when_desired_files_change(stack, unique_name, tmp_path, capsys):
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name)])
    plan_file = tmp_path / "plan.json"
    assert run_cli(capsys, "plan", "-c", str(cluster), "--out", str(plan_file)).code == 0
    write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name, 6)])
    result = run_cli(capsys, "apply", "-c", str(cluster), str(plan_file), "--auto-approve")
    assert result.code == 1 and "desired-state files changed" in result.err
    assert not topic_exists(stack, unique_name)


def test_policy_refusals_exit_3_and_change_nothing(stack, unique_name, tmp_path, capsys):
    too_strict = write_cluster(tmp_path / "a.yaml", stack, [
        {"name": unique_name, "partitions": 3, "config": {"min.insync.replicas": 3}}])
    result = run_cli(capsys, "apply", "-c", str(too_strict), "--auto-approve")
    assert result.code == 3, result.text
    assert "min.insync.replicas" in result.text

    too_many_replicas = write_cluster(tmp_path / "b.yaml", stack, [
        {"name": unique_name, "partitions": 3, "replication_factor": 4}])
    result = run_cli(capsys, "plan", "-c", str(too_many_replicas))
    assert result.code == 3, result.text
    assert "exceeds the 3 live broker" in result.text

    rf_one = write_cluster(tmp_path / "c.yaml", stack, [
        {"name": unique_name, "partitions": 3, "replication_factor": 1}])
    assert run_cli(capsys, "apply", "-c", str(rf_one), "--auto-approve").code == 3
    assert not topic_exists(stack, unique_name)


def test_partial_failure_reports_each_outcome_and_a_rerun_converges(stack, unique_name, tmp_path, capsys):
    good, clashing = f"{unique_name}-good", f"{unique_name}.clash"
    blocker = f"{unique_name}_clash"  # Kafka refuses a name that collides with it once '.' and '_' are equal
    create_outside(stack, blocker, config={"min.insync.replicas": "2"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(good), topic(clashing)])
    result = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert result.code == 1, result.text
    assert f"[ok  ] create topic {good}" in result.out
    assert f"[FAIL] create topic {clashing}" in result.out and "collides" in result.out
    assert "1 done, 1 failed" in result.out
    assert topic_exists(stack, good) and not topic_exists(stack, clashing)

    delete_outside(stack, blocker)
    rerun = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert rerun.code == 0, rerun.text
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0


def test_apply_without_terminal_requires_auto_approve(stack, unique_name, tmp_path, capsys):
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name)])
    result = run_cli(capsys, "apply", "-c", str(cluster))
    assert result.code == 1 and "--auto-approve" in result.err
    assert not topic_exists(stack, unique_name)


def test_markdown_and_json_formats(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, config={"min.insync.replicas": "2"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name, 6, retention_ms="1h")])
    md = run_cli(capsys, "plan", "-c", str(cluster), "--format", "markdown").out
    assert "<!-- kgitops-plan -->" in md and "| :warning: |" in md and "<details>" in md
    data = plan_json(capsys, cluster)
    kinds = sorted(a["kind"] for a in data["actions"] if a["resource"] == unique_name)
    assert kinds == ["add_partitions", "alter_topic_config"]
    assert data["summary"]["change"] >= 1 and data["format_version"] == 2  # resources, not actions


@EVERY_STACK
def test_replication_factor_change_is_planned_with_placement_and_applied(stack, unique_name, tmp_path, capsys):
    create_outside(stack, unique_name, partitions=3, rf=2, config={"min.insync.replicas": "1"})
    cluster = write_cluster(tmp_path / "c.yaml", stack, [topic(unique_name, 3)])
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert "replication_factor: 2 -> 3" in planned.out and "copies every partition's data" in planned.out
    assert "partition 0: [" in planned.out
    applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert applied.code == 0, applied.text
    assert topic_state(stack, unique_name) == {"partitions": 3, "replication_factor": 3,
                                               "overrides": {"min.insync.replicas": "2"}}
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0

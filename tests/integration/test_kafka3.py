"""kgitops on a real Kafka 3.9 cluster in ZooKeeper mode (the `stack39` fixture), and the
version boundaries against the 4.4 stack: 3.x-only settings import and plan clean, keys a
cluster does not know are refused naming its version, resets say what the value becomes,
(plan, apply and RF changes on 3.9: the BOTH_STACKS tests in test_topics_plan_apply.py)."""
from __future__ import annotations

import json

import yaml

from tests.integration.kgitops_helpers import create_outside, run_cli, topic_exists, write_cluster

# Settings a 3.x cluster accepts and Kafka 4.0 removed or tightened.
THREE_X_ONLY = {
    "segment.bytes": "16384",  # 3.x minimum 14 bytes, 4.x 1 MiB
    "message.timestamp.difference.max.ms": "3600000",
    "message.downconversion.enable": "false",
    "message.format.version": "2.8",
}


def test_a_hand_configured_3x_topic_imports_and_plans_no_changes(stack39, unique_name, tmp_path, capsys):
    create_outside(stack39, unique_name, partitions=2, rf=3, config={**THREE_X_ONLY, "min.insync.replicas": "2"})
    source = write_cluster(tmp_path / "c39.yaml", stack39, [])
    out = tmp_path / "imported"

    imported = run_cli(capsys, "import", "-c", str(source), "--out", str(out))

    assert imported.code == 0, imported.text
    assert "left out" not in imported.text and "does not know" not in imported.text
    cluster_file = out / "it.yaml"
    assert yaml.safe_load(cluster_file.read_text())["kafka_version"] == "3.9"
    written = [t for f in (out / "topics").glob("*.yaml") for t in yaml.safe_load(f.read_text())["topics"]]
    ours = next(t for t in written if t["name"] == unique_name)
    assert ours["config"]["segment.bytes"] == "16KiB"
    assert set(THREE_X_ONLY) <= set(ours["config"])

    planned = run_cli(capsys, "plan", "-c", str(cluster_file), "--format", "json", "--detailed-exitcode")
    plan = json.loads(planned.out)
    assert [a for a in plan["actions"] if a["resource"] == unique_name] == [], planned.out
    assert [r for r in plan["refusals"] if unique_name in r["message"]] == [], planned.out
    # Offline, the pinned kafka_version makes the same files valid.
    validated = run_cli(capsys, "validate", "-c", str(cluster_file))
    assert validated.code == 0, validated.text


def test_a_4x_only_key_is_refused_on_3_9_naming_the_version(stack39, unique_name, tmp_path, capsys):
    topics = [{"name": unique_name, "partitions": 1, "config": {"remote.copy.lag.ms": 1000}}]
    planned = run_cli(capsys, "plan", "-c", str(write_cluster(tmp_path / "c.yaml", stack39, topics)))
    assert planned.code == 1, planned.text
    assert "'remote.copy.lag.ms' is not a topic config in Kafka 3.9 (added in Kafka 4.4)" in planned.text
    assert "c.yaml:" in planned.text  # located where it is declared
    applied = run_cli(capsys, "apply", "-c", str(tmp_path / "c.yaml"), "--auto-approve")
    assert applied.code == 1 and "Kafka 3.9" in applied.text
    assert not topic_exists(stack39, unique_name)


def test_a_3x_only_key_is_refused_on_4_4_naming_the_version(stack, unique_name, tmp_path, capsys):
    topics = [{"name": unique_name, "partitions": 1, "config": {"message.downconversion.enable": False}}]
    planned = run_cli(capsys, "plan", "-c", str(write_cluster(tmp_path / "c.yaml", stack, topics)))
    assert planned.code == 1, planned.text
    assert "'message.downconversion.enable' is not a topic config in Kafka 4.4 (removed in Kafka 4.0" in planned.text


def test_a_reset_override_says_what_the_value_becomes(stack39, unique_name, tmp_path, capsys):
    create_outside(stack39, unique_name, partitions=1, rf=3,
                   config={"segment.bytes": "16384", "min.insync.replicas": "2"})
    topics = [{"name": unique_name, "partitions": 1}]
    planned = run_cli(capsys, "plan", "-c", str(write_cluster(tmp_path / "c.yaml", stack39, topics)))
    assert planned.code == 0, planned.text
    # The dev brokers set log.segment.bytes=16777216: the note names the brokers' value,
    # not Kafka's built-in 1 GiB.
    assert "segment.bytes 16 KiB -> broker default 16 MiB" in planned.out

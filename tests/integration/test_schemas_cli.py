"""Schemas through the command line, as a user evolves them in Git."""
from __future__ import annotations

import json

import yaml

from tests.integration.kgitops_helpers import run_cli

V1 = {"type": "record", "name": "Order", "namespace": "kgitops.cli",
      "fields": [{"name": "id", "type": "string"}]}
V2 = {**V1, "fields": V1["fields"] + [{"name": "amount", "type": "double", "default": 0.0}]}
V3_BREAKS = {**V1, "fields": V2["fields"] + [{"name": "currency", "type": "string"}]}


def write(tmp_path, stack, topic: str, schema: dict):
    (tmp_path / "order.avsc").write_text(json.dumps(schema))
    doc = {"name": "it", "kafka": {"bootstrap_servers": stack.bootstrap_servers},
           "schema_registry": {"url": stack.registry_url},
           "defaults": {"replication_factor": 3, "config": {"min.insync.replicas": 2}},
           "topics": [{"name": topic, "partitions": 3,
                       "schemas": {"value": {"file": "order.avsc", "compatibility": "BACKWARD"}}}]}
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_schema_evolution_through_plan_and_apply(stack, unique_name, tmp_path, capsys):
    cluster = write(tmp_path, stack, unique_name, V1)
    first = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert first.code == 0, first.text
    assert f"register schema {unique_name}-value" in first.out

    write(tmp_path, stack, unique_name, V2)
    planned = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
    assert planned.code == 2 and "new version after v1" in planned.out
    assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0

    write(tmp_path, stack, unique_name, V3_BREAKS)
    refused = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert refused.code == 3, refused.text
    assert "currency" in refused.out

    # Back to version 1: the registry keeps v2 as latest; a warning, not a refusal.
    write(tmp_path, stack, unique_name, V1)
    rollback = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
    assert rollback.code == 0, rollback.text
    assert "warning:" in rollback.out and "version 1" in rollback.out

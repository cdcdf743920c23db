"""An apply killed half-way leaves a cluster that the next apply finishes."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import yaml

from tests.integration.kgitops_helpers import run_cli, topic_state

TOPICS = 30


def write_cluster_with_schemas(tmp_path, stack, prefix: str):
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    topics = []
    for i in range(TOPICS):
        name = f"{prefix}-{i:02d}"
        schema = {"type": "record", "name": f"Event{i}", "namespace": "kgitops.it",
                  "fields": [{"name": "id", "type": "string"}, {"name": "n", "type": "int", "default": i}]}
        (schemas / f"{i}.avsc").write_text(json.dumps(schema))
        topics.append({"name": name, "partitions": 2, "config": {"retention.ms": "1d"},
                       "schemas": {"value": {"file": f"schemas/{i}.avsc", "compatibility": "BACKWARD"}}})
    doc = {"name": f"killed-{prefix[-8:]}", "kafka": {"bootstrap_servers": stack.bootstrap_servers},
           "schema_registry": {"url": stack.registry_url},
           "defaults": {"replication_factor": 3, "config": {"min.insync.replicas": 2}}, "topics": topics}
    path = tmp_path / "cluster.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def test_apply_killed_mid_way_then_rerun_converges(stack, unique_name, tmp_path, capsys, monkeypatch):
    cluster = write_cluster_with_schemas(tmp_path, stack, unique_name)
    env = {**os.environ, "KGITOPS_LOCK_TTL": "5", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "kgitops", "apply", "-c", str(cluster), "--auto-approve"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    seen = []
    deadline = time.monotonic() + 120
    try:
        for line in proc.stdout:  # bounded by the deadline and by the process ending
            seen.append(line)
            if "[ok  ] create topic" in line or time.monotonic() > deadline:
                break
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)
    assert any("[ok  ] create topic" in line for line in seen), "".join(seen)
    half_way = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
    assert half_way.code == 2, "the killed apply should have left schemas to register"

    monkeypatch.setenv("KGITOPS_LOCK_WAIT", "60")  # the killed apply's lock expires after its TTL
    rerun = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert rerun.code == 0, rerun.text
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0
    assert topic_state(stack, f"{unique_name}-00")["overrides"] == {"min.insync.replicas": "2",
                                                                     "retention.ms": "86400000"}

"""How long `kgitops validate` takes on a large desired state (no cluster needed).

Generates a cluster file including 100 topic files with 100 topics each (10,000 topics,
each with a few configs in human notation; one topic in ten has a key and a value schema),
then times load_cluster + check_desired over several runs. Target: under 2 s.

    .venv/bin/python benchmarks/load_bench.py [--topics 10000] [--files 100] [--runs 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kgitops.desired import yaml_nodes
from kgitops.desired.loader import load_cluster
from kgitops.policy.desired import check_desired

CLUSTER = """\
name: bench
kafka:
  bootstrap_servers: ${{KGITOPS_BOOTSTRAP:-127.0.0.1:19092}}
schema_registry:
  url: http://127.0.0.1:18081/apis/ccompat/v7
policy:
  min_replication_factor: 3
  min_insync_replicas: 2
  max_partitions_per_cluster: {budget}
defaults:
  partitions: 6
  replication_factor: 3
  config:
    min.insync.replicas: 2
include: [topics/*.yaml]
"""

TOPIC = """\
  - name: bench.team{file:03d}.topic{index:05d}
    partitions: {partitions}
    config:
      retention.ms: {retention}
      cleanup.policy: {policy}
      max.message.bytes: 1MiB
      segment.bytes: 512MiB
"""

SCHEMAS = """\
    schemas:
      key: {file: ../schemas/key.avsc, compatibility: FULL}
      value: {file: ../schemas/value.avsc, compatibility: BACKWARD}
"""

KEY_SCHEMA = '{"type": "record", "name": "Key", "namespace": "bench", "fields": [{"name": "id", "type": "string"}]}'
VALUE_SCHEMA = """{"type": "record", "name": "Value", "namespace": "bench", "fields": [
  {"name": "id", "type": "string"},
  {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
  {"name": "amount", "type": ["null", "double"], "default": null}
]}"""


def generate(root: Path, topics: int, files: int) -> Path:
    (root / "topics").mkdir()
    (root / "schemas").mkdir()
    (root / "schemas" / "key.avsc").write_text(KEY_SCHEMA)
    (root / "schemas" / "value.avsc").write_text(VALUE_SCHEMA)
    per_file = topics // files
    for file in range(files):
        parts = ["topics:\n"]
        for index in range(per_file):
            number = file * per_file + index
            parts.append(
                TOPIC.format(
                    file=file,
                    index=number,
                    partitions=3 + number % 4,
                    retention=("7d", "12h", "30d", "604800000")[number % 4],
                    policy=("delete", "compact,delete", "[delete, compact]", "compact")[number % 4],
                )
            )
            if number % 10 == 0:
                parts.append(SCHEMAS)
        (root / "topics" / f"team{file:03d}.yaml").write_text("".join(parts))
    cluster = root / "bench.yaml"
    cluster.write_text(CLUSTER.format(budget=topics * 10))
    return cluster


def run_once(cluster: Path) -> tuple[float, int, int]:
    started = time.perf_counter()
    loaded = load_cluster(cluster)
    problems = [p for p in check_desired(loaded.cluster) if p.severity == "error"]
    elapsed = time.perf_counter() - started
    if problems:
        raise SystemExit(f"benchmark input should be valid, got: {problems[0]}")
    return elapsed, len(loaded.cluster.topics), len(loaded.cluster.subjects)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kgitops-bench-") as tmp:
        cluster = generate(Path(tmp), args.topics, args.files)
        size = sum(p.stat().st_size for p in Path(tmp).rglob("*") if p.is_file())
        print(f"YAML loader: {yaml_nodes.SAFE_LOADER.__name__}; {args.files} files, {size / 1e6:.1f} MB")
        os.chdir(tmp)  # messages and paths relative, as in a repository checkout
        timings = []
        for run in range(1, args.runs + 1):
            elapsed, topics, subjects = run_once(cluster)
            timings.append(elapsed)
            print(f"run {run}: load + validate {topics} topics, {subjects} subjects: {elapsed:.3f} s")
    print(
        f"min {min(timings):.3f} s, median {statistics.median(timings):.3f} s, max {max(timings):.3f} s "
        f"(target < 2 s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""`kgitops plan` of two checkouts side by side, on the same topics, alternating rounds:
did a change make planning slower?

    python benchmarks/plan_revisions.py OLD_CHECKOUT NEW_CHECKOUT [--topics 1000] [--rounds 5]

Creates N topics x 3 partitions on the local stack (once, kept for the next run), writes a
cluster file declaring them, then runs `python -m kgitops plan` from each checkout
(PYTHONPATH) in turn, interpreter start included, and prints the median wall time of each.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kgitops.devstack.stack import StackLayout, status, up  # noqa: E402

CONFIG = {"min.insync.replicas": "2", "retention.ms": "86400000"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--topics", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    layout = StackLayout.from_settings()
    stack = status(layout) if status(layout).healthy else up(layout, timeout=240)
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    names = [f"revbench.{i:05d}" for i in range(args.topics)]
    existing = set(admin.list_topics(timeout=30).topics)
    missing = [NewTopic(n, 3, 3, config=CONFIG) for n in names if n not in existing]
    for k in range(0, len(missing), 500):
        for future in admin.create_topics(missing[k:k + 500], request_timeout=120).values():
            future.result(timeout=180)
    if missing:
        time.sleep(15)  # let the brokers settle after a large create
    with tempfile.TemporaryDirectory() as tmp:
        cluster = Path(tmp) / "rev.yaml"
        cluster.write_text(yaml.safe_dump({
            "name": "revbench", "kafka": {"bootstrap_servers": stack.bootstrap_servers},
            "topics": [{"name": n, "partitions": 3, "replication_factor": 3,
                        "config": {"min.insync.replicas": 2, "retention.ms": "1d"}} for n in names]}))
        times: dict[str, list[float]] = {args.old: [], args.new: []}
        for _ in range(args.rounds):
            for checkout in (args.old, args.new):
                env = {**os.environ, "PYTHONPATH": str(Path(checkout).resolve())}
                started = time.perf_counter()
                done = subprocess.run([sys.executable, "-m", "kgitops", "plan", "-c", str(cluster),
                                       "--detailed-exitcode"], env=env, capture_output=True, text=True)
                times[checkout].append(time.perf_counter() - started)
                if done.returncode != 0:
                    raise SystemExit(f"{checkout}: plan exited {done.returncode}:\n{done.stdout[-2000:]}{done.stderr}")
        for checkout, runs in times.items():
            print(f"{checkout:<40} median {statistics.median(runs):6.2f} s  runs "
                  + ", ".join(f"{t:.2f}" for t in runs))


if __name__ == "__main__":
    main()

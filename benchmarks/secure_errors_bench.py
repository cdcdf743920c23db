#!/usr/bin/env python3
"""Time to a clear error on the secured local stack (`kgitops dev up --secure`), against
the 10 s connect timeout librdkafka would otherwise run into.

    python benchmarks/secure_errors_bench.py [--runs 5]

Each case runs `kgitops plan` as a subprocess (interpreter start included) and reports the
median wall time and the first words of its error, then the time from connecting to the
error inside one process (what the error_cb saves; interpreter start excluded).
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

from kgitops.devstack import certs, secure


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    layout = secure.SecureLayout.from_settings()
    if not secure.status(layout).healthy:
        secure.up(layout)
    creds = secure.credentials(layout)
    with tempfile.TemporaryDirectory() as tmp:
        other_ca, _ = certs.make_ca(Path(tmp) / "other", "benchmark CA")
        base = {**os.environ, "KAFKA_USER": secure.KGITOPS_USER, "KAFKA_PASSWORD": creds.kafka[secure.KGITOPS_USER],
                "KGITOPS_DEV_CA": str(layout.tls.ca_cert), "SR_USER": secure.REGISTRY_USER,
                "SR_PASSWORD": creds.registry[secure.REGISTRY_USER]}
        cases = {
            "right credentials (plan)": base,
            "wrong SASL password": {**base, "KAFKA_PASSWORD": "wrong-password"},
            "untrusted broker CA": {**base, "KGITOPS_DEV_CA": str(other_ca)},
        }
        cluster = layout.state_dir / "cluster-sasl.yaml"
        kgitops = str(Path(sys.executable).with_name("kgitops"))
        for name, env in cases.items():
            times, said = [], ""
            for _ in range(runs):
                started = time.perf_counter()
                out = subprocess.run([kgitops, "plan", "-c", str(cluster)], env=env, capture_output=True, text=True)
                times.append(time.perf_counter() - started)
                said = (out.stderr.strip().splitlines() or [""])[0][:110]
            inside = [_connect_seconds(cluster, env) for _ in range(runs)]
            print(f"{name:<26} exit {out.returncode}  median {statistics.median(times):.2f} s  "
                  f"(min {min(times):.2f}, max {max(times):.2f}); in-process connect to answer median "
                  f"{statistics.median(inside):.2f} s  {said}")
    return 0


def _connect_seconds(cluster: Path, env: dict[str, str]) -> float:
    """Seconds from building the reader to DescribeCluster's answer or refusal."""
    from kgitops.desired.loader import load_cluster
    from kgitops.errors import KgitopsError
    from kgitops.live.connect import kafka_client_config
    from kgitops.live.kafka import KafkaReader

    saved = dict(os.environ)
    os.environ.update(env)
    try:
        config = kafka_client_config(load_cluster(str(cluster)).cluster)
        started = time.perf_counter()
        try:
            KafkaReader.from_config(config).describe_cluster()
        except KgitopsError:
            pass
        return time.perf_counter() - started
    finally:
        os.environ.clear()
        os.environ.update(saved)


if __name__ == "__main__":
    sys.exit(main())

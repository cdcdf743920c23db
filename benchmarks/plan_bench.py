#!/usr/bin/env python3
"""Plan and apply speed on the local stack, side by side with the alternatives, in one run.

    python benchmarks/plan_bench.py                 # 1,000 and 5,000 topics
    python benchmarks/plan_bench.py --sizes 1000    # one size
    python benchmarks/plan_bench.py --keep          # leave the benchmark topics in place

For each size N it creates N topics (kgitops apply, timed against one bare batched
CreateTopics of N other topics), then times, on the same cluster in the same run:

  floor       a bare confluent-kafka script: DescribeCluster + Metadata + DescribeConfigs
              batched and pipelined with the best batch size found
  kgitops     `kgitops plan` on a cluster file declaring the N topics (no changes)
  per-topic   one DescribeConfigs request per topic, waited one by one
  kafka-cli   Kafka's TopicCommand --describe and ConfigCommand --describe (JVM start included)

and prints wall times, kgitops' time per phase and the admin requests each made. Large
sizes load a 2-core machine (brokers replicate idle partitions): compare ratios, not
absolute numbers.
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic, ResourceType

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kgitops import planner  # noqa: E402
from kgitops.apply import ApplySettings, execute  # noqa: E402
from kgitops.kinds import KINDS  # noqa: E402
from kgitops.kinds.topic.apply import chunks  # noqa: E402
from kgitops.devstack import jars  # noqa: E402
from kgitops.devstack.stack import StackLayout, status, up  # noqa: E402

CONFIG = {"min.insync.replicas": "2", "retention.ms": "86400000"}
SETTLE_SECONDS = 15
APPLY_ROUNDS = 2


def timed(fn, repeat: int = 5) -> tuple[float, object]:
    """Median wall time of `repeat` runs, and the last result."""
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def wait_in_sync(admin: AdminClient, names: list[str], timeout: float = 300) -> None:
    """Until every partition of `names` has a leader and a full ISR: the brokers are done
    creating replicas, so the next measurement does not pay for this one."""
    deadline = time.monotonic() + timeout
    wanted = set(names)
    while time.monotonic() < deadline:
        topics = admin.list_topics(timeout=30).topics
        if all(n in topics and topics[n].partitions and
               all(p.leader >= 0 and len(p.isrs) == len(p.replicas) for p in topics[n].partitions.values())
               for n in wanted):
            return
        time.sleep(0.5)
    raise SystemExit(f"topics not in sync within {timeout} s")


def wait_topics(admin: AdminClient, names: list[str], present: bool, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    wanted = set(names)
    while time.monotonic() < deadline:
        live = set(admin.list_topics(timeout=30).topics)
        if (wanted <= live) if present else not (wanted & live):
            return
        time.sleep(0.5)
    raise SystemExit(f"topics did not {'appear' if present else 'disappear'} within {timeout} s")


def write_cluster_file(directory: Path, bootstrap: str, names: list[str], partitions: int) -> Path:
    doc = {
        "name": "bench",
        "kafka": {"bootstrap_servers": bootstrap},
        "policy": {"max_partitions_per_broker": 100000, "max_partitions_per_cluster": 100000},
        "defaults": {"replication_factor": 3, "config": {"min.insync.replicas": 2}},
        "topics": [{"name": n, "partitions": partitions, "config": {"retention.ms": "1d"}} for n in names],
    }
    path = directory / "bench.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def settle(read, attempts: int = 20) -> None:
    """Repeat `read` until no broker answers UNKNOWN_TOPIC_OR_PART any more: on a loaded
    machine a broker can lag behind the controller for a moment after a large create."""
    for attempt in range(attempts):
        try:
            read()
            return
        except KafkaException:
            if attempt == attempts - 1:
                raise
            time.sleep(1)


def delete_topics(admin: AdminClient, names: list[str]) -> None:
    for i in range(0, len(names), 500):
        for future in admin.delete_topics(names[i:i + 500], request_timeout=300).values():
            future.result()
    wait_topics(admin, names, present=False)


def floor_read(bootstrap: str, names: list[str], batch: int) -> int:
    """The bare minimum: the same three reads, pipelined. Returns the request count."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.describe_cluster().result()
    admin.list_topics(timeout=30)
    in_flight = [admin.describe_configs([ConfigResource(ResourceType.TOPIC, n) for n in names[i:i + batch]])
                 for i in range(0, len(names), batch)]
    for futures in in_flight:
        for future in futures.values():
            future.result()
    return 2 + len(in_flight)


def per_topic_read(bootstrap: str, names: list[str]) -> int:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.list_topics(timeout=30)
    for n in names:
        resource = ConfigResource(ResourceType.TOPIC, n)
        admin.describe_configs([resource])[resource].result()
    return 1 + len(names)


def kafka_cli(bootstrap: str, prefix: str) -> dict[str, float]:
    libs = jars.ensure_kafka_libs()
    base = ["java", "-Xmx512m", "-cp", f"{libs}/*"]
    out = {}
    for label, args in (
        ("TopicCommand --describe", ["org.apache.kafka.tools.TopicCommand", "--bootstrap-server", bootstrap,
                                     "--describe", "--topic", f"{prefix}.*"]),
        ("ConfigCommand --describe", ["org.apache.kafka.tools.ConfigCommand", "--bootstrap-server", bootstrap,
                                      "--entity-type", "topics", "--describe"]),
    ):
        started = time.perf_counter()
        subprocess.run(base + args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, timeout=600)
        out[label] = time.perf_counter() - started
    return out


def bare_create(admin: AdminClient, names: list[str], partitions: int) -> float:
    """The best a script can do: CreateTopics cut below the controller's 10,000-records
    limit, sent together, then wait until the topics are listed."""
    started = time.perf_counter()
    new_topics = [NewTopic(t, partitions, 3, config=CONFIG) for t in names]
    in_flight = [admin.create_topics(group, request_timeout=300)
                 for group in chunks(new_topics, lambda t: 1 + partitions + len(CONFIG))]
    for futures in in_flight:
        for future in futures.values():
            future.result()
    wait_topics(admin, names, present=True)
    return time.perf_counter() - started


def bench_size(bootstrap: str, n: int, partitions: int, keep: bool) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    run_id = f"{int(time.time()) % 100000}"
    prefix, bare_prefix = f"bench-{n}-{run_id}-", f"benchbare-{n}-{run_id}-"
    names = [f"{prefix}{i:05d}" for i in range(n)]
    bare = [f"{bare_prefix}{i:05d}" for i in range(n)]
    print(f"\n== {n} topics x {partitions} partitions, RF 3", flush=True)

    with tempfile.TemporaryDirectory() as tmp:
        cluster_file = write_cluster_file(Path(tmp), bootstrap, names, partitions)

        # Apply: one bare batched CreateTopics vs kgitops creating the N topics (validate_only
        # pre-check, create, wait until listed). Broker load after a large create or delete
        # swings single runs by 2x, so the two alternate, on a cluster back at rest each
        # time, and the medians are compared. The last kgitops round stays for the plan.
        bare_times, kgitops_times = [], []
        for round_no in range(APPLY_ROUNDS):
            bare_round = [f"{t}-r{round_no}" for t in bare]
            bare_times.append(bare_create(admin, bare_round, partitions))
            wait_in_sync(admin, bare_round)
            delete_topics(admin, bare_round)
            time.sleep(SETTLE_SECONDS)

            run = planner.plan_cluster_file(str(cluster_file))
            started = time.perf_counter()
            outcomes = execute(run.plan.actions, kinds=KINDS, clients=run.clients, report=lambda o: None,
                               settings=ApplySettings(timeout=300))
            kgitops_times.append(time.perf_counter() - started)
            failed = [o for o in outcomes if not o.ok]
            if failed:
                raise SystemExit(f"kgitops apply failed for {len(failed)} topics: {failed[0].error}")
            wait_in_sync(admin, names)
            time.sleep(SETTLE_SECONDS)
            if round_no < APPLY_ROUNDS - 1:
                delete_topics(admin, names)
                time.sleep(SETTLE_SECONDS)
        bare_apply, kgitops_apply = statistics.median(bare_times), statistics.median(kgitops_times)
        print(f"   apply rounds: bare {', '.join(f'{t:.2f}' for t in bare_times)} s; "
              f"kgitops {', '.join(f'{t:.2f}' for t in kgitops_times)} s", flush=True)

        # Plan vs the floor vs the per-topic reader vs Kafka's CLI.
        settle(lambda: floor_read(bootstrap, names, 100))  # warm-up, and every broker knows every topic
        best_batch, floor_time = None, None
        for batch in sorted({50, 100, 200, 500, n}):
            t, _ = timed(lambda: floor_read(bootstrap, names, batch))
            if floor_time is None or t < floor_time:
                best_batch, floor_time = batch, t
            print(f"   floor with DescribeConfigs batches of {batch:>5}: {t:6.2f} s", flush=True)
        plan_time, plan_run = timed(lambda: planner.plan_cluster_file(str(cluster_file)))
        assert not plan_run.plan.actions, "the benchmark cluster should have no changes after apply"
        per_topic_time, per_topic_requests = timed(lambda: per_topic_read(bootstrap, names), repeat=1)
        cli = kafka_cli(bootstrap, prefix)

        floor_requests = 2 + -(-n // best_batch)
        kg_requests = sum(plan_run.requests.values())
        print(f"\n   {'reader':<34}{'wall s':>8}{'x floor':>9}{'requests':>10}")
        rows = [(f"floor (batches of {best_batch})", floor_time, floor_requests),
                ("kgitops plan", plan_time, kg_requests),
                ("per-topic DescribeConfigs", per_topic_time, per_topic_requests)]
        rows += [(f"kafka-cli {k}", v, None) for k, v in cli.items()]
        for label, seconds, requests in rows:
            print(f"   {label:<34}{seconds:8.2f}{seconds / floor_time:9.2f}{requests if requests else '-':>10}")
        phases = ", ".join(f"{k} {v:.2f} s" for k, v in plan_run.timings.items())
        print(f"   kgitops plan phases (last run): {phases}")
        print(f"   apply (median of {APPLY_ROUNDS}): kgitops {kgitops_apply:.2f} s vs bare batched CreateTopics "
              f"{bare_apply:.2f} s ({kgitops_apply / bare_apply:.2f}x)")

    if not keep:
        delete_topics(admin, names)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--partitions", type=int, default=None,
                        help="partitions per topic (default: 3 for sizes up to 1,000, else 1)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    layout = StackLayout.from_settings()
    stack = status(layout)
    if not stack.healthy:
        stack = up(layout)
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    leftovers = [t for t in admin.list_topics(timeout=30).topics if t.startswith(("bench-", "benchbare-"))]
    if leftovers:
        print(f"deleting {len(leftovers)} topics left by an earlier benchmark run", flush=True)
        delete_topics(admin, leftovers)
    for n in (int(s) for s in args.sizes.split(",")):
        bench_size(stack.bootstrap_servers, n, args.partitions or (3 if n <= 1000 else 1), args.keep)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""What the live impact of a plan costs, on the local stack, side by side in one run.

    python benchmarks/impact_bench.py                         # 1,000 topics, 100 groups, 1,000 groups for offsets
    python benchmarks/impact_bench.py --topics 300 --groups 50 --offset-groups 300
    python benchmarks/impact_bench.py --keep                  # leave topics and groups in place

1. Plan with and without impact: N topics declared, one of them with a retention decrease
   (the one risky change; its partitions hold records 3 days and 2 hours old), and G
   consumer groups with committed offsets (one in ten on the risky topic). The plan
   (load, read, compare, policy) and the plan plus `read_impacts` run alternately, and the
   medians are compared; the impact's own requests are listed.
2. Reading committed offsets of M groups: ListConsumerGroups, then one OffsetFetch per
   group (confluent-kafka reads one group per call) with 1, 10, 50 and 200 calls in
   flight, to choose kgitops.live.consumers.OFFSET_FETCH_IN_FLIGHT.

Numbers are printed, never asserted. A 2-core machine shared with other work swings
single runs: compare the ratios of the same run.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import yaml
from confluent_kafka import ConsumerGroupTopicPartitions, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from kgitops import planner  # noqa: E402
from kgitops.devstack.stack import StackLayout, status, up  # noqa: E402
from kgitops.kinds.topic.impact import read_impacts  # noqa: E402
from kgitops.live.clients import connect  # noqa: E402
from kgitops.live.consumers import ConsumerReader  # noqa: E402

DAY_MS = 86_400_000
ROUNDS = 5
IN_FLIGHT_CHOICES = (1, 10, 50, 200)


def wait_topics(admin: AdminClient, names: list[str], timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        topics = admin.list_topics(timeout=30).topics
        if all(n in topics and topics[n].partitions and all(
                p.leader >= 0 and len(p.isrs) == len(p.replicas) for p in topics[n].partitions.values())
               for n in names):
            return
        time.sleep(1)
    raise SystemExit(f"topics not in sync within {timeout} s")


def create_topics(admin: AdminClient, names: list[str], partitions: int) -> None:
    for i in range(0, len(names), 500):
        futures = admin.create_topics([NewTopic(n, partitions, 3, config={"min.insync.replicas": "2"})
                                       for n in names[i:i + 500]], request_timeout=300)
        for future in futures.values():
            future.result()
    wait_topics(admin, names)


def delete_topics(admin: AdminClient, names: list[str]) -> None:
    for i in range(0, len(names), 500):
        for future in admin.delete_topics(names[i:i + 500], request_timeout=300).values():
            future.result()


def commit_groups(admin: AdminClient, offsets_by_group: dict[str, list[TopicPartition]]) -> None:
    """Committed offsets for each group without a consumer (AlterConsumerGroupOffsets creates
    the group), 100 calls in flight."""
    items = list(offsets_by_group.items())
    for i in range(0, len(items), 100):
        futures = [admin.alter_consumer_group_offsets([ConsumerGroupTopicPartitions(g, tps)], request_timeout=60)[g]
                   for g, tps in items[i:i + 100]]
        for future in futures:
            future.result()


def delete_groups(admin: AdminClient, groups: list[str]) -> None:
    for i in range(0, len(groups), 200):
        for future in admin.delete_consumer_groups(groups[i:i + 200], request_timeout=60).values():
            try:
                future.result()
            except Exception:  # noqa: BLE001 - best effort cleanup
                pass


def produce_aged(bootstrap: str, topic: str, partitions: int, now_ms: int) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "linger.ms": 20})
    for p in range(partitions):
        for i in range(800):
            ts = now_ms - 3 * DAY_MS if i < 500 else now_ms - 2 * 3_600_000
            producer.produce(topic, value=b"x" * 100, key=f"k{i}".encode(), partition=p, timestamp=ts)
    producer.flush(60)


def write_cluster_file(directory: Path, bootstrap: str, names: list[str], partitions: int, risky: str) -> Path:
    doc = {
        "name": "impactbench",
        "kafka": {"bootstrap_servers": bootstrap},
        "policy": {"max_partitions_per_broker": 100000, "max_partitions_per_cluster": 100000},
        "defaults": {"replication_factor": 3, "config": {"min.insync.replicas": 2}},
        "topics": [{"name": n, "partitions": partitions, **({"config": {"retention.ms": "1d"}} if n == risky else {})}
                   for n in names],
    }
    path = directory / "impactbench.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def bench_plan(bootstrap: str, names: list[str], partitions: int, groups: list[str]) -> None:
    risky = names[0]
    with tempfile.TemporaryDirectory() as tmp:
        cluster_file = write_cluster_file(Path(tmp), bootstrap, names, partitions, risky)
        desired = planner.load(str(cluster_file))
        clients = connect(desired.cluster)

        def plan_only():
            return planner.compute(planner.load(str(cluster_file)), clients)

        def plan_with_impact():
            run = plan_only()
            started = time.perf_counter()
            impacts = read_impacts(run.plan.actions, run.live, clients)
            return run, impacts, time.perf_counter() - started

        plan_only()  # warm-up: connections, imports
        plan_with_impact()
        without, with_impact, impact_only = [], [], []
        last = None
        for _ in range(ROUNDS):
            started = time.perf_counter()
            run = plan_only()
            without.append(time.perf_counter() - started)
            started = time.perf_counter()
            last = plan_with_impact()
            with_impact.append(time.perf_counter() - started)
            impact_only.append(last[2])
        run, impacts, _ = last
        risky_actions = [a for a in run.plan.actions if a.risks]
        assert len(risky_actions) == 1, [a.resource for a in risky_actions]
        impact = impacts.for_action(risky_actions[0])
        a, b = statistics.median(without), statistics.median(with_impact)
        print(f"\n== plan of {len(names)} topics x {partitions} partitions, one retention decrease, "
              f"{len(groups)} benchmark groups ({ROUNDS} rounds, medians)")
        print(f"   plan without impact  {a:6.2f} s   (rounds {', '.join(f'{t:.2f}' for t in without)})")
        print(f"   plan with impact     {b:6.2f} s   (rounds {', '.join(f'{t:.2f}' for t in with_impact)})"
              f"   = {b / a:.2f}x")
        print(f"   impact alone         {statistics.median(impact_only):6.2f} s")
        print(f"   plan requests: {dict(run.requests)}")
        print(f"   impact requests: {dict(impacts.requests)}")
        print(f"   impact found: {impact.retention_time.records} records to delete, "
              f"{len([g for g in impact.retention_time.groups or () if g.unread_records])} groups losing unread records")


def bench_offsets(bootstrap: str, topic: str, groups: list[str]) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    print(f"\n== committed offsets of {len(groups)} groups (one OffsetFetch per group)")
    reader = ConsumerReader(admin)
    started = time.perf_counter()
    listed = [g.group_id for g in reader.list_groups()]
    print(f"   ListConsumerGroups: {time.perf_counter() - started:.2f} s for {len(listed)} groups")
    mine = sorted(set(groups) & set(listed))
    wanted = [(topic, 0)]
    for in_flight in IN_FLIGHT_CHOICES:
        times = []
        for _ in range(3):
            reader = ConsumerReader(admin, in_flight=in_flight)
            started = time.perf_counter()
            found = reader.committed_offsets(mine, wanted)
            times.append(time.perf_counter() - started)
        assert len(found) == len(mine), (len(found), len(mine))
        best = statistics.median(times)
        print(f"   {in_flight:>4} in flight: {best:6.2f} s  ({best / len(mine) * 1000:.2f} ms per group, "
              f"{reader.requests['offset_fetch']} OffsetFetch)")
    # For comparison: kafka-python sends one OffsetFetch per coordinator for all its
    # groups (KIP-709, OffsetFetch v8), after FindCoordinator.
    from kafka import TopicPartition as KafkaPythonPartition

    from kgitops.live.kafka_python_admin import open_kafka_python_admin

    client = open_kafka_python_admin({"bootstrap.servers": bootstrap})
    try:
        specs = {g: [KafkaPythonPartition(t, p) for t, p in wanted] for g in mine}
        times = []
        for _ in range(3):
            started = time.perf_counter()
            answers = client.list_group_offsets(specs)
            times.append(time.perf_counter() - started)
        assert len(answers) == len(mine)
        print(f"   kafka-python list_group_offsets, one OffsetFetch per coordinator: {statistics.median(times):6.2f} s")
    finally:
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=1000)
    parser.add_argument("--partitions", type=int, default=1)
    parser.add_argument("--groups", type=int, default=100, help="consumer groups during the plan comparison")
    parser.add_argument("--offset-groups", type=int, default=1000, help="groups whose offsets are read in part 2")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--offsets-only", action="store_true", help="only part 2")
    args = parser.parse_args()
    layout = StackLayout.from_settings()
    stack = status(layout)
    if not stack.healthy:
        stack = up(layout)
    bootstrap = stack.bootstrap_servers
    admin = AdminClient({"bootstrap.servers": bootstrap})
    run_id = f"{int(time.time()) % 100000}"
    names = [f"impactbench-{run_id}-{i:05d}" for i in range(args.topics)]
    plan_groups = [f"impactbench-{run_id}-g{i:04d}" for i in range(args.groups)]
    offset_groups = [f"impactbench-{run_id}-o{i:04d}" for i in range(args.offset_groups)]
    print(f"creating {len(names)} topics, {len(plan_groups) + len(offset_groups)} groups", flush=True)
    started = time.perf_counter()
    create_topics(admin, names, args.partitions)
    produce_aged(bootstrap, names[0], args.partitions, int(time.time() * 1000))
    # One group in ten reads the risky topic (from the middle of its old records), the
    # others read some other benchmark topic.
    commit_groups(admin, {g: [TopicPartition(names[0] if i % 10 == 0 else names[1 + i % (len(names) - 1)], p, 250)
                              for p in range(args.partitions)] for i, g in enumerate(plan_groups)})
    print(f"   set up in {time.perf_counter() - started:.1f} s", flush=True)
    try:
        if not args.offsets_only:
            bench_plan(bootstrap, names, args.partitions, plan_groups)
        commit_groups(admin, {g: [TopicPartition(names[1], 0, 1)] for g in offset_groups})
        bench_offsets(bootstrap, names[1], offset_groups)
    finally:
        if not args.keep:
            delete_groups(admin, plan_groups + offset_groups)
            delete_topics(admin, names)


if __name__ == "__main__":
    main()

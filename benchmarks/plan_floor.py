#!/usr/bin/env python3
"""`kgitops plan` against the wire floor and its peers, side by side in one run, at added
network latency.

    .venv/bin/python benchmarks/plan_floor.py                       # 1,000 x 3 and 5,000 x 1, 0/2/5 ms
    .venv/bin/python benchmarks/plan_floor.py --scenarios 1000x3 --latencies 0 --rounds 3
    KGITOPS_BENCH_TOPICCTL=/tmp/topicctl-bin/topicctl .venv/bin/python benchmarks/plan_floor.py

On the local stack started behind toxiproxy (`kgitops dev up --via-proxy`; started here when
it is not running), for each scenario (N topics x P partitions, RF 3; each scenario has the
cluster to itself: the other scenarios' topics are deleted first, so brokers with a 512 MB
heap hold it; the last one's stay for the next run unless `--clean`) and each latency L added by toxiproxy to both
directions of every broker connection (what `tc netem delay L` on the loopback would do: a
round trip costs 2 L more), it times, interleaved round by round, each as its own process
(interpreter or binary start included):

  kgitops plan      `python -m kgitops plan` of a cluster file declaring the N topics (no changes)
  floor 1 batch     a bare confluent-kafka script: one Metadata, one DescribeConfigs of all N
  floor pipelined   the same with DescribeConfigs cut in batches sent together, as kgitops does
  floor, collector off  pipelined, with the cyclic garbage collector off (as kgitops reads)
  metadata only     the same script with Metadata alone (what topicctl `get topics` reads)
  topicctl get      topicctl `get topics` (Go, batched), when KGITOPS_BENCH_TOPICCTL names the binary
  topicctl check    topicctl `check` of one topic file per topic, likewise (up to 1,000 topics)
  topicctl dry-run  topicctl `apply --dry-run` of the same files (up to 1,000 topics; one
                    round when latency is added)
  per-topic         one Metadata, then one DescribeConfigs per topic, waited one by one
                    (one round only above 1,000 topics)

and prints the medians with plan/floor (the fastest floor), plan/topicctl-get, and the
per-topic readers' times over kgitops' (topicctl check and dry-run, per-topic). It also times `kgitops validate` of 10,000 topics and lists what `kgitops
plan` imports (`python -X importtime`). Numbers are printed, never asserted; on a busy
machine compare the ratios of one run, not absolute times across runs.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

import yaml
from confluent_kafka.admin import AdminClient, NewTopic

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.plan_bench import CONFIG, delete_topics, wait_in_sync, write_cluster_file  # noqa: E402
from kgitops.devstack import proxy  # noqa: E402
from kgitops.devstack.stack import StackLayout, status, up  # noqa: E402

TOPICCTL_ENV = "KGITOPS_BENCH_TOPICCTL"
FLOORS = ("floor 1 batch", "floor pipelined", "floor, collector off")  # plan / floor: the fastest of them
SCENARIO_PREFIX = "speed"
SLOW_READERS_MAX_TOPICS = 1000
VALIDATE_TOPICS = 10_000
# The modules `kgitops plan` of topics alone should not need (importtime section).
HEAVY_MODULES = ("jsonschema", "httpx", "fastavro", "kafka", "confluent_kafka")

FLOOR_SCRIPT = """
import gc, sys
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
bootstrap, batch, names = sys.argv[1], int(sys.argv[2]), open(sys.argv[3]).read().split()
if sys.argv[4:] == ["collector-off"]:
    gc.disable()
admin = AdminClient({"bootstrap.servers": bootstrap})
in_flight = [admin.describe_configs([ConfigResource(ResourceType.TOPIC, n) for n in names[i:i + batch]])
             for i in range(0, len(names), batch)] if batch else []
metadata = admin.list_topics(timeout=60)
partitions = sum(len(t.partitions) for t in metadata.topics.values())
entries = sum(len(f.result()) for futures in in_flight for f in futures.values())
print(partitions, entries)
"""

PER_TOPIC_SCRIPT = """
import sys
from confluent_kafka.admin import AdminClient, ConfigResource, ResourceType
bootstrap, names = sys.argv[1], open(sys.argv[2]).read().split()
admin = AdminClient({"bootstrap.servers": bootstrap})
admin.list_topics(timeout=60)
entries = 0
for n in names:
    resource = ConfigResource(ResourceType.TOPIC, n)
    entries += len(admin.describe_configs([resource])[resource].result())
print(entries)
"""


def run_timed(command: list[str], *, ok_codes: tuple[int, ...] = (0,)) -> tuple[float, str]:
    """Wall seconds of `command`, and what it wrote to stderr."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    took = time.perf_counter() - started
    if done.returncode not in ok_codes:
        raise SystemExit(f"{' '.join(command[:4])} ... exited {done.returncode}:\n{done.stdout[-1500:]}\n"
                         f"{done.stderr[-1500:]}")
    return took, done.stderr


def ensure_topics(admin: AdminClient, prefix: str, count: int, partitions: int) -> list[str]:
    """`count` topics `prefix00000`..., created when missing (kept between runs); the
    topics of other scenarios (`speed*`) are deleted first."""
    names = [f"{prefix}{i:05d}" for i in range(count)]
    existing = set(admin.list_topics(timeout=60).topics)
    others = sorted(t for t in existing if t.startswith(SCENARIO_PREFIX) and not t.startswith(prefix))
    if others:
        print(f"  deleting {len(others)} topics of another scenario", flush=True)
        delete_topics(admin, others)
        time.sleep(15)
    missing = [NewTopic(n, partitions, 3, config=CONFIG) for n in names if n not in existing]
    if missing:
        print(f"  creating {len(missing)} topics {prefix}* ({partitions} partition(s), RF 3)", flush=True)
        for k in range(0, len(missing), 500):
            for future in admin.create_topics(missing[k:k + 500], request_timeout=300).values():
                future.result(timeout=330)
    wait_in_sync(admin, names, timeout=600)
    if missing:
        time.sleep(15)  # the brokers settle after a large create
    return names


def topicctl_files(directory: Path, bootstrap: str, names: list[str], partitions: int) -> Path:
    """topicctl's cluster file and one topic file per topic, matching the live topics."""
    (directory / "topics").mkdir()
    cluster = directory / "cluster.yaml"
    cluster.write_text(yaml.safe_dump({
        "meta": {"name": "bench", "environment": "bench", "region": "local"},
        "spec": {"bootstrapAddrs": bootstrap.split(",")}}))
    for name in names:
        (directory / "topics" / f"{name}.yaml").write_text(yaml.safe_dump({
            "meta": {"name": name, "cluster": "bench", "environment": "bench", "region": "local"},
            "spec": {"partitions": partitions, "replicationFactor": 3, "retentionMinutes": 1440,
                     "placement": {"strategy": "any"},
                     "settings": {"min.insync.replicas": 2}}}))
    return cluster


class Contenders:
    """The commands timed for one scenario, by label."""

    def __init__(self, tmp: Path, bootstrap: str, names: list[str], partitions: int, topicctl: str | None,
                 with_check: bool):
        self.cluster_file = write_cluster_file(tmp, bootstrap, names, partitions)
        joined = str(tmp / "names.txt")  # one per line: 5,000 names are too long for one argument
        Path(joined).write_text("\n".join(names) + "\n")
        python = sys.executable
        self.commands: dict[str, tuple[list[str], dict]] = {
            "kgitops plan": ([python, "-m", "kgitops", "plan", "-c", str(self.cluster_file), "--detailed-exitcode"],
                             {}),
            "floor 1 batch": ([python, "-c", FLOOR_SCRIPT, bootstrap, str(len(names)), joined], {}),
            "floor pipelined": ([python, "-c", FLOOR_SCRIPT, bootstrap, str(max(50, -(-len(names) // 10))), joined],
                                {}),
            # The same with the cyclic collector off, as kgitops runs its read: the fastest
            # a Python reader of these answers gets.
            "floor, collector off": ([python, "-c", FLOOR_SCRIPT, bootstrap, str(max(50, -(-len(names) // 10))),
                                      joined, "collector-off"], {}),
            "metadata only": ([python, "-c", FLOOR_SCRIPT, bootstrap, "0", joined], {}),
            "per-topic": ([python, "-c", PER_TOPIC_SCRIPT, bootstrap, joined], {}),
        }
        if topicctl:
            first = bootstrap.split(",")[0]
            self.commands["topicctl get"] = ([topicctl, "get", "topics", "--broker-addr", first], {})
            if with_check:
                cluster = topicctl_files(tmp, bootstrap, names, partitions)
                topic_files = str(tmp / "topics" / "*.yaml")
                self.commands["topicctl check"] = (
                    [topicctl, "check", "--cluster-config", str(cluster), "--no-spinner", topic_files], {})
                self.commands["topicctl dry-run"] = (
                    [topicctl, "apply", "--cluster-config", str(cluster), "--dry-run", "--skip-confirm",
                     "--no-spinner", topic_files], {})
        self.in_process: list[float] = []  # what `kgitops plan` reports as its own planning time

    def run(self, label: str) -> float:
        command, options = self.commands[label]
        took, stderr = run_timed(command, **options)
        if label == "kgitops plan":
            reported = re.search(r"\(planned in ([0-9.]+) s", stderr)
            if reported:
                self.in_process.append(float(reported.group(1)))
        return took


def settle(contenders: Contenders, attempts: int = 20) -> None:
    """Until the bare floor succeeds: after a large create a broker can answer
    UNKNOWN_TOPIC_OR_PART for a while (kgitops retries that itself, the bare script not)."""
    for attempt in range(attempts):
        try:
            contenders.run("floor 1 batch")
            return
        except SystemExit:
            if attempt == attempts - 1:
                raise
            time.sleep(2)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def print_table(title: str, results: dict[int, dict[str, list[float]]]) -> None:
    """One column per latency: each contender's median, then the ratios the issue asks for."""
    labels = list(dict.fromkeys(label for cell in results.values() for label in cell))
    rounds = max(len(v) for cell in results.values() for v in cell.values())
    print(f"\n  {title}: median wall seconds of up to {rounds} interleaved rounds")
    print("  " + f"{'':<24}" + "".join(f"{f'+{lat} ms':>10}" for lat in results))

    def row(label: str, value) -> None:
        cells = []
        for lat in results:
            try:
                number = value(results[lat])
            except (KeyError, ZeroDivisionError):
                number = float("nan")
            cells.append(f"{number:10.2f}" if number == number else f"{'-':>10}")
        print("  " + f"{label:<24}" + "".join(cells))

    def med(label: str):
        return lambda cell: median(cell[label]) if cell.get(label) else float("nan")

    for label in labels:
        row(label, med(label))
    floor = lambda cell: min(median(cell[label]) for label in FLOORS)  # noqa: E731
    row("plan / floor", lambda cell: median(cell["kgitops plan"]) / floor(cell))
    if "topicctl get" in labels:
        row("plan / topicctl get", lambda cell: median(cell["kgitops plan"]) / median(cell["topicctl get"]))
    for other in ("topicctl check", "topicctl dry-run", "per-topic"):
        if other in labels:
            row(f"{other} / plan", lambda cell, o=other: med(o)(cell) / median(cell["kgitops plan"]))


def bench_scenario(stack, toxiproxy: proxy.Toxiproxy, brokers: list[str], count: int, partitions: int,
                   args: argparse.Namespace, topicctl: str | None, first: bool) -> None:
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    names = ensure_topics(admin, f"{SCENARIO_PREFIX}{count}x{partitions}.", count, partitions)
    bootstrap = stack.proxy["bootstrap_servers"]
    per_topic_rounds = args.per_topic_rounds
    if per_topic_rounds is None:  # the slow one: a minute a round at 5,000 topics and +5 ms
        per_topic_rounds = args.rounds if count <= SLOW_READERS_MAX_TOPICS else 1
    results: dict[int, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        contenders = Contenders(Path(tmp), bootstrap, names, partitions, topicctl, not args.no_check)
        if first:
            importtime_summary(contenders.cluster_file)
        for latency in (int(x) for x in args.latencies.split(",")):
            # topicctl reads topic by topic in check and apply (15-20 s for 1,000 topics in a
            # dry run, about a minute at +5 ms): both up to SLOW_READERS_MAX_TOPICS only, the
            # dry run one round only with latency added.
            labels = [label for label in contenders.commands if not label.startswith("topicctl ") or
                      label == "topicctl get" or count <= SLOW_READERS_MAX_TOPICS]
            cell = results[latency] = {label: [] for label in labels}
            cell["kgitops plan (own timer)"] = []
            with ExitStack() as toxics:
                if latency:
                    for stream in ("upstream", "downstream"):
                        toxics.enter_context(toxiproxy.toxic(brokers, "latency", {"latency": latency},
                                                             stream=stream, name=f"bench_{stream}"))
                settle(contenders)
                contenders.run("kgitops plan")  # warm-up: page cache, broker caches
                contenders.in_process.clear()
                for round_no in range(args.rounds):
                    for label in labels:
                        if label == "per-topic" and round_no >= per_topic_rounds:
                            continue
                        if label == "topicctl dry-run" and latency and round_no >= 1:
                            continue
                        cell[label].append(contenders.run(label))
                cell["kgitops plan (own timer)"] = list(contenders.in_process)
                contenders.in_process.clear()
                print(f"  {count} x {partitions}, +{latency} ms: "
                      + ", ".join(f"{k} {median(v):.2f} s" for k, v in cell.items()), flush=True)
    print_table(f"{count:,} topics x {partitions} partition(s), RF 3, 3 brokers via toxiproxy, "
                "latency added each way", results)


def bench_validate(rounds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        names = [f"validate.{i:05d}" for i in range(VALIDATE_TOPICS)]
        cluster = write_cluster_file(Path(tmp), "127.0.0.1:1", names, 3)
        times = [run_timed([sys.executable, "-m", "kgitops", "validate", "-c", str(cluster)])[0]
                 for _ in range(rounds)]
    print(f"\n  kgitops validate of {VALIDATE_TOPICS:,} topics: median {median(times):.2f} s "
          f"(runs {', '.join(f'{t:.2f}' for t in times)})", flush=True)


def importtime_summary(cluster_file: Path) -> None:
    """What `kgitops plan` of the scenario's topics imports, from `python -X importtime`
    (on existing topics: with none to describe, the Kafka version is asked through
    kafka-python)."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "kgitops", "plan", "-c", str(cluster_file)],
                          capture_output=True, text=True, timeout=300)
    cumulative: dict[str, int] = {}
    total = 0
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        own, cum, name = line.split(":", 1)[1].split("|")
        total += int(own)
        if not name.startswith("  "):  # top level: imported by kgitops or the interpreter itself
            cumulative[name.strip()] = int(cum)
    heavy = {m: cumulative[m] for m in HEAVY_MODULES if m in cumulative}
    imported = [name for name in HEAVY_MODULES if any(n == name or n.startswith(name + ".") for n in
                                                      (ln.split("|")[-1].strip() for ln in done.stderr.splitlines()
                                                       if ln.startswith("import time:")))]
    print(f"\n  imports of `kgitops plan` (topics only): {total / 1e6:.2f} s in all; "
          f"of {', '.join(HEAVY_MODULES)} it imports {', '.join(imported) or 'none'}"
          + (f" ({', '.join(f'{k} {v / 1e6:.2f} s' for k, v in heavy.items())})" if heavy else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenarios", default="1000x3,5000x1", help="NxP list (N topics of P partitions)")
    parser.add_argument("--latencies", default="0,2,5", help="ms added to each direction of every broker connection")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-topic-rounds", type=int, default=None,
                        help="rounds of the per-topic reader (default: --rounds up to 1,000 topics, else 1)")
    parser.add_argument("--no-check", action="store_true", help="leave out topicctl check and apply --dry-run")
    parser.add_argument("--clean", action="store_true", help="delete the benchmark topics at the end")
    args = parser.parse_args()
    topicctl = os.environ.get(TOPICCTL_ENV)
    if topicctl and not Path(topicctl).is_file():
        raise SystemExit(f"{TOPICCTL_ENV}={topicctl}: no such file")
    layout = StackLayout.from_settings()
    stack = status(layout)
    if not stack.healthy or not stack.proxy:
        stack = up(layout, timeout=240, via_proxy=True)
    # As `pip install` leaves it: kgitops' modules compiled to bytecode once (an editable
    # install under PYTHONDONTWRITEBYTECODE would compile them again in every run).
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(Path(__file__).resolve().parents[1] / "kgitops")],
                   check=True)
    toxiproxy = proxy.Toxiproxy(stack.proxy["api"])
    toxiproxy.reset()
    brokers = [proxy.broker_proxy(n) for n in layout.node_ids()]
    print(f"kgitops plan side by side, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
          f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; topicctl: {topicctl or f'absent (set {TOPICCTL_ENV})'}",
          flush=True)
    bench_validate(args.rounds)
    for index, scenario in enumerate(args.scenarios.split(",")):
        count, partitions = (int(x) for x in scenario.split("x"))
        bench_scenario(stack, toxiproxy, brokers, count, partitions, args, topicctl, first=index == 0)
        if args.clean:
            admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
            delete_topics(admin, [t for t in admin.list_topics(timeout=60).topics
                                  if t.startswith(f"{SCENARIO_PREFIX}{count}x{partitions}.")])


if __name__ == "__main__":
    main()

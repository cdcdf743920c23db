"""Faults injected for real: toxiproxy between kgitops and the brokers and registry of the
local stack (`kgitops dev up --via-proxy`), and a broker killed with SIGKILL.

Each test ends the same way: the faulted run exits 1 with a summary of what was and was
not done and no traceback, a re-run converges (the next plan shows no changes), and every
record produced before the fault is consumed after it.

The module shares one proxied stack: the session's stack with toxiproxy put in front of it
(a broker started without the proxied listener is restarted once with it). It restarts and
kills brokers, so it runs with the other tests that stop brokers, last.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml
from confluent_kafka.admin import NewTopic

from kgitops.devstack import processes, proxy
from kgitops.devstack.stack import live_broker_count, start_node
from kgitops.live.reassign import list_in_progress
from tests.integration.kgitops_helpers import (admin, consume_all, create_outside, fully_replicated, produce,
                                               run_cli, topic_exists, wait_until)

pytestmark = pytest.mark.stops_brokers

NO_CRASH = ("Traceback", "internal error")


@dataclass(frozen=True)
class Proxied:
    bootstrap_servers: str
    registry_url: str
    toxiproxy: proxy.Toxiproxy
    layout: object

    @property
    def brokers(self) -> list[str]:
        return [proxy.broker_proxy(n) for n in self.layout.node_ids()]


@pytest.fixture(scope="module")
def proxied(stack) -> Proxied:
    where = proxy.start(stack.layout)
    client = proxy.Toxiproxy(where.api_url)
    yield Proxied(where.bootstrap_servers, where.registry_url, client, stack.layout)
    client.reset()


@pytest.fixture(autouse=True)
def no_toxics_left(proxied):
    proxied.toxiproxy.reset()
    yield
    proxied.toxiproxy.reset()


@pytest.fixture
def cleanup_topics(stack):
    """Topics (by prefix) a test made; deleted afterwards so 200-topic tests leave nothing."""
    prefixes: list[str] = []
    yield prefixes
    client = admin(stack)
    doomed = [t for t in client.list_topics(timeout=10).topics if any(t.startswith(p) for p in prefixes)]
    if doomed:
        for future in client.delete_topics(doomed, operation_timeout=30).values():
            future.result(timeout=60)


class Run:
    """A kgitops process whose output (stdout and stderr together) is read as it comes."""

    def __init__(self, *args: str, env: dict[str, str] | None = None):
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self.proc = subprocess.Popen([sys.executable, "-m", "kgitops", *args], stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})})
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def text(self) -> str:
        return "".join(self.lines)

    def wait_for(self, fragment: str, timeout: float) -> bool:
        """True once a line holds `fragment`; False when the process ended or time ran out."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not any(fragment in line for line in self.lines):
                if self.proc.poll() is not None and not self._reader.is_alive():
                    return False
                if not self._changed.wait(timeout=max(0.0, min(0.5, deadline - time.monotonic()))) and \
                        time.monotonic() > deadline:
                    return False
            return True

    def finish(self, timeout: float) -> tuple[int, str]:
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError(f"kgitops did not finish within {timeout:.0f} s:\n{self.text}")
        self._reader.join(timeout=10)
        return code, self.text


def write(path: Path, doc: dict) -> Path:
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def cluster_doc(name: str, bootstrap: str, topics: list[dict], registry: str | None = None) -> dict:
    doc = {"name": name, "kafka": {"bootstrap_servers": bootstrap},
           "defaults": {"replication_factor": 3, "config": {"min.insync.replicas": 2}}, "topics": topics}
    if registry:
        doc["schema_registry"] = {"url": registry}
    return doc


def assert_failed_with_a_summary(code: int, text: str) -> None:
    assert code == 1, text
    assert not any(marker in text for marker in NO_CRASH), text
    assert "Apply finished: " in text and "Not done:" in text and "run apply again" in text, text


def assert_converges(capsys, cluster: Path) -> None:
    rerun = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert rerun.code == 0, rerun.text
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0


def records_for(topic: str, count: int) -> dict[bytes, bytes]:
    return {f"{topic}-{i}".encode(): f"value-{i}".encode() for i in range(count)}


def test_connections_reset_during_an_apply_of_200_topic_changes(stack, proxied, unique_name, tmp_path, capsys,
                                                               cleanup_topics):
    cleanup_topics.append(unique_name)
    existing = [f"{unique_name}-old-{i:02d}" for i in range(20)]
    client = admin(stack)
    for future in client.create_topics([NewTopic(t, 1, 3, config={"min.insync.replicas": "2"})
                                        for t in existing]).values():
        future.result(timeout=60)
    wait_until(lambda: all(fully_replicated(stack, t, 3) for t in existing), timeout=60)
    before = {t: records_for(t, 10) for t in existing}
    for topic, records in before.items():
        produce(stack.bootstrap_servers, topic, records)
    topics = [{"name": t, "partitions": 1, "config": {"retention.ms": "2d"}} for t in existing]
    topics += [{"name": f"{unique_name}-new-{i:03d}", "partitions": 1} for i in range(180)]
    cluster = write(tmp_path / "c.yaml", cluster_doc(unique_name[:60], proxied.bootstrap_servers, topics))

    # librdkafka retries a request whose connection was reset: the changes fail only when
    # the resets last longer than the request may wait (8 s here, 60 s by default).
    # 500 ms on every request on its way to a broker leaves the test time to start the
    # resets after the apply said "Applying" and before its first request arrives.
    with proxied.toxiproxy.toxic(proxied.brokers, "latency", {"latency": 500}, stream="upstream"):
        run = Run("apply", "-c", str(cluster), "--auto-approve", env={"KGITOPS_KAFKA_TIMEOUT": "8"})
        assert run.wait_for("Applying 200 change(s)", timeout=180), run.text
        # Every connection through the proxy is reset at once and on each reconnect, until
        # the creations are reported; then the configs are changed over working connections.
        with proxied.toxiproxy.toxic(proxied.brokers, "reset_peer", {"timeout": 0}):
            assert run.wait_for("create topic", timeout=60), run.text
        code, text = run.finish(timeout=240)

    assert_failed_with_a_summary(code, text)
    assert "[FAIL] create topic" in text and "[ok  ] alter topic config" in text, text
    assert_converges(capsys, cluster)
    for topic, records in before.items():
        assert consume_all(stack.bootstrap_servers, topic, 1, len(records)) == records


def schema(i: int) -> dict:
    return {"type": "record", "name": f"Event{i}", "namespace": "kgitops.faults",
            "fields": [{"name": "id", "type": "string"}]}


def registered(stack, prefix: str) -> int:
    subjects = httpx.get(f"{stack.registry_url}/subjects", timeout=10).json()
    return sum(1 for s in subjects if s.startswith(prefix))


def test_the_registry_unreachable_half_way_through_registering_30_schemas(stack, proxied, unique_name, tmp_path,
                                                                         capsys, cleanup_topics):
    cleanup_topics.append(unique_name)
    names = [f"{unique_name}-{i:02d}" for i in range(30)]
    plain = [{"name": n, "partitions": 1} for n in names]
    first = write(tmp_path / "topics.yaml", cluster_doc(unique_name[:60], stack.bootstrap_servers, plain))
    assert run_cli(capsys, "apply", "-c", str(first), "--auto-approve").code == 0
    before = records_for(names[0], 50)
    produce(stack.bootstrap_servers, names[0], before)

    (tmp_path / "schemas").mkdir()
    for i in range(30):
        (tmp_path / "schemas" / f"{i}.avsc").write_text(json.dumps(schema(i)))
    with_schemas = [{**t, "schemas": {"value": {"file": f"schemas/{i}.avsc"}}} for i, t in enumerate(plain)]
    cluster = write(tmp_path / "c.yaml", cluster_doc(unique_name[:60], proxied.bootstrap_servers, with_schemas,
                                                     registry=proxied.registry_url))
    # 100 ms each way makes the 30 registrations take seconds, so "half-way" is a moment
    # the test can hit; then the registry's proxy is switched off.
    with proxied.toxiproxy.toxic([proxy.REGISTRY_PROXY], "latency", {"latency": 100}):
        run = Run("apply", "-c", str(cluster), "--auto-approve")
        assert run.wait_for("Applying 30 change(s)", timeout=120), run.text
        deadline = time.monotonic() + 60
        while registered(stack, unique_name) < 10:
            assert time.monotonic() < deadline and run.proc.poll() is None, run.text
            time.sleep(0.05)
        with proxied.toxiproxy.disabled([proxy.REGISTRY_PROXY]):
            code, text = run.finish(timeout=180)

    assert_failed_with_a_summary(code, text)
    assert "did not answer usefully" in text, text
    done = registered(stack, unique_name)
    assert 10 <= done < 30, f"{done} registered: the cut was not half-way"
    assert_converges(capsys, cluster)
    assert registered(stack, unique_name) == 30
    assert consume_all(stack.bootstrap_servers, names[0], 1, len(before)) == before


def test_two_seconds_of_registry_latency_a_plan_finishes_and_names_the_slow_call(stack, proxied, unique_name,
                                                                                tmp_path, capsys, cleanup_topics):
    cleanup_topics.append(unique_name)
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "a.avsc").write_text(json.dumps(schema(1)))
    topics = [{"name": f"{unique_name}-{i}", "partitions": 1, "schemas": {"value": {"file": "schemas/a.avsc"}}}
              for i in range(3)]
    direct = write(tmp_path / "direct.yaml", cluster_doc(unique_name[:60], stack.bootstrap_servers, topics,
                                                         registry=stack.registry_url))
    assert run_cli(capsys, "apply", "-c", str(direct), "--auto-approve").code == 0
    before = records_for(topics[0]["name"], 50)
    produce(stack.bootstrap_servers, topics[0]["name"], before)
    evolved = {**schema(1), "fields": [*schema(1)["fields"], {"name": "n", "type": "int", "default": 0}]}
    (tmp_path / "schemas" / "a.avsc").write_text(json.dumps(evolved))
    cluster = write(tmp_path / "c.yaml", cluster_doc(unique_name[:60], proxied.bootstrap_servers, topics,
                                                     registry=proxied.registry_url))

    with proxied.toxiproxy.toxic([proxy.REGISTRY_PROXY], "latency", {"latency": 2000}):
        started = time.monotonic()
        run = Run("plan", "-c", str(cluster), "--detailed-exitcode")
        code, text = run.finish(timeout=120)
        took = time.monotonic() - started
    assert code == 2, text  # changes found: every subject read, through 2 s per answer
    assert not any(marker in text for marker in NO_CRASH), text
    slow = re.search(r"slowest registry call: [A-Z]+ /\S+ took (\d+\.\d) s", text)
    assert slow and float(slow.group(1)) >= 2.0, text
    assert took >= 2, "the latency was really there"

    assert_converges(capsys, cluster)
    assert consume_all(stack.bootstrap_servers, topics[0]["name"], 1, len(before)) == before


def kill_broker(layout, node: int) -> None:
    pid = processes.running_pid(layout.node_pid_file(node), layout.marker)
    assert pid is not None, f"broker {node} is not running"
    os.kill(pid, signal.SIGKILL)
    wait_until(lambda: processes.running_pid(layout.node_pid_file(node), layout.marker) is None, timeout=10)


def restart_broker(layout, node: int, attempts: int = 3) -> None:
    """Start the broker again until it is registered. Its port may be taken for a moment by
    a client socket's ephemeral port (ports above 32768 can be); a later start binds."""
    for _ in range(attempts):
        start_node(layout, node)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if live_broker_count(layout)[0] == layout.nodes:
                return
            if processes.running_pid(layout.node_pid_file(node), layout.marker) is None:
                break  # it exited (a port in use): start it again
            time.sleep(0.5)
    raise AssertionError(f"broker {node} did not come back:\n{processes.log_tail(layout.node_log(node))}")


def test_a_broker_killed_during_a_replication_change_then_restarted(stack, proxied, unique_name, tmp_path, capsys,
                                                                   cleanup_topics):
    cleanup_topics.append(unique_name)
    client = admin(stack)
    client.create_topics([NewTopic(unique_name, 1, replica_assignment=[[1, 2]],
                                   config={"min.insync.replicas": "2"})])[unique_name].result(timeout=30)
    wait_until(lambda: fully_replicated(stack, unique_name, 2))
    blob = os.urandom(10_000)
    before = {f"k{i}".encode(): blob + str(i).encode() for i in range(300)}  # 3 MB to copy to broker 3
    produce(stack.bootstrap_servers, unique_name, before)
    topics = [{"name": unique_name, "partitions": 1, "replication_factor": 3, "config": {"min.insync.replicas": 2}}]
    cluster = write(tmp_path / "c.yaml", cluster_doc(unique_name[:60], proxied.bootstrap_servers, topics))

    # Throttled to 50 KB/s the copy needs a minute: broker 3, the replica being added, is
    # killed while it copies, restarted, and the apply gives up waiting after 10 s.
    run = Run("apply", "-c", str(cluster), "--auto-approve", "--throttle", "50000", "--reassignment-timeout", "10")
    assert run.wait_for("Applying 1 change(s)", timeout=120), run.text
    props = {"bootstrap.servers": stack.bootstrap_servers}
    wait_until(lambda: unique_name in list_in_progress(props, [unique_name]) or run.proc.poll() is not None,
               timeout=60)
    assert run.proc.poll() is None, run.text
    # Its proxy goes with it: toxiproxy would otherwise dial the dead listener's port over
    # and over, and a dial can end up bound to that very port (a TCP self-connect, possible
    # when the stack's ports lie in the ephemeral range), which the restart then cannot bind.
    with proxied.toxiproxy.disabled([proxy.broker_proxy(3)]):
        kill_broker(stack.layout, 3)
        time.sleep(2.0)
        restart_broker(stack.layout, 3)
    code, text = run.finish(timeout=180)

    assert_failed_with_a_summary(code, text)
    assert "reassignment not finished after 10 s" in text, text
    assert_converges(capsys, cluster)
    wait_until(lambda: fully_replicated(stack, unique_name, 3), timeout=90)
    assert consume_all(stack.bootstrap_servers, unique_name, 1, len(before)) == before
    # Leave the stack as found: the restarted broker back in every ISR, so the next test
    # that stops a broker does not meet partitions still catching up.
    wait_until(lambda: every_partition_in_sync(stack), timeout=120)


def every_partition_in_sync(stack) -> bool:
    topics = admin(stack).list_topics(timeout=10).topics.values()
    return all(len(p.isrs) == len(p.replicas) for t in topics for p in t.partitions.values())


def test_the_lock_holders_connection_cut_the_lock_expires_and_the_next_apply_takes_it(stack, proxied, unique_name,
                                                                                     tmp_path, capsys,
                                                                                     cleanup_topics):
    cleanup_topics.append(unique_name)
    old = f"{unique_name}-old"
    create_outside(stack, old, partitions=1, config={"min.insync.replicas": "2"})
    before = records_for(old, 50)
    produce(stack.bootstrap_servers, old, before)
    holder_topics = [{"name": old, "partitions": 1, "config": {"retention.ms": "2d"}},
                     {"name": f"{unique_name}-a", "partitions": 1}]
    holder_file = write(tmp_path / "a.yaml", cluster_doc(f"{unique_name[:50]}-a", proxied.bootstrap_servers,
                                                         holder_topics))
    next_file = write(tmp_path / "b.yaml", cluster_doc(f"{unique_name[:50]}-b", stack.bootstrap_servers,
                                                       [{"name": f"{unique_name}-b", "partitions": 1}]))

    # 500 ms on each request on its way to a broker: the holder's connections are cut after
    # it said "Applying" and before its first change arrives.
    with proxied.toxiproxy.toxic(proxied.brokers, "latency", {"latency": 500}, stream="upstream"):
        holder = Run("apply", "-c", str(holder_file), "--auto-approve", env={"KGITOPS_LOCK_TTL": "10"})
        assert holder.wait_for("Applying 2 change(s)", timeout=180), holder.text
        with proxied.toxiproxy.disabled(proxied.brokers):  # the holder loses every connection
            successor = Run("apply", "-c", str(next_file), "--auto-approve", env={"KGITOPS_LOCK_WAIT": "60"})
            next_code, next_text = successor.finish(timeout=120)
        code, text = holder.finish(timeout=180)

    assert next_code == 0, next_text
    assert "Waiting up to 60 s for the apply lock" in next_text, "it found the lock held first"
    assert code == 1 and not any(marker in text for marker in NO_CRASH), text
    assert "could not be renewed" in text and "apply lock was lost" in text, text
    history = json.loads(run_cli(capsys, "history", "-c", str(next_file), "--format", "json").out)["records"]
    mine = [r for r in history if r["cluster"].startswith(unique_name[:50])]
    assert [(r["cluster"][-1], r["lock_lost"]) for r in mine[:2]] == [("a", True), ("b", False)], mine[:2]

    assert_converges(capsys, holder_file)
    assert topic_exists(stack, f"{unique_name}-b")
    assert consume_all(stack.bootstrap_servers, old, 1, len(before)) == before

"""One apply per cluster at a time, and the audit trail, against the real 3-broker cluster.

The tests of the lock protocol key their lock topics by a name of their own (and delete them
afterwards), whatever else runs against the stack meanwhile. The tests that run the CLI use
the lock and audit topics of the stack's cluster id, as every apply does."""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kgitops.live.connect import LIBRDKAFKA_LOGGER
from kgitops.bookkeeping import internal_topics
from kgitops.bookkeeping.lock import (EXPIRED, HELD, RELEASED_STATUS, LockHeld, LockTopics, acquire, current_view,
                                      whoami)
from tests.integration.kgitops_helpers import (admin, create_outside, delete_outside, run_cli, stack_cluster_id,
                                               topic_exists, wait_until, write_cluster)


@pytest.fixture
def cluster_name(stack, unique_name, monkeypatch):
    """A cluster name of this test's own; its lock and audit topics are removed afterwards."""
    monkeypatch.setenv("KGITOPS_LOCK_WAIT", "0")  # refusals are what these tests look at
    name = unique_name[:80]
    yield name
    client = admin(stack)
    leftovers = [t for t in client.list_topics(timeout=10).topics
                 if t.startswith(f"__kgitops_lock.{name}.") or t == f"__kgitops_audit.{name}"]
    if leftovers:
        for future in client.delete_topics(leftovers, operation_timeout=10).values():
            future.result(timeout=15)


@pytest.fixture(scope="module")
def cluster_id(stack) -> str:
    return stack_cluster_id(stack)


@pytest.fixture
def fresh_audit_trail(stack, cluster_id):
    """The stack's audit topic, emptied: it is shared by every apply of the suite."""
    topic = f"__kgitops_audit.{cluster_id}"
    if topic_exists(stack, topic):
        delete_outside(stack, topic)
    return topic


def client_config(stack) -> dict:
    return {"bootstrap.servers": stack.bootstrap_servers, "logger": LIBRDKAFKA_LOGGER}


def lock_topics(stack, key: str, name: str | None = None) -> LockTopics:
    return LockTopics(client_config(stack), key, name, timeout=15)


def cluster_file(tmp_path: Path, stack, name: str, topics: list[dict], **extra) -> Path:
    return write_cluster(tmp_path / "c.yaml", stack, topics, name=name, **extra)


def test_contenders_racing_for_the_lock_exactly_one_wins_each_time(stack, cluster_name):
    contenders = 3
    # Round 1 races for the first generation; later rounds race for the next one after a
    # release, i.e. every contender finds the lock free and tries to create the same topic.
    for round_number in range(1, 4):
        barrier = threading.Barrier(contenders)
        won, refused, crashed = [], [], []
        clients = [lock_topics(stack, cluster_name) for _ in range(contenders)]

        def contend(topics: LockTopics) -> None:
            barrier.wait(timeout=30)
            try:
                won.append(acquire(topics, f"sha256:round{round_number}", ttl_s=60, cluster_file="c.yaml"))
            except LockHeld as held:
                refused.append(held)
            except Exception as err:  # reported below, not swallowed by the thread
                crashed.append(err)

        threads = [threading.Thread(target=contend, args=(c,)) for c in clients]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not crashed, crashed
        assert len(won) == 1 and len(refused) == contenders - 1, (won, [r.message for r in refused])
        winner = won[0]
        for held in refused:
            assert winner.lock_id in held.message and f"{whoami()}" in held.message, held.message
            assert f"pid {os.getpid()}" in held.message and "force-unlock" in held.message
        assert current_view(clients[0]).holder.lock_id == winner.lock_id
        winner.release()
        assert current_view(clients[0]).status == RELEASED_STATUS
    generations, _ = clients[0].listing()
    assert generations == [3], "older generations are deleted once a newer one is held"


def eventually_listed(topics, generations: list[int], timeout: float = 15.0) -> bool:
    """Deleting a topic takes a moment to reach every broker's metadata: wait, bounded."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if topics.listing()[0] == generations:
            return True
        time.sleep(0.2)
    return False


def test_a_slow_contender_that_creates_a_stale_generation_deletes_it_and_refuses(stack, cluster_name):
    holder_topics = lock_topics(stack, cluster_name)
    first = acquire(holder_topics, "sha256:a", ttl_s=60, cluster_file="c.yaml")
    first.release()
    holder = acquire(holder_topics, "sha256:b", ttl_s=60, cluster_file="c.yaml")  # generation 2; 1 is deleted
    assert eventually_listed(holder_topics, [2])

    slow = lock_topics(stack, cluster_name)
    listing = slow.listing
    seen_long_ago = iter([([], 3)])  # it listed before generation 1 existed, then stalled
    slow.listing = lambda: next(seen_long_ago, None) or listing()
    try:
        with pytest.raises(LockHeld) as refused:
            acquire(slow, "sha256:slow", ttl_s=60, cluster_file="c.yaml")
        assert holder.lock_id in refused.value.message
        assert eventually_listed(holder_topics, [2]), "the stale generation 1 it created is deleted again"
        assert current_view(holder_topics).holder.lock_id == holder.lock_id
    finally:
        holder.release()


def test_a_generation_whose_creator_died_before_writing_is_taken_over_after_a_grace(stack, cluster_name,
                                                                                   monkeypatch):
    import kgitops.bookkeeping.lock

    topics = lock_topics(stack, cluster_name)
    assert topics.create(1, brokers=3)  # as if its creator died right after creating it
    # A contender gives the creator WINNER_RECORD_WAIT_S to write its record; at 0 it is
    # refused at once, as it would be after that wait within the grace.
    monkeypatch.setattr(kgitops.bookkeeping.lock, "WINNER_RECORD_WAIT_S", 0.0)
    with pytest.raises(LockHeld) as refused:
        acquire(topics, "sha256:x", ttl_s=60, cluster_file="c.yaml")
    assert "taking the apply lock" in refused.value.message and "generation 1" in refused.value.message

    # 30 s in real life; at 0 it is over as soon as the broker's clock moved on from the
    # refused contender's probe (the grace itself is judged by lock_view, unit-tested).
    monkeypatch.setattr(kgitops.bookkeeping.lock, "ACQUIRING_GRACE_S", 0.0)
    successor = acquire(topics, "sha256:x", ttl_s=60, cluster_file="c.yaml")
    assert successor.generation == 2
    successor.release()


def test_a_contender_meeting_a_generation_being_taken_waits_for_it_and_takes_over_when_abandoned(
        stack, cluster_name, monkeypatch):
    import kgitops.bookkeeping.lock

    topics = lock_topics(stack, cluster_name)
    assert topics.create(1, brokers=3)  # its creator never writes `acquired`
    # The contender waits for the holder's record; the generation is abandoned once the
    # grace has passed on the brokers' clock, and the contender takes the next one.
    monkeypatch.setattr(kgitops.bookkeeping.lock, "ACQUIRING_GRACE_S", 2.0)
    monkeypatch.setattr(kgitops.bookkeeping.lock, "WINNER_RECORD_WAIT_S", 30.0)
    started = time.monotonic()
    successor = acquire(topics, "sha256:x", ttl_s=60, cluster_file="c.yaml")
    try:
        assert successor.generation == 2 and time.monotonic() - started < 30
    finally:
        successor.release()


def test_a_holder_that_cannot_renew_its_lock_knows_it_lost_it(stack, cluster_name):
    topics = lock_topics(stack, cluster_name)
    warnings: list[str] = []
    holder = acquire(topics, "sha256:x", ttl_s=1.5, cluster_file="c.yaml", notify=warnings.append)
    assert not holder.lost
    topics.delete([holder.generation])  # its heartbeats fail from now on
    deadline = time.monotonic() + 10
    while not holder.lost:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    holder.release()
    assert any("could not be renewed" in w for w in warnings), warnings


def test_a_second_apply_refuses_naming_the_holder_and_changes_nothing(stack, cluster_name, cluster_id, unique_name,
                                                                      tmp_path, capsys):
    cluster = cluster_file(tmp_path, stack, cluster_name, [{"name": unique_name, "partitions": 1}])
    # The holder's cluster file gives the cluster another name: the lock is the cluster's.
    holder = acquire(lock_topics(stack, cluster_id, "another-name"), "sha256:other", ttl_s=60,
                     cluster_file="other.yaml")
    try:
        result = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    finally:
        holder.release()
    assert result.code == 1, result.text
    for fragment in (f"cluster {cluster_name} (id {cluster_id}) is locked by another apply",
                     f"{whoami()} (pid {os.getpid()})", "holds it since 20", f"lock id {holder.lock_id}",
                     f"kgitops force-unlock -c {cluster} {holder.lock_id}"):
        assert fragment in result.err, result.err
    assert not topic_exists(stack, unique_name)

    applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")  # released: the next one runs
    assert applied.code == 0, applied.text
    assert topic_exists(stack, unique_name)
    assert current_view(lock_topics(stack, cluster_id)).status == RELEASED_STATUS


def test_two_cluster_files_naming_one_cluster_share_its_lock(stack, cluster_id, unique_name, tmp_path, capsys,
                                                            monkeypatch):
    """Two cluster files with different names and one bootstrap: the second apply is refused
    while the first one holds the lock, instead of running beside it."""
    monkeypatch.setenv("KGITOPS_LOCK_WAIT", "0")
    first = write_cluster(tmp_path / "a.yaml", stack, [{"name": f"{unique_name}-a", "partitions": 1}],
                          name=f"{unique_name[:40]}-a")
    second = write_cluster(tmp_path / "b.yaml", stack, [{"name": f"{unique_name}-b", "partitions": 1}],
                           name=f"{unique_name[:40]}-b")
    holder = acquire(lock_topics(stack, cluster_id, f"{unique_name[:40]}-a"), "sha256:a", ttl_s=60,
                     cluster_file=str(first))
    try:
        refused = run_cli(capsys, "apply", "-c", str(second), "--auto-approve")
    finally:
        holder.release()
    assert refused.code == 1 and holder.lock_id in refused.err, refused.text
    assert not topic_exists(stack, f"{unique_name}-b")
    assert run_cli(capsys, "apply", "-c", str(second), "--auto-approve").code == 0


def test_apply_waits_for_the_lock_when_asked_to(stack, cluster_name, cluster_id, unique_name, tmp_path, capsys,
                                                monkeypatch):
    cluster = cluster_file(tmp_path, stack, cluster_name, [{"name": unique_name, "partitions": 1}])
    holder = acquire(lock_topics(stack, cluster_id), "sha256:other", ttl_s=60, cluster_file=str(cluster))
    releaser = threading.Timer(1.5, holder.release)
    releaser.start()
    monkeypatch.setenv("KGITOPS_LOCK_WAIT", "20")
    try:
        result = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    finally:
        releaser.join()
    assert result.code == 0, result.text
    assert "Waiting up to 20 s for the apply lock" in result.err and holder.lock_id in result.err


def test_the_first_record_waits_for_the_new_topics_leader(stack, cluster_name):
    """The `acquired` record goes to a topic created a moment earlier: it is written once the
    new partition has a leader and its in-sync replicas, not produced into the void."""
    topics = lock_topics(stack, cluster_name)
    holder = acquire(topics, "sha256:x", ttl_s=60, cluster_file="c.yaml")
    try:
        assert internal_topics.leader_ready(topics.admin, topics.topic(holder.generation), 2, timeout=10)
        view = current_view(topics)
        assert view.status == HELD and view.holder.lock_id == holder.lock_id
    finally:
        holder.release()


KILLED_HOLDER = """
import sys, time
from kgitops.live.connect import LIBRDKAFKA_LOGGER
from kgitops.bookkeeping.lock import LockTopics, acquire, ttl_from_env
topics = LockTopics({"bootstrap.servers": sys.argv[1], "logger": LIBRDKAFKA_LOGGER}, sys.argv[2])
lock = acquire(topics, "sha256:killed", ttl_s=ttl_from_env(), cluster_file="c.yaml")
print(lock.lock_id, flush=True)
time.sleep(120)
"""


def test_a_lock_left_by_a_killed_process_expires_after_its_ttl(stack, cluster_name):
    """The one real expiry: a holder killed with SIGKILL stops heartbeating, and its lock is
    free once the brokers' clock has gone a TTL past its last heartbeat. (When exactly a lock
    expires is lock_view's decision, tested with an injected clock in the unit tests.)"""
    ttl = 5.0
    env = {**os.environ, "KGITOPS_LOCK_TTL": str(ttl)}
    child = subprocess.Popen([sys.executable, "-c", KILLED_HOLDER, stack.bootstrap_servers, cluster_name],
                             stdout=subprocess.PIPE, env=env, text=True)
    try:
        ready, _, _ = select.select([child.stdout], [], [], 60)
        assert ready, "the child did not take the lock in time"
        lock_id = child.stdout.readline().strip()

        def heartbeat_seen() -> bool:
            view = current_view(lock_topics(stack, cluster_name))
            return view.status == HELD and view.last_alive_ms > view.holder.timestamp_ms

        wait_until(heartbeat_seen, timeout=30)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)

    topics = lock_topics(stack, cluster_name)
    with pytest.raises(LockHeld) as refused:
        acquire(topics, "sha256:next", ttl_s=60, cluster_file="c.yaml")
    assert lock_id in refused.value.message and f"pid {child.pid}" in refused.value.message
    last_alive_ms = refused.value.view.last_alive_ms

    views = []

    def expired() -> bool:
        views.append(current_view(topics))
        return views[-1].status == EXPIRED

    wait_until(expired, timeout=ttl + 20)
    assert all(v.last_alive_ms == last_alive_ms for v in views), "no heartbeat after the kill"
    assert all(v.now_ms - last_alive_ms <= ttl * 1000 for v in views[:-1])
    assert views[-1].now_ms - last_alive_ms > ttl * 1000
    successor = acquire(topics, "sha256:next", ttl_s=60, cluster_file="c.yaml")
    assert successor.generation == views[-1].generation + 1
    successor.release()


def test_force_unlock_releases_only_the_current_holder(stack, cluster_name, cluster_id, tmp_path, capsys):
    cluster = cluster_file(tmp_path, stack, cluster_name, [])
    holder = acquire(lock_topics(stack, cluster_id), "sha256:stuck", ttl_s=60, cluster_file=str(cluster))
    try:
        wrong = run_cli(capsys, "force-unlock", "-c", str(cluster), "0123456789ab")
        assert wrong.code == 1, wrong.text
        assert "0123456789ab does not hold" in wrong.err and f"current lock is {holder.lock_id} (held" in wrong.err
        assert current_view(lock_topics(stack, cluster_id)).status == HELD

        right = run_cli(capsys, "force-unlock", "-c", str(cluster), holder.lock_id)
        assert right.code == 0, right.text
        assert f"Released lock {holder.lock_id}" in right.out and "still running" in right.out

        successor = acquire(lock_topics(stack, cluster_id), "sha256:next", ttl_s=60, cluster_file=str(cluster))
        successor.release()
    finally:
        holder.release()  # writes to its own, older generation: harmless
    again = run_cli(capsys, "force-unlock", "-c", str(cluster), holder.lock_id)
    assert again.code == 1 and "does not hold" in again.err


def test_history_shows_each_apply_newest_first_with_outcomes_and_no_secrets(stack, cluster_name, cluster_id,
                                                                           fresh_audit_trail, unique_name,
                                                                           tmp_path, capsys, monkeypatch):
    secret = "s3cret-for-audit-test"
    monkeypatch.setenv("KGITOPS_TEST_SASL_PASSWORD", secret)
    # librdkafka ignores SASL settings on a PLAINTEXT connection, which is all this stack has.
    properties = {"sasl.username": "auditor", "sasl.password": "${KGITOPS_TEST_SASL_PASSWORD}"}
    good, good2 = f"{unique_name}-good", f"{unique_name}-good2"
    clashing, blocker = f"{unique_name}.clash", f"{unique_name}_clash"
    first_kafka = {"bootstrap_servers": stack.bootstrap_servers, "properties": properties}
    first = write_cluster(tmp_path / "c.yaml", stack, [{"name": good, "partitions": 1}], name=cluster_name,
                          kafka=first_kafka)
    assert run_cli(capsys, "apply", "-c", str(first), "--auto-approve").code == 0

    create_outside(stack, blocker, config={"min.insync.replicas": "2"})  # makes the next create fail
    second = write_cluster(tmp_path / "c2.yaml", stack, [{"name": good, "partitions": 1},
                                                          {"name": good2, "partitions": 1},
                                                          {"name": clashing, "partitions": 1}],
                           name=cluster_name, kafka=first_kafka)
    assert run_cli(capsys, "apply", "-c", str(second), "--auto-approve").code == 1

    text = run_cli(capsys, "history", "-c", str(second))
    assert text.code == 0, text.text
    assert f"from topic {fresh_audit_trail}" in text.out
    partial_at, succeeded_at = text.out.index("partial"), text.out.index("succeeded")
    assert partial_at < succeeded_at, "newest first"
    assert f"[FAIL] create topic {clashing}" in text.out and f"[ok  ] create topic {good}" in text.out

    shown = run_cli(capsys, "history", "-c", str(second), "--format", "json")
    data = json.loads(shown.out)
    assert data["source"] == "topic" and data["format_version"] == 1
    records = data["records"]
    assert [r["result"] for r in records] == ["partial", "succeeded"]
    assert [(a["resource"], a["status"]) for a in records[1]["actions"]] == [(good, "done")]
    assert sorted((a["resource"], a["status"]) for a in records[0]["actions"]) == sorted([(clashing, "failed"),
                                                                                         (good2, "done")])
    assert "collides" in next(a["error"] for a in records[0]["actions"] if a["status"] == "failed")
    assert all(r["user"] == whoami().user and r["cluster"] == cluster_name and r["cluster_id"] for r in records)
    assert records[0]["lock_id"] != records[1]["lock_id"]
    assert json.loads(run_cli(capsys, "history", "-c", str(second), "--format", "json", "--limit", "1").out)[
        "records"] == records[:1]

    local = [json.loads(line) for line in (tmp_path / ".kgitops" / "audit.jsonl").read_text().splitlines()]
    assert local == list(reversed(records)), "the local file holds the same records, oldest first"
    for blob in (shown.out, (tmp_path / ".kgitops" / "audit.jsonl").read_text()):
        assert secret not in blob and "properties" not in blob and "sasl" not in blob

    # No changes: no lock taken, nothing recorded.
    generations_before = lock_topics(stack, cluster_id).listing()[0]
    delete_outside(stack, blocker)
    assert run_cli(capsys, "apply", "-c", str(first), "--auto-approve").out.startswith("No changes")
    assert lock_topics(stack, cluster_id).listing()[0] == generations_before
    assert len(json.loads(run_cli(capsys, "history", "-c", str(first), "--format", "json").out)["records"]) == 2


def test_history_falls_back_to_the_local_file_when_the_cluster_has_no_audit_topic(stack, cluster_name,
                                                                                 fresh_audit_trail, tmp_path,
                                                                                 capsys, monkeypatch):
    cluster = cluster_file(tmp_path, stack, cluster_name, [])
    empty = run_cli(capsys, "history", "-c", str(cluster))
    assert empty.code == 0 and f"No applies recorded for cluster {cluster_name}" in empty.out
    assert f"has no audit topic {fresh_audit_trail}" in empty.err

    audit_file = tmp_path / "elsewhere" / "trail.jsonl"
    monkeypatch.setenv("KGITOPS_AUDIT_FILE", str(audit_file))
    audit_file.parent.mkdir()
    audit_file.write_text(json.dumps({"cluster": cluster_name, "time": "2026-01-02T03:04:05Z", "result": "succeeded",
                                      "user": "alice", "host": "ci-3", "counts": {"done": 1},
                                      "actions": [{"kind": "create_topic", "resource": "x", "status": "done"}]}) + "\n")
    shown = run_cli(capsys, "history", "-c", str(cluster))
    assert shown.code == 0, shown.text
    assert str(audit_file) in shown.err and "only the applies run from here" in shown.err
    assert "2026-01-02T03:04:05Z  succeeded    alice@ci-3" in shown.out and "[ok  ] create topic x" in shown.out


def test_history_still_shows_the_trail_written_under_the_cluster_files_name(stack, cluster_name, cluster_id,
                                                                           fresh_audit_trail, unique_name, tmp_path,
                                                                           capsys):
    """Earlier versions named the audit topic by the cluster file's `name`: history reads
    that one too, merged with the id-named trail, newest first."""
    legacy = f"__kgitops_audit.{cluster_name}"
    create_outside(stack, legacy, partitions=1, config={"min.insync.replicas": "2"})
    old = {"cluster": cluster_name, "time": "2020-01-02T03:04:05Z", "result": "succeeded", "user": "old",
           "host": "ci-1", "counts": {"done": 1}, "actions": [{"kind": "create_topic", "resource": "y",
                                                                "status": "done"}]}
    producer = internal_topics.durable_producer(client_config(stack), 15)
    internal_topics.append(producer, legacy, json.dumps(old).encode(), None, 15)
    cluster = cluster_file(tmp_path, stack, cluster_name, [{"name": unique_name, "partitions": 1}])
    assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0

    shown = json.loads(run_cli(capsys, "history", "-c", str(cluster), "--format", "json").out)
    assert shown["location"] == f"{fresh_audit_trail} and {legacy}"
    assert [(r["user"], r["result"]) for r in shown["records"]] == [(whoami().user, "succeeded"), ("old", "succeeded")]
    assert shown["records"][0]["cluster_id"] == cluster_id

"""The pure parts of the apply lock and the audit trail: record encoding, the expiry
decision, the refusal message, audit records and secret masking."""
from __future__ import annotations

import json
import re

import pytest

from kgitops.kinds.base import Outcome
from kgitops.bookkeeping.audit import (FAILED, INTERRUPTED, PARTIAL, SUCCEEDED, apply_record, audit_topic, encode,
                                       legacy_audit_topic, newest_first, overall_result, read_file)
from kgitops.bookkeeping.lock import (ABANDONED, ACQUIRED, ACQUIRING, EXPIRED, HEARTBEAT, HELD, PROBE, RELEASED,
                                      RELEASED_STATUS, HeldLock, Identity, LockRecord, decode_record, encode_record,
                                      heartbeat_interval, held_message, lock_key, lock_view)
from kgitops.plan import Plan
from kgitops.kinds.topic.actions import CreateTopic, DeleteTopic

T0 = 1_700_000_000_000  # broker time, ms


def rec(event: str, lock_id: str = "aaa", at_s: float = 0.0, ttl_s: float = 60.0, **fields) -> LockRecord:
    return LockRecord(event, lock_id, user="alice", host="ci-3", pid=42, ttl_s=ttl_s if event == ACQUIRED else 0.0,
                      timestamp_ms=int(T0 + at_s * 1000), **fields)


def test_record_round_trip_keeps_every_field_and_takes_the_broker_time():
    original = LockRecord(ACQUIRED, "3f9a1c2b7d4e", user="alice", host="ci-3", pid=42, plan_digest="sha256:ab",
                          ttl_s=60.0, timestamp_ms=111)
    value = encode_record(original)
    data = json.loads(value)
    assert data["v"] == 1 and data["event"] == "acquired" and "timestamp_ms" not in data and "time" in data
    assert decode_record(value, timestamp_ms=T0) == LockRecord(ACQUIRED, "3f9a1c2b7d4e", user="alice", host="ci-3",
                                                                pid=42, plan_digest="sha256:ab", ttl_s=60.0,
                                                                timestamp_ms=T0)


@pytest.mark.parametrize("value", [b"", b"not json", b"[1]", b'{"event": "acquired"}', b'{"event": "stolen", "lock_id": "x"}',
                                   b'{"event": "heartbeat", "lock_id": "x", "pid": "many"}'])
def test_anything_that_is_not_a_lock_record_is_ignored(value):
    assert decode_record(value, T0) is None


def test_a_later_version_with_more_fields_is_still_read():
    value = json.dumps({"v": 2, "event": "heartbeat", "lock_id": "x", "new_field": [1]}).encode()
    assert decode_record(value, T0) == LockRecord(HEARTBEAT, "x", timestamp_ms=T0)


@pytest.mark.parametrize("records,now_s,status", [
    ([], 0, ACQUIRING),  # created a moment ago; the creator writes `acquired` next
    ([rec(PROBE, "b")], 10, ACQUIRING),
    ([rec(PROBE, "b")], 31, ABANDONED),  # its creator died between creating and writing
    ([rec(ACQUIRED)], 59, HELD),
    ([rec(ACQUIRED)], 60, HELD),  # exactly at the TTL: not yet
    ([rec(ACQUIRED)], 60.001, EXPIRED),
    ([rec(ACQUIRED), rec(HEARTBEAT, at_s=50)], 100, HELD),  # heartbeats renew
    ([rec(ACQUIRED), rec(HEARTBEAT, at_s=50)], 111, EXPIRED),
    ([rec(ACQUIRED, ttl_s=5)], 6, EXPIRED),  # the holder's own TTL decides
    ([rec(ACQUIRED), rec(RELEASED, at_s=1)], 2, RELEASED_STATUS),
    ([rec(PROBE, "b"), rec(ACQUIRED, at_s=40)], 41, HELD),  # an early probe does not make it abandoned
    ([rec(ACQUIRED), rec(HEARTBEAT, "other", at_s=50)], 100, EXPIRED),  # another id cannot renew it
    ([rec(ACQUIRED), rec(RELEASED, "other", at_s=1)], 2, HELD),  # ... nor release it
    ([rec(ACQUIRED), rec(ACQUIRED, "late", at_s=1)], 2, HELD),  # only the first `acquired` counts
])
def test_lock_view_decides_on_the_broker_clock(records, now_s, status):
    view = lock_view(7, records, now_ms=int(T0 + now_s * 1000))
    assert view.status == status
    assert view.is_free is (status in (EXPIRED, RELEASED_STATUS, ABANDONED))
    assert view.generation == 7


def test_the_holder_is_the_first_acquired_record():
    view = lock_view(1, [rec(PROBE, "p"), rec(ACQUIRED, "aaa", at_s=1), rec(HEARTBEAT, "aaa", at_s=11)],
                     now_ms=T0 + 15_000)
    assert view.holder.lock_id == "aaa" and view.last_alive_ms == T0 + 11_000
    assert view.seconds_since_alive == 4 and view.seconds_to_expiry == 56


def test_a_forced_release_says_who_forced_it():
    view = lock_view(1, [rec(ACQUIRED), rec(RELEASED, at_s=5, released_by="bob@laptop")], now_ms=T0 + 6000)
    assert view.status == RELEASED_STATUS and view.released_by == "bob@laptop"


def test_refusal_names_holder_pid_since_lock_id_and_the_way_out():
    view = lock_view(3, [rec(ACQUIRED, "3f9a1c2b7d4e", plan_digest="sha256:ab"), rec(HEARTBEAT, "3f9a1c2b7d4e",
                                                                                      at_s=10)],
                     now_ms=T0 + 14_000)
    message = held_message("prod", view, "clusters/prod.yaml")
    for fragment in ("cluster prod is locked", "alice@ci-3", "pid 42", "since 2023-11-14T22:13:20Z",
                     "lock id 3f9a1c2b7d4e", "plan sha256:ab", "last heartbeat 4 s ago", "in 56 s",
                     "kgitops force-unlock -c clusters/prod.yaml 3f9a1c2b7d4e", "Nothing was changed"):
        assert fragment in message


def test_refusal_while_the_winner_has_not_written_its_record_yet():
    message = held_message("prod", lock_view(4, [], now_ms=T0), "c.yaml")
    assert "taking the apply lock of cluster prod right now" in message and "generation 4" in message


@pytest.mark.parametrize("ttl,interval", [(60, 10), (600, 10), (5, 5 / 6), (30, 5)])
def test_heartbeat_renews_several_times_per_ttl(ttl, interval):
    assert heartbeat_interval(ttl) == pytest.approx(interval)


# ---------------------------------------------------------------------------
# Audit records
# ---------------------------------------------------------------------------

PLAN = Plan("prod", "cid", actions=(CreateTopic(topic="a"), CreateTopic(topic="b"), DeleteTopic(topic="c")),
            live_fingerprint="sha256:l", desired_fingerprint="sha256:d")


def outcomes(*statuses: str) -> list[Outcome]:
    return [Outcome(a, ok=s == "done", error=None if s == "done" else f"{s} because", skipped=s == "skipped")
            for a, s in zip(PLAN.actions, statuses)]


@pytest.mark.parametrize("statuses,interrupted,result", [
    (("done", "done", "done"), False, SUCCEEDED),
    (("done", "failed", "skipped"), False, PARTIAL),
    (("failed", "failed", "skipped"), False, FAILED),
    (("done", "done"), False, PARTIAL),  # an outcome missing is not a success
    (("done",), True, INTERRUPTED),
])
def test_overall_result(statuses, interrupted, result):
    assert overall_result(outcomes(*statuses), planned=3, interrupted=interrupted) == result


def test_apply_record_has_who_where_what_and_each_outcome_but_no_connection_settings():
    record = apply_record(plan=PLAN, cluster_id="cid", outcomes=outcomes("done", "failed", "skipped"),
                          who=Identity("alice", "ci-3", 42), lock_id="3f9a", started=0.0, finished=1.5)
    assert record["time"] == "1970-01-01T00:00:01Z" and record["duration_s"] == 1.5
    assert (record["user"], record["host"], record["cluster"], record["cluster_id"]) == ("alice", "ci-3", "prod", "cid")
    assert record["plan_digest"].startswith("sha256:") and record["lock_id"] == "3f9a"
    assert record["result"] == PARTIAL
    assert record["counts"] == {"planned": 3, "done": 1, "failed": 1, "skipped": 1}
    assert [(a["resource"], a["status"], a.get("error")) for a in record["actions"]] == [
        ("a", "done", None), ("b", "failed", "failed because"), ("c", "skipped", "skipped because")]
    text = json.dumps(record)
    assert "properties" not in text and "bootstrap" not in text


def test_secrets_are_masked_wherever_they_appear():
    record = {"actions": [{"error": 'SASL authentication failed for password "hunter22", "quoted\\secret"'}]}
    line = encode(record, secrets=["hunter22", 'quoted\\secret', "ab"])
    assert "hunter22" not in line and "quoted" not in line and "***" in line
    assert json.loads(line)["actions"][0]["error"] == 'SASL authentication failed for password "***", "***"'


def test_local_file_keeps_the_records_of_one_cluster_newest_first_and_skips_torn_lines(tmp_path):
    path = tmp_path / "audit.jsonl"
    lines = [json.dumps({"cluster": "prod", "n": 1}), json.dumps({"cluster": "dev", "n": 2}),
             json.dumps({"cluster": "prod", "n": 3}), '{"cluster": "prod", "n": 4']  # the last one torn by a crash
    path.write_text("\n".join(lines) + "\n")
    assert [r["n"] for r in read_file(path, "prod", limit=10)] == [3, 1]
    assert [r["n"] for r in read_file(path, "prod", limit=1)] == [3]
    assert read_file(tmp_path / "absent.jsonl", "prod", limit=5) == []


# ---------------------------------------------------------------------------
# Expiry over time, with an injected clock
# ---------------------------------------------------------------------------


def test_a_holder_that_stops_heartbeating_expires_exactly_a_ttl_after_its_last_beat():
    """Walk the broker's clock in 100 ms steps: the holder beats every interval until it is
    killed at 25 s; the lock is held up to and at last beat + TTL, expired right after."""
    ttl = 60.0
    interval = heartbeat_interval(ttl)
    beats = [rec(ACQUIRED, ttl_s=ttl)] + [rec(HEARTBEAT, at_s=interval * n) for n in range(1, 4)]  # 10, 20 s
    killed_at_s, last_beat_s = 25.0, 20.0
    for step in range(0, 1000):
        now_s = step / 10
        seen = [b for b in beats if (b.timestamp_ms - T0) / 1000 <= min(now_s, killed_at_s)]
        view = lock_view(1, seen, now_ms=T0 + step * 100)
        expected = HELD if now_s <= last_beat_s + ttl else EXPIRED
        assert view.status == expected, now_s
        if expected == HELD:
            assert view.seconds_to_expiry == pytest.approx(max(0.0, min(now_s, killed_at_s) // interval * interval
                                                                + ttl - now_s), abs=1e-6)


def test_a_generation_without_a_holder_is_abandoned_only_after_the_grace():
    first_probe = rec(PROBE, "observer")
    for step in range(0, 400):
        now_ms = T0 + step * 100
        view = lock_view(5, [first_probe], now_ms=now_ms, acquiring_grace_s=30.0)
        assert view.status == (ABANDONED if step > 300 else ACQUIRING), step


def test_a_holder_knows_it_lost_its_lock_once_no_heartbeat_was_acknowledged_for_a_ttl():
    now = [1000.0]
    held = HeldLock(None, 1, rec(ACQUIRED, ttl_s=5.0), acknowledged_at=1000.0, clock=lambda: now[0])
    for offset, lost in ((0.0, False), (4.9, False), (5.0, False), (5.01, True), (60.0, True)):
        now[0] = 1000.0 + offset
        assert held.lost is lost, offset
    held._acknowledged_at = now[0] - 1  # a heartbeat sent before the expiry, acknowledged after it
    assert held.lost, "once lost, always lost"


# ---------------------------------------------------------------------------
# What names the lock and audit topics
# ---------------------------------------------------------------------------


def test_the_lock_is_keyed_by_the_cluster_id_not_the_files_name():
    assert lock_key("MkU3OEVBNTcwNTJENDM2Qk", "prod") == lock_key("MkU3OEVBNTcwNTJENDM2Qk", "production")
    assert lock_key("MkU3OEVBNTcwNTJENDM2Qk", "prod") == "MkU3OEVBNTcwNTJENDM2Qk"
    assert lock_key(None, "prod") == "prod"  # a cluster that reports no id


@pytest.mark.parametrize("cluster_id,name", [(None, "n" * 300), ("id with spaces/and:colons", "prod"),
                                             ("x" * 300, "prod")])
def test_lock_and_audit_topic_names_stay_legal_and_within_249_characters(cluster_id, name):
    key = lock_key(cluster_id, name)
    for topic in (f"__kgitops_lock.{key}.{10**12}", audit_topic(key)):
        assert len(topic) <= 249 and re.fullmatch(r"[A-Za-z0-9._-]+", topic), topic
    assert lock_key(cluster_id, name) == key, "stable"
    assert lock_key(cluster_id + "-other" if cluster_id else None, name + "-other") != key


def test_a_trail_split_over_the_id_named_and_the_legacy_topic_reads_as_one():
    new = [{"time": "2026-05-02T00:00:00Z", "n": 3}, {"time": "2026-05-01T00:00:00Z", "n": 2}]
    old = [{"time": "2026-04-01T00:00:00Z", "n": 1}, {"time": "2026-03-01T00:00:00Z", "n": 0}]
    assert [r["n"] for r in newest_first(new, old, limit=10)] == [3, 2, 1, 0]
    assert [r["n"] for r in newest_first(new, old, limit=3)] == [3, 2, 1]
    assert legacy_audit_topic("n" * 300) is None and legacy_audit_topic("prod") == "__kgitops_audit.prod"


def test_the_local_file_keeps_the_records_of_the_cluster_id_whatever_its_files_name(tmp_path):
    path = tmp_path / "audit.jsonl"
    lines = [{"cluster": "prod", "cluster_id": "A", "n": 1}, {"cluster": "production", "cluster_id": "A", "n": 2},
             {"cluster": "prod", "cluster_id": "B", "n": 3}, {"cluster": "prod", "n": 4}]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert [r["n"] for r in read_file(path, "prod", limit=10, cluster_id="A")] == [4, 2, 1]

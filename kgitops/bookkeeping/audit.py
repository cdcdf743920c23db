"""The audit trail: every apply that changed something (or tried to) leaves one record, in
the cluster (topic `__kgitops_audit.<cluster id>`, one partition, kept 365 days) and in a
local JSON-lines file (`.kgitops/audit.jsonl` beside the cluster file, or
KGITOPS_AUDIT_FILE).

The topic is the shared trail every CI runner and laptop writes to, whichever cluster file
they use (it is named by the cluster id, as the lock is); the file is this machine's copy, which still exists when the cluster is gone or unreachable. A record holds
what happened, never how to connect: no connection properties, and any secret the
connection uses is masked should an error message quote it.
"""
from __future__ import annotations

import json
import os
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from confluent_kafka.admin import AdminClient

from kgitops import __version__
from kgitops.kinds.base import Outcome
from kgitops.desired.interpolate import resolve
from kgitops.errors import KgitopsError
from kgitops.bookkeeping import internal_topics
from kgitops.live.connect import kafka_timeout
from kgitops.bookkeeping.lock import HeldLock, Identity, lock_key, whoami
from kgitops.model import ClusterSpec
from kgitops.plan import Plan, fingerprint, plan_to_dict

if TYPE_CHECKING:
    from kgitops.planner import PlanRun

AUDIT_TOPIC_PREFIX = "__kgitops_audit."
AUDIT_FORMAT_VERSION = 1
AUDIT_RETENTION_MS = 365 * 24 * 3600 * 1000
# An apply of thousands of actions makes a record of hundreds of KB; compressed it stays
# far below this, which the topic and the producer both allow.
AUDIT_MAX_RECORD_BYTES = 8 * 1024 * 1024
AUDIT_FILE_ENV = "KGITOPS_AUDIT_FILE"
MAX_TOPIC_NAME = 249

SUCCEEDED, PARTIAL, FAILED, INTERRUPTED = "succeeded", "partial", "failed", "interrupted"

# Client properties whose values are credentials (librdkafka names).
SECRET_PROPERTY = re.compile(r"password|secret|token|jaas|\.pem$", re.IGNORECASE)
MASK = "***"

Report = Callable[[Outcome], None]
Notify = Callable[[str], None]


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def audit_topic(key: str) -> str:
    """`key` is the cluster's lock_key (its id)."""
    return f"{AUDIT_TOPIC_PREFIX}{key}"


def legacy_audit_topic(cluster_name: str) -> str | None:
    """Where kgitops 0.x wrote the trail: named by the cluster file's `name`. Still read by
    history; None when no such topic could exist (the name is too long for a topic)."""
    topic = f"{AUDIT_TOPIC_PREFIX}{cluster_name}"
    return topic if len(topic) <= MAX_TOPIC_NAME else None


def audit_file(cluster_file: str) -> Path:
    """Beside the cluster file, so every checkout of the repository keeps its own, whatever
    directory kgitops runs from (`.kgitops/` is git-ignored)."""
    override = os.environ.get(AUDIT_FILE_ENV)
    if override:
        return Path(override)
    return Path(cluster_file).resolve().parent / ".kgitops" / "audit.jsonl"


def plan_digest(plan: Plan) -> str:
    """A digest of the plan as `plan --format json` shows it: which plan was applied."""
    return fingerprint(plan_to_dict(plan))


# ---------------------------------------------------------------------------
# The record (pure)
# ---------------------------------------------------------------------------


def overall_result(outcomes: list[Outcome], planned: int, interrupted: bool) -> str:
    if interrupted:
        return INTERRUPTED
    done = sum(1 for o in outcomes if o.ok)
    if done == planned and len(outcomes) == planned:
        return SUCCEEDED
    return PARTIAL if done else FAILED


def apply_record(*, plan: Plan, cluster_id: str | None, outcomes: list[Outcome], who: Identity, lock_id: str,
                 interrupted: bool = False, lock_lost: bool = False, started: float, finished: float) -> dict:
    """The audit record of one apply. `started`/`finished` are epoch seconds."""
    done = sum(1 for o in outcomes if o.ok)
    skipped = sum(1 for o in outcomes if o.skipped)
    return {
        "format_version": AUDIT_FORMAT_VERSION,
        "time": _iso(finished),
        "started": _iso(started),
        "duration_s": round(finished - started, 3),
        "user": who.user,
        "host": who.host,
        "pid": who.pid,
        "cluster": plan.cluster,
        "cluster_id": cluster_id,
        "plan_digest": plan_digest(plan),
        "lock_id": lock_id,
        "lock_lost": lock_lost,
        "kgitops_version": __version__,
        "result": overall_result(outcomes, len(plan.actions), interrupted),
        "counts": {"planned": len(plan.actions), "done": done, "failed": len(outcomes) - done - skipped,
                   "skipped": skipped},
        "actions": [{"kind": o.action.kind, "resource_type": o.action.resource_type, "resource": o.action.resource,
                     "status": o.status, **({"error": o.error} if o.error else {})} for o in outcomes],
    }


def _iso(epoch_s: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch_s))


def encode(record: dict, secrets: Iterable[str] = ()) -> str:
    """One JSON line, with every secret the connection uses masked."""
    text = json.dumps(record, ensure_ascii=False)
    for secret in sorted(set(secrets), key=len, reverse=True):
        if len(secret) >= 4:  # masking "a" or "" would mangle the record, and such values guard nothing
            text = text.replace(json.dumps(secret, ensure_ascii=False)[1:-1], MASK)
    return text


def connection_secrets(cluster: ClusterSpec, client_config: dict) -> list[str]:
    """The resolved values of credential settings: Kafka properties and registry auth."""
    secrets = [str(v) for k, v in client_config.items() if isinstance(v, str) and SECRET_PROPERTY.search(k)]
    registry = cluster.schema_registry
    if registry is not None:
        for setting, value in (("basic_password", registry.basic_password), ("bearer_token", registry.bearer_token)):
            if value:
                try:
                    secrets.append(resolve(value, setting=f"schema_registry.{setting}", source=cluster.source_file))
                except KgitopsError:
                    pass  # unset: nothing to mask
    return secrets


# ---------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------


def append_to_file(path: Path, line: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # One write of a whole line with O_APPEND: concurrent writers do not interleave lines.
    with open(path, "a", encoding="utf-8") as f:
        f.write(line + "\n")


def append_to_topic(client_config: dict, key: str, line: str, brokers: int,
                    timeout: float | None = None) -> None:
    timeout = kafka_timeout() if timeout is None else timeout
    topic = audit_topic(key)
    spec = internal_topics.durable_topic(topic, brokers, {
        "retention.ms": str(AUDIT_RETENTION_MS),
        "max.message.bytes": str(AUDIT_MAX_RECORD_BYTES),
    })
    producer = internal_topics.durable_producer(client_config, timeout, **{
        "compression.type": "zstd", "message.max.bytes": AUDIT_MAX_RECORD_BYTES + 1024 * 1024})
    if internal_topics.create_topic(AdminClient(client_config), spec, timeout):
        # Created just now: on a busy cluster its leader takes a moment (append then waits anyway).
        internal_topics.wait_for_leader(producer, topic, int(spec.config["min.insync.replicas"]),
                                        time.monotonic() + timeout)
    internal_topics.append(producer, topic, line.encode(), key.encode(), timeout)


def record_apply(record: dict, *, run: "PlanRun", cluster_file: str, notify: Notify = _to_stderr) -> None:
    """Write the record to the cluster and to the local file. A failure to write is a warning:
    the changes are made, and failing the apply would make CI re-run it for nothing."""
    line = encode(record, connection_secrets(run.cluster, run.client_config))
    key = lock_key(run.live.cluster_id, run.cluster.name)
    try:
        append_to_topic(run.client_config, key, line, len(run.live.brokers))
    except Exception as err:  # whatever it is, the apply itself is over and the local copy still gets written
        reason = err.message if isinstance(err, KgitopsError) else f"{type(err).__name__}: {err}"
        notify(f"Warning: the audit record of this apply could not be written to topic {audit_topic(key)}: {reason}")
    path = audit_file(cluster_file)
    try:
        append_to_file(path, line)
    except OSError as err:
        notify(f"Warning: the audit record of this apply could not be written to {path}: {err}")


@contextmanager
def audited_apply(run: "PlanRun", plan: Plan, lock: HeldLock, *, cluster_file: str,
                  report: Report) -> Iterator[Report]:
    """Yield a report callback that passes each outcome on to `report` and collects it; the
    apply is recorded when the block ends, also when it ends with an exception."""
    outcomes: list[Outcome] = []

    def collecting(outcome: Outcome) -> None:
        outcomes.append(outcome)
        report(outcome)

    started = time.time()
    interrupted = True
    try:
        yield collecting
        interrupted = False
    finally:
        record = apply_record(plan=plan, cluster_id=run.live.cluster_id, outcomes=outcomes, who=whoami(),
                              lock_id=lock.lock_id, interrupted=interrupted, lock_lost=lock.lost, started=started,
                              finished=time.time())
        record_apply(record, run=run, cluster_file=cluster_file)


# ---------------------------------------------------------------------------
# Reading (kgitops history)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class History:
    cluster: str
    records: list[dict]  # newest first
    source: str  # "topic" | "file"
    location: str  # the topic name or the file path


def read_topic(client_config: dict, topic: str, limit: int, timeout: float | None = None) -> list[dict] | None:
    """The newest `limit` records of an audit topic, newest first; None when the topic does
    not exist."""
    timeout = kafka_timeout() if timeout is None else timeout
    if not internal_topics.topic_exists(AdminClient(client_config), topic, timeout):
        return None
    stored = internal_topics.read_tail(client_config, topic, limit, timeout)
    return [r for r in (_decode(s.value) for s in reversed(stored)) if r is not None]


def newest_first(*trails: list[dict], limit: int) -> list[dict]:
    """Several trails of one cluster (the id-named topic and a legacy name-named one) as one,
    newest first by each record's `time`; a stable sort keeps each trail's own order."""
    merged = [r for trail in trails for r in trail]
    merged.sort(key=lambda r: str(r.get("time", "")), reverse=True)
    return merged[:limit]


def read_file(path: Path, cluster_name: str, limit: int, cluster_id: str | None = None) -> list[dict]:
    """The newest `limit` records of one cluster in a local audit file, newest first (the
    file may hold the records of several clusters whose files share a directory): those of
    `cluster_id` when known, else those of `cluster_name`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    records = [r for r in map(_decode, lines) if r is not None and _of_cluster(r, cluster_name, cluster_id)]
    return list(reversed(records))[:limit]


def _of_cluster(record: dict, cluster_name: str, cluster_id: str | None) -> bool:
    if cluster_id and record.get("cluster_id"):
        return record["cluster_id"] == cluster_id
    return record.get("cluster") == cluster_name


def _decode(line: bytes | str) -> dict | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None  # a torn line (a crash mid-write) must not hide the others
    return record if isinstance(record, dict) else None

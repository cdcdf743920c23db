"""`kgitops history -c CLUSTER.yaml [--limit N] [--format text|json]`: the newest applies,
newest first, from the cluster's audit topic; from this machine's audit file when the
topic does not exist (a note on stderr says so).

`--format json` prints one object:

    {"format_version": 1, "cluster": name, "source": "topic" | "file", "location": topic or path,
     "records": [audit record, ...]}   # newest first; fields as kgitops.bookkeeping.audit.apply_record
"""
from __future__ import annotations

import argparse
import json
import sys

from kgitops.render.escape import escape_control
from kgitops.bookkeeping import audit
from kgitops.bookkeeping.lock import lock_key
from kgitops.commands.cluster_access import open_cluster
from kgitops.errors import EXIT_OK, InputError

JSON_VERSION = 1
STATUS_MARKS = {"done": "ok  ", "failed": "FAIL", "skipped": "skip"}


def run(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise InputError(f"--limit must be at least 1, not {args.limit}")
    history = read_history(args.cluster, args.limit)
    if args.format == "json":
        print(json.dumps({"format_version": JSON_VERSION, "cluster": history.cluster, "source": history.source,
                          "location": history.location, "records": history.records}, indent=2))
    else:
        print(render_text(history))
    return EXIT_OK


def read_history(cluster_file: str, limit: int) -> audit.History:
    access = open_cluster(cluster_file)
    name = access.cluster.name
    topic = audit.audit_topic(lock_key(access.cluster_id, name))
    records = audit.read_topic(access.client_config, topic, limit)
    # Applies of kgitops versions that named the trail by the cluster file's name.
    legacy = audit.legacy_audit_topic(name)
    old = audit.read_topic(access.client_config, legacy, limit) if legacy and legacy != topic else None
    if records is not None or old is not None:
        location = topic if old is None else (legacy if records is None else f"{topic} and {legacy}")
        return audit.History(name, audit.newest_first(records or [], old or [], limit=limit), "topic", location)
    path = audit.audit_file(cluster_file)
    print(f"Note: cluster {name} has no audit topic {topic}; showing this machine's audit file "
          f"{path} instead (only the applies run from here).", file=sys.stderr)
    return audit.History(name, audit.read_file(path, name, limit, access.cluster_id), "file", str(path))


def render_text(history: audit.History) -> str:
    where = f"topic {history.location}" if history.source == "topic" else f"file {history.location}"
    if not history.records:
        return escape_control(f"No applies recorded for cluster {history.cluster} (in {where}).")
    lines = [f"Applies to cluster {history.cluster}, newest first (from {where}):"]
    for record in history.records:
        lines += ["", *render_record(record)]
    return "\n".join(escape_control(line) for line in lines)  # records come from a shared topic


def render_record(record: dict) -> list[str]:
    counts = record.get("counts", {})
    head = (f"{record.get('time', '?')}  {record.get('result', '?'):<11}  {record.get('user', '?')}@"
            f"{record.get('host', '?')}  {counts.get('done', 0)} done, {counts.get('failed', 0)} failed, "
            f"{counts.get('skipped', 0)} skipped  plan {record.get('plan_digest', '?')[:19]}  "
            f"lock {record.get('lock_id', '?')}")
    lines = [head]
    if record.get("lock_lost"):
        lines.append("    ! the lock could not be renewed during this apply")
    for action in record.get("actions", []):
        mark = STATUS_MARKS.get(action.get("status"), "?   ")
        line = f"    [{mark}] {str(action.get('kind', '')).replace('_', ' ')} {action.get('resource', '')}"
        if action.get("error"):
            line += f": {action['error']}"
        lines.append(line)
    return lines

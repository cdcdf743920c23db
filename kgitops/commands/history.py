"""`kgitops history -c CLUSTER.yaml [--limit N] [--format text|json]`: the newest applies,
newest first, from the cluster's audit topic; from this machine's audit file when the
topic does not exist (a note on stderr says so).

`--format json` prints one object:

    {"format_version": 1, "cluster": name, "source": "topic" | "file", "location": topic or path,
     "records": [audit record, ...]}   # newest first; records as kgitops.audit.apply_record
"""
from __future__ import annotations

import argparse
import json
import sys

from kgitops import audit
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


class _ClusterHistory(audit.History):
    cluster: str


def read_history(cluster_file: str, limit: int) -> audit.History:
    access = open_cluster(cluster_file)
    name = access.cluster.name
    records = audit.read_topic(access.client_config, name, limit)
    if records is not None:
        history = audit.History(records, "topic", audit.audit_topic(name))
    else:
        path = audit.audit_file(cluster_file)
        print(f"Note: cluster {name} has no audit topic {audit.audit_topic(name)}; showing this machine's audit "
              f"file {path} instead (only the applies run from here).", file=sys.stderr)
        history = audit.History(audit.read_file(path, name, limit), "file", str(path))
    object.__setattr__(history, "cluster", name)
    return history

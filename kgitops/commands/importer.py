"""`kgitops import -c CLUSTER.yaml --out DIR`: write desired-state files for what already
exists on the cluster (kgitops.importer), so that the next plan shows no changes.

stdout: what was written and what to run next. stderr: progress on large clusters and
one warning line per thing the user should look at. Exit 0 when the files are written
(warnings included), 1 when nothing could be written (bad input, unreachable cluster,
files in the way).
"""
from __future__ import annotations

import argparse
import sys

from kgitops.errors import EXIT_OK
from kgitops.importer import ImportResult, import_cluster
from kgitops.wording import plural


def run(args: argparse.Namespace) -> int:
    result = import_cluster(args.cluster, args.out, progress=_progress)
    for note in result.notes:
        print(f"warning: {note}", file=sys.stderr)
    print(summary(result))
    print(f"(imported in {result.seconds:.2f} s)", file=sys.stderr)
    return EXIT_OK


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def summary(result: ImportResult) -> str:
    unchanged = f", {result.files_unchanged} already up to date" if result.files_unchanged else ""
    lines = [
        f"Imported {plural(result.topics, 'topic')} and {plural(result.schemas, 'schema')} from cluster "
        f"{result.cluster_name} ({result.cluster_id}): {plural(result.files_written, 'file')} written{unchanged}.",
        f"Cluster file: {result.cluster_file} (cluster_id pinned).",
    ]
    if result.notes:
        lines.append(f"{plural(len(result.notes), 'warning')} above: review them before the first apply.")
    lines.append(f"Next: kgitops plan -c {result.cluster_file} --detailed-exitcode   (expect: no changes)")
    return "\n".join(lines)


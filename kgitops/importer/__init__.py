"""`kgitops import`: what already exists on a cluster -> desired-state files that
`kgitops plan` shows as no changes.

    result = import_cluster("clusters/prod.yaml", "imported/", progress=print_to_stderr)

Written into DIR:

    DIR/<name>.yaml          the input cluster file's connection, policy, defaults and
                             owned_prefixes, as written (`${VAR}` placeholders stay
                             placeholders), plus `cluster_id:` (the pin) and
                             `include: [topics/*.yaml]`
    DIR/topics/<prefix>.yaml topics grouped by the part of their name before the first
                             '.', '-' or '_' when several share it; misc.yaml for the rest
    DIR/schemas/<subject>.avsc  the latest Avro schema of each `<topic>-key` /
                             `<topic>-value` subject of an imported topic (pretty JSON),
                             and of subjects claimed by owned_prefixes whose topic does
                             not exist (declared under `subjects:` in misc.yaml: a plan
                             would delete them otherwise)

What makes the next plan clean:
- each topic declares its partitions, replication factor and exactly the configs set on
  it (source DYNAMIC_TOPIC_CONFIG), in human form where that is exact (`7d`, `1GiB`);
  inherited values are not declared, so nothing is pinned that was not pinned before
- a `defaults.config` key of the input survives only when every imported topic sets that
  same value; otherwise the default would change the topics that do not
- topics below the policy get per-topic exceptions with a reason that keeps the debt
  visible; the cluster partition budget is raised to what the cluster already holds
- subject levels are declared only where the subject's own level differs from the
  registry's global level (Apicurio reports an unset level as the global one)

The files are checked before the command returns: they are loaded with the same loader
plan uses, and the topics are diffed against the live state just read, so anything plan
would show (a config kgitops cannot express, RF 1 that no policy exception allows) is
reported by import itself.
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Mapping

from kgitops.desired.loader import display_path, load_cluster
from kgitops.kinds import KINDS
from kgitops.desired.yaml_nodes import read_yaml_file
from kgitops.errors import InputError
from kgitops.importer.build import build_import
from kgitops.importer.found import Progress, _silent, TOPICS_DIR, ImportNote, ImportResult, RegistryFindings
from kgitops.importer.read import read_live_cluster, read_topic_schemas
from kgitops.importer.write import check_imported_files, refuse_conflicts, write_files
from kgitops.model import ClusterSpec






# ---------------------------------------------------------------------------
# Orchestration
# ---------------------------------------------------------------------------


def import_cluster(cluster_file: str, out_dir: str, progress: Progress = _silent) -> ImportResult:
    """Read the cluster (and registry) the cluster file points at, write DIR, check it."""
    started = time.perf_counter()
    cluster = load_cluster(cluster_file, KINDS, connected=True).cluster
    source = _input_document(cluster_file)
    out = Path(out_dir)
    _refuse_unusable_dir(out)

    live, read_notes, version = read_live_cluster(cluster, progress)
    registry = RegistryFindings({})
    if cluster.schema_registry is not None and live.topics:
        registry = read_topic_schemas(cluster, sorted(live.topics), progress)
    built = build_import(source, cluster, live, registry, kafka_line=version.line)
    access_notes = add_access_file(built.files, cluster)

    refuse_conflicts(out, built.files)
    written, unchanged = write_files(out, built.files)
    new_cluster_file = out / built.cluster_file
    check_notes = check_imported_files(new_cluster_file, live)
    return ImportResult(
        cluster_name=cluster.name,
        cluster_id=live.cluster_id,
        cluster_file=display_path(str(new_cluster_file)),
        topics=len(built.topics),
        schemas=sum(len(t.schemas) for t in built.topics) + len(registry.standalone),
        files_written=written,
        files_unchanged=unchanged,
        notes=tuple(read_notes) + registry.notes + built.notes + tuple(access_notes) + tuple(check_notes),
        seconds=time.perf_counter() - started,
    )


ACCESS_FILE = f"{TOPICS_DIR}/_access.yaml"  # matched by the cluster file's include glob


def add_access_file(files: dict[str, str], cluster: ClusterSpec) -> list[ImportNote]:
    """The kinds beyond topics and subjects that can be imported (SCRAM users, ACLs, quotas,
    broker defaults), in one
    file of their sections; nothing when the cluster has none."""
    import yaml

    from kgitops.live.clients import connect

    clients = connect(cluster)
    sections: dict[str, object] = {}
    notes: list[ImportNote] = []
    for kind in KINDS:
        found, kind_notes = kind.import_sections(clients)
        sections.update(found)
        notes += [ImportNote(n) for n in kind_notes]
    if "acls" in sections:
        backed = {f"User:{u['name']}" for u in sections.get("users", ())}  # type: ignore[union-attr]
        external = sorted({e["principal"] for e in sections["acls"]} - backed)  # type: ignore[union-attr]
        if external:
            sections["external_principals"] = external
    if sections:
        files[ACCESS_FILE] = (f"# Access control and cluster settings of cluster {cluster.name}, imported by kgitops: "
                              f"SCRAM users, ACLs per principal, client quotas, cluster-wide broker defaults.\n" + yaml.safe_dump(sections, sort_keys=False, width=120))
    return notes


def _input_document(cluster_file: str) -> Mapping[str, object]:
    """The input cluster file as written (placeholders unresolved). load_cluster has
    already validated it, so this cannot fail in practice."""
    document, problems = read_yaml_file(cluster_file, display_path(cluster_file))
    if document is None or not isinstance(document.data, dict):
        raise InputError("\n".join(str(p) for p in problems) or f"{cluster_file}: not a cluster file", problems)
    return document.data


def _refuse_unusable_dir(out: Path) -> None:
    # Checked before reading the cluster: a typo should not cost a full read.
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")

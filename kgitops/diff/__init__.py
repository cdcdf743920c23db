"""Desired state + live state -> Plan. Pure: no I/O, nothing printed.

A comparator per kind of resource: diff.topics for topics, partitions, replication and
configs; diff.subjects for Schema Registry subjects.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from kgitops.diff.topics import diff_topics
from kgitops.errors import Problem
from kgitops.model import ClusterSpec, LiveCluster, LiveRegistry
from kgitops.plan import Action, Plan, fingerprint, sort_actions


def build_plan(cluster: ClusterSpec, live: LiveCluster, registry: LiveRegistry | None = None,
               *, extra_refusals: list[Problem] | None = None, warnings: list[Problem] | None = None) -> Plan:
    topics = diff_topics(cluster, live)
    actions: list[Action] = list(topics.actions)
    refusals = list(topics.refusals) + list(extra_refusals or [])
    subject_warnings: list[Problem] = []
    if registry is not None:
        from kgitops.diff.subjects import diff_subjects

        subject_actions, subject_problems = diff_subjects(cluster, registry)
        actions += subject_actions
        refusals += [p for p in subject_problems if p.severity != "warning"]
        subject_warnings = [p for p in subject_problems if p.severity == "warning"]
    return Plan(
        cluster=cluster.name,
        cluster_id=live.cluster_id,
        actions=sort_actions(actions),
        unmanaged_topics=tuple(topics.unmanaged),
        refusals=tuple(refusals),
        warnings=tuple(warnings or ()) + tuple(topics.warnings) + tuple(subject_warnings),
        live_fingerprint=live_fingerprint(cluster, live, registry),
        desired_fingerprint=desired_fingerprint(cluster),
    )


def live_fingerprint(cluster: ClusterSpec, live: LiveCluster, registry: LiveRegistry | None) -> str:
    """A digest of the live state a plan depends on: the managed and claimed topics'
    assignments and configs, the brokers, and the managed subjects. Leaders and ISRs are
    left out: they move without anyone changing anything."""
    topics = {}
    for name in sorted(live.topics):
        spec = cluster.topic(name)
        if spec is None and not cluster.owns(name):
            continue
        declared = spec.config if spec is not None else {}
        topic = live.topics[name]
        topics[name] = {
            "replicas": [list(p.replicas) for p in topic.partitions],
            "config": {k: e.value for k, e in sorted(topic.config.items()) if e.is_topic_override or k in declared},
        }
    subjects = {}
    if registry is not None:
        subjects = {s: [v.version, v.schema_id, v.compatibility] for s, v in sorted(registry.subjects.items())}
    return fingerprint({"cluster_id": live.cluster_id, "brokers": [b.id for b in live.brokers], "topics": topics,
                        "subjects": subjects, "global_compatibility": registry.global_compatibility if registry else None})


def desired_fingerprint(cluster: ClusterSpec) -> str:
    """A digest of every file the desired state was read from: contents, keyed by the path
    relative to the cluster file, so the same checkout gives the same digest from any
    working directory (CI jobs plan and apply from different places)."""
    base = Path(cluster.source_file).resolve().parent
    contents = {}
    for path in sorted(set(cluster.files) | {cluster.source_file}):
        resolved = Path(path).resolve()
        try:
            contents[os.path.relpath(resolved, base)] = hashlib.sha256(resolved.read_bytes()).hexdigest()
        except OSError:
            contents[os.path.relpath(resolved, base)] = None
    return fingerprint(contents)

"""The plan pipeline with its I/O: files -> desired model; cluster and registry -> live
models; both -> Plan, with the policy checked on the desired state and against the live
cluster. Shared by `plan` and `apply`; printing is left to the commands.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

from kgitops.desired.loader import load_cluster
from kgitops.diff import build_plan
from kgitops.errors import InputError, Problem
from kgitops.live.connect import kafka_client_config
from kgitops.live import kafka_version, reset_values
from kgitops.live.kafka import KafkaReader
from kgitops.model import ClusterSpec, LiveCluster, LiveRegistry
from kgitops.plan import Plan
from kgitops.policy.desired import check_desired
from kgitops.policy.live import check_live


@dataclass
class PlanRun:
    cluster: ClusterSpec
    live: LiveCluster
    registry: LiveRegistry | None
    plan: Plan
    client_config: dict
    registry_client: object | None = None
    timings: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)
    kafka_version: kafka_version.LiveKafkaVersion | None = None  # what configs were checked against


def load(cluster_file: str) -> tuple[ClusterSpec, list[Problem], list[Problem]]:
    """The desired state, its policy violations and its warnings; input errors raise."""
    loaded = load_cluster(cluster_file, connected=True)  # configs checked against the live version below
    problems = check_desired(loaded.cluster)
    errors = [p for p in problems if p.kind == "input" and p.severity == "error"]
    if errors:
        raise InputError("\n".join(str(p) for p in errors), errors)
    violations = [p for p in problems if p.severity == "error"]
    warnings = list(loaded.warnings) + [p for p in problems if p.severity == "warning"]
    return loaded.cluster, violations, warnings


def with_reassignments(live: LiveCluster, cluster: ClusterSpec, client_config: dict) -> LiveCluster:
    """Add the reassignments in flight on managed topics. Only a topic with a partition
    whose ISR is smaller than its replica set can be moving, so only then is the cluster
    asked (kafka-python: confluent-kafka has no API for it)."""
    suspects = sorted(name for name, topic in live.topics.items() if cluster.manages(name)
                      and any(len(p.isr) < len(p.replicas) for p in topic.partitions))
    if not suspects:
        return live
    from kgitops.live.reassign import list_in_progress

    moving = list_in_progress(client_config, suspects)
    reassignments = {topic: {p: (tuple(r.adding), tuple(r.removing)) for p, r in parts.items()}
                     for topic, parts in moving.items() if parts}
    return dataclasses.replace(live, reassignments=reassignments)


def compute(cluster_file: str) -> PlanRun:
    timings: dict[str, float] = {}
    started = time.perf_counter()
    cluster, violations, warnings = load(cluster_file)
    timings["load"] = time.perf_counter() - started

    client_config = kafka_client_config(cluster)
    reader = KafkaReader(client_config)
    started = time.perf_counter()
    declared_keys = frozenset(key for topic in cluster.topics for key in topic.config)
    live = reader.read(describe=cluster.manages, expected_cluster_id=cluster.cluster_id, config_keys=declared_keys,
                       declared=[t.name for t in cluster.topics])
    timings["read_kafka"] = time.perf_counter() - started
    version = kafka_version.detect(kafka_version.reported_config_names(reader, live.topics),
                                   kafka_version.api_version_of(client_config),
                                   cluster.kafka_version)
    violations += kafka_version.config_problems(cluster, version)
    warnings += kafka_version.version_warnings(cluster, version)
    resets = reset_values.keys_to_reset(cluster, live)
    if resets:
        live = dataclasses.replace(live, reset_values=reset_values.reset_values(
            reader.admin, live, resets, version.line, reader.timeout))
    started = time.perf_counter()
    live = with_reassignments(live, cluster, client_config)
    timings["reassignments"] = time.perf_counter() - started

    registry, registry_client = None, None
    if cluster.schema_registry is not None and (cluster.subjects or cluster.owned_prefixes):
        from kgitops.live.registry import read_registry
        from kgitops.live.registry_client import RegistryClient

        started = time.perf_counter()
        registry_client = RegistryClient.from_connection(cluster.schema_registry, cluster.source_file)
        registry = read_registry(registry_client, cluster)
        timings["read_registry"] = time.perf_counter() - started
    elif cluster.subjects:
        violations.append(Problem("subjects are declared but the cluster file has no schema_registry section",
                                  file=cluster.source_file, kind="input"))

    started = time.perf_counter()
    plan = build_plan(cluster, live, registry, extra_refusals=violations, warnings=warnings)
    plan = dataclasses.replace(plan, refusals=plan.refusals + tuple(check_live(cluster, live, plan.actions)))
    timings["diff"] = time.perf_counter() - started
    return PlanRun(cluster, live, registry, plan, client_config, registry_client, timings, dict(reader.stats.requests),
                   version)

"""The plan pipeline: files -> desired model; cluster and registry -> live models (each
resource kind reads its own); both -> one Plan, with the policy checked on the desired
state and against the live cluster (docs/architecture.md, "Pipeline"). Shared by `plan`
and `apply`; the command builds the clients and prints.

    desired = load(cluster_file)
    clients = kgitops.live.clients.connect(desired.cluster)
    run = compute(desired, clients)
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from typing import Sequence

from kgitops import diff
from kgitops.collector import collector_paused
from kgitops.desired.fingerprint import desired_fingerprint
from kgitops.desired.loader import load_cluster
from kgitops.errors import Problem
from kgitops.kinds import KINDS
from kgitops.kinds.base import ReadContext, ResourceKind
from kgitops.live.clients import Clients
from kgitops.model import ClusterSpec, LiveCluster, LiveRegistry, LiveState
from kgitops.plan import Plan
from kgitops.policy.desired import check_desired
from kgitops.policy.live import check_live


@dataclass(frozen=True)
class Desired:
    """The desired state, its policy violations (refusals) and warnings; input errors raise."""

    cluster: ClusterSpec
    violations: tuple[Problem, ...]
    warnings: tuple[Problem, ...]
    fingerprint: str
    seconds: float = 0.0


@dataclass
class PlanRun:
    cluster: ClusterSpec
    live_state: LiveState
    plan: Plan
    clients: Clients
    timings: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    @property
    def kafka_version(self):
        """The Kafka line topic configs were checked against (kgitops.live.kafka_version)."""
        return self.live.kafka_version

    @property
    def live(self) -> LiveCluster:
        return self.live_state.cluster

    @property
    def registry(self) -> LiveRegistry | None:
        return self.live_state.registry

    @property
    def client_config(self) -> dict:
        return dict(self.clients.client_config)


def load(cluster_file: str, kinds: Sequence[ResourceKind] = KINDS, *, rotate_passwords: bool = False) -> Desired:
    started = time.perf_counter()
    # Configs are checked against the live cluster's own version once it is read (the topic kind).
    loaded = load_cluster(cluster_file, kinds, connected=True)
    if rotate_passwords:
        from kgitops.kinds.user import with_rotation

        loaded = dataclasses.replace(loaded, cluster=with_rotation(loaded.cluster))
    problems = check_desired(loaded.cluster) + [p for kind in kinds for p in kind.check_desired(loaded.cluster)]
    violations = tuple(p for p in problems if p.severity == "error")
    warnings = tuple(loaded.warnings) + tuple(p for p in problems if p.severity == "warning")
    return Desired(loaded.cluster, violations, warnings, desired_fingerprint(loaded.cluster),
                   time.perf_counter() - started)


def read_live(desired: ClusterSpec, clients: Clients, kinds: Sequence[ResourceKind] = KINDS,
              timings: dict[str, float] | None = None, requests: dict[str, int] | None = None) -> LiveState:
    """Every kind's live form, in registration order (the topic kind reads the cluster first).
    The cyclic collector is paused meanwhile: confluent-kafka builds an object per config
    entry and synonym (about 37 entries per topic), which made the collector rescan the
    whole heap again and again, as long as the reads themselves at 5,000 topics."""
    with collector_paused():
        return _read_live(desired, clients, kinds, timings, {} if requests is None else requests)


def _read_live(desired: ClusterSpec, clients: Clients, kinds: Sequence[ResourceKind],
               timings: dict[str, float] | None, requests: dict[str, int]) -> LiveState:
    by_kind: dict[str, object] = {}
    for kind in kinds:
        started = time.perf_counter()
        form = kind.read_live(ReadContext(desired, clients, dict(by_kind), requests))
        if form is not None:
            by_kind[kind.name] = form
            if timings is not None:
                timings[f"read_{kind.name}"] = time.perf_counter() - started
    return LiveState(by_kind)


def compute(desired: Desired, clients: Clients, kinds: Sequence[ResourceKind] = KINDS) -> PlanRun:
    timings: dict[str, float] = {"load": desired.seconds}
    requests: dict[str, int] = {}
    live = read_live(desired.cluster, clients, kinds, timings, requests)
    started = time.perf_counter()
    with collector_paused():  # the comparison, too, builds long-lived objects (actions, fingerprints)
        diffs = diff.compare(kinds, desired.cluster, live)
        actions = [a for d in diffs.values() for a in d.actions]
        refusals = list(desired.violations) + check_live(kinds, desired.cluster, live, actions)
        plan = diff.build_plan(kinds, desired.cluster, live, diffs, refusals=refusals, warnings=desired.warnings,
                               desired_fingerprint=desired.fingerprint)
    timings["diff"] = time.perf_counter() - started
    return PlanRun(desired.cluster, live, plan, clients, timings, requests)


def plan_cluster_file(cluster_file: str) -> PlanRun:
    """load, connect and compute in one call (benchmarks and scripts)."""
    from kgitops.live.clients import connect

    desired = load(cluster_file)
    return compute(desired, connect(desired.cluster))

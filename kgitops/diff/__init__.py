"""Desired state + live state -> Plan. Pure: no I/O, nothing printed.

Each resource kind compares its own resources (kgitops/kinds/*/compare.py); this module
asks every kind and assembles one Plan, ordered as apply will run it.
"""
from __future__ import annotations

from typing import Sequence

from kgitops.errors import Problem
from kgitops.kinds.base import KindDiff, ResourceKind
from kgitops.model import ClusterSpec, LiveState
from kgitops.plan import Action, Plan, fingerprint


def compare(kinds: Sequence[ResourceKind], desired: ClusterSpec, live: LiveState) -> dict[str, KindDiff]:
    return {kind.name: kind.compare(desired, live) for kind in kinds}


def sort_actions(kinds: Sequence[ResourceKind], actions: Sequence[Action]) -> tuple[Action, ...]:
    """Apply order: by the position of the action's apply step (constructive first), its
    place within the step, then by resource name for stable output."""
    rank: dict[type, tuple[int, int]] = {}
    for kind in kinds:
        for step in kind.apply_steps:
            for index, cls in enumerate(step.actions):
                rank[cls] = (step.order, index)
    return tuple(sorted(actions, key=lambda a: (rank[type(a)], a.resource)))


def live_fingerprint(kinds: Sequence[ResourceKind], desired: ClusterSpec, live: LiveState) -> str:
    """A digest of the live state a plan depends on, each kind contributing its part."""
    return fingerprint({kind.name: kind.live_fingerprint(desired, live) for kind in kinds})


def build_plan(kinds: Sequence[ResourceKind], desired: ClusterSpec, live: LiveState, diffs: dict[str, KindDiff],
               *, refusals: Sequence[Problem] = (), warnings: Sequence[Problem] = (),
               desired_fingerprint: str = "") -> Plan:
    """The one place a Plan is assembled: every kind's actions in apply order; the policy
    `refusals` (desired state, then live) followed by the kinds' own (impossible changes,
    incompatible schemas); the load `warnings` followed by the kinds'."""
    actions = [a for d in diffs.values() for a in d.actions]
    topic_diff = diffs.get("topic")
    return Plan(
        cluster=desired.name,
        cluster_id=live.cluster.cluster_id if "topic" in live.by_kind else None,
        actions=sort_actions(kinds, actions),
        unmanaged_topics=topic_diff.unmanaged if topic_diff else (),
        unmanaged={kind: d.unmanaged for kind, d in diffs.items() if kind != "topic" and d.unmanaged},
        refusals=tuple(refusals) + tuple(p for d in diffs.values() for p in d.refusals),
        warnings=tuple(warnings) + tuple(p for d in diffs.values() for p in d.warnings),
        live_fingerprint=live_fingerprint(kinds, desired, live),
        desired_fingerprint=desired_fingerprint,
    )



def plan_of(kinds: Sequence[ResourceKind], desired: ClusterSpec, live: LiveState) -> Plan:
    """compare + build_plan with no policy refusals: the plan the kinds alone make."""
    return build_plan(kinds, desired, live, compare(kinds, desired, live))

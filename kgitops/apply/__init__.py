"""Executing a plan: the one place where kgitops changes a cluster or a registry.

Every resource kind contributes its apply steps (kgitops/kinds/*/__init__.py), each one
batched request (or one concurrent batch) for one kind of change, with its position in
the apply order: topics are created first, then configs, partitions and replication
change, then schemas are registered (their topics exist by then); deletions come last and
only when everything constructive succeeded (docs/architecture.md, "Apply order"). A
failed action never stops the independent ones; an action that depends on a failed one
(Action.depends_on) is skipped and reported as such.
"""
from __future__ import annotations

from typing import Sequence

from kgitops.kinds.base import ApplyContext, ApplySettings, ApplyStep, Outcome, Report, ResourceKind
from kgitops.live.clients import Clients
from kgitops.plan import Action

__all__ = ["ApplySettings", "execute", "ordered_steps"]

DESTRUCTIVE_BLOCKED = ("an earlier change failed; nothing is deleted until every constructive change has "
                       "succeeded")


def ordered_steps(kinds: Sequence[ResourceKind]) -> list[ApplyStep]:
    return sorted((step for kind in kinds for step in kind.apply_steps), key=lambda step: step.order)


def execute(actions: Sequence[Action], *, kinds: Sequence[ResourceKind], clients: Clients, report: Report,
            settings: ApplySettings = ApplySettings()) -> list[Outcome]:
    """Run `actions` step by step; one Outcome per action, in the order they ran."""
    context = ApplyContext(clients, settings, report)
    outcomes: list[Outcome] = []
    constructive_failed = False
    for step in ordered_steps(kinds):
        mine = [a for a in actions if type(a) in step.actions]
        if not mine:
            continue
        if step.destructive and constructive_failed:
            outcomes += _skipped(mine, DESTRUCTIVE_BLOCKED, report)
            continue
        failed = {(o.action.kind, o.action.resource) for o in outcomes if not o.ok}
        runnable = []
        for action in mine:
            why = next((why for kind, resource, why in action.depends_on() if (kind, resource) in failed), None)
            if why is None:
                runnable.append(action)
            else:
                outcomes += _skipped([action], why, report)
        step_outcomes = step.run(context, runnable) if runnable else []
        outcomes += step_outcomes
        if not step.destructive and any(not o.ok for o in outcomes):
            constructive_failed = True
    return outcomes


def _skipped(actions: Sequence[Action], why: str, report: Report) -> list[Outcome]:
    skipped = [Outcome(a, ok=False, error=why, skipped=True) for a in actions]
    for outcome in skipped:
        report(outcome)
    return skipped

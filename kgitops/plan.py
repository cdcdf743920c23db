"""A plan: the ordered, typed, immutable actions that would make the live cluster match the
desired state, with the fingerprints of both states it was computed from.

Actions are plain data (like Alembic's operation objects): each resource kind
(kgitops/kinds/) defines its own action classes, compares desired and live state into
them, says how they read in a plan and how apply runs them. This module knows only what
every action has in common (docs/architecture.md, "Resource kinds").
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from kgitops.errors import Problem

PLAN_FORMAT_VERSION = 2  # 2: per-resource grouping (`resources`), refusals name their resource


@dataclass(frozen=True)
class Action:
    kind: ClassVar[str] = ""
    symbol: ClassVar[str] = "~"  # "+" create, "~" change, "-" delete (Terraform's notation)
    resource_type: ClassVar[str] = ""
    risks: tuple[str, ...] = ()  # one sentence per risk, in Kafka terms

    @property
    def resource(self) -> str:
        raise NotImplementedError

    @property
    def address(self) -> str:
        """`topic shop.orders`: the resource as a plan names it (one block per address)."""
        return f"{self.resource_type} {self.resource}"

    def depends_on(self) -> tuple[tuple[str, str, str], ...]:
        """(action kind, resource, why) for each action of this plan that must succeed before
        this one runs: apply skips this action, saying why, when one of them failed."""
        return ()

    def to_dict(self) -> dict:
        body = dataclasses.asdict(self)
        return {"kind": self.kind, "resource_type": self.resource_type, "resource": self.resource, **body}

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> "Action":
        """The inverse of to_dict for this class: JSON lists back to tuples (actions keep
        sequences as tuples); a class with nested or int-keyed fields overrides it."""
        return cls(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})


@dataclass(frozen=True)
class ResourceChange:
    """Every change a plan makes to one resource (Terraform: one block per resource), and
    the refusals that name it. `change` is create, change or delete (of the resource as a
    whole); a refused resource is counted as refused, not under its change."""

    resource_type: str
    resource: str
    change: str
    actions: tuple[Action, ...]
    refusals: tuple[Problem, ...] = ()

    @property
    def address(self) -> str:
        return f"{self.resource_type} {self.resource}"

    @property
    def symbol(self) -> str:
        return {"create": "+", "change": "~", "delete": "-"}[self.change]

    @property
    def risks(self) -> tuple[str, ...]:
        return tuple(r for a in self.actions for r in a.risks)


def _change_of(actions: tuple[Action, ...]) -> str:
    symbols = {a.symbol for a in actions}
    return "create" if "+" in symbols else "delete" if "-" in symbols else "change"


@dataclass(frozen=True)
class Plan:
    cluster: str
    cluster_id: str | None
    actions: tuple[Action, ...] = ()
    unmanaged_topics: tuple[str, ...] = ()
    # Live resources of the other kinds left alone (neither declared nor owned), by kind.
    unmanaged: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    refusals: tuple[Problem, ...] = ()  # policy violations (exit 3) and impossible changes (exit 1)
    warnings: tuple[Problem, ...] = ()
    live_fingerprint: str = ""
    desired_fingerprint: str = ""

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    def resources(self) -> tuple[ResourceChange, ...]:
        """One entry per resource with actions or refusals naming it: creates, then changes,
        then deletions, each in apply order of their first action."""
        grouped: dict[str, list[Action]] = {}
        for action in self.actions:
            grouped.setdefault(action.address, []).append(action)
        refusals: dict[str, list[Problem]] = {}
        for problem in self.refusals:
            if problem.resource:
                refusals.setdefault(problem.resource, []).append(problem)
                grouped.setdefault(problem.resource, [])
        changes = []
        for address, actions in grouped.items():
            resource_type, _, name = address.partition(" ")
            changes.append(ResourceChange(resource_type, name, _change_of(tuple(actions)), tuple(actions),
                                          tuple(refusals.get(address, ()))))
        order = {"create": 0, "change": 1, "delete": 2}
        return tuple(sorted(changes, key=lambda c: order[c.change]))  # stable: apply order within each

    def counts(self) -> dict[str, int]:
        """Resources, not actions: a topic with a config and a partition change is one change."""
        counts = {"create": 0, "change": 0, "delete": 0, "refused": 0}
        for change in self.resources():
            counts["refused" if change.refusals else change.change] += 1
        return counts

    @property
    def matches(self) -> bool:
        """The cluster matches the desired state: nothing to do and nothing refused."""
        return not self.actions and not self.refusals

    def summary_line(self) -> str:
        counts = self.counts()
        refused = f", {counts['refused']} refused" if counts["refused"] else ""
        return (f"Plan: {counts['create']} to create, {counts['change']} to change, "
                f"{counts['delete']} to delete{refused}.")


def fingerprint(data: object) -> str:
    """A stable digest of JSON-able data (sorted keys), for stale-plan detection."""
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return "sha256:" + hashlib.sha256(blob).hexdigest()


# ---------------------------------------------------------------------------
# (De)serialisation: the JSON format of `plan --format json` and of saved plans
# (documented in docs/plan-format.md).
# ---------------------------------------------------------------------------


def plan_to_dict(plan: Plan) -> dict:
    return {
        "format_version": PLAN_FORMAT_VERSION,
        "cluster": plan.cluster,
        "cluster_id": plan.cluster_id,
        "summary": {**plan.counts(), "unmanaged": len(plan.unmanaged_topics), "refusals": len(plan.refusals)},
        "changes": plan.has_changes,
        "actions": [_jsonable(a.to_dict()) for a in plan.actions],
        "resources": [_resource_dict(change, plan.actions) for change in plan.resources()],
        "unmanaged_topics": list(plan.unmanaged_topics),
        "unmanaged": {kind: list(names) for kind, names in plan.unmanaged.items()},
        "refusals": [p.to_dict() for p in plan.refusals],
        "warnings": [p.to_dict() for p in plan.warnings],
        "fingerprints": {"live": plan.live_fingerprint, "desired": plan.desired_fingerprint},
    }


def _resource_dict(change: ResourceChange, actions: tuple[Action, ...]) -> dict:
    index = {id(a): i for i, a in enumerate(actions)}
    return {"resource_type": change.resource_type, "resource": change.resource, "change": change.change,
            "actions": [index[id(a)] for a in change.actions], "risks": list(change.risks),
            "refused": [p.to_dict() for p in change.refusals]}


def _jsonable(value: object) -> object:
    """Tuples to lists and int mapping keys to strings, so the output is plain JSON."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _action_from_dict(data: dict, action_types: Mapping[str, type[Action]]) -> Action:
    cls = action_types.get(data.get("kind", ""))
    if cls is None:
        raise ValueError(f"unknown action kind {data.get('kind')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    return cls.from_fields({k: v for k, v in data.items() if k in names})


def plan_from_dict(data: dict, action_types: Mapping[str, type[Action]]) -> Plan:
    """The inverse of plan_to_dict, given the action classes by kind (kgitops.kinds.action_types());
    raises ValueError on anything it cannot read."""
    if data.get("format_version") != PLAN_FORMAT_VERSION:
        raise ValueError(f"plan format_version {data.get('format_version')!r} is not {PLAN_FORMAT_VERSION}")
    return Plan(
        cluster=data["cluster"],
        cluster_id=data.get("cluster_id"),
        actions=tuple(_action_from_dict(a, action_types) for a in data["actions"]),
        unmanaged_topics=tuple(data.get("unmanaged_topics", ())),
        unmanaged={kind: tuple(names) for kind, names in data.get("unmanaged", {}).items()},
        refusals=tuple(Problem(**p) for p in data.get("refusals", ())),
        warnings=tuple(Problem(**p) for p in data.get("warnings", ())),
        live_fingerprint=data["fingerprints"]["live"],
        desired_fingerprint=data["fingerprints"]["desired"],
    )

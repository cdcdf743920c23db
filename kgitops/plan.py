"""A plan: the ordered, typed, immutable actions that would make the live cluster match the
desired state, with the fingerprints of both states it was computed from.

Actions are plain data (like Alembic's operation objects): kgitops.diff produces them,
kgitops.render prints them, kgitops.apply is the one place that executes them.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from typing import ClassVar, Mapping

from kgitops.errors import Problem

PLAN_FORMAT_VERSION = 1

# Apply order (design.md section 6): constructive first, destructive last.
ORDER = (
    "create_topic",
    "alter_topic_config",
    "add_partitions",
    "change_replication_factor",
    "set_compatibility",  # a subject's level is set before a version is checked against it
    "register_schema",
    "delete_subject",
    "delete_topic",
)


@dataclass(frozen=True)
class ConfigChange:
    """One topic config moving from its effective value to the declared one.

    `op` is "set" (declare a value) or "reset" (remove a topic override, so the broker
    default applies again). `before_source` says where the old value came from."""

    key: str
    before: str | None
    after: str | None
    op: str = "set"
    before_source: str | None = None  # "topic override", "broker default", "broker config"...
    after_note: str | None = None  # e.g. "inherited from broker default" after a reset


@dataclass(frozen=True)
class Action:
    kind: ClassVar[str] = ""
    symbol: ClassVar[str] = "~"  # "+" create, "~" change, "-" delete (Terraform's notation)
    resource_type: ClassVar[str] = ""
    risks: tuple[str, ...] = ()  # one sentence per risk, in Kafka terms

    @property
    def resource(self) -> str:
        raise NotImplementedError

    def to_dict(self) -> dict:
        body = dataclasses.asdict(self)
        return {"kind": self.kind, "resource_type": self.resource_type, "resource": self.resource, **body}


@dataclass(frozen=True)
class TopicAction(Action):
    resource_type: ClassVar[str] = "topic"
    topic: str = ""

    @property
    def resource(self) -> str:
        return self.topic


@dataclass(frozen=True)
class SubjectAction(Action):
    resource_type: ClassVar[str] = "subject"
    subject: str = ""

    @property
    def resource(self) -> str:
        return self.subject


@dataclass(frozen=True)
class CreateTopic(TopicAction):
    kind: ClassVar[str] = "create_topic"
    symbol: ClassVar[str] = "+"
    partitions: int = 1
    replication_factor: int = 3
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeleteTopic(TopicAction):
    kind: ClassVar[str] = "delete_topic"
    symbol: ClassVar[str] = "-"
    partitions: int = 0
    replication_factor: int = 0


@dataclass(frozen=True)
class AddPartitions(TopicAction):
    kind: ClassVar[str] = "add_partitions"
    before: int = 0
    after: int = 0


@dataclass(frozen=True)
class AlterTopicConfig(TopicAction):
    kind: ClassVar[str] = "alter_topic_config"
    changes: tuple[ConfigChange, ...] = ()


@dataclass(frozen=True)
class ChangeReplicationFactor(TopicAction):
    """Executed as a partition reassignment; `assignment` is the target replica list per
    partition, computed at plan time so the plan shows exactly which brokers gain or lose data."""

    kind: ClassVar[str] = "change_replication_factor"
    before: int = 0
    after: int = 0
    current: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    assignment: Mapping[int, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class RegisterSchema(SubjectAction):
    kind: ClassVar[str] = "register_schema"
    symbol: ClassVar[str] = "+"
    schema: str = ""  # the schema text to register
    schema_file: str = ""
    schema_type: str = "AVRO"
    previous_version: int | None = None  # latest registered version, None for a new subject
    topic: str | None = None


@dataclass(frozen=True)
class SetCompatibility(SubjectAction):
    kind: ClassVar[str] = "set_compatibility"
    before: str | None = None
    after: str = ""


@dataclass(frozen=True)
class DeleteSubject(SubjectAction):
    kind: ClassVar[str] = "delete_subject"
    symbol: ClassVar[str] = "-"
    versions: tuple[int, ...] = ()


ACTION_TYPES: dict[str, type[Action]] = {
    cls.kind: cls
    for cls in (CreateTopic, DeleteTopic, AddPartitions, AlterTopicConfig, ChangeReplicationFactor,
                RegisterSchema, SetCompatibility, DeleteSubject)
}


def sort_actions(actions: list[Action] | tuple[Action, ...]) -> tuple[Action, ...]:
    """Apply order: by kind (constructive first), then by resource name for stable output."""
    return tuple(sorted(actions, key=lambda a: (ORDER.index(a.kind), a.resource)))


@dataclass(frozen=True)
class Plan:
    cluster: str
    cluster_id: str | None
    actions: tuple[Action, ...] = ()
    unmanaged_topics: tuple[str, ...] = ()
    refusals: tuple[Problem, ...] = ()  # policy violations (exit 3) and impossible changes (exit 1)
    warnings: tuple[Problem, ...] = ()
    live_fingerprint: str = ""
    desired_fingerprint: str = ""

    @property
    def has_changes(self) -> bool:
        return bool(self.actions)

    def counts(self) -> dict[str, int]:
        return {
            "create": sum(1 for a in self.actions if a.symbol == "+"),
            "change": sum(1 for a in self.actions if a.symbol == "~"),
            "delete": sum(1 for a in self.actions if a.symbol == "-"),
        }

    @property
    def risky_actions(self) -> tuple[Action, ...]:
        return tuple(a for a in self.actions if a.risks)


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
        "unmanaged_topics": list(plan.unmanaged_topics),
        "refusals": [p.to_dict() for p in plan.refusals],
        "warnings": [p.to_dict() for p in plan.warnings],
        "fingerprints": {"live": plan.live_fingerprint, "desired": plan.desired_fingerprint},
    }


def _jsonable(value: object) -> object:
    """Tuples to lists and int mapping keys to strings, so the output is plain JSON."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _action_from_dict(data: dict) -> Action:
    cls = ACTION_TYPES.get(data.get("kind", ""))
    if cls is None:
        raise ValueError(f"unknown action kind {data.get('kind')!r}")
    names = {f.name for f in dataclasses.fields(cls)}
    fields = {k: v for k, v in data.items() if k in names}
    if "changes" in fields:
        fields["changes"] = tuple(ConfigChange(**c) for c in fields["changes"])
    for key in ("current", "assignment"):
        if key in fields:
            fields[key] = {int(p): tuple(r) for p, r in fields[key].items()}
    for key in ("risks", "versions"):
        if key in fields:
            fields[key] = tuple(fields[key])
    return cls(**fields)


def plan_from_dict(data: dict) -> Plan:
    """The inverse of plan_to_dict; raises ValueError on anything it cannot read."""
    if data.get("format_version") != PLAN_FORMAT_VERSION:
        raise ValueError(f"plan format_version {data.get('format_version')!r} is not {PLAN_FORMAT_VERSION}")
    return Plan(
        cluster=data["cluster"],
        cluster_id=data.get("cluster_id"),
        actions=tuple(_action_from_dict(a) for a in data["actions"]),
        unmanaged_topics=tuple(data.get("unmanaged_topics", ())),
        refusals=tuple(Problem(**p) for p in data.get("refusals", ())),
        warnings=tuple(Problem(**p) for p in data.get("warnings", ())),
        live_fingerprint=data["fingerprints"]["live"],
        desired_fingerprint=data["fingerprints"]["desired"],
    )

"""The topic kind's actions: create, change (configs, partitions, replication), delete."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Mapping

from kgitops.plan import Action


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
class TopicAction(Action):
    resource_type: ClassVar[str] = "topic"
    topic: str = ""

    @property
    def resource(self) -> str:
        return self.topic


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
    # Replicas of the new partitions when the replication factor changes in the same apply
    # (empty: Kafka places them at the topic's current replication factor).
    assignment: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Action:
        return super().from_fields({**fields, "assignment": _assignment(fields.get("assignment", {}))})


@dataclass(frozen=True)
class AlterTopicConfig(TopicAction):
    kind: ClassVar[str] = "alter_topic_config"
    changes: tuple[ConfigChange, ...] = ()

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Action:
        changes = tuple(ConfigChange(**c) for c in fields.get("changes", ()))
        return super().from_fields({**fields, "changes": changes})


@dataclass(frozen=True)
class AlterTopicConfigAfterReplication(AlterTopicConfig):
    """Config changes that must wait for the topic's replication-factor change: raising
    min.insync.replicas to or above the current replication factor before the new
    replicas exist would leave min.insync.replicas >= RF for the whole reassignment, and
    acks=all writes would fail with one broker down (docs/architecture.md, "Apply order")."""

    kind: ClassVar[str] = "alter_topic_config_after_replication"

    def depends_on(self) -> tuple[tuple[str, str, str], ...]:
        return (("change_replication_factor", self.topic, "its replication-factor change did not complete"),)


@dataclass(frozen=True)
class ChangeReplicationFactor(TopicAction):
    """Executed as a partition reassignment; `assignment` is the target replica list per
    partition, computed at plan time so the plan shows exactly which brokers gain or lose data."""

    kind: ClassVar[str] = "change_replication_factor"
    before: int = 0
    after: int = 0
    current: Mapping[int, tuple[int, ...]] = field(default_factory=dict)
    assignment: Mapping[int, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Action:
        return super().from_fields({**fields, "current": _assignment(fields.get("current", {})),
                                    "assignment": _assignment(fields.get("assignment", {}))})


def _assignment(value: Mapping[Any, Any]) -> dict[int, tuple[int, ...]]:
    return {int(p): tuple(r) for p, r in value.items()}

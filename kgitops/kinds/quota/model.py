"""The quota kind's model and actions. A quota entity is Kafka's: a user, a client id, both,
or an IP address, each of them a name or the default entity; its values are Kafka's keys
(producer_byte_rate, ...), numbers as Kafka stores them (doubles)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from kgitops.desired.topic_configs import human_quantity, spaced
from kgitops.plan import Action

# The default entity as Kafka shows it (`kafka-configs --entity-default` sets it).
DEFAULT = "<default>"
# YAML key -> Kafka entity type, in the order Kafka names them.
ENTITY_TYPES = {"user": "user", "client_id": "client-id", "ip": "ip"}
BYTE_RATES = ("producer_byte_rate", "consumer_byte_rate")
CLIENT_KEYS = (*BYTE_RATES, "request_percentage", "controller_mutation_rate")
IP_KEYS = ("connection_creation_rate",)
UNITS = {"producer_byte_rate": "bytes/s", "consumer_byte_rate": "bytes/s", "request_percentage": "%",
         "controller_mutation_rate": "partition mutations/s", "connection_creation_rate": "connections/s"}


@dataclass(frozen=True)
class Entity:
    """((Kafka entity type, name or None for the default), ...), sorted by type."""

    parts: tuple[tuple[str, str | None], ...]

    @classmethod
    def of(cls, parts) -> "Entity":
        return cls(tuple(sorted(((str(t), None if n is None else str(n)) for t, n in parts), key=lambda p: p[0])))

    def describe(self) -> str:
        """`user=orders-svc`, `client-id=<default>,user=orders-svc`: the plan's block name."""
        return ",".join(f"{t}={DEFAULT if n is None else n}" for t, n in self.parts)

    @property
    def user(self) -> str | None:
        """The user's name, when the entity names one (not the default user)."""
        return next((n for t, n in self.parts if t == "user"), None)

    def to_yaml(self) -> dict[str, str]:
        by_type = {v: k for k, v in ENTITY_TYPES.items()}
        return {by_type.get(t, t): DEFAULT if n is None else n for t, n in self.parts}


@dataclass(frozen=True)
class QuotaChange:
    key: str
    before: float | None
    after: float | None  # None: the value is removed

    def describe(self) -> str:
        after = quantity(self.key, self.after) if self.after is not None else "(removed)"
        return f"{self.key}: {quantity(self.key, self.before)} -> {after}"


def quantity(key: str, value: float | None) -> str:
    """`10485760 (10 MiB/s)`, `50 %`: a quota value as people read it."""
    if value is None:
        return "(unset)"
    number = int(value) if float(value).is_integer() else value
    if key in BYTE_RATES and isinstance(number, int):
        readable = human_quantity("bytes", number)
        return f"{number} ({spaced(readable)}/s)" if readable else f"{number} bytes/s"
    return f"{number} {UNITS.get(key, '')}".rstrip()


@dataclass(frozen=True)
class QuotaAction(Action):
    resource_type: ClassVar[str] = "quota"
    entity: Entity = Entity(())
    changes: tuple[QuotaChange, ...] = ()

    @property
    def resource(self) -> str:
        return self.entity.describe()

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Action:
        entity = Entity.of(tuple(p) for p in fields.get("entity", {}).get("parts", ()))
        changes = tuple(QuotaChange(**c) for c in fields.get("changes", ()))
        return super().from_fields({**fields, "entity": entity, "changes": changes})


@dataclass(frozen=True)
class SetQuotas(QuotaAction):
    """Set (and remove undeclared) values of one entity."""

    kind: ClassVar[str] = "set_quotas"
    new_entity: bool = False

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return "+" if self.new_entity else "~"


@dataclass(frozen=True)
class RemoveQuotas(QuotaAction):
    """Remove every value of an owned entity that is no longer declared."""

    kind: ClassVar[str] = "remove_quotas"
    symbol: ClassVar[str] = "-"

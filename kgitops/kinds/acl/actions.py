"""The ACL kind's model and actions. A binding is Kafka's unit (one operation on one
resource pattern for one principal and host); a plan groups them per principal."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from kgitops.plan import Action

RESOURCE_TYPES = ("topic", "group", "cluster", "transactional_id")
PATTERNS = ("literal", "prefixed")
OPERATIONS = ("ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "CLUSTER_ACTION",
              "DESCRIBE_CONFIGS", "ALTER_CONFIGS", "IDEMPOTENT_WRITE")
PERMISSIONS = ("ALLOW", "DENY")
CLUSTER_RESOURCE = "kafka-cluster"  # the one name a cluster resource has


@dataclass(frozen=True, order=True)
class Binding:
    """One ACL in canonical form: upper-case operation and permission, lower-case resource
    type and pattern, `ALL` kept as it is (never expanded into its parts)."""

    principal: str
    resource_type: str
    resource_name: str
    pattern: str
    operation: str
    permission: str = "ALLOW"
    host: str = "*"

    def describe(self) -> str:
        """`ALLOW READ on topic shop.orders (literal) from *`"""
        return (f"{self.permission} {self.operation} on {self.resource_type} {self.resource_name} "
                f"({self.pattern}) from {self.host}")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Binding":
        return cls(**data)


@dataclass(frozen=True)
class AclAction(Action):
    resource_type: ClassVar[str] = "acl"
    principal: str = ""
    bindings: tuple[Binding, ...] = ()

    @property
    def resource(self) -> str:
        return self.principal

    @classmethod
    def from_fields(cls, fields: dict[str, Any]) -> Action:
        bindings = tuple(Binding.from_dict(b) for b in fields.get("bindings", ()))
        return super().from_fields({**fields, "bindings": bindings})


@dataclass(frozen=True)
class CreateAcls(AclAction):
    kind: ClassVar[str] = "create_acls"
    new_principal: bool = False  # the principal has no ACL yet

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return "+" if self.new_principal else "~"


@dataclass(frozen=True)
class DeleteAcls(AclAction):
    kind: ClassVar[str] = "delete_acls"
    every_binding: bool = False  # the principal loses all its ACLs

    @property
    def symbol(self) -> str:  # type: ignore[override]
        return "-" if self.every_binding else "~"

"""The Kafka ACLs kgitops' own principal needs, as data: README's table, the error message
of an authorization failure and the secured stack's grants all come from here, and a test
checks that a principal holding exactly these can plan and apply.

`MANAGED` stands for the topics a cluster file manages: grant it as PREFIXED ACLs on the
name prefixes they share (`shop.`), or LITERAL ACLs per topic, or LITERAL `*`.
"""
from __future__ import annotations

from dataclasses import dataclass

from kgitops.errors import KgitopsError

MANAGED = "<managed topics>"
LOCK_PREFIX = "__kgitops_lock."
AUDIT_PREFIX = "__kgitops_audit."


@dataclass(frozen=True)
class RequiredAcl:
    resource: str  # TOPIC | CLUSTER | GROUP
    name: str  # a topic name or prefix, MANAGED, or kafka-cluster
    pattern: str  # LITERAL | PREFIXED
    operations: tuple[str, ...]
    needed_by: str  # the commands, in words

    def row(self) -> str:
        return f"{self.resource} {self.name} ({self.pattern}): {', '.join(self.operations)}"


REQUIRED_ACLS: tuple[RequiredAcl, ...] = (
    RequiredAcl("TOPIC", MANAGED, "PREFIXED", ("DESCRIBE", "DESCRIBE_CONFIGS"), "plan, apply, import"),
    RequiredAcl("TOPIC", MANAGED, "PREFIXED", ("CREATE", "ALTER", "ALTER_CONFIGS"), "apply"),
    RequiredAcl("TOPIC", MANAGED, "PREFIXED", ("DELETE",), "apply, only when the cluster file allows deletions"),
    RequiredAcl("TOPIC", LOCK_PREFIX, "PREFIXED", ("CREATE", "DESCRIBE", "READ", "WRITE", "DELETE"),
                "apply, force-unlock (the apply lock)"),
    RequiredAcl("TOPIC", AUDIT_PREFIX, "PREFIXED", ("CREATE", "DESCRIBE", "READ", "WRITE"),
                "apply, history (the audit trail)"),
    RequiredAcl("CLUSTER", "kafka-cluster", "LITERAL", ("DESCRIBE", "ALTER"),
                "apply of replication-factor changes (partition reassignments); plan when a managed "
                "topic has replicas out of sync"),
    RequiredAcl("CLUSTER", "kafka-cluster", "LITERAL", ("DESCRIBE_CONFIGS", "ALTER_CONFIGS"),
                "apply --throttle (the brokers' replication throttle rates); plan and apply of `quotas:` and "
                "`brokers:`"),
    RequiredAcl("GROUP", "*", "LITERAL", ("DESCRIBE",),
                "plan's live impact (consumer groups, their committed offsets and lag); without it the impact "
                "is a warning"),
)


def needed_for(resource: str, operation: str) -> str:
    """What to grant, for an authorization error about `operation` on a `resource` (TOPIC,
    CLUSTER): the matching rows of the table, in words."""
    rows = [acl for acl in REQUIRED_ACLS if acl.resource == resource and operation in acl.operations]
    if not rows:
        return "see the minimal ACLs in README (Secured clusters)"
    acl = rows[0]
    target = "the topics it manages" if acl.name == MANAGED else f"{acl.resource.lower()} {acl.name} ({acl.pattern})"
    return f"{', '.join(acl.operations)} on {target}, for {acl.needed_by} (README: Secured clusters, minimal ACLs)"


class NotAuthorized(KgitopsError):
    """kgitops' principal lacks an ACL for a read: nothing is planned from a view that
    authorization made partial (Kafka hides the topics a principal may not DESCRIBE)."""


def not_authorized(operation: str, resource: str, names: list[str]) -> NotAuthorized:
    names = sorted(names)
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    kind = resource.lower() + ("s" if len(names) > 1 else "")
    return NotAuthorized(
        f"not authorized: {operation} on {kind} {shown}; kgitops needs {needed_for(resource, operation)}. "
        f"Nothing was planned or changed: a plan computed from what this principal may see would be wrong.")

"""Live ACLs -> `acls:` entries for `kgitops import`: grouped per principal, with the
`consume` / `produce` shorthands where they fit a principal's bindings exactly, plain
entries (one per resource, its operations listed) otherwise. Pure."""
from __future__ import annotations

from collections import defaultdict
from typing import Iterable

from kgitops.kinds.acl.actions import CLUSTER_RESOURCE, Binding
from kgitops.kinds.acl.desired import DeclaredBinding, expand
from kgitops.kinds.acl.policy import binding_problems
from kgitops.model import Location

IMPORT_REASON = "imported: existing ACL broader than the policy allows, review deliberately"


def acl_entries(bindings: Iterable[Binding]) -> list[dict]:
    by_principal: dict[str, set[Binding]] = defaultdict(set)
    for b in bindings:
        by_principal[b.principal].add(b)
    entries: list[dict] = []
    for principal in sorted(by_principal):
        entries += _principal_entries(principal, by_principal[principal])
    return entries


def _principal_entries(principal: str, bindings: set[Binding]) -> list[dict]:
    shorthand = _shorthand(principal, bindings)
    if shorthand is not None:
        return [shorthand]
    grouped: dict[tuple, list[str]] = defaultdict(list)
    for b in sorted(bindings):
        grouped[(b.resource_type, b.resource_name, b.pattern, b.permission, b.host)].append(b.operation)
    entries = []
    for (kind, name, pattern, permission, host), operations in grouped.items():
        resource: dict = {"type": kind} if kind == "cluster" else {"type": kind, "name": name, "pattern": pattern}
        entry: dict = {"principal": principal, "resource": resource, "operations": sorted(operations)}
        if permission != "ALLOW":
            entry["permission"] = permission
        if host != "*":
            entry["host"] = host
        probe = [Binding(principal, kind, name if kind != "cluster" else CLUSTER_RESOURCE, pattern, op, permission,
                         host) for op in operations]
        if any(binding_problems(DeclaredBinding(p, Location(""))) for p in probe):
            entry["reason"] = IMPORT_REASON
        entries.append(entry)
    return entries


def _shorthand(principal: str, bindings: set[Binding]) -> dict | None:
    """A consume or produce entry whose expansion is exactly `bindings`, if there is one."""
    topics = sorted({b.resource_name for b in bindings if b.resource_type == "topic"})
    groups = sorted({b.resource_name for b in bindings if b.resource_type == "group"})
    candidates = []
    if topics:
        consume: dict = {"topics": topics}
        if len(groups) == 1:
            consume["group"] = groups[0]
        candidates.append({"principal": principal, "consume": consume})
        ids = sorted({b.resource_name for b in bindings if b.resource_type == "transactional_id"})
        produce: dict = {"topics": topics}
        if len(ids) == 1:
            produce["transactional_id"] = ids[0]
        candidates.append({"principal": principal, "produce": produce})
    for entry in candidates:
        if set(expand(entry)) == bindings:
            return entry
    return None

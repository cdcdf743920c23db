"""The ACL kind's policy, on by default (README, "Access as code"): no ALLOW for `User:*`,
no literal `*` topic or group, no `ALL` operation, unless the binding's entry gives a
written `reason`; a principal that no declared user or external principal backs is a
warning; ACL removals count against the blast radius."""
from __future__ import annotations

from typing import Sequence

from kgitops.errors import Problem
from kgitops.kinds.acl.actions import DeleteAcls
from kgitops.kinds.acl.desired import DeclaredBinding, DesiredAcls
from kgitops.model import ClusterSpec
from kgitops.plan import Action


def binding_problems(declared: DeclaredBinding) -> list[str]:
    b = declared.binding
    why = []
    if b.permission == "ALLOW" and b.principal == "User:*":
        why.append("allows every authenticated user (User:*)")
    if b.resource_name == "*" and b.pattern == "literal" and b.resource_type in ("topic", "group"):
        why.append(f"covers every {b.resource_type} (literal '*')")
    if b.operation == "ALL" and b.permission == "ALLOW":
        why.append("allows ALL operations")
    return why


def check_desired(desired: ClusterSpec, acls: DesiredAcls) -> list[Problem]:
    problems: list[Problem] = []
    users = desired.resources.get("user")
    backed = {f"User:{u.name}" for u in getattr(users, "users", ())} | set(acls.external_principals)
    warned: set[str] = set()
    reported: set[tuple[str, str]] = set()  # one problem per entry and reason, not per expanded binding
    for declared in acls.bindings:
        loc = declared.location
        for why in binding_problems(declared) if not declared.reason else ():
            if (str(loc), why) in reported:
                continue
            reported.add((str(loc), why))
            problems.append(Problem(f"ACL for {declared.binding.principal} {why}: {declared.binding.describe()}; "
                                    f"narrow it, or give the entry a `reason`", loc.file, loc.line, loc.column,
                                    kind="policy", resource=f"acl {declared.binding.principal}"))
        principal = declared.binding.principal
        if principal not in backed and principal != "User:*" and principal not in warned:
            warned.add(principal)
            problems.append(Problem(f"ACLs for {principal}, which no `users:` entry or `external_principals` "
                                    f"backs: a typo, or a principal authenticated elsewhere (add it to "
                                    f"external_principals)", loc.file, loc.line, loc.column, severity="warning"))
    return problems


def blast_radius(desired: ClusterSpec, actions: Sequence[Action]) -> list[Problem]:
    removed = sum(len(a.bindings) for a in actions if isinstance(a, DeleteAcls))
    limit = desired.policy.max_acl_deletions_per_apply
    if removed <= limit:
        return []
    return [Problem(f"the plan removes {removed} ACL bindings, above policy.max_acl_deletions_per_apply {limit}; "
                    f"raise the limit in {desired.source_file} if this is intended", file=desired.source_file,
                    kind="policy")]

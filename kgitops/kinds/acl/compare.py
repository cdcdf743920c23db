"""Desired ACLs vs live ones: per principal, the bindings to create and to delete. Pure."""
from __future__ import annotations

from typing import Iterable

from kgitops.kinds.acl.actions import Binding, CreateAcls, DeleteAcls
from kgitops.kinds.acl.desired import DesiredAcls
from kgitops.kinds.base import KindDiff
from kgitops.plan import Action

AUTHORIZATION_ERRORS = {"topic": "TOPIC_AUTHORIZATION_FAILED", "group": "GROUP_AUTHORIZATION_FAILED",
                        "cluster": "CLUSTER_AUTHORIZATION_FAILED",
                        "transactional_id": "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"}


def diff_acls(desired: DesiredAcls, live: Iterable[Binding]) -> KindDiff:
    wanted = _by_principal(d.binding for d in desired.bindings)
    live_set = set(live)
    managed_live = {b for b in live_set if desired.owns(b.principal)}
    unmanaged = sorted({b.principal for b in live_set - managed_live})
    have_by_principal = _by_principal(managed_live)
    actions: list[Action] = []
    for principal in sorted(wanted.keys() | have_by_principal.keys()):
        have, want = have_by_principal.get(principal, set()), wanted.get(principal, set())
        missing, extra = sorted(want - have), sorted(have - want)
        if missing:
            actions.append(CreateAcls(principal=principal, bindings=tuple(missing), new_principal=not have))
        if extra:
            actions.append(DeleteAcls(principal=principal, bindings=tuple(extra), every_binding=not want,
                                      risks=tuple(removal_risk(b) for b in extra)))
    return KindDiff(actions=tuple(actions), unmanaged=tuple(unmanaged))


def _by_principal(bindings: Iterable[Binding]) -> dict[str, set[Binding]]:
    grouped: dict[str, set[Binding]] = {}
    for b in bindings:
        grouped.setdefault(b.principal, set()).add(b)
    return grouped


def removal_risk(binding: Binding) -> str:
    if binding.permission == "DENY":
        return (f"{binding.principal} is no longer denied {binding.operation} on {binding.resource_type} "
                f"{binding.resource_name}: what other ACLs allow it may now do")
    error = AUTHORIZATION_ERRORS.get(binding.resource_type, "an authorization error")
    return (f"{binding.principal} loses {binding.operation} on {binding.resource_type} {binding.resource_name}"
            f"{' (prefix)' if binding.pattern == 'prefixed' else ''}: its clients will fail with {error} "
            f"unless another ACL still allows it")

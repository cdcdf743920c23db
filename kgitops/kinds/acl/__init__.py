"""The ACL kind: who may do what, as plain bindings grouped per principal.

    desired  desired.py: `acls:` (plain bindings, `consume`/`produce` shorthands expanded),
             `owned_principals:`, `external_principals:` sections of cluster and topic files
    read     wire.py: one DescribeAcls with a match-any filter (only when ACLs are declared
             or principals owned)
    compare  compare.py: per principal, bindings to create and to delete (with risk notes)
    policy   policy.py: no ALLOW for User:*, no literal '*', no ALL without a reason; removals
             count against the blast radius
    apply    wire.py: one CreateAcls after the topics and schemas; one DeleteAcls among the
             deletions, before topics are deleted
"""
from __future__ import annotations

import dataclasses
from typing import Sequence

from kgitops.errors import Problem
from kgitops.kinds.acl import compare, desired, policy
from kgitops.kinds.acl.actions import CreateAcls, DeleteAcls
from kgitops.kinds.base import ApplyContext, ApplyStep, KindDiff, Outcome, ReadContext, ResourceKind
from kgitops.model import ClusterSpec, LiveState
from kgitops.plan import Action


def _create(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.kinds.acl import wire

    return wire.create(context.clients.admin, actions, context.settings.timeout, context.report)


def _delete(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.kinds.acl import wire

    return wire.delete(context.clients.admin, actions, context.settings.timeout, context.report)


def _desired(cluster: ClusterSpec) -> desired.DesiredAcls:
    return cluster.resources.get("acl") or desired.DesiredAcls()  # type: ignore[return-value]


class AclKind(ResourceKind):
    name = "acl"
    action_types = (CreateAcls, DeleteAcls)
    desired_sections = desired.SECTIONS
    # ACLs on topics are created once the topics exist; removed before topics are deleted.
    apply_steps = (ApplyStep(60, (CreateAcls,), _create), ApplyStep(85, (DeleteAcls,), _delete, destructive=True))

    def load_desired(self, sections):
        return desired.load(sections)

    def check_desired(self, cluster: ClusterSpec) -> list[Problem]:
        return policy.check_desired(cluster, _desired(cluster))

    def read_live(self, context: ReadContext):
        wanted = _desired(context.desired)
        if not wanted.bindings and not wanted.owned_principals:
            return None  # nothing declared or owned: not even a request
        from kgitops.kinds.acl import wire
        from kgitops.live.connect import kafka_timeout

        context.requests["describe_acls"] = context.requests.get("describe_acls", 0) + 1
        return tuple(wire.read_all(context.clients.admin, kafka_timeout()))

    def compare(self, cluster: ClusterSpec, live: LiveState) -> KindDiff:
        if "acl" not in live.by_kind:
            return KindDiff()
        return compare.diff_acls(_desired(cluster), live.by_kind["acl"])  # type: ignore[arg-type]

    def check_live(self, cluster: ClusterSpec, live: LiveState, actions: Sequence[Action]) -> list[Problem]:
        return policy.blast_radius(cluster, actions)

    def details(self, action: Action) -> list[str]:
        sign = "+" if isinstance(action, CreateAcls) else "-"
        return [f"{sign} {b.describe()}" for b in action.bindings]  # type: ignore[attr-defined]

    def import_sections(self, clients) -> tuple[dict[str, object], list[str]]:
        from kgitops.kinds.acl import wire
        from kgitops.kinds.acl.export import acl_entries
        from kgitops.live.connect import kafka_timeout

        try:
            bindings = wire.read_all(clients.admin, kafka_timeout())
        except wire.NoAuthorizer:
            return {}, ["the cluster has no authorizer: no ACLs to import"]
        if not bindings:
            return {}, []
        principals = sorted({b.principal for b in bindings})
        return {"acls": acl_entries(bindings), "owned_principals": principals}, [
            f"{len(bindings)} ACL binding(s) of {len(principals)} principal(s) imported; the cluster file owns "
            f"those principals (owned_principals), so their undeclared ACLs are removed by later applies"]

    def live_fingerprint(self, cluster: ClusterSpec, live: LiveState) -> object:
        bindings = live.by_kind.get("acl") or ()
        return sorted(dataclasses.astuple(b) for b in bindings if _desired(cluster).owns(b.principal))

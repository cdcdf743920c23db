"""The registry of resource kinds (docs/architecture.md, "Resource kinds").

The pipeline (planner, policy, render, apply) knows kinds only through this list; adding a
kind means adding its package under kgitops/kinds/ and one line here. The order of the
list is the order kinds are read in: the topic kind reads the cluster itself (brokers,
topic metadata), which later kinds may use.
"""
from __future__ import annotations

from typing import Sequence

from kgitops.kinds.acl import AclKind
from kgitops.kinds.broker import BrokerKind
from kgitops.kinds.group import GroupKind
from kgitops.kinds.quota import QuotaKind
from kgitops.kinds.base import ResourceKind
from kgitops.kinds.subject import SubjectKind
from kgitops.kinds.topic import TopicKind
from kgitops.kinds.user import UserKind
from kgitops.plan import Action

KINDS: tuple[ResourceKind, ...] = (
    TopicKind(),
    SubjectKind(),
    UserKind(),
    AclKind(),
    QuotaKind(),
    BrokerKind(),
    GroupKind(),
)


def action_types(kinds: Sequence[ResourceKind] = KINDS) -> dict[str, type[Action]]:
    """Every action class by its `kind` name, for reading saved plans."""
    return {cls.kind: cls for k in kinds for cls in k.action_types}


def kind_of(action: Action, kinds: Sequence[ResourceKind] = KINDS) -> ResourceKind:
    for k in kinds:
        if type(action) in k.action_types:
            return k
    raise LookupError(f"no resource kind owns action {action.kind!r}")

"""Policy checked against the live cluster: what the desired state alone cannot tell. Each
resource kind holds its own rules (kgitops/kinds/*/policy.py); this asks every kind, over
the whole plan's actions, so a rule sees everything one apply would do."""
from __future__ import annotations

from typing import Sequence

from kgitops.errors import Problem
from kgitops.kinds.base import ResourceKind
from kgitops.model import ClusterSpec, LiveState
from kgitops.plan import Action


def check_live(kinds: Sequence[ResourceKind], desired: ClusterSpec, live: LiveState,
               actions: Sequence[Action]) -> list[Problem]:
    return [problem for kind in kinds for problem in kind.check_live(desired, live, actions)]

"""The live impact of removing ACL bindings: which consumer groups of that principal have
committed offsets on the topics it loses READ on (docs/impact.md, "ACL removal").

A principal's groups are the groups its live bindings let it READ (literal or prefixed,
the removed bindings included): those are the groups its consumers can join. Of them, the
ones with committed offsets on a topic whose READ goes are consumers that stop with
TOPIC_AUTHORIZATION_FAILED after the apply; when the group READ itself goes, they stop
with GROUP_AUTHORIZATION_FAILED. Reads: one ListGroups and the committed offsets of the
principal's groups only, on the partitions of the topics concerned.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from kgitops.kinds.acl.actions import Binding, DeleteAcls
from kgitops.plan import Action
from kgitops.wording import plural

READS = ("READ", "ALL")
GROUPS_SHOWN = 10


@dataclass(frozen=True)
class GroupAccess:
    group: str
    topics: tuple[str, ...]  # topics it has committed offsets on that the principal loses or reads
    partitions: int  # committed partitions on those topics
    error: str  # what its consumers will get


@dataclass(frozen=True)
class AccessLoss:
    """One DeleteAcls action's impact; `groups` None when they could not be read."""

    principal: str
    groups: tuple[GroupAccess, ...] | None
    unavailable: str = ""

    def lines(self) -> list[str]:
        if self.groups is None:
            return [f"impact: consumer groups not read ({self.unavailable})"]
        if not self.groups:
            return [f"impact: no consumer group of {self.principal} has committed offsets on the topics it loses"]
        shown = [f"group {g.group} ({plural(g.partitions, 'committed partition')} on {', '.join(g.topics)}): its "
                 f"consumers fail with {g.error}" for g in self.groups[:GROUPS_SHOWN]]
        more = len(self.groups) - GROUPS_SHOWN
        return [f"impact: {line}" for line in shown] + ([f"impact: and {more} more group(s)"] if more > 0 else [])

    def to_dict(self) -> dict:
        return {"principal": self.principal, "unavailable": self.unavailable or None,
                "groups": None if self.groups is None else [
                    {"group": g.group, "topics": list(g.topics), "partitions": g.partitions, "error": g.error}
                    for g in self.groups]}


def matches(binding: Binding, resource_type: str, name: str) -> bool:
    if binding.resource_type != resource_type:
        return False
    if binding.pattern == "prefixed":
        return name.startswith(binding.resource_name)
    return binding.resource_name in (name, "*")


def _reads(bindings: Iterable[Binding], resource_type: str) -> list[Binding]:
    return [b for b in bindings if b.resource_type == resource_type and b.operation in READS
            and b.permission == "ALLOW"]


@dataclass(frozen=True)
class Concern:
    """What one removal puts at risk: the topics and groups whose READ goes, and the
    principal's groups and readable topics (to find its consumers)."""

    action: DeleteAcls
    lost_topics: tuple[Binding, ...]
    lost_groups: tuple[Binding, ...]
    group_reads: tuple[Binding, ...]
    topic_reads: tuple[Binding, ...]

    def topics(self, live_topics: Iterable[str]) -> list[str]:
        # A group READ that goes stops its consumers on every topic they read.
        patterns = self.lost_topics + (self.topic_reads if self.lost_groups else ())
        return sorted(t for t in live_topics if any(matches(b, "topic", t) for b in patterns))

    def is_group_of(self, group: str) -> bool:
        return any(matches(b, "group", group) for b in self.group_reads)

    def error_for(self, group: str, topic: str) -> str | None:
        if any(matches(b, "group", group) for b in self.lost_groups):
            return "GROUP_AUTHORIZATION_FAILED"
        if any(matches(b, "topic", topic) for b in self.lost_topics):
            return "TOPIC_AUTHORIZATION_FAILED"
        return None


def concerns_of(actions: Sequence[Action], live_bindings: Iterable[Binding]) -> list[Concern]:
    live = list(live_bindings)
    out = []
    for action in actions:
        if not isinstance(action, DeleteAcls):
            continue
        mine = [b for b in live if b.principal == action.principal]
        lost_topics, lost_groups = _reads(action.bindings, "topic"), _reads(action.bindings, "group")
        if lost_topics or lost_groups:
            out.append(Concern(action, tuple(lost_topics), tuple(lost_groups), tuple(_reads(mine, "group")),
                               tuple(_reads(mine, "topic"))))
    return out


def loss_of(concern: Concern, topics: Sequence[str], offsets: Mapping[str, Mapping[tuple[str, int], int]]
            ) -> AccessLoss:
    found = []
    concerned = set(topics)
    for group, committed in sorted(offsets.items()):
        if not concern.is_group_of(group):
            continue
        hit = sorted({t for (t, _) in committed if t in concerned and concern.error_for(group, t)})
        if hit:
            error = concern.error_for(group, hit[0]) or ""
            found.append(GroupAccess(group, tuple(hit), sum(1 for (t, _) in committed if t in hit), error))
    return AccessLoss(concern.action.principal, tuple(found))


def read_access_losses(actions: Sequence[Action], live_bindings: Iterable[Binding] | None, live_topics: Any,
                       reader: Any) -> dict[tuple[str, str], AccessLoss]:
    """The impact of each DeleteAcls in `actions`, by (action kind, resource). `reader` is a
    kgitops.live.consumers.ConsumerReader; `live_topics` maps topic -> its live form."""
    from kgitops.live.consumers import ReadDenied, ReadFailed

    concerns = concerns_of(actions, live_bindings or ())
    if not concerns:
        return {}
    try:
        listed = [g.group_id for g in reader.list_groups()]
    except (ReadDenied, ReadFailed) as err:
        return {(c.action.kind, c.action.resource): AccessLoss(c.action.principal, None, str(err)) for c in concerns}
    # One read of the committed offsets for every removal: the union of the principals'
    # groups on the union of the topics concerned, then each removal takes its share.
    topics_of = {id(c): c.topics(live_topics) for c in concerns}
    groups = sorted({g for c in concerns for g in listed if c.is_group_of(g)})
    partitions = sorted({(t, p.id) for topics in topics_of.values() for t in topics for p in live_topics[t].partitions})
    try:
        offsets = reader.committed_offsets(groups, partitions) if groups and partitions else {}
    except (ReadDenied, ReadFailed) as err:
        return {(c.action.kind, c.action.resource): AccessLoss(c.action.principal, None, str(err)) for c in concerns}
    return {(c.action.kind, c.action.resource): loss_of(c, topics_of[id(c)], offsets) for c in concerns}

"""The live impact of ACL removals without a server: which groups are the principal's,
which of them have committed offsets on what it loses, and the error their consumers get."""
from __future__ import annotations

from dataclasses import dataclass

from kgitops.kinds.acl.actions import Binding, DeleteAcls
from kgitops.kinds.acl.impact import AccessLoss, GroupAccess, concerns_of, loss_of, read_access_losses
from kgitops.live.consumers import GroupListing, ReadDenied

P = "User:billing"


def read(resource_type: str, name: str, pattern: str = "literal", principal: str = P) -> Binding:
    return Binding(principal, resource_type, name, pattern, "READ")


def test_losing_topic_read_names_the_groups_with_offsets_on_it():
    live = [read("topic", "shop.orders"), read("topic", "shop.refunds"), read("group", "billing-", "prefixed")]
    (concern,) = concerns_of([DeleteAcls(principal=P, bindings=(read("topic", "shop.orders"),))], live)
    offsets = {"billing-a": {("shop.orders", 0): 5, ("shop.orders", 1): 7, ("shop.refunds", 0): 1},
               "billing-b": {("shop.refunds", 0): 3},  # reads only what it keeps
               "other": {("shop.orders", 0): 1}}  # not a group of this principal
    loss = loss_of(concern, concern.topics(["shop.orders", "shop.refunds", "x"]), offsets)
    assert loss.groups == (GroupAccess("billing-a", ("shop.orders",), 2, "TOPIC_AUTHORIZATION_FAILED"),)
    assert loss.lines() == ["impact: group billing-a (2 committed partitions on shop.orders): its consumers fail "
                            "with TOPIC_AUTHORIZATION_FAILED"]


def test_losing_the_group_read_stops_its_consumers_on_every_topic():
    live = [read("topic", "shop.orders"), read("group", "billing")]
    (concern,) = concerns_of([DeleteAcls(principal=P, bindings=(read("group", "billing"),))], live)
    topics = concern.topics(["shop.orders"])
    loss = loss_of(concern, topics, {"billing": {("shop.orders", 0): 5}})
    assert loss.groups == (GroupAccess("billing", ("shop.orders",), 1, "GROUP_AUTHORIZATION_FAILED"),)


def test_removals_that_take_no_read_have_no_impact_to_read():
    write = Binding(P, "topic", "shop.orders", "literal", "WRITE")
    assert concerns_of([DeleteAcls(principal=P, bindings=(write,))], [write]) == []


@dataclass
class FakeReader:
    groups: list[str]
    offsets: dict
    denied: bool = False

    def list_groups(self):
        if self.denied:
            raise ReadDenied("listing consumer groups", "DESCRIBE on the groups", "GROUP_AUTHORIZATION_FAILED")
        return [GroupListing(g, "Stable", "consumer") for g in self.groups]

    def committed_offsets(self, groups, partitions):
        self.asked = sorted(groups)
        return {g: self.offsets[g] for g in groups if g in self.offsets}


@dataclass
class FakePartition:
    id: int


@dataclass
class FakeTopic:
    partitions: tuple


def test_only_the_principals_groups_are_asked_and_a_denied_read_is_said():
    live = [read("topic", "shop.orders"), read("group", "billing")]
    action = DeleteAcls(principal=P, bindings=(read("topic", "shop.orders"),))
    reader = FakeReader(["billing", "other"], {"billing": {("shop.orders", 0): 1}})
    topics = {"shop.orders": FakeTopic((FakePartition(0),))}
    losses = read_access_losses([action], live, topics, reader)
    assert reader.asked == ["billing"]
    assert losses[("delete_acls", P)].groups[0].group == "billing"
    denied = read_access_losses([action], live, topics, FakeReader([], {}, denied=True))
    assert denied[("delete_acls", P)] == AccessLoss(P, None, "listing consumer groups: GROUP_AUTHORIZATION_FAILED")
    assert "consumer groups not read" in denied[("delete_acls", P)].lines()[0]

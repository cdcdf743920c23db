"""The ACL kind without a server: loading and shorthands, canonical forms, the diff per
principal, policy, and how a plan shows it."""
from __future__ import annotations

import json

import pytest

from kgitops import diff
from kgitops.desired.loader import load_cluster
from kgitops.errors import InputError
from kgitops.kinds import KINDS, action_types
from kgitops.kinds.acl.actions import Binding, CreateAcls, DeleteAcls
from kgitops.kinds.acl.compare import diff_acls
from kgitops.kinds.acl.desired import DesiredAcls
from kgitops.model import Broker, LiveCluster, LiveState
from kgitops.plan import plan_from_dict, plan_to_dict
from kgitops.policy.desired import check_desired
from kgitops.render.text import render_text

CLUSTER = "name: c\nkafka: {bootstrap_servers: 127.0.0.1:1}\ninclude: [acls.yaml]\n"


def load(tmp_path, acls_yaml: str, cluster_extra: str = ""):
    (tmp_path / "acls.yaml").write_text(acls_yaml)
    (tmp_path / "c.yaml").write_text(CLUSTER + cluster_extra)
    return load_cluster(tmp_path / "c.yaml", KINDS).cluster


def b(principal, kind, name, op, pattern="literal", permission="ALLOW"):
    return Binding(principal, kind, name, pattern, op, permission, "*")


ISSUE_EXAMPLE = """
acls:
  - principal: User:orders-svc
    resource: {type: topic, name: shop.orders, pattern: literal}
    operations: [WRITE, describe]
  - principal: User:billing
    consume: {topics: [shop.orders], group: billing}
  - principal: User:orders-svc
    produce: {topics: [shop.orders], transactional_id: orders-}
external_principals: [User:orders-svc, User:billing]
"""


def test_shorthands_expand_into_plain_canonical_bindings(tmp_path):
    acls = load(tmp_path, ISSUE_EXAMPLE).resources["acl"]
    assert {d.binding for d in acls.bindings} == {
        b("User:orders-svc", "topic", "shop.orders", "WRITE"), b("User:orders-svc", "topic", "shop.orders", "DESCRIBE"),
        b("User:billing", "topic", "shop.orders", "READ"), b("User:billing", "topic", "shop.orders", "DESCRIBE"),
        b("User:billing", "group", "billing", "READ"),
        b("User:orders-svc", "transactional_id", "orders-", "WRITE", "prefixed"),
        b("User:orders-svc", "transactional_id", "orders-", "DESCRIBE", "prefixed"),
    }  # the produce shorthand repeats WRITE/DESCRIBE on the topic: declared twice, kept once


def test_a_bad_entry_is_refused_at_its_line(tmp_path):
    with pytest.raises(InputError) as err:
        load(tmp_path, "acls:\n  - principal: billing\n    consume: {topics: [a]}\n")
    assert "acls.yaml:2:" in err.value.message


def test_diff_is_per_principal_and_leaves_unowned_principals_alone():
    desired = DesiredAcls(owned_principals=("User:svc-",))
    from kgitops.kinds.acl.desired import DeclaredBinding
    from kgitops.model import Location
    keep, add = b("User:svc-a", "topic", "t", "READ"), b("User:svc-a", "topic", "t", "DESCRIBE")
    desired = DesiredAcls(bindings=(DeclaredBinding(keep, Location("a.yaml", 2)), DeclaredBinding(add, Location("a.yaml", 2))),
                          owned_principals=("User:svc-",))
    stale, other = b("User:svc-b", "group", "g", "READ"), b("User:human", "topic", "t", "ALL")
    result = diff_acls(desired, [keep, stale, other])
    assert result.actions == (CreateAcls(principal="User:svc-a", bindings=(add,), new_principal=False),
                              DeleteAcls(principal="User:svc-b", bindings=(stale,), every_binding=True,
                                         risks=result.actions[1].risks))
    assert "User:svc-b loses READ on group g: its clients will fail with GROUP_AUTHORIZATION_FAILED" in \
        result.actions[1].risks[0]
    assert result.unmanaged == ("User:human",)


def test_apply_then_plan_has_no_phantoms_for_all_and_case():
    from kgitops.kinds.acl.desired import DeclaredBinding
    from kgitops.model import Location
    declared = b("User:x", "cluster", "kafka-cluster", "ALL")
    desired = DesiredAcls(bindings=(DeclaredBinding(declared, Location("a.yaml", 2), reason="admin"),))
    assert diff_acls(desired, [declared]).actions == ()


@pytest.mark.parametrize("entry,refused", [
    ("  - principal: 'User:*'\n    consume: {topics: [t]}\n", "User:*"),
    ("  - principal: User:a\n    resource: {type: topic, name: '*'}\n    operations: [READ]\n", "every topic"),
    ("  - principal: User:a\n    resource: {type: cluster}\n    operations: [ALL]\n", "ALL operations"),
    ("  - principal: User:a\n    resource: {type: cluster}\n    operations: [ALL]\n    reason: break-glass admin\n", None),
    ("  - principal: User:a\n    resource: {type: topic, name: 'shop.', pattern: prefixed}\n    operations: [READ]\n", None),
])
def test_policy_refuses_broad_bindings_without_a_reason(tmp_path, entry, refused):
    cluster = load(tmp_path, "acls:\n" + entry)
    problems = [p for k in KINDS for p in k.check_desired(cluster)] + check_desired(cluster)
    errors = [p for p in problems if p.severity == "error"]
    if refused is None:
        assert errors == []
    else:
        assert len(errors) == 1 and refused in errors[0].message and errors[0].kind == "policy"
    unbacked = [p for p in problems if p.severity == "warning" and "no `users:` entry" in p.message]
    assert len(unbacked) == (0 if "User:*" in entry else 1)


def test_a_plan_shows_one_block_per_principal_and_round_trips(tmp_path):
    cluster = load(tmp_path, ISSUE_EXAMPLE)
    live = LiveState({"topic": LiveCluster("cid", 1, (Broker(1, "h", 1),), {}), "acl": ()})
    plan = diff.plan_of(KINDS, cluster, live)
    text = render_text(plan)
    assert "+ acl User:billing" in text and "+ ALLOW READ on group billing (literal) from *" in text
    assert text.count("acl User:orders-svc") == 1
    assert plan.counts()["create"] == 2
    assert plan_from_dict(json.loads(json.dumps(plan_to_dict(plan))), action_types()) == plan


def test_import_uses_shorthands_only_where_they_fit_exactly():
    from kgitops.kinds.acl.desired import expand
    from kgitops.kinds.acl.export import IMPORT_REASON, acl_entries

    consume = {"principal": "User:billing", "consume": {"topics": ["a", "b"], "group": "billing"}}
    produce = {"principal": "User:orders", "produce": {"topics": ["a"], "transactional_id": "orders-"}}
    odd = [b("User:odd", "topic", "a", "READ"), b("User:odd", "topic", "b", "WRITE")]
    broad = [b("User:admin", "cluster", "kafka-cluster", "ALL")]
    entries = acl_entries(expand(consume) + expand(produce) + odd + broad)
    assert consume in entries and produce in entries
    assert {"principal": "User:odd", "resource": {"type": "topic", "name": "a", "pattern": "literal"},
            "operations": ["READ"]} in entries
    admin = next(e for e in entries if e["principal"] == "User:admin")
    assert admin["resource"] == {"type": "cluster"} and admin["reason"] == IMPORT_REASON
    assert {x for e in entries for x in expand(e)} == set(expand(consume) + expand(produce) + odd + broad)

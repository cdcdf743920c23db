"""SCRAM users without a server: what is a change, rotation only when asked, and no
password anywhere in a plan."""
from __future__ import annotations

import json

import pytest

from kgitops import diff
from kgitops.desired.loader import load_cluster
from kgitops.errors import InputError
from kgitops.kinds import KINDS
from kgitops.kinds.user import DeleteScramCredential, SetScramCredential, diff_users, with_rotation
from kgitops.model import Broker, LiveCluster, LiveState
from kgitops.plan import plan_to_dict
from kgitops.render.text import render_text

USERS = """
users:
  - name: orders-svc
    mechanism: SCRAM-SHA-512
    iterations: 8192
    password: ${ORDERS_SVC_PASSWORD}
owned_users: [svc-]
"""


def load(tmp_path, text: str):
    (tmp_path / "u.yaml").write_text(text)
    (tmp_path / "c.yaml").write_text("name: c\nkafka: {bootstrap_servers: 127.0.0.1:1}\ninclude: [u.yaml]\n")
    return load_cluster(tmp_path / "c.yaml", KINDS).cluster


@pytest.mark.parametrize("live,why", [
    ({}, "new user"),
    ({"orders-svc": {"SCRAM-SHA-256": 4096}}, "no SCRAM-SHA-512 credential yet"),
    ({"orders-svc": {"SCRAM-SHA-512": 4096}}, "iterations 4096 -> 8192"),
    ({"orders-svc": {"SCRAM-SHA-512": 8192}}, None),
])
def test_what_is_a_change(tmp_path, live, why):
    users = load(tmp_path, USERS).resources["user"]
    actions = diff_users(users, live).actions
    sets = [a for a in actions if isinstance(a, SetScramCredential)]
    if why is None:
        assert actions == ()
    else:
        assert len(sets) == 1 and why in sets[0].why
    if live.get("orders-svc", {}).get("SCRAM-SHA-256"):
        assert [a.mechanism for a in actions if isinstance(a, DeleteScramCredential)] == ["SCRAM-SHA-256"]


def test_rotation_only_when_asked(tmp_path):
    cluster = load(tmp_path, USERS)
    live = {"orders-svc": {"SCRAM-SHA-512": 8192}}
    assert diff_users(cluster.resources["user"], live).actions == ()
    rotated = diff_users(with_rotation(cluster).resources["user"], live).actions
    assert [a.why for a in rotated] == ["password rotation (--rotate-passwords)"]


def test_owned_users_not_declared_are_deleted_and_others_left_alone(tmp_path):
    users = load(tmp_path, USERS).resources["user"]
    result = diff_users(users, {"orders-svc": {"SCRAM-SHA-512": 8192}, "svc-old": {"SCRAM-SHA-256": 4096},
                                "admin": {"SCRAM-SHA-512": 8192}})
    assert [(a.kind, a.user) for a in result.actions] == [("delete_scram_credential", "svc-old")]
    assert result.unmanaged == ("admin",)


def test_a_literal_password_is_refused_at_its_line(tmp_path):
    with pytest.raises(InputError) as err:
        load(tmp_path, "users:\n  - name: a\n    password: hunter2\n")
    assert "u.yaml:3:" in err.value.message and "hunter2" not in err.value.message


def test_no_password_in_a_plan(tmp_path, monkeypatch):
    monkeypatch.setenv("ORDERS_SVC_PASSWORD", "canary-5e1f9a")
    cluster = load(tmp_path, USERS)
    live = LiveState({"topic": LiveCluster("cid", 1, (Broker(1, "h", 1),), {}), "user": {}})
    plan = diff.plan_of(KINDS, cluster, live)
    text, data = render_text(plan), json.dumps(plan_to_dict(plan))
    assert "+ user orders-svc" in text and "password from ${ORDERS_SVC_PASSWORD} (new user)" in text
    assert "canary-5e1f9a" not in text and "canary-5e1f9a" not in data

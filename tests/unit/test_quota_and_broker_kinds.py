"""Client quotas and cluster-wide broker defaults without a server: loading (errors at their
line), bounds, the comparison (owned and unmanaged entities, removals, risks), plan
encoding, and the refusals a plan makes from what the brokers reported."""
from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kgitops.desired.loader import load_cluster
from kgitops.kinds import KINDS
from kgitops.kinds.broker import AlterBrokerDefaults, DesiredBrokers, LiveBrokers, diff_brokers
from kgitops.kinds.quota import diff_quotas
from kgitops.kinds.quota.desired import DesiredQuotas, QuotaSpec
from kgitops.kinds.quota.model import Entity, QuotaChange, RemoveQuotas, SetQuotas, quantity
from kgitops.kinds.topic.actions import ConfigChange
from kgitops.kinds.user import DesiredUsers
from kgitops.errors import InputError, Problem
from kgitops.model import ClusterSpec, KafkaConnection, Location
from kgitops.plan import Action

HERE = Location("c.yaml", 1, 1)


def load(tmp_path: Path, body: str) -> ClusterSpec:
    path = tmp_path / "c.yaml"
    path.write_text("name: t\nkafka: {bootstrap_servers: 127.0.0.1:1}\n" + body)
    return load_cluster(path, KINDS).cluster


def load_errors(tmp_path: Path, body: str) -> list[Problem]:
    with pytest.raises(InputError) as refused:
        load(tmp_path, body)
    return list(refused.value.problems)


def cluster_with(users: DesiredUsers | None = None) -> ClusterSpec:
    return ClusterSpec("t", "c.yaml", KafkaConnection("127.0.0.1:1"), resources={"user": users} if users else {})


def user(name: str) -> Entity:
    return Entity.of([("user", name)])


def test_quota_values_are_parsed_and_the_default_entity_is_named_as_kafka_does(tmp_path):
    cluster = load(tmp_path, "quotas:\n  - entity: {user: svc, client_id: <default>}\n"
                             "    producer_byte_rate: 10MiB\n    request_percentage: 50\n")
    (spec,) = cluster.resources["quota"].quotas
    assert spec.entity.parts == (("client-id", None), ("user", "svc"))
    assert spec.entity.describe() == "client-id=<default>,user=svc"
    assert spec.values == {"producer_byte_rate": 10485760.0, "request_percentage": 50.0}


@pytest.mark.parametrize("entry, message", [
    ("{entity: {ip: 10.0.0.1, user: a}, connection_creation_rate: 5}", "an ip entity stands alone"),
    ("{entity: {user: a}, connection_creation_rate: 5}", "connection_creation_rate applies to ip entities only"),
    ("{entity: {ip: 10.0.0.1}, producer_byte_rate: 1MiB}", "applies to user and client-id entities only"),
    ("{entity: {user: a}, producer_byte_rate: ten}", "expected a size such as 1GiB"),
    ("{entity: {user: a}}", "declares no quota value"),
])
def test_bad_quota_entries_are_errors_at_their_line(tmp_path, entry, message):
    errors = load_errors(tmp_path, f"topics: []\nquotas:\n  - {entry}\n")
    assert any(message in p.message and p.line == 5 for p in errors), errors


def test_an_entity_declared_twice_is_an_error(tmp_path):
    errors = load_errors(tmp_path, "quotas:\n  - {entity: {user: a}, producer_byte_rate: 1MiB}\n"
                                   "  - {entity: {user: a}, consumer_byte_rate: 1MiB}\n")
    assert any("declared twice" in p.message and p.line == 5 for p in errors), errors


def test_rates_that_would_stop_clients_need_a_reason(tmp_path):
    kind = next(k for k in KINDS if k.name == "quota")
    cluster = load(tmp_path, "quotas:\n  - {entity: {user: a}, producer_byte_rate: 100}\n"
                             "  - {entity: {user: b}, producer_byte_rate: 100, reason: quarantined client}\n")
    problems = kind.check_desired(cluster)
    assert [(p.kind, p.line) for p in problems] == [("policy", 4)]
    assert "did you mean KiB or MiB" in problems[0].message


def test_declared_entities_are_set_and_undeclared_values_removed_with_risks():
    wanted = DesiredQuotas((QuotaSpec(user("a"), {"producer_byte_rate": 1048576.0}, HERE),
                            QuotaSpec(user("new"), {"consumer_byte_rate": 2048.0}, HERE)))
    live = {user("a"): {"producer_byte_rate": 2097152.0, "request_percentage": 50.0}}
    result = diff_quotas(cluster_with(), wanted, live)
    first, second = result.actions
    assert isinstance(first, SetQuotas) and not first.new_entity and first.changes == (
        QuotaChange("producer_byte_rate", 2097152.0, 1048576.0), QuotaChange("request_percentage", 50.0, None))
    assert "lowered 2097152 (2 MiB/s) -> 1048576 (1 MiB/s): producers of user=a" in first.risks[0]
    assert "loses its request_percentage quota" in first.risks[1]
    assert isinstance(second, SetQuotas) and second.new_entity and second.symbol == "+"
    assert diff_quotas(cluster_with(), wanted, {**live, user("a"): {"producer_byte_rate": 1048576.0},
                                                user("new"): {"consumer_byte_rate": 2048.0}}).actions == ()


def test_undeclared_entities_are_removed_only_when_their_user_is_owned():
    live = {user("svc-old"): {"producer_byte_rate": 1.0}, user("other"): {"producer_byte_rate": 1.0},
            Entity.of([("client-id", "app")]): {"consumer_byte_rate": 1.0}}
    owned = cluster_with(DesiredUsers(owned_users=("svc-",)))
    result = diff_quotas(owned, DesiredQuotas(), live)
    assert [type(a) for a in result.actions] == [RemoveQuotas]
    assert result.actions[0].entity == user("svc-old") and result.actions[0].symbol == "-"
    assert result.unmanaged == ("client-id=app", "user=other")


def test_quota_actions_survive_a_saved_plan():
    action = SetQuotas(entity=Entity.of([("user", "a"), ("client-id", None)]),
                       changes=(QuotaChange("producer_byte_rate", None, 1024.0),), new_entity=True, risks=("r",))
    fields = {k: v for k, v in action.to_dict().items() if k not in ("kind", "resource_type", "resource")}
    import json
    assert SetQuotas.from_fields(json.loads(json.dumps(fields))) == action


def test_quantities_read_as_people_write_them():
    assert quantity("producer_byte_rate", 10485760.0) == "10485760 (10 MiB/s)"
    assert quantity("producer_byte_rate", 1000.0) == "1000 bytes/s"
    assert quantity("request_percentage", 12.5) == "12.5 %"


def live_brokers(defaults=None, known=None, refused=None, sensitive=()) -> LiveBrokers:
    known = known if known is not None else {"log.cleaner.threads": True, "log.retention.hours": False,
                                             "min.insync.replicas": True, "ssl.keystore.password": True}
    return LiveBrokers(defaults or {}, frozenset(sensitive), known, refused)


def brokers(**values) -> DesiredBrokers:
    return DesiredBrokers({k.replace("_", "."): v for k, v in values.items()},
                          {k.replace("_", "."): Location("c.yaml", i + 3, 5) for i, k in enumerate(values)})


def test_declared_defaults_change_and_undeclared_ones_stay_unmanaged():
    result = diff_brokers(brokers(log_cleaner_threads="2"), live_brokers({"min.insync.replicas": "1"}))
    (action,) = result.actions
    assert isinstance(action, AlterBrokerDefaults) and action.changes == (ConfigChange("log.cleaner.threads", None, "2"),)
    assert result.unmanaged == ("min.insync.replicas (cluster-wide default)",)
    assert diff_brokers(brokers(log_cleaner_threads="2"), live_brokers({"log.cleaner.threads": "2"})).actions == ()


def test_null_removes_a_default_and_is_no_change_when_there_is_none():
    result = diff_brokers(brokers(log_cleaner_threads=None), live_brokers({"log.cleaner.threads": "2"}))
    assert result.actions[0].changes[0].op == "reset"
    assert diff_brokers(brokers(log_cleaner_threads=None), live_brokers()).actions == ()


@pytest.mark.parametrize("key, live, message", [
    ("log.retention.hours", live_brokers(), "not a dynamic broker config"),
    ("log.cleaner.thread", live_brokers(), "not a broker config of this cluster (did you mean log.cleaner.threads?)"),
    ("ssl.keystore.password", live_brokers(sensitive=("ssl.keystore.password",)), "sensitive config"),
])
def test_keys_the_cluster_cannot_take_are_refused_at_their_line(key, live, message):
    wanted = DesiredBrokers({key: "1"}, {key: Location("c.yaml", 7, 5)})
    (refusal,) = diff_brokers(wanted, live).refusals
    assert message in refusal.message and refusal.line == 7 and refusal.resource == "broker cluster-wide defaults"


def test_values_the_brokers_refused_with_validate_only_are_a_refusal():
    result = diff_brokers(brokers(log_cleaner_threads="-3"), live_brokers(refused="INVALID_CONFIG: must be >= 1"))
    assert result.actions == () and "the brokers refuse these cluster-wide defaults: INVALID_CONFIG" in \
        result.refusals[0].message


def test_cluster_wide_safety_defaults_below_the_policy_are_refused(tmp_path):
    kind = next(k for k in KINDS if k.name == "broker")
    cluster = load(tmp_path, "brokers:\n  defaults:\n    min.insync.replicas: 1\n    default.replication.factor: 3\n")
    problems = kind.check_desired(cluster)
    assert [(p.kind, p.line) for p in problems] == [("policy", 5)]


def test_broker_actions_survive_a_saved_plan():
    action = AlterBrokerDefaults(changes=(ConfigChange("log.cleaner.threads", None, "2"),), risks=("r",))
    fields = {k: v for k, v in action.to_dict().items() if k not in ("kind", "resource_type", "resource")}
    assert AlterBrokerDefaults.from_fields(fields) == action
    assert isinstance(action, Action) and dataclasses.is_dataclass(action)

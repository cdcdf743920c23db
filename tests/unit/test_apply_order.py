"""The apply executor (kgitops/apply/__init__.py) with small fakes and no server: the order
of steps across kinds, deletions last and only after every constructive step succeeded,
and actions skipped when what they depend on failed."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from confluent_kafka import KafkaError

from kgitops.apply import execute, ordered_steps
from kgitops.kinds import KINDS
from kgitops.kinds.base import ApplyStep, Outcome, ResourceKind
from kgitops.kinds.subject.actions import DeleteSubject, RegisterSchema, SetCompatibility
from kgitops.kinds.topic.actions import (AddPartitions, AlterTopicConfig, ChangeReplicationFactor, ConfigChange,
                                         CreateTopic, DeleteTopic)
from kgitops.live.clients import Clients
from kgitops.plan import Action
from tests.unit.futures import done as _done, failed as _failed


def test_steps_of_the_registered_kinds_run_constructive_first_and_deletions_last():
    order = [cls.kind for step in ordered_steps(KINDS) for cls in step.actions]
    assert order == ["alter_broker_configs", "create_topic", "alter_topic_config", "add_partitions",
                     "change_replication_factor", "alter_topic_config_after_replication",
                     "add_partitions_after_replication", "set_compatibility", "register_schema", "set_mode",
                     "set_scram_credential", "set_quotas", "create_acls", "alter_group_config", "delete_subject",
                     "delete_scram_credential", "delete_acls", "remove_quotas", "delete_topic"]
    destructive = [step.destructive for step in ordered_steps(KINDS)]
    assert destructive == [False] * 12 + [True] * 5


# --- toy kinds: each step records what it ran --------------------------------------------


@dataclass(frozen=True)
class ToyAction(Action):
    resource_type: ClassVar[str] = "toy"
    name: str = ""
    fail: bool = False
    needs: str = ""

    @property
    def resource(self) -> str:
        return self.name

    def depends_on(self):
        return (("toy_make", self.needs, f"{self.needs} was not made"),) if self.needs else ()


@dataclass(frozen=True)
class Make(ToyAction):
    kind: ClassVar[str] = "toy_make"


@dataclass(frozen=True)
class Change(ToyAction):
    kind: ClassVar[str] = "toy_change"


@dataclass(frozen=True)
class Remove(ToyAction):
    kind: ClassVar[str] = "toy_remove"


def toy_kind(ran: list[str]) -> ResourceKind:
    def step(context, actions):
        outcomes = []
        for a in actions:
            ran.append(f"{a.kind}:{a.name}")
            outcome = Outcome(a, ok=not a.fail, error="boom" if a.fail else None)
            context.report(outcome)
            outcomes.append(outcome)
        return outcomes

    class Toy(ResourceKind):
        name = "toy"
        action_types = (Make, Change, Remove)
        apply_steps = (ApplyStep(95, (Remove,), step, destructive=True), ApplyStep(5, (Make,), step),
                       ApplyStep(60, (Change,), step))
    return Toy()


def run(actions, kinds):
    reported: list[Outcome] = []
    outcomes = execute(actions, kinds=kinds, clients=Clients(admin=None, client_config={}), report=reported.append)
    assert reported == outcomes  # every outcome is reported once, as it happens
    return outcomes


def test_steps_run_by_order_whatever_the_order_of_the_actions():
    ran: list[str] = []
    run([Remove(name="r"), Change(name="c"), Make(name="m")], [toy_kind(ran)])
    assert ran == ["toy_make:m", "toy_change:c", "toy_remove:r"]


def test_nothing_destructive_runs_after_a_constructive_failure():
    ran: list[str] = []
    outcomes = run([Make(name="m", fail=True), Change(name="c"), Remove(name="r")], [toy_kind(ran)])
    assert ran == ["toy_make:m", "toy_change:c"]  # independent constructive work still runs
    removed = outcomes[-1]
    assert removed.skipped and removed.action.name == "r" and "nothing is deleted" in removed.error


def test_an_action_whose_dependency_failed_is_skipped_with_the_reason():
    ran: list[str] = []
    outcomes = run([Make(name="m", fail=True), Change(name="c", needs="m"), Change(name="d", needs="other")],
                   [toy_kind(ran)])
    assert ran == ["toy_make:m", "toy_change:d"]
    skipped = [o for o in outcomes if o.skipped]
    assert [(o.action.name, o.error) for o in skipped] == [("c", "m was not made")]


# --- the real topic and subject steps over fake clients ----------------------------------




class FakeAdmin:
    """The confluent-kafka AdminClient calls the topic steps make; records them in order."""

    def __init__(self, refuse_create: set[str] = frozenset()):
        self.calls: list[tuple[str, tuple[str, ...]]] = []
        self.refuse_create = refuse_create

    def create_topics(self, topics, validate_only=False, request_timeout=None):
        names = tuple(t.topic for t in topics)
        self.calls.append(("validate_create" if validate_only else "create", names))
        return {n: _failed(KafkaError.POLICY_VIOLATION) if n in self.refuse_create else _done() for n in names}

    def incremental_alter_configs(self, resources, request_timeout=None):
        self.calls.append(("alter_configs", tuple(r.name for r in resources)))
        return {r: _done() for r in resources}

    def create_partitions(self, partitions, request_timeout=None):
        self.calls.append(("create_partitions", tuple(p.topic for p in partitions)))
        return {p.topic: _done() for p in partitions}

    def delete_topics(self, names, request_timeout=None):
        self.calls.append(("delete", tuple(names)))
        return {n: _done() for n in names}

    def list_topics(self, timeout=None):
        class Metadata:
            topics = {name: None for call, names in self.calls if call == "create" for name in names}
        return Metadata()


class FakeRegistry:
    url = "http://registry.invalid"

    def __init__(self):
        self.calls: list[tuple[str, str]] = []

    def get_subject_config(self, subject):
        return "BACKWARD"

    def get_global_config(self):
        return "BACKWARD"

    def set_subject_config(self, subject, level):
        self.calls.append(("set_level", subject))

    def test_compatibility(self, subject, schema, version=None, schema_type="AVRO"):
        return True, []

    def register(self, subject, schema, schema_type="AVRO"):
        self.calls.append(("register", subject))

    def delete_subject(self, subject):
        self.calls.append(("delete", subject))


PLAN = [
    DeleteTopic(topic="old"),
    DeleteSubject(subject="old-value", versions=(1,)),
    RegisterSchema(subject="new-value", schema='"string"', topic="new"),
    SetCompatibility(subject="new-value", after="FULL"),
    AddPartitions(topic="grow", before=3, after=6),
    AlterTopicConfig(topic="conf", changes=(ConfigChange("retention.ms", "1", "2"),)),
    CreateTopic(topic="new", partitions=3, replication_factor=3),
]


def test_real_kinds_apply_in_order_over_fake_clients():
    admin, registry = FakeAdmin(), FakeRegistry()
    outcomes = execute(PLAN, kinds=KINDS, clients=Clients(admin=admin, client_config={}, registry=registry),
                       report=lambda o: None)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes if not o.ok]
    assert [c for c, _ in admin.calls] == ["validate_create", "create", "alter_configs", "create_partitions", "delete"]
    assert registry.calls == [("set_level", "new-value"), ("register", "new-value"), ("delete", "old-value")]
    assert [o.action.kind for o in outcomes] == ["create_topic", "alter_topic_config", "add_partitions",
                                                 "set_compatibility", "register_schema", "delete_subject",
                                                 "delete_topic"]


def test_a_refused_create_blocks_its_schema_and_every_deletion():
    admin, registry = FakeAdmin(refuse_create={"new"}), FakeRegistry()
    outcomes = execute(PLAN, kinds=KINDS, clients=Clients(admin=admin, client_config={}, registry=registry),
                       report=lambda o: None)
    by_kind = {o.action.kind: o for o in outcomes}
    assert not by_kind["create_topic"].ok and "POLICY_VIOLATION" in by_kind["create_topic"].error
    assert by_kind["alter_topic_config"].ok and by_kind["add_partitions"].ok  # independent: still done
    assert by_kind["register_schema"].skipped and by_kind["register_schema"].error == "its topic was not created"
    assert by_kind["set_compatibility"].ok
    assert by_kind["delete_subject"].skipped and by_kind["delete_topic"].skipped
    assert ("delete", ("old",)) not in admin.calls and ("delete", "old-value") not in registry.calls


def test_replication_changes_need_a_reassigner_and_say_so_without_one():
    action = ChangeReplicationFactor(topic="a", before=2, after=3, current={0: (1, 2)}, assignment={0: (1, 2, 3)})

    def no_reassigner():
        from kgitops.errors import ConnectionFailed
        raise ConnectionFailed("cannot reach Kafka with kafka-python")

    outcomes = execute([action], kinds=KINDS, report=lambda o: None,
                       clients=Clients(admin=FakeAdmin(), client_config={}, reassigner=no_reassigner))
    assert [(o.ok, o.error) for o in outcomes] == [(False, "cannot reach Kafka with kafka-python")]

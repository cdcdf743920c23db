"""diff_subjects on hand-made live state: what the plan says for each situation."""
from __future__ import annotations

import json

import pytest

from kgitops.kinds.subject.compare import diff_subjects, level_change_risks
from kgitops.desired.topic_names import topic_of_subject
from kgitops.live.registry import managed_subjects
from kgitops.model import ClusterSpec, KafkaConnection, LiveRegistry, LiveSubject, Location, Policy, SubjectSpec
from kgitops.kinds.subject.actions import DeleteSubject, RegisterSchema, SetCompatibility


def schema(*fields: dict) -> str:
    return json.dumps({"type": "record", "name": "Order", "fields": list(fields)})


A = {"name": "a", "type": "int"}
B_DEFAULTED = {"name": "b", "type": "string", "default": ""}
B_REQUIRED = {"name": "b", "type": "string"}
V1, V2, V2_BAD = schema(A), schema(A, B_DEFAULTED), schema(A, B_REQUIRED)


def spec(text: str, level: str | None = None, subject: str = "orders-value") -> SubjectSpec:
    return SubjectSpec(subject=subject, schema=text, schema_file="/repo/schemas/order.avsc", compatibility=level,
                       topic="orders", location=Location("clusters/topics/orders.yaml", 4, 7))


def cluster(*subjects: SubjectSpec, owned: tuple[str, ...] = (), allow_deletion: bool = False) -> ClusterSpec:
    return ClusterSpec(name="dev", source_file="clusters/dev.yaml", kafka=KafkaConnection("k:9092"),
                       policy=Policy(allow_subject_deletion=allow_deletion), subjects=subjects, owned_prefixes=owned)


def live(*subjects: LiveSubject, global_level: str = "BACKWARD") -> LiveRegistry:
    return LiveRegistry(global_compatibility=global_level, subjects={s.subject: s for s in subjects})


def registered(text: str, version: int = 1, level: str | None = None, subject: str = "orders-value",
               **extra) -> LiveSubject:
    return LiveSubject(subject=subject, version=version, schema_id=100 + version, schema=text, compatibility=level,
                       versions=tuple(range(1, version + 1)), **extra)


def kinds(actions) -> list[type]:
    return [type(a) for a in actions]


def test_a_new_subject_is_registered():
    actions, problems = diff_subjects(cluster(spec(V1)), live())
    assert kinds(actions) == [RegisterSchema] and problems == []
    assert actions[0].previous_version is None and actions[0].topic == "orders"


def test_an_unchanged_schema_respelled_by_the_registry_is_no_change():
    respelled = json.dumps(json.loads(V1), indent=3, sort_keys=True)
    assert diff_subjects(cluster(spec(respelled)), live(registered(V1))) == ([], [])


def test_a_compatible_change_registers_the_next_version():
    actions, problems = diff_subjects(cluster(spec(V2)), live(registered(V1)))
    assert kinds(actions) == [RegisterSchema] and actions[0].previous_version == 1 and problems == []


def test_an_incompatible_change_is_a_policy_problem_and_stays_in_the_plan_refused():
    actions, problems = diff_subjects(cluster(spec(V2_BAD)), live(registered(V1)))
    assert [a.kind for a in actions] == ["register_schema"]  # kept in the plan, refused
    [problem] = problems
    assert (problem.kind, problem.severity, problem.file) == ("policy", "error", "/repo/schemas/order.avsc")
    assert "orders-value" in problem.message and "Order.b" in problem.message
    assert "the registry's global level" in problem.message and "version 1" in problem.message


@pytest.mark.parametrize("declared, subject_level, global_level, expected", [
    ("NONE", "BACKWARD", "BACKWARD", True),   # declared level wins
    (None, "NONE", "BACKWARD", True),         # then the subject's live level
    (None, None, "NONE", True),               # then the global level
    (None, None, "BACKWARD", False),
    ("FORWARD", None, "NONE", True),          # adding a required field is FORWARD compatible
])
def test_the_effective_level_decides(declared, subject_level, global_level, expected):
    current = registered(V1, level=subject_level)
    _, problems = diff_subjects(cluster(spec(V2_BAD, declared)), live(current, global_level=global_level))
    assert (not [p for p in problems if p.kind == "policy"]) is expected


def test_a_transitive_level_checks_the_whole_history():
    history = {1: schema(A, {"name": "b", "type": "int"}), 2: V1}
    current = registered(V1, version=2, level="BACKWARD_TRANSITIVE", history=history)
    candidate = schema(A, {"name": "b", "type": "string", "default": ""})
    actions, problems = diff_subjects(cluster(spec(candidate)), live(current))
    assert [a.kind for a in actions] == ["register_schema"] and [p.kind for p in problems] == ["policy"]
    assert "version 1" in problems[0].message


def test_a_transitive_level_without_history_warns_that_only_the_latest_was_checked():
    current = registered(V1, version=3, level="FULL_TRANSITIVE")
    actions, problems = diff_subjects(cluster(spec(V2)), live(current))
    assert kinds(actions) == [RegisterSchema]
    assert [p.severity for p in problems] == ["warning"] and "only version 3" in problems[0].message


def test_a_schema_equal_to_an_older_version_is_a_warning_not_a_registration():
    current = registered(V2, version=2, history={1: V1, 2: V2})
    actions, problems = diff_subjects(cluster(spec(V1)), live(current))
    assert actions == [] and [p.severity for p in problems] == ["warning"]
    assert "equals registered version 1" in problems[0].message


def test_the_registrys_own_lookup_decides_what_is_already_registered():
    current = registered(V1, desired_schema_version=1)  # e.g. Apicurio ignoring a new alias
    actions, problems = diff_subjects(cluster(spec(V2)), live(current))
    assert actions == [] and "ignores" in problems[0].message


def test_declaring_a_level_sets_it_before_registering():
    actions, _ = diff_subjects(cluster(spec(V2, "full")), live(registered(V1, level="BACKWARD")))
    assert kinds(actions) == [SetCompatibility, RegisterSchema]
    assert (actions[0].before, actions[0].after) == ("BACKWARD", "FULL")


def test_an_unset_subject_level_is_pinned_even_when_it_equals_the_global_one():
    actions, _ = diff_subjects(cluster(spec(V1, "BACKWARD")), live(registered(V1)))
    assert [(type(a), a.before, a.after) for a in actions] == [(SetCompatibility, None, "BACKWARD")]


def test_an_unknown_declared_level_is_an_input_problem():
    actions, problems = diff_subjects(cluster(spec(V1, "SIDEWAYS")), live(registered(V1)))
    assert actions == [] and problems[0].kind == "input" and "SIDEWAYS" in problems[0].message
    assert problems[0].where() == "clusters/topics/orders.yaml:4:7"


@pytest.mark.parametrize("before, after, risk", [
    ("BACKWARD", "NONE", "compatibility NONE"),
    ("FULL", "BACKWARD", "forward (existing consumers"),
    ("BACKWARD_TRANSITIVE", "BACKWARD", "every earlier version"),
    ("BACKWARD", "FULL_TRANSITIVE", None),
    ("FORWARD", "BACKWARD", "forward"),
])
def test_level_change_risks(before, after, risk):
    risks = level_change_risks(before, after)
    assert (risk in risks[0]) if risk else risks == ()


def test_claimed_subjects_are_deleted_only_when_policy_allows():
    extra = registered(V1, subject="orders-key")
    unclaimed = registered(V1, subject="payments-value")
    state = live(registered(V1), extra, unclaimed)
    actions, problems = diff_subjects(cluster(spec(V1), owned=("orders",)), state)
    assert actions == [] and [p.severity for p in problems] == ["warning"]
    actions, problems = diff_subjects(cluster(spec(V1), owned=("orders",), allow_deletion=True), state)
    assert [(type(a), a.subject) for a in actions] == [(DeleteSubject, "orders-key")] and problems == []


def test_managed_subjects_are_declared_plus_claimed():
    spec_cluster = cluster(spec(V1), owned=("orders",))
    assert managed_subjects(spec_cluster, ["orders-key", "orders-value", "payments-value", "orders"]) == [
        "orders-value", "orders-key"]
    assert topic_of_subject("orders-value") == "orders" and topic_of_subject("-value") is None

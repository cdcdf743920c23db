"""Schemas planned and applied against the real registry: what a user does in Git (add a
subject, evolve it, break it, change its level, drop it) and what the registry ends up
holding. Every test applies, then plans again, and expects no changes."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator

import pytest

from kgitops.kinds.subject.apply import apply_schema_actions
from kgitops.kinds.subject.compare import diff_subjects
from kgitops.kinds.subject.read import check_against_registry
from kgitops.errors import Problem
from kgitops.live.registry import read_registry
from kgitops.live.registry_client import BasicAuth, RegistryClient
from kgitops.model import ClusterSpec, KafkaConnection, Location, Policy, SubjectSpec
from kgitops.kinds.subject.actions import DeleteSubject, RegisterSchema, SetCompatibility


def record(*fields: dict, **extra: object) -> dict:
    return {"type": "record", "name": "Order", "namespace": "kgitops.plan.test", "fields": list(fields), **extra}


ID = {"name": "id", "type": "string"}
V1 = record(ID)
V2 = record(ID, {"name": "amount", "type": "double", "default": 0.0})
V3_INCOMPATIBLE = record(ID, {"name": "amount", "type": "double", "default": 0.0}, {"name": "currency", "type": "string"})


@pytest.fixture
def stack(either_stack):
    return either_stack


@pytest.fixture
def client(stack) -> Iterator[RegistryClient]:
    auth = BasicAuth(*stack.registry_auth) if stack.registry_auth else None
    with RegistryClient(stack.registry_url, timeout=10, verify=stack.registry_verify, auth=auth) as registry:
        yield registry


class Repo:
    """A tiny desired-state repository: .avsc files and the ClusterSpec the loader would make."""

    def __init__(self, root: Path, topic: str):
        self.root, self.topic = root, topic
        self.subject = f"{topic}-value"

    def schema_file(self, schema: dict, name: str = "order.avsc") -> str:
        path = self.root / name
        path.write_text(json.dumps(schema, indent=2))
        return str(path)

    def cluster(self, *subjects: SubjectSpec, allow_subject_deletion: bool = False,
                owned: tuple[str, ...] = ()) -> ClusterSpec:
        return ClusterSpec(name="dev", source_file=str(self.root / "dev.yaml"), kafka=KafkaConnection("127.0.0.1:1"),
                           policy=Policy(allow_subject_deletion=allow_subject_deletion), subjects=subjects,
                           owned_prefixes=owned)

    def spec(self, schema: dict, compatibility: str | None = "BACKWARD", subject: str | None = None,
             text: str | None = None) -> SubjectSpec:
        file = self.schema_file(schema)
        return SubjectSpec(subject=subject or self.subject, schema=text or Path(file).read_text(), schema_file=file,
                           compatibility=compatibility, topic=self.topic,
                           location=Location(str(self.root / "topics.yaml"), 7, 9))


@pytest.fixture
def repo(tmp_path, unique_name) -> Repo:
    return Repo(tmp_path, unique_name)


def plan(client: RegistryClient, cluster: ClusterSpec) -> tuple[list, list[Problem]]:
    return diff_subjects(cluster, read_registry(client, cluster))


def apply(client: RegistryClient, cluster: ClusterSpec) -> list:
    actions, problems = plan(client, cluster)
    assert not [p for p in problems if p.severity == "error"], problems
    outcomes = apply_schema_actions(client, actions)
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    return actions


def assert_converged(client: RegistryClient, cluster: ClusterSpec) -> None:
    actions, problems = plan(client, cluster)
    assert actions == [], actions
    assert not [p for p in problems if p.severity == "error"], problems


def test_apply_registers_a_new_subject_with_its_level_then_plan_shows_no_changes(client, repo):
    cluster = repo.cluster(repo.spec(V1, "FULL"))
    actions, problems = plan(client, cluster)
    assert [type(a) for a in actions] == [SetCompatibility, RegisterSchema] and problems == []
    assert (actions[0].before, actions[0].after) == (None, "FULL")
    assert actions[1].previous_version is None and actions[1].topic == repo.topic

    apply(client, cluster)

    assert client.list_versions(repo.subject) == [1]
    assert client.get_subject_config(repo.subject) == "FULL"
    assert_converged(client, cluster)


def test_compatible_evolution_registers_version_2(client, repo):
    apply(client, repo.cluster(repo.spec(V1)))
    evolved = repo.cluster(repo.spec(V2))
    actions, problems = plan(client, evolved)
    assert [type(a) for a in actions] == [RegisterSchema] and problems == []
    assert actions[0].previous_version == 1 and actions[0].risks == ()

    apply(client, evolved)

    assert client.list_versions(repo.subject) == [1, 2]
    assert json.loads(client.get_version(repo.subject).schema) == V2
    assert_converged(client, evolved)


def test_incompatible_change_is_refused_with_a_policy_problem_and_nothing_registered(client, repo):
    apply(client, repo.cluster(repo.spec(V1)))
    apply(client, repo.cluster(repo.spec(V2)))
    broken = repo.cluster(repo.spec(V3_INCOMPATIBLE))

    actions, problems = plan(client, broken)

    assert [a.kind for a in actions] == ["register_schema"]  # kept in the plan, refused; nothing applied
    assert len(problems) == 1
    problem = problems[0]
    assert problem.kind == "policy" and problem.severity == "error"  # exit 3
    assert problem.file == broken.subjects[0].schema_file
    assert repo.subject in problem.message and "currency" in problem.message and "BACKWARD" in problem.message
    assert "version 2" in problem.message and "topics.yaml:7:9" in problem.message
    assert client.list_versions(repo.subject) == [1, 2]


def test_transitive_level_checks_every_registered_version(client, repo):
    apply(client, repo.cluster(repo.spec(record(ID, {"name": "note", "type": "int"}), "NONE")))
    apply(client, repo.cluster(repo.spec(V1, "NONE")))
    # Compatible with version 2 (note is new and defaulted) but version 1 wrote note as an int.
    candidate = record(ID, {"name": "note", "type": "string", "default": ""})

    actions, problems = plan(client, repo.cluster(repo.spec(candidate, "BACKWARD_TRANSITIVE")))

    assert [type(a) for a in actions] == [SetCompatibility, RegisterSchema]  # the registration kept, refused
    assert [p.kind for p in problems] == ["policy"]
    assert "version 1" in problems[0].message and "note" in problems[0].message
    assert "BACKWARD_TRANSITIVE" in problems[0].message


def test_loosening_the_level_lets_an_incompatible_change_through_in_one_apply(client, repo):
    apply(client, repo.cluster(repo.spec(V1)))
    loosened = repo.cluster(repo.spec(record({"name": "id", "type": "long"}), "NONE"))

    actions, problems = plan(client, loosened)

    assert [type(a) for a in actions] == [SetCompatibility, RegisterSchema] and problems == []
    assert actions[0].before == "BACKWARD" and actions[0].after == "NONE"
    assert any("NONE" in r for r in actions[0].risks) and any("NONE" in r for r in actions[1].risks)
    outcomes = apply_schema_actions(client, list(reversed(actions)))  # the level goes first whatever the order
    assert [type(o.action) for o in outcomes] == [SetCompatibility, RegisterSchema]
    assert all(o.ok for o in outcomes), [o.error for o in outcomes]
    assert client.get_subject_config(repo.subject) == "NONE"
    assert client.list_versions(repo.subject) == [1, 2]
    assert_converged(client, loosened)


def test_changing_only_the_level(client, repo):
    apply(client, repo.cluster(repo.spec(V1, "BACKWARD")))
    stricter = repo.cluster(repo.spec(V1, "FULL_TRANSITIVE"))
    actions, _ = plan(client, stricter)
    assert [(type(a), a.before, a.after) for a in actions] == [(SetCompatibility, "BACKWARD", "FULL_TRANSITIVE")]
    assert actions[0].risks == ()  # tightening
    apply(client, stricter)
    assert client.get_subject_config(repo.subject) == "FULL_TRANSITIVE"
    assert client.list_versions(repo.subject) == [1]
    assert_converged(client, stricter)

    looser = repo.cluster(repo.spec(V1, "BACKWARD"))
    actions, _ = plan(client, looser)
    assert "loosening compatibility from FULL_TRANSITIVE to BACKWARD" in actions[0].risks[0]


def test_reapplying_is_a_no_op(client, repo):
    cluster = repo.cluster(repo.spec(V1))
    apply(client, cluster)
    assert apply(client, cluster) == []
    assert client.list_versions(repo.subject) == [1]


def test_the_same_schema_spelled_differently_is_not_registered_again(client, repo):
    apply(client, repo.cluster(repo.spec(V1)))
    # Keys reordered, whitespace changed, a doc added, the namespace folded into the name.
    respelled = {"fields": [{"type": "string", "name": "id", "doc": "order id"}],
                 "name": "kgitops.plan.test.Order", "type": "record", "doc": "an order"}
    actions, problems = plan(client, repo.cluster(repo.spec(respelled)))
    assert actions == [] and problems == []
    assert client.list_versions(repo.subject) == [1]


def test_a_schema_equal_to_an_older_version_is_reported_not_registered(client, repo):
    apply(client, repo.cluster(repo.spec(V1)))
    apply(client, repo.cluster(repo.spec(V2)))
    rollback = repo.cluster(repo.spec(V1))

    actions, problems = plan(client, rollback)

    assert actions == []
    assert [p.severity for p in problems] == ["warning"]
    assert "equals registered version 1" in problems[0].message and "latest is version 2" in problems[0].message
    assert client.list_versions(repo.subject) == [1, 2]


def test_a_change_the_registry_considers_identical_still_converges(client, repo):
    # Apicurio ignores aliases when comparing schemas (Confluent does not): whatever the
    # registry decides, one apply must bring the plan to no changes.
    apply(client, repo.cluster(repo.spec(V1)))
    aliased = repo.cluster(repo.spec(record(ID, aliases=["LegacyOrder"])))
    actions, problems = plan(client, aliased)
    if actions:
        apply(client, aliased)
    else:
        assert [p.severity for p in problems] == ["warning"] and "ignores" in problems[0].message
    assert_converged(client, aliased)


def test_the_registry_refuses_an_incompatible_registration_at_apply(client, repo):
    apply(client, repo.cluster(repo.spec(V1)))
    # A stale plan, or one made while the level was looser: the registry has the last word.
    forced = RegisterSchema(subject=repo.subject, schema=json.dumps(record({"name": "id", "type": "int"})),
                            schema_file="order.avsc", previous_version=1)

    [outcome] = apply_schema_actions(client, [forced])

    assert not outcome.ok and not outcome.skipped and outcome.rejected  # apply exits 3
    assert "not BACKWARD compatible" in outcome.error and repo.subject in outcome.error
    assert "nothing was registered" in outcome.error
    assert client.list_versions(repo.subject) == [1]


def test_a_failed_level_change_skips_the_registration_and_every_deletion(client, repo):
    bad_level = SetCompatibility(subject=repo.subject, before=None, after="SIDEWAYS")
    register = RegisterSchema(subject=repo.subject, schema=json.dumps(V1), schema_file="order.avsc")
    delete = DeleteSubject(subject=f"{repo.subject}-other")

    outcomes = apply_schema_actions(client, [delete, register, bad_level])

    assert [(type(o.action), o.status) for o in outcomes] == [
        (SetCompatibility, "failed"), (RegisterSchema, "skipped"), (DeleteSubject, "skipped")]
    assert "42203" in outcomes[0].error and "SIDEWAYS" in outcomes[0].error
    assert client.lookup(repo.subject, json.dumps(V1)) is None


def test_claimed_subject_no_longer_declared_is_deleted_only_when_policy_allows(client, repo):
    kept = repo.spec(V1)
    dropped = repo.spec(V1, subject=f"{repo.topic}-key")
    apply(client, repo.cluster(kept, dropped))

    without_key = repo.cluster(kept, owned=(repo.topic,))
    actions, problems = plan(client, without_key)
    assert actions == []
    assert [p.severity for p in problems] == ["warning"] and "allow_subject_deletion" in problems[0].message

    allowed = repo.cluster(kept, owned=(repo.topic,), allow_subject_deletion=True)
    actions, problems = plan(client, allowed)
    assert [(type(a), a.subject, a.versions) for a in actions] == [(DeleteSubject, dropped.subject, (1,))]
    apply(client, allowed)
    assert dropped.subject not in client.list_subjects()
    assert repo.subject in client.list_subjects()
    assert_converged(client, allowed)


def test_validate_checks_against_the_registry(client, repo):
    apply(client, repo.cluster(repo.spec(V1)))
    assert check_against_registry(repo.cluster(repo.spec(V2)), client) == []
    problems = check_against_registry(repo.cluster(repo.spec(record({"name": "id", "type": "int"}))), client)
    assert [p.kind for p in problems] == ["policy"] and repo.subject in problems[0].message

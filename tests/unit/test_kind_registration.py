"""A resource kind is one unit: a toy kind defined here, and nowhere else, goes through the
whole pipeline (its own YAML section loaded and validated, live form read from an injected
client, compared, policy-checked, rendered, saved in a plan and read back, applied)."""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import ClassVar

from kgitops import planner
from kgitops.apply import execute
from kgitops.desired.loader import load_cluster
from kgitops.errors import InputError, Problem
from kgitops.kinds import action_types
from kgitops.kinds.base import ApplyStep, KindDiff, Outcome, ResourceKind
from kgitops.live.clients import Clients
from kgitops.plan import Action, plan_from_dict, plan_to_dict
from kgitops.render.markdown import render_markdown
from kgitops.render.text import render_text

import pytest


@dataclass(frozen=True)
class SetOwner(Action):
    kind: ClassVar[str] = "set_owner"
    resource_type: ClassVar[str] = "owner"
    topic: str = ""
    before: str | None = None
    after: str = ""

    @property
    def resource(self) -> str:
        return self.topic


class OwnerRegistry:
    """The toy kind's live side: who owns which topic."""

    def __init__(self, owners: dict[str, str]):
        self.owners = dict(owners)


def _apply(context, actions):
    outcomes = []
    for action in actions:
        context.clients.admin.owners[action.topic] = action.after
        outcome = Outcome(action, ok=True)
        context.report(outcome)
        outcomes.append(outcome)
    return outcomes


class OwnerKind(ResourceKind):
    name = "owner"
    action_types = (SetOwner,)
    apply_steps = (ApplyStep(70, (SetOwner,), _apply),)
    desired_sections = {"owners": {"type": "object", "additionalProperties": {"type": "string", "minLength": 1}}}

    def load_desired(self, sections):
        owners: dict[str, str] = {}
        problems = []
        for section in sections:
            for topic, team in section.data.items():
                if topic in owners:
                    where = section.document.key_location((section.key, topic))
                    problems.append(Problem(f"owner of {topic} declared twice", where.file, where.line, where.column))
                owners[topic] = team
        return owners, problems

    def read_live(self, context):
        return dict(context.clients.admin.owners)

    def compare(self, desired, live):
        wanted = desired.resources["owner"]
        have = live.by_kind["owner"]
        return KindDiff(actions=tuple(SetOwner(topic=t, before=have.get(t), after=o)
                                      for t, o in sorted(wanted.items()) if have.get(t) != o))

    def check_live(self, desired, live, actions):
        return [Problem(f"{a.topic}: owner 'nobody' is not allowed", kind="policy")
                for a in actions if isinstance(a, SetOwner) and a.after == "nobody"]

    def details(self, action):
        return [f"owner: {action.before or '(none)'} -> {action.after}"]

    def live_fingerprint(self, desired, live):
        return live.by_kind["owner"]


KINDS = (OwnerKind(),)


def write(tmp_path, topics_yaml: str):
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "a.yaml").write_text(topics_yaml)
    cluster = tmp_path / "c.yaml"
    cluster.write_text("name: c\nkafka: {bootstrap_servers: 127.0.0.1:1}\ninclude: [topics/*.yaml]\n")
    return str(cluster)


def test_a_toy_kind_goes_through_the_whole_pipeline(tmp_path):
    cluster_file = write(tmp_path, "owners:\n  shop.orders: team-a\n  shop.payments: team-b\n")
    live = OwnerRegistry({"shop.orders": "team-a", "shop.payments": "team-x"})
    clients = Clients(admin=live, client_config={})

    run = planner.compute(planner.load(cluster_file, KINDS), clients, KINDS)
    assert run.plan.actions == (SetOwner(topic="shop.payments", before="team-x", after="team-b"),)
    text = render_text(run.plan, kinds=KINDS)
    assert "~ owner shop.payments" in text and "owner: team-x -> team-b" in text
    assert "owner: team-x -> team-b" in render_markdown(run.plan, kinds=KINDS)

    saved = json.loads(json.dumps(plan_to_dict(run.plan)))
    assert plan_from_dict(saved, action_types(KINDS)) == run.plan

    outcomes = execute(run.plan.actions, kinds=KINDS, clients=clients, report=lambda o: None)
    assert [o.ok for o in outcomes] == [True]
    assert planner.compute(planner.load(cluster_file, KINDS), clients, KINDS).plan.actions == ()


def test_a_toy_kind_section_is_validated_and_its_problems_located(tmp_path):
    cluster_file = write(tmp_path, "owners:\n  shop.orders: 7\n")
    with pytest.raises(InputError) as err:
        load_cluster(cluster_file, KINDS)
    assert "topics/a.yaml:2:" in err.value.message


def test_without_the_kind_its_section_is_an_unknown_key(tmp_path):
    cluster_file = write(tmp_path, "owners:\n  shop.orders: team-a\n")
    with pytest.raises(InputError) as err:
        load_cluster(cluster_file)
    assert "owners" in err.value.message


def test_a_toy_kind_live_policy_refuses(tmp_path):
    cluster_file = write(tmp_path, "owners:\n  shop.orders: nobody\n")
    run = planner.compute(planner.load(cluster_file, KINDS), Clients(admin=OwnerRegistry({}), client_config={}), KINDS)
    assert [p.message for p in run.plan.refusals] == ["shop.orders: owner 'nobody' is not allowed"]

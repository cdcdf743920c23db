"""One block per resource, counted once; refused changes kept and counted; schema changes
field by field."""
from __future__ import annotations

import json

import pytest

from kgitops.avro.diff import schema_changes
from kgitops.errors import Problem
from kgitops.kinds.subject.actions import RegisterSchema, SetCompatibility
from kgitops.kinds.topic.actions import (AddPartitions, AlterTopicConfig, ChangeReplicationFactor, ConfigChange,
                                         CreateTopic)
from kgitops.plan import Plan, plan_to_dict
from kgitops.render.markdown import render_markdown
from kgitops.render.text import render_text

THREE_CHANGES = (
    AlterTopicConfig(topic="shop.orders", changes=(ConfigChange("retention.ms", "1", "2"),)),
    AddPartitions(topic="shop.orders", before=3, after=6, risks=("keyed records move",)),
    ChangeReplicationFactor(topic="shop.orders", before=2, after=3, current={0: (1, 2)}, assignment={0: (1, 2, 3)}),
)


def test_a_topic_with_three_changes_is_one_block_counted_once():
    plan = Plan(cluster="c", cluster_id=None, actions=THREE_CHANGES)
    text = render_text(plan)
    assert text.count("~ topic shop.orders") == 1
    block = text[text.index("~ topic shop.orders"):]
    assert "config.retention.ms" in block and "partitions: 3 -> 6" in block and "replication_factor: 2 -> 3" in block
    assert text.splitlines()[-1] == "Plan: 0 to create, 1 to change, 0 to delete."
    data = plan_to_dict(plan)
    assert data["summary"]["change"] == 1 and len(data["actions"]) == 3
    assert data["resources"] == [{"resource_type": "topic", "resource": "shop.orders", "change": "change",
                                  "actions": [0, 1, 2], "risks": ["keyed records move"], "refused": []}]


def test_a_new_subject_is_one_create_block_with_its_level():
    plan = Plan(cluster="c", cluster_id=None, actions=(
        SetCompatibility(subject="s-value", after="BACKWARD"), RegisterSchema(subject="s-value", schema="{}")))
    text = render_text(plan)
    assert "~ subject" not in text and text.count("+ subject s-value") == 1
    assert "compatibility: (unset) -> BACKWARD" in text
    assert text.endswith("Plan: 1 to create, 0 to change, 0 to delete.")


def test_a_new_version_of_a_subject_is_a_change():
    plan = Plan(cluster="c", cluster_id=None, actions=(RegisterSchema(subject="s-value", schema="{}",
                                                                      previous_version=1, level="BACKWARD"),))
    assert "~ subject s-value" in render_text(plan) and plan.counts()["change"] == 1


def test_refused_changes_stay_in_the_plan_and_are_counted():
    refusal = Problem("topic t: replication factor 3 -> 5: needs 5 brokers", kind="policy", resource="topic t")
    plan = Plan(cluster="c", cluster_id=None, refusals=(refusal,), actions=(
        ChangeReplicationFactor(topic="t", before=3, after=5),
        CreateTopic(topic="fine", partitions=1, replication_factor=3)))
    text = render_text(plan)
    assert "No changes" not in text
    assert "~ topic t (refused)" in text and "refused: topic t: replication factor 3 -> 5" in text
    assert text.endswith("Plan: 1 to create, 0 to change, 0 to delete, 1 refused.")
    data = plan_to_dict(plan)
    assert data["summary"]["refused"] == 1
    assert [r["refused"][0]["message"] for r in data["resources"] if r["refused"]] == [refusal.message]
    markdown = render_markdown(plan)
    assert "1 refused" in markdown and ":no_entry:" in markdown


def test_a_refusal_without_an_action_gets_a_block_of_its_own():
    refusal = Problem("topic t: partitions cannot decrease from 6 to 3", resource="topic t")
    text = render_text(Plan(cluster="c", cluster_id=None, refusals=(refusal,)))
    assert "~ topic t (refused)" in text and "No changes" not in text and text.endswith("1 refused.")


def test_warnings_keep_one_prefix():
    plan = Plan(cluster="c", cluster_id=None, warnings=(
        Problem("odd", file="t.yaml", line=15, column=5, severity="warning"), Problem("bare", severity="warning")))
    lines = render_text(plan).splitlines()
    assert "t.yaml:15:5: warning: odd" in lines and "warning: bare" in lines


def record(*fields, name="Payment", **extra) -> str:
    return json.dumps({"type": "record", "name": name, "fields": list(fields), **extra})


@pytest.mark.parametrize("old,new,expected", [
    (record({"name": "a", "type": "int"}), record({"name": "a", "type": "int"}, {"name": "channel", "type": "string",
                                                                                 "default": "web"}),
     ['+ field channel: string = "web"']),
    (record({"name": "a", "type": "int"}, {"name": "coupon", "type": "string"}), record({"name": "a", "type": "int"}),
     ["- field coupon"]),
    (record({"name": "amount", "type": "int"}), record({"name": "amount", "type": "long"}),
     ["~ field amount: int -> long"]),
    (record({"name": "a", "type": "int", "doc": "x"}), record({"name": "a", "type": "int", "doc": "y"}),
     ["~ field a doc changed"]),
    (record({"name": "a", "type": "int"}), record({"name": "a", "type": "int", "aliases": ["b"]}),
     ["~ field a aliases: [] -> ['b']"]),
    (record({"name": "a", "type": "int", "default": 1}), record({"name": "a", "type": "int", "default": 2}),
     ["~ field a default: 1 -> 2"]),
    (record({"name": "s", "type": {"type": "enum", "name": "S", "symbols": ["A", "B"]}}),
     record({"name": "s", "type": {"type": "enum", "name": "S", "symbols": ["A", "C"]}}), ["~ enum s symbols: +C, -B"]),
    (record({"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "I",
                                                                  "fields": [{"name": "price", "type": "int"}]}}}),
     record({"name": "items", "type": {"type": "array", "items": {"type": "record", "name": "I",
                                                                  "fields": [{"name": "price", "type": "long"}]}}}),
     ["~ field items[].price: int -> long"]),
    (record({"name": "o", "type": ["null", {"type": "record", "name": "O", "fields": [{"name": "x", "type": "int"}]}]}),
     record({"name": "o", "type": ["null", {"type": "record", "name": "O", "fields": [{"name": "x", "type": "int"},
                                                                                      {"name": "y", "type": "int",
                                                                                       "default": 0}]}]}),
     ["+ field o.y: int = 0"]),
    (record({"name": "next", "type": ["null", "Payment"]}), record({"name": "next", "type": ["null", "Payment"]}), []),
])
def test_schema_changes_field_by_field(old, new, expected):
    assert schema_changes(old, new) == expected


def test_a_plan_shows_the_schema_changes_under_its_subject():
    action = RegisterSchema(subject="p-value", schema="{}", previous_version=1, level="BACKWARD",
                            schema_file="schemas/payment.avsc", changes=('+ field channel: string = "web"',))
    text = render_text(Plan(cluster="c", cluster_id=None, actions=(action,)))
    assert "schema: new version after v1 from schemas/payment.avsc, checked BACKWARD" in text
    assert '        + field channel: string = "web"' in text

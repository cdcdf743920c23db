"""Renderers over one Plan: text (Terraform-like), markdown (PR comment), json."""
from __future__ import annotations

import json

from kgitops.errors import Problem
from kgitops.kinds import action_types
from kgitops.plan import Plan, plan_from_dict
from kgitops.kinds.topic.actions import AddPartitions, AlterTopicConfig, ConfigChange, CreateTopic, DeleteTopic
from kgitops.kinds.subject.actions import RegisterSchema
from kgitops.render.json_format import render_json
from kgitops.render.markdown import MARKER, render_markdown
from kgitops.render.text import render_text


def sample_plan(extra: int = 0) -> Plan:
    actions = [
        CreateTopic(topic="orders", partitions=6, replication_factor=3, config={"retention.ms": "604800000"}),
        AlterTopicConfig(topic="payments", changes=(
            ConfigChange("retention.ms", "2592000000", "86400000", before_source="topic override"),
            ConfigChange("segment.ms", "3600000", None, op="reset", after_note="override removed"),
        ), risks=("retention decrease: data is deleted",)),
        AddPartitions(topic="clicks", before=3, after=6, risks=("keyed records move",)),
        RegisterSchema(subject="orders-value", schema="{}", schema_file="schemas/order.avsc"),
        DeleteTopic(topic="old", partitions=3, replication_factor=3, risks=("data lost",)),
    ]
    actions += [CreateTopic(topic=f"bulk-{i:05d}-" + "x" * 100) for i in range(extra)]
    return Plan(cluster="prod", cluster_id="abc", actions=tuple(actions), unmanaged_topics=("legacy",),
                live_fingerprint="sha256:1", desired_fingerprint="sha256:2")


def test_text_uses_terraform_symbols_and_summary_line():
    text = render_text(sample_plan())
    assert "  + topic orders" in text and "  ~ topic payments" in text and "  - topic old" in text
    assert "config.retention.ms: 2592000000 (30d) -> 86400000 (1d)" in text
    assert "config.segment.ms: 3600000 (1h) -> (reset: override removed)" in text
    assert "      ! keyed records move" in text
    assert text.splitlines()[-1] == "Plan: 2 to create, 2 to change, 1 to delete."


def test_text_without_actions_says_no_changes():
    text = render_text(Plan(cluster="dev", cluster_id=None))
    assert "No changes" in text and text.endswith("Plan: 0 to create, 0 to change, 0 to delete.")


def test_text_shows_refusals_first():
    plan = Plan(cluster="dev", cluster_id=None, refusals=(Problem("RF 1 refused", file="t.yaml", line=3),))
    assert render_text(plan).splitlines()[2] == "refused: t.yaml:3: RF 1 refused"


def test_markdown_puts_risky_changes_first_and_details_in_a_collapsible_block():
    md = render_markdown(sample_plan())
    assert md.startswith(MARKER)
    rows = [line for line in md.splitlines() if line.startswith("| ")][1:]
    risky = [":warning:" in row for row in rows]
    assert risky == sorted(risky, reverse=True)  # all risky rows before the others
    assert "<details><summary>Full plan</summary>" in md and "2 to create, 2 to change, 1 to delete" in md


def test_markdown_never_exceeds_the_comment_limit():
    md = render_markdown(sample_plan(extra=2000), limit=20000)
    assert len(md) <= 20000
    assert "Plan truncated" in md and "2002 to create" in md


def test_json_is_versioned_and_round_trips():
    data = json.loads(render_json(sample_plan()))
    assert data["format_version"] == 2
    assert data["summary"] == {"create": 2, "change": 2, "delete": 1, "refused": 0, "unmanaged": 1, "refusals": 0}
    assert [a["kind"] for a in data["actions"]][:2] == ["create_topic", "alter_topic_config"]
    assert plan_from_dict(data, action_types()) == sample_plan()

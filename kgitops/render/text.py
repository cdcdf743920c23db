"""The plan as text, Terraform-style: `+` create, `~` change, `-` delete, `before -> after`,
unchanged attributes hidden, risks on their own line, and a last summary line."""
from __future__ import annotations

from kgitops.render.escape import escape_control
from kgitops.plan import (Action, AddPartitions, AlterTopicConfig, ChangeReplicationFactor, CreateTopic,
                          DeleteSubject, DeleteTopic, Plan, RegisterSchema, SetCompatibility)
from kgitops.desired.loader import display_path
from kgitops.render.values import human

MAX_WARNINGS_SHOWN = 10  # a large imported cluster can warn about thousands of topics
COLORS = {"+": "\033[32m", "~": "\033[33m", "-": "\033[31m", "!": "\033[35m", "bold": "\033[1m", "reset": "\033[0m"}


def render_text(plan: Plan, *, color: bool = False) -> str:
    def paint(kind: str, text: str) -> str:
        return f"{COLORS[kind]}{text}{COLORS['reset']}" if color else text

    lines = [escape_control(f"kgitops plan for cluster {plan.cluster}" + (f" ({plan.cluster_id})" if plan.cluster_id else "")), ""]
    for problem in plan.refusals:
        lines.append(paint("-", f"refused: {escape_control(problem)}"))
    if plan.refusals:
        lines.append("")
    if not plan.actions:
        lines.append("No changes. The cluster matches the desired state.")
    for action in plan.actions:
        lines.append(paint(action.symbol, f"  {action.symbol} {action.resource_type} {escape_control(action.resource)}"))
        lines += [f"      {escape_control(detail)}" for detail in action_details(action)]
        lines += [paint("!", f"      ! {escape_control(note)}") for note in action.risks]
    if plan.unmanaged_topics:
        shown = escape_control(", ".join(plan.unmanaged_topics[:10])) + (", ..." if len(plan.unmanaged_topics) > 10 else "")
        lines += ["", f"Unmanaged topics (live, not declared, not claimed; left alone): "
                      f"{len(plan.unmanaged_topics)}: {shown}"]
    shown_warnings = plan.warnings[:MAX_WARNINGS_SHOWN]
    lines += [f"warning: {escape_control(w)}" for w in shown_warnings]
    if len(plan.warnings) > len(shown_warnings):
        lines.append(f"... and {len(plan.warnings) - len(shown_warnings)} more warnings "
                     f"(all of them: kgitops validate, or plan --format json)")
    counts = plan.counts()
    lines += ["", paint("bold", f"Plan: {counts['create']} to create, {counts['change']} to change, "
                                f"{counts['delete']} to delete.")]
    return "\n".join(lines)


def action_details(action: Action) -> list[str]:
    """The attributes of one action that change, `name: before -> after`."""
    if isinstance(action, CreateTopic):
        return [f"partitions: {action.partitions}", f"replication_factor: {action.replication_factor}",
                *[f"config.{k}: {human(k, v)}" for k, v in action.config.items()]]
    if isinstance(action, DeleteTopic):
        return [f"partitions: {action.partitions}", f"replication_factor: {action.replication_factor}"]
    if isinstance(action, AddPartitions):
        return [f"partitions: {action.before} -> {action.after}"]
    if isinstance(action, AlterTopicConfig):
        out = []
        for c in action.changes:
            if c.op == "reset":
                out.append(f"config.{c.key}: {human(c.key, c.before)} -> (reset: {c.after_note})")
            else:
                source = f" [{c.before_source}]" if c.before_source and c.before_source != "topic override" else ""
                out.append(f"config.{c.key}: {human(c.key, c.before)}{source} -> {human(c.key, c.after)}")
        return out
    if isinstance(action, ChangeReplicationFactor):
        moves = [f"partition {p}: {list(action.current.get(p, ()))} -> {list(r)}"
                 for p, r in sorted(action.assignment.items())]
        shown = moves[:8] + ([f"... and {len(moves) - 8} more partitions"] if len(moves) > 8 else [])
        return [f"replication_factor: {action.before} -> {action.after}", *shown]
    if isinstance(action, RegisterSchema):
        after = f"new version after v{action.previous_version}" if action.previous_version else "first version"
        return [f"schema: {after} from {display_path(action.schema_file)}"]
    if isinstance(action, SetCompatibility):
        return [f"compatibility: {action.before or '(unset)'} -> {action.after}"]
    if isinstance(action, DeleteSubject):
        return [f"versions: {list(action.versions)} (soft delete)"]
    return []

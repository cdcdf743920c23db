"""The plan as text, Terraform-style: `+` create, `~` change, `-` delete, `before -> after`,
unchanged attributes hidden, risks on their own line, and a last summary line."""
from __future__ import annotations

from typing import Any, Sequence

from kgitops.kinds import KINDS, kind_of
from kgitops.kinds.base import ResourceKind
from kgitops.plan import Action, Plan

MAX_WARNINGS_SHOWN = 10  # a large imported cluster can warn about thousands of topics
COLORS = {"+": "\033[32m", "~": "\033[33m", "-": "\033[31m", "!": "\033[35m", "bold": "\033[1m", "reset": "\033[0m"}


def render_text(plan: Plan, *, color: bool = False, kinds: Sequence[ResourceKind] = KINDS,
                impacts: Any = None) -> str:
    """`impacts`: kgitops.kinds.topic.impact.Impacts, the live impact shown under the risks."""
    def paint(kind: str, text: str) -> str:
        return f"{COLORS[kind]}{text}{COLORS['reset']}" if color else text

    lines = [f"kgitops plan for cluster {plan.cluster}" + (f" ({plan.cluster_id})" if plan.cluster_id else ""), ""]
    for problem in plan.refusals:
        lines.append(paint("-", f"refused: {problem}"))
    if plan.refusals:
        lines.append("")
    if not plan.actions:
        lines.append("No changes. The cluster matches the desired state.")
    for action in plan.actions:
        lines.append(paint(action.symbol, f"  {action.symbol} {action.resource_type} {action.resource}"))
        lines += [f"      {detail}" for detail in action_details(action, kinds)]
        lines += [paint("!", f"      ! {note}") for note in action.risks]
        if impacts is not None:
            lines += [paint("!", f"      ! {line}") for line in impacts.lines_for(action)]
    if plan.unmanaged_topics:
        shown = ", ".join(plan.unmanaged_topics[:10]) + (", ..." if len(plan.unmanaged_topics) > 10 else "")
        lines += ["", f"Unmanaged topics (live, not declared, not claimed; left alone): "
                      f"{len(plan.unmanaged_topics)}: {shown}"]
    if impacts is not None and impacts.section_lines():
        lines += [""] + impacts.section_lines()
    shown_warnings = plan.warnings[:MAX_WARNINGS_SHOWN]
    lines += [f"warning: {w}" for w in shown_warnings]
    if len(plan.warnings) > len(shown_warnings):
        lines.append(f"... and {len(plan.warnings) - len(shown_warnings)} more warnings "
                     f"(all of them: kgitops validate, or plan --format json)")
    counts = plan.counts()
    lines += ["", paint("bold", f"Plan: {counts['create']} to create, {counts['change']} to change, "
                                f"{counts['delete']} to delete.")]
    return "\n".join(lines)


def action_details(action: Action, kinds: Sequence[ResourceKind] = KINDS) -> list[str]:
    """The attributes of one action that change, `name: before -> after`, as its kind says."""
    return kind_of(action, kinds).details(action)

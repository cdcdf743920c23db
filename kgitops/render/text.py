"""The plan as text, Terraform-style: `+` create, `~` change, `-` delete, `before -> after`,
unchanged attributes hidden, risks on their own line, and a last summary line."""
from __future__ import annotations

from typing import Any, Sequence

from kgitops.kinds import KINDS, kind_of
from kgitops.kinds.base import ResourceKind
from kgitops.errors import Problem
from kgitops.plan import Action, Plan, ResourceChange

MAX_WARNINGS_SHOWN = 10  # a large imported cluster can warn about thousands of topics
COLORS = {"+": "\033[32m", "~": "\033[33m", "-": "\033[31m", "!": "\033[35m", "bold": "\033[1m", "reset": "\033[0m"}


def render_text(plan: Plan, *, color: bool = False, kinds: Sequence[ResourceKind] = KINDS,
                impacts: Any = None) -> str:
    """`impacts`: kgitops.kinds.topic.impact.Impacts, the live impact shown under the risks."""
    def paint(kind: str, text: str) -> str:
        return f"{COLORS[kind]}{text}{COLORS['reset']}" if color else text

    lines = [f"kgitops plan for cluster {plan.cluster}" + (f" ({plan.cluster_id})" if plan.cluster_id else ""), ""]
    general = [p for p in plan.refusals if not p.resource]  # about the files or the whole plan
    for problem in general:
        lines.append(paint("-", f"refused: {problem}"))
    if general:
        lines.append("")
    if plan.matches:
        lines.append("No changes. The cluster matches the desired state.")
    for change in plan.resources():
        lines += resource_block(change, kinds, paint, impacts)
    if plan.unmanaged_topics:
        shown = ", ".join(plan.unmanaged_topics[:10]) + (", ..." if len(plan.unmanaged_topics) > 10 else "")
        lines += ["", f"Unmanaged topics (live, not declared, not claimed; left alone): "
                      f"{len(plan.unmanaged_topics)}: {shown}"]
    for kind, names in plan.unmanaged.items():
        shown = ", ".join(names[:10]) + (", ..." if len(names) > 10 else "")
        lines.append(f"Unmanaged {kind} resources (live, not declared, not owned; left alone): {len(names)}: {shown}")
    if impacts is not None and impacts.section_lines():
        lines += [""] + impacts.section_lines()
    shown_warnings = plan.warnings[:MAX_WARNINGS_SHOWN]
    lines += [_warning_line(w) for w in shown_warnings]
    if len(plan.warnings) > len(shown_warnings):
        lines.append(f"... and {len(plan.warnings) - len(shown_warnings)} more warnings "
                     f"(all of them: kgitops validate, or plan --format json)")
    lines += ["", paint("bold", plan.summary_line())]
    return "\n".join(lines)


def resource_block(change: ResourceChange, kinds: Sequence[ResourceKind], paint=lambda kind, text: text,
                   impacts: Any = None) -> list[str]:
    """`  ~ topic shop.orders`, every changed attribute of every action on it, its risk
    notes with their live impact (kgitops/kinds/topic/impact.py), and what refuses it."""
    refused = " (refused)" if change.refusals else ""
    lines = [paint(change.symbol, f"  {change.symbol} {change.address}{refused}")]
    for action in change.actions:
        lines += [f"      {detail}" for detail in action_details(action, kinds)]
    for action in change.actions:
        lines += [paint("!", f"      ! {note}") for note in action.risks]
        if impacts is not None:
            lines += [paint("!", f"      ! {line}") for line in impacts.lines_for(action)]
    lines += [paint("-", f"      refused: {problem}") for problem in change.refusals]
    return lines


def _warning_line(problem: Problem) -> str:
    text = str(problem)  # `file:line: warning: ...` carries its own prefix when located
    return text if text.startswith("warning: ") or ": warning: " in text else f"warning: {text}"


def action_details(action: Action, kinds: Sequence[ResourceKind] = KINDS) -> list[str]:
    """The attributes of one action that change, `name: before -> after`, as its kind says."""
    return kind_of(action, kinds).details(action)

"""The plan as a pull-request comment: a summary line, a table with risky changes first,
the details in a collapsible block, never longer than a GitHub comment allows."""
from __future__ import annotations

from typing import Any, Sequence

from kgitops.kinds import KINDS
from kgitops.kinds.base import ResourceKind
from kgitops.plan import Plan
from kgitops.render.text import action_details, render_text

GITHUB_COMMENT_LIMIT = 65536  # characters
MARKER = "<!-- kgitops-plan -->"  # lets a CI job find and update its own comment
TABLE_DETAILS = 3  # detail lines per resource in the table; longer ones get a collapsible block


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan, *, limit: int = GITHUB_COMMENT_LIMIT, kinds: Sequence[ResourceKind] = KINDS,
                    impacts: Any = None) -> str:
    summary = f"**{plan.summary_line().replace('Plan:', f'Plan for `{plan.cluster}`:', 1)}**"
    head = [MARKER, f"### kgitops plan: `{plan.cluster}`", "", summary, ""]
    if plan.refusals:
        head += [f"> :no_entry: **{len(plan.refusals)} refused**", ""] + [f"- {_cell(str(p))}" for p in plan.refusals] + [""]
    if plan.matches:
        head.append("No changes. The cluster matches the desired state.")
    resources = plan.resources()
    # Refused and risky first, stable otherwise.
    ordered = sorted(resources, key=lambda c: (not c.refusals, not c.risks))
    table = ["| | change | resource | details | risk |", "|---|---|---|---|---|"] if resources else []
    for change in ordered:
        mark = ":no_entry:" if change.refusals else ":warning:" if change.risks else ""
        details = "; ".join([d for a in change.actions for d in action_details(a, kinds)][:TABLE_DETAILS])
        impact = [line for a in change.actions for line in (impacts.lines_for(a) if impacts is not None else ())]
        mark = mark or (":warning:" if impact else "")
        notes = " ".join([*(f"refused: {p.message}" for p in change.refusals), *change.risks, *impact])
        table.append(f"| {mark} | {change.change} | `{_cell(change.address)}` | {_cell(details)} | {_cell(notes)} |")
    if plan.unmanaged_topics:
        table += ["", f"{len(plan.unmanaged_topics)} unmanaged topic(s) left alone."]
    for change in resources:  # what the table cut short, collapsible (a long schema change, say)
        lines = [d for a in change.actions for d in action_details(a, kinds)]
        if len(lines) > TABLE_DETAILS:
            table += ["", f"<details><summary><code>{_cell(change.address)}</code>: {len(lines)} lines</summary>",
                      "", "```", *lines, "```", "", "</details>"]
    details = ["", "<details><summary>Full plan</summary>", "", "```", render_text(plan, kinds=kinds, impacts=impacts), "```", "",
               "</details>"]
    body = "\n".join(head + table + details)
    if len(body) <= limit:
        return body
    # Too long for one comment: keep the summary and as many table rows as fit.
    note = (f"\n\n_Plan truncated to fit a GitHub comment: run `kgitops plan` for all {len(resources)} "
            f"resources._")
    out = "\n".join(head)
    for row in table:
        if len(out) + len(row) + 1 + len(note) > limit:
            break
        out += "\n" + row
    return out + note

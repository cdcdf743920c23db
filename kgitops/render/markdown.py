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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(plan: Plan, *, limit: int = GITHUB_COMMENT_LIMIT, kinds: Sequence[ResourceKind] = KINDS,
                    impacts: Any = None) -> str:
    counts = plan.counts()
    summary = (f"**Plan for `{plan.cluster}`: {counts['create']} to create, {counts['change']} to change, "
               f"{counts['delete']} to delete.**")
    head = [MARKER, f"### kgitops plan: `{plan.cluster}`", "", summary, ""]
    if plan.refusals:
        head += [f"> :no_entry: **{len(plan.refusals)} refused**", ""] + [f"- {_cell(str(p))}" for p in plan.refusals] + [""]
    if not plan.actions:
        head.append("No changes. The cluster matches the desired state.")
    ordered = sorted(plan.actions, key=lambda a: not a.risks)  # risky first, stable otherwise
    table = ["| | action | resource | change | risk |", "|---|---|---|---|---|"] if plan.actions else []
    for a in ordered:
        risky = a.risks + tuple(impacts.lines_for(a) if impacts is not None else ())
        change = "; ".join(action_details(a, kinds)[:3])
        table.append(f"| {':warning:' if risky else ''} | {a.kind.replace('_', ' ')} "
                     f"| `{_cell(a.resource)}` | {_cell(change)} | {_cell(' '.join(risky))} |")
    if plan.unmanaged_topics:
        table += ["", f"{len(plan.unmanaged_topics)} unmanaged topic(s) left alone."]
    details = ["", "<details><summary>Full plan</summary>", "", "```", render_text(plan, kinds=kinds, impacts=impacts), "```", "", "</details>"]
    body = "\n".join(head + table + details)
    if len(body) <= limit:
        return body
    # Too long for one comment: keep the summary and as many table rows as fit.
    note = f"\n\n_Plan truncated to fit a GitHub comment: run `kgitops plan` for all {len(plan.actions)} actions._"
    out = "\n".join(head)
    for row in table:
        if len(out) + len(row) + 1 + len(note) > limit:
            break
        out += "\n" + row
    return out + note

"""The plan as a pull-request comment: a summary line, a table with risky changes first,
the details in a collapsible block, never longer than a GitHub comment allows."""
from __future__ import annotations

from kgitops.render.escape import escape_control
from kgitops.plan import Plan
from kgitops.render.text import action_details, render_text

GITHUB_COMMENT_LIMIT = 65536  # characters
MARKER = "<!-- kgitops-plan -->"  # lets a CI job find and update its own comment
SYMBOL_WORDS = {"+": "create", "~": "change", "-": "delete"}


def _cell(text: str) -> str:
    return escape_control(text).replace("|", "\\|")


def render_markdown(plan: Plan, *, limit: int = GITHUB_COMMENT_LIMIT) -> str:
    counts = plan.counts()
    cluster = escape_control(plan.cluster)
    summary = (f"**Plan for `{cluster}`: {counts['create']} to create, {counts['change']} to change, "
               f"{counts['delete']} to delete.**")
    head = [MARKER, f"### kgitops plan: `{cluster}`", "", summary, ""]
    if plan.refusals:
        head += [f"> :no_entry: **{len(plan.refusals)} refused**", ""] + [f"- {_cell(str(p))}" for p in plan.refusals] + [""]
    if not plan.actions:
        head.append("No changes. The cluster matches the desired state.")
    ordered = sorted(plan.actions, key=lambda a: not a.risks)  # risky first, stable otherwise
    table = ["| | action | resource | change | risk |", "|---|---|---|---|---|"] if plan.actions else []
    for a in ordered:
        risky = a.risks
        change = "; ".join(action_details(a)[:3])
        table.append(f"| {':warning:' if risky else ''} | {a.kind.replace('_', ' ')} "
                     f"| `{_cell(a.resource)}` | {_cell(change)} | {_cell(' '.join(risky))} |")
    if plan.unmanaged_topics:
        table += ["", f"{len(plan.unmanaged_topics)} unmanaged topic(s) left alone."]
    details = ["", "<details><summary>Full plan</summary>", "", "```", render_text(plan), "```", "", "</details>"]
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

"""`kgitops plan`: what apply would change, and how risky it is."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from kgitops import planner
from kgitops.live.clients import connect
from kgitops.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, exit_code_for
from kgitops.plan import Plan, plan_to_dict
from kgitops.render.json_format import render_json
from kgitops.render.markdown import render_markdown
from kgitops.render.text import render_text


def refusal_exit_code(plan: Plan) -> int | None:
    """1 when a refusal is an impossible change or bad input, 3 when only policy refused."""
    return exit_code_for(plan.refusals) if plan.refusals else None


def render(plan: Plan, fmt: str, *, color: bool = False) -> str:
    if fmt == "json":
        return render_json(plan)
    if fmt == "markdown":
        return render_markdown(plan)
    return render_text(plan, color=color)


def run(args: argparse.Namespace) -> int:
    desired = planner.load(args.cluster)
    result = planner.compute(desired, connect(desired.cluster))
    plan = result.plan
    print(render(plan, args.format, color=sys.stdout.isatty() and not args.no_color))
    if args.format == "text":
        reads = ", ".join(f"{k} x{v}" for k, v in result.requests.items())
        total = sum(result.timings.values())
        print(f"(planned in {total:.2f} s; admin requests: {reads})", file=sys.stderr)
    refused = refusal_exit_code(plan)
    if refused is not None:
        print(f"Error: the plan has {len(plan.refusals)} refusal(s); nothing can be applied until they are fixed.",
              file=sys.stderr)
        return refused
    if args.out:
        saved = {**plan_to_dict(plan), "cluster_file": str(Path(args.cluster).resolve())}
        Path(args.out).write_text(json.dumps(saved, indent=2) + "\n")
        print(f"Plan saved to {args.out}; apply it with: kgitops apply -c {args.cluster} {args.out}", file=sys.stderr)
    if getattr(args, "fail_on_unhealthy", False) and any(p.kind == "health" for p in plan.warnings):
        print("Error: the cluster is unhealthy (see the warnings above); failing as --fail-on-unhealthy asks.",
              file=sys.stderr)
        return EXIT_ERROR
    if args.detailed_exitcode and plan.has_changes:
        return EXIT_CHANGES
    return EXIT_OK

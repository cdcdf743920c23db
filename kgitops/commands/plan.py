"""`kgitops plan`: what apply would change, and how risky it is."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from kgitops import planner
from kgitops.live.clients import connect
from kgitops.errors import EXIT_CHANGES, EXIT_ERROR, EXIT_OK, Problem, exit_code_for
from kgitops.plan import Plan, plan_to_dict
from kgitops.render.json_format import render_json
from kgitops.render.markdown import render_markdown
from kgitops.render.text import render_text


def refusal_exit_code(plan: Plan) -> int | None:
    """1 when a refusal is an impossible change or bad input, 3 when only policy refused."""
    return exit_code_for(plan.refusals) if plan.refusals else None


if TYPE_CHECKING:
    from kgitops.kinds.topic.impact import Impacts


def render(plan: Plan, fmt: str, *, color: bool = False, impacts: Impacts | None = None) -> str:
    if fmt == "json":
        return render_json(plan, impacts)
    if fmt == "markdown":
        return render_markdown(plan, impacts=impacts)
    return render_text(plan, color=color, impacts=impacts)


def read_impact(args: argparse.Namespace, result: planner.PlanRun) -> Impacts | None:
    """The live impact of the plan's risky actions (docs/impact.md), unless --no-impact."""
    if getattr(args, "no_impact", False) or not result.plan.actions:
        return None
    from kgitops.kinds.topic.impact import Impacts, read_impacts  # only a plan with changes needs it

    started = time.perf_counter()
    try:
        impacts = read_impacts(result.plan.actions, result.live, result.clients,
                               throttle=getattr(args, "throttle", None), acls=result.live_state.by_kind.get("acl"))
    except Exception as err:  # noqa: BLE001 - the impact informs a review; it never fails a plan
        if getattr(args, "debug", False):
            raise
        impacts = Impacts({}, {}, (Problem(f"the live impact could not be computed ({type(err).__name__}: {err}); "
                                           f"run with --debug for details", severity="warning"),))
    result.timings["impact"] = time.perf_counter() - started
    for kind, count in impacts.requests.items():
        result.requests[f"impact.{kind}"] = count
    return impacts


SLOW_CALL_S = 1.0


def slow_call_note(registry) -> str:
    """Names the registry call that made a plan slow, when one took over SLOW_CALL_S."""
    slowest = registry.slowest if registry is not None else None
    if slowest is None or slowest[0] < SLOW_CALL_S:
        return ""
    return f"; slowest registry call: {slowest[1]} took {slowest[0]:.1f} s"


def run(args: argparse.Namespace) -> int:
    desired = planner.load(args.cluster, rotate_passwords=getattr(args, "rotate_passwords", False))
    result = planner.compute(desired, connect(desired.cluster))
    plan = result.plan
    impacts = read_impact(args, result)
    print(render(plan, args.format, color=sys.stdout.isatty() and not args.no_color, impacts=impacts))
    if args.format == "text":
        reads = ", ".join(f"{k} x{v}" for k, v in result.requests.items())
        total = sum(result.timings.values())
        version = f"Kafka {result.kafka_version.line}; " if result.kafka_version else ""
        print(f"(planned in {total:.2f} s; {version}admin requests: {reads}{slow_call_note(result.clients.registry)})",
              file=sys.stderr)
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

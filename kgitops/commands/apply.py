"""`kgitops apply`: reconcile the cluster with the desired state, or apply a saved plan."""
from __future__ import annotations

import argparse
import json
import os
import sys

from kgitops import planner
from kgitops.apply import ApplySettings, execute
from kgitops.kinds import KINDS, action_types
from kgitops.kinds.base import Outcome
from kgitops.live.clients import connect
from kgitops.bookkeeping.audit import audited_apply, plan_digest
from kgitops.commands.plan import refusal_exit_code, render
from kgitops.errors import EXIT_ERROR, EXIT_OK, EXIT_REJECTED, InputError, KgitopsError
from kgitops.bookkeeping.lock import cluster_lock
from kgitops.live.connect import kafka_timeout
from kgitops.plan import Plan, plan_from_dict
from kgitops.desired.files import UnreadableFile, read_bounded
from kgitops.render.escape import escape_control
from kgitops.render.text import render_text


class StalePlan(KgitopsError):
    """The saved plan no longer describes what apply would do."""


def read_saved_plan(path: str) -> Plan:
    try:
        data = json.loads(read_bounded(path))
        return plan_from_dict(data, action_types())
    except FileNotFoundError:
        raise InputError(f"{path}: no such plan file")
    except UnreadableFile as err:
        raise InputError(f"{path}: {err.reason}")
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a plan file")
    except RecursionError:
        raise InputError(f"{path}: not a kgitops plan file (nested too deeply)")
    except (ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: not a kgitops plan file ({err}); create one with `kgitops plan --out {path}`")


def check_not_stale(saved: Plan, current: Plan, label: str, again: str) -> None:
    """Refuse `saved` unless it was computed from the same files and live state as `current`."""
    if saved.cluster != current.cluster or (saved.cluster_id and saved.cluster_id != current.cluster_id):
        raise StalePlan(f"{label} was made for cluster {saved.cluster} ({saved.cluster_id}), not "
                        f"{current.cluster} ({current.cluster_id}). Nothing was changed.")
    if saved.desired_fingerprint != current.desired_fingerprint:
        raise StalePlan(f"{label} is stale: the desired-state files changed since it was made. Nothing was "
                        f"changed; {again}.")
    if saved.live_fingerprint != current.live_fingerprint:
        raise StalePlan(f"{label} is stale: the cluster or registry changed since it was made. Nothing was "
                        f"changed; {again}.")


def confirm(plan: Plan, auto_approve: bool) -> bool:
    if auto_approve:
        return True
    if not sys.stdin.isatty():
        raise InputError("apply needs confirmation and there is no terminal to ask on: review the plan and pass "
                         "--auto-approve (in CI, apply a saved plan: kgitops apply -c CLUSTER.yaml PLAN --auto-approve)")
    answer = input(f"\nApply these {len(plan.actions)} change(s) to cluster {plan.cluster}? Only 'yes' is accepted: ")
    return answer.strip() == "yes"


def print_outcome(outcome: Outcome) -> None:
    a = outcome.action
    mark = {"done": "ok  ", "failed": "FAIL", "skipped": "skip"}[outcome.status]
    line = f"  [{mark}] {a.kind.replace('_', ' ')} {a.resource}"
    if outcome.error:
        line += f": {outcome.error}"
    print(escape_control(line), flush=True)


def run(args: argparse.Namespace) -> int:
    rotate = getattr(args, "rotate_passwords", False)
    desired = planner.load(args.cluster, rotate_passwords=rotate)
    clients = connect(desired.cluster)
    current = planner.compute(desired, clients)
    plan = current.plan
    refused = refusal_exit_code(plan)
    if refused is not None:
        print(render(plan, "text"))
        print("Error: refused; nothing was changed.", file=sys.stderr)
        return refused
    if args.plan_file:
        saved = read_saved_plan(args.plan_file)
        check_not_stale(saved, plan, args.plan_file,
                        f"run `kgitops plan -c {args.cluster} --out {args.plan_file}` again and review it")
        plan = saved
    if not plan.has_changes:
        print("No changes. The cluster matches the desired state.")
        return EXIT_OK
    print(render_text(plan, color=sys.stdout.isatty()))
    if not confirm(plan, args.auto_approve):
        print("Apply cancelled; nothing was changed.")
        return EXIT_ERROR

    # One apply per cluster at a time; the audit record is written while the lock is
    # still held, so the audit topic lists applies in the order they ran.
    with cluster_lock(current.cluster.name, current.live.cluster_id, current.client_config, plan_digest(plan),
                      cluster_file=args.cluster) as lock:
        # The plan was read before the lock (and maybe reviewed for minutes): another apply
        # may have changed the cluster meanwhile. Read again under the lock.
        check_not_stale(plan, planner.compute(planner.load(args.cluster, rotate_passwords=rotate), clients).plan, "the reviewed plan",
                        "run apply again to review the new plan")
        with audited_apply(current, plan, lock, cluster_file=args.cluster, report=print_outcome) as report:
            print(f"\nApplying {len(plan.actions)} change(s) to cluster {plan.cluster}:")
            outcomes = execute(plan.actions, kinds=KINDS, clients=clients, report=report,
                               settings=ApplySettings(timeout=admin_request_timeout(), throttle_bytes_per_sec=args.throttle,
                                                      reassignment_timeout=args.reassignment_timeout))
    return summarize(outcomes, lock_lost=lock.lost)


def admin_request_timeout() -> float:
    """Seconds each apply step waits for its admin request: KGITOPS_KAFKA_TIMEOUT when set
    (a CI job that must fail fast on a lost connection), else the apply's own default."""
    return kafka_timeout() if os.environ.get("KGITOPS_KAFKA_TIMEOUT") else ApplySettings.timeout


def summarize(outcomes: list[Outcome], *, lock_lost: bool = False) -> int:
    done = [o for o in outcomes if o.ok]
    failed = [o for o in outcomes if not o.ok and not o.skipped]
    skipped = [o for o in outcomes if o.skipped]
    print(f"\nApply finished: {len(done)} done, {len(failed)} failed, {len(skipped)} skipped.")
    if lock_lost:
        # Another apply may have changed the cluster meanwhile: CI must not report success.
        print("Error: the apply lock was lost during this apply (the audit record says lock_lost); run "
              "`kgitops plan` to check the cluster.", file=sys.stderr)
    if failed or skipped:
        print("Not done:", file=sys.stderr)
        for o in failed + skipped:
            print(escape_control(f"  {o.action.kind.replace('_', ' ')} {o.action.resource}: {o.error}"), file=sys.stderr)
        print("Fix the cause and run apply again: what succeeded is not repeated.", file=sys.stderr)
        # Only refusals by the rules (the registry's compatibility check): exit 3, as a plan's.
        return EXIT_REJECTED if not lock_lost and failed and all(o.rejected for o in failed) else EXIT_ERROR
    return EXIT_ERROR if lock_lost else EXIT_OK

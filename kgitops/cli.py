"""Command line: parse arguments, dispatch to kgitops.commands.<name>, map errors to exit
codes. No logic lives here.

Exit codes (a contract, README "Exit codes"): 0 success / no changes, 1 error (usage errors included),
2 changes present (plan --detailed-exitcode), 3 rejected by rules.
"""
from __future__ import annotations

import argparse
import importlib
import json
import sys
import traceback
from typing import NoReturn

from kgitops import __version__
from kgitops.desired.secret_values import mask
from kgitops.errors import EXIT_ERROR, EXIT_OK, KgitopsError
from kgitops.render.escape import escape_control, escape_lines

FORMATS = ("text", "json")


def _cluster_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("-c", "--cluster", required=True, metavar="CLUSTER.yaml", help="cluster file")


def _format_arg(p: argparse.ArgumentParser, choices: tuple[str, ...] = FORMATS) -> None:
    p.add_argument("--format", choices=choices, default="text", help="output format (default: text)")


def _byte_rate(text: str) -> int:
    from kgitops.desired.topic_configs import parse_size_bytes

    try:
        value = parse_size_bytes(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err))
    if value <= 0:
        raise argparse.ArgumentTypeError("the throttle must be a positive number of bytes per second")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse exits 2 on a usage error, which is the code for "changes present": a
    typo in a CI drift check (`plan --detailed-exitcode --bogus`) would read as drift.
    Usage errors exit 1, like every other error. Subparsers are made of this class too."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(self.format_usage(), f"{self.prog}: error: {escape_control(message)}")


class UsageError(Exception):
    """Bad arguments: usage and message go to stderr, and with `--format json` one JSON
    object to stdout as for any other bad input."""

    def __init__(self, usage: str, message: str):
        super().__init__(message)
        self.usage = usage
        self.message = message


def _wants_json(argv: list[str]) -> bool:
    return "--format=json" in argv or any(a == "--format" and b == "json" for a, b in zip(argv, argv[1:]))


def _usage_error(err: UsageError, argv: list[str]) -> int:
    sys.stderr.write(err.usage)
    print(err.message, file=sys.stderr)
    if _wants_json(argv):
        problem = {"file": None, "line": None, "column": None, "severity": "error", "kind": "input",
                   "message": err.message}
        print(json.dumps({"version": 1, "exit_code": EXIT_ERROR, "error": err.message, "problems": [problem]},
                         indent=2))
    return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kgitops",
        description="Kafka topics and Schema Registry subjects kept in Git.",
    )
    parser.add_argument("--version", action="version", version=f"kgitops {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("validate", help="offline: check format, policy and Avro schemas")
    _cluster_arg(p)
    _format_arg(p)
    p.add_argument("--offline", action="store_true", help="do not contact the registry for compatibility checks")

    p = sub.add_parser("plan", help="show what apply would change")
    _cluster_arg(p)
    _format_arg(p, ("text", "json", "markdown"))
    p.add_argument("--out", metavar="PLAN", help="save the plan to this file for `apply PLAN`")
    p.add_argument("--detailed-exitcode", action="store_true", help="exit 2 when there are changes, 0 when none")
    p.add_argument("--rotate-passwords", action="store_true",
                   help="plan setting every declared SCRAM user's password again")
    p.add_argument("--fail-on-unhealthy", action="store_true",
                   help="exit 1 when the plan warns about cluster health (brokers down, partitions offline, "
                        "under-replicated or under min.insync.replicas)")
    p.add_argument("--no-color", action="store_true", help="plain text output")
    p.add_argument("--no-impact", action="store_true",
                   help="skip the live impact of risky changes (records deleted, consumer groups affected)")
    p.add_argument("--throttle", type=_byte_rate, metavar="RATE",
                   help="the apply --throttle to estimate replication-factor changes with, e.g. 50MiB")

    p = sub.add_parser("apply", help="reconcile the cluster with the desired state")
    _cluster_arg(p)
    p.add_argument("plan_file", nargs="?", metavar="PLAN", help="a plan saved by `plan --out`")
    p.add_argument("--auto-approve", action="store_true", help="do not ask for confirmation")
    p.add_argument("--throttle", type=_byte_rate, metavar="RATE",
                   help="replication throttle while changing replication factors, e.g. 50MiB (per second)")
    p.add_argument("--reassignment-timeout", type=float, default=600.0, metavar="SECONDS",
                   help="how long to wait for new replicas to join the ISR (default 600)")
    p.add_argument("--rotate-passwords", action="store_true",
                   help="set every declared SCRAM user's password again (Kafka cannot tell whether it changed)")

    p = sub.add_parser("import", help="write YAML for what already exists on the cluster")
    _cluster_arg(p)
    p.add_argument("--out", required=True, metavar="DIR", help="directory to write topic files into")

    p = sub.add_parser("compat", help="check Avro schema compatibility locally")
    p.add_argument("--level", required=True, type=str.upper, help="NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, "
                   "FORWARD_TRANSITIVE, FULL or FULL_TRANSITIVE")
    p.add_argument("--new", required=True, metavar="NEW.avsc")
    p.add_argument("--previous", nargs="*", default=[], metavar="OLD.avsc", help="previous versions, oldest first")
    _format_arg(p)

    p = sub.add_parser("dev", help="the local real stack: 3 Kafka brokers + Schema Registry")
    p.add_argument("action", choices=("up", "down", "status"))
    _format_arg(p)
    p.add_argument("--state-dir", help="where jars, logs and data live (env KGITOPS_DEV_DIR)")
    p.add_argument("--base-port", type=int, help="first Kafka port (env KGITOPS_DEV_BASE_PORT, default 19092)")
    p.add_argument("--registry-port", type=int, help="registry port (env KGITOPS_DEV_REGISTRY_PORT, default 18081)")
    p.add_argument("--timeout", type=float, default=180.0, help="seconds to wait for readiness (default 180)")
    p.add_argument("--kafka-version", choices=("4.4", "3.9"), default="4.4",
                   help="4.4 (default: KRaft + registry) or 3.9 (ZooKeeper mode, brokers on base+200, "
                        "beside the 4.4 stack)")
    p.add_argument("--secure", action="store_true", help="the secured profile: SASL_SSL/SCRAM and mutual TLS, "
                   "ACLs, the registry over HTTPS with basic auth (own ports and state directory)")
    p.add_argument("--via-proxy", action="store_true",
                   help="up: also put toxiproxy in front of every broker and the registry, for fault tests "
                        "(builds toxiproxy with Go on first use)")

    p = sub.add_parser("history", help="show the audit trail of applies")
    _cluster_arg(p)
    p.add_argument("--limit", type=int, default=20)
    _format_arg(p)

    p = sub.add_parser("force-unlock", help="release an apply lock left behind")
    _cluster_arg(p)
    p.add_argument("lock_id", metavar="ID")
    return parser


COMMAND_MODULES = {
    "validate": "validate",
    "plan": "plan",
    "apply": "apply",
    "import": "importer",
    "compat": "compat",
    "dev": "dev",
    "history": "history",
    "force-unlock": "unlock",
}


def _interrupt_on_sigterm() -> None:
    """CI cancels jobs with SIGTERM: turn it into KeyboardInterrupt so `finally` blocks run
    (an apply releases its lock, writes its audit record and says what was done)."""
    import signal

    def handler(signum, frame):
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, handler)
    except ValueError:  # not the main thread (kgitops used as a library)
        pass


def main(argv: list[str] | None = None) -> int:
    _interrupt_on_sigterm()
    parser = build_parser()
    arguments = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parser.parse_args(arguments)
    except UsageError as err:
        return _usage_error(err, arguments)
    if not args.command:
        parser.print_help()
        return EXIT_ERROR
    try:
        module = importlib.import_module(f"kgitops.commands.{COMMAND_MODULES[args.command]}")
        return int(module.run(args))
    except KgitopsError as err:
        if args.debug:
            _print_traceback()
        print(mask(f"Error: {escape_lines(err.message)}"), file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # Output piped into `head` and the like: the reader left, which is not an error.
        _silence_stdout()
        return EXIT_OK
    except Exception as err:  # a bug: still one clear paragraph, the traceback only on request
        if args.debug:
            _print_traceback()
        print(
            mask(f"Error: internal error in kgitops {args.command}: {type(err).__name__}: {escape_control(err)}. "
                 "Run again with --debug for the traceback and report it."),
            file=sys.stderr,
        )
        return EXIT_ERROR


def _print_traceback() -> None:
    """The traceback --debug asks for, with every resolved secret masked."""
    print(mask(traceback.format_exc()), file=sys.stderr, end="")


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())

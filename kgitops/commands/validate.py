"""`kgitops validate -c CLUSTER.yaml`: format, policy and Avro checks; schema compatibility
against the registry when it is reachable (`--offline` skips that).

Exit codes: 0 valid (warnings allowed), 1 input errors, 3 policy violations only.

Text output: one line per problem, `file:line:column: message`, errors first, then a
summary line. `--format json` prints one versioned object on stdout:

    {"version": 1, "valid": bool, "cluster": name | null, "file": path,
     "problems": [Problem.to_dict()...], "warnings": [Problem.to_dict()...],
     "summary": {"errors": n, "warnings": n, "topics": n, "subjects": n, "files": n}}
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from typing import TextIO

from kgitops.kinds import KINDS
from kgitops.render.escape import escape_control
from kgitops.desired.loader import Loaded, display_path, load_cluster
from kgitops.errors import EXIT_ERROR, EXIT_OK, EXIT_REJECTED, InputError, Problem, exit_code_for
from kgitops.policy.desired import check_desired
from kgitops.wording import plural

JSON_VERSION = 1


@dataclass(frozen=True)
class ValidationReport:
    file: str
    loaded: Loaded | None
    problems: tuple[Problem, ...]  # errors only
    warnings: tuple[Problem, ...]

    @property
    def exit_code(self) -> int:
        return exit_code_for(self.problems)


def run(args: argparse.Namespace) -> int:
    report = validate(args.cluster, args)
    if args.format == "json":
        print_json(report, sys.stdout)
    else:
        print_text(report, sys.stdout)
    return report.exit_code


def validate(path: str, args: argparse.Namespace | None = None) -> ValidationReport:
    try:
        loaded = load_cluster(path, KINDS)
    except InputError as err:
        problems = err.problems or (Problem(err.message, file=display_path(path)),)
        return _report(path, None, list(problems))
    findings = list(loaded.warnings) + check_desired(loaded.cluster) + [
        p for kind in KINDS for p in kind.check_desired(loaded.cluster)]
    if args is not None and not getattr(args, "offline", False):
        findings += check_registry_compatibility(loaded, args)
    return _report(path, loaded, findings)


def check_registry_compatibility(loaded: Loaded, args: argparse.Namespace) -> list[Problem]:
    """The local compatibility checker against the versions the registry holds now, at
    each subject's level (docs/compatibility.md). When the registry cannot be reached (or its
    credentials are not in the environment), a warning says the check was skipped: validate
    stays usable offline. `--offline` skips it without trying."""
    cluster = loaded.cluster
    if not cluster.subjects or cluster.schema_registry is None:
        return []
    from kgitops.kinds.subject.read import check_against_registry
    from kgitops.errors import ConnectionFailed
    from kgitops.live.registry_client import RegistryAuthFailed, RegistryClient, RegistryTlsFailed

    try:
        with RegistryClient.from_connection(cluster.schema_registry, cluster.source_file,
                                            max_attempts=2, timeout=5) as client:
            return check_against_registry(cluster, client)
    except (RegistryAuthFailed, RegistryTlsFailed) as err:  # wrong settings, not an unreachable registry
        return [Problem(err.message, file=cluster.source_file)]
    except (ConnectionFailed, InputError) as err:
        reason = err.message.splitlines()[0]
        return [Problem(f"registry compatibility check skipped: {reason}", file=cluster.source_file,
                        severity="warning")]


def _report(path: str, loaded: Loaded | None, findings: list[Problem]) -> ValidationReport:
    errors = tuple(p for p in findings if p.severity != "warning")
    warnings = tuple(p for p in findings if p.severity == "warning")
    file = loaded.cluster.source_file if loaded else display_path(path)
    return ValidationReport(file, loaded, errors, warnings)


# ---------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------


def print_text(report: ValidationReport, out: TextIO) -> None:
    for problem in (*report.problems, *report.warnings):
        print(str(problem), file=out)
    print(summary_line(report), file=out)


def summary_line(report: ValidationReport) -> str:
    return escape_control(_summary(report))


def _summary(report: ValidationReport) -> str:
    counts = plural(len(report.problems), "error") + ", " + plural(len(report.warnings), "warning")
    if report.loaded is None or report.exit_code == EXIT_ERROR:
        return f"{report.file}: invalid: {counts}."
    cluster = report.loaded.cluster
    contents = f"{plural(len(cluster.topics), 'topic')}, {plural(len(cluster.subjects), 'subject')}"
    if report.exit_code == EXIT_REJECTED:
        return f"{report.file}: rejected by policy: {counts} ({contents})."
    return f"{report.file}: valid: cluster '{cluster.name}', {contents}, {counts}."


def print_json(report: ValidationReport, out: TextIO) -> None:
    cluster = report.loaded.cluster if report.loaded else None
    document = {
        "version": JSON_VERSION,
        "valid": report.exit_code == EXIT_OK,
        "exit_code": report.exit_code,
        "cluster": cluster.name if cluster else None,
        "file": report.file,
        "problems": [p.to_dict() for p in report.problems],
        "warnings": [p.to_dict() for p in report.warnings],
        "summary": {
            "errors": len(report.problems),
            "warnings": len(report.warnings),
            "topics": len(cluster.topics) if cluster else None,
            "subjects": len(cluster.subjects) if cluster else None,
            "files": len(cluster.files) if cluster else None,
        },
    }
    json.dump(document, out, indent=2)
    out.write("\n")


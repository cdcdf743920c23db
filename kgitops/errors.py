"""Errors every command can raise, each carrying the exit code it maps to.

Exit codes are a contract with CI scripts (README, "Exit codes"):
0 success / no changes, 1 error, 2 changes present, 3 rejected by rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Literal

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_CHANGES = 2
EXIT_REJECTED = 3


Severity = Literal["error", "warning"]
ProblemKind = Literal["input", "policy", "health"]


@dataclass(frozen=True)
class Problem:
    """One located finding: `file:line:column: message`."""

    message: str
    file: str | None = None
    line: int | None = None
    column: int | None = None
    severity: Severity = "error"
    kind: ProblemKind = "input"  # "input": exit 1; "policy": exit 3; "health": a warning about the cluster
    # The resource this problem refuses or concerns, as a plan names it ("topic shop.orders"):
    # a plan shows it in that resource's block.
    resource: str | None = None

    def where(self) -> str:
        parts = [p for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(str(p) for p in parts)

    def __str__(self) -> str:
        where = self.where()
        prefix = "warning: " if self.severity == "warning" else ""
        return f"{where}: {prefix}{self.message}" if where else f"{prefix}{self.message}"

    def to_dict(self) -> dict:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity,
            "kind": self.kind,
            "message": self.message,
            **({"resource": self.resource} if self.resource else {}),
        }


def exit_code_for(problems: Iterable[Problem]) -> int:
    """The exit code a list of blocking problems maps to: 1 when any is bad input or an
    impossible change, 3 when only rules refused, 0 when there are none. Warnings do not count."""
    errors = [p for p in problems if p.severity == "error"]
    if any(p.kind != "policy" for p in errors):
        return EXIT_ERROR
    return EXIT_REJECTED if errors else EXIT_OK


class KgitopsError(Exception):
    """A failure the user can act on; printed as one paragraph, never a traceback."""

    exit_code = EXIT_ERROR

    def __init__(self, message: str, problems: tuple[Problem, ...] | list[Problem] = ()):
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)


class InputError(KgitopsError):
    """Bad desired-state files or arguments (exit 1)."""


class ConnectionFailed(KgitopsError):
    """A cluster or registry could not be reached (exit 1)."""


class Rejected(KgitopsError):
    """Refused by the rules: policy violation or incompatible schema (exit 3)."""

    exit_code = EXIT_REJECTED

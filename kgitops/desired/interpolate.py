"""`${VAR}` and `${VAR:-default}` in connection settings, resolved from the environment.

Only connection settings are interpolated, and only when a command connects: the
resolved values (secrets) are handed to clients and never stored in a model, a plan or
any output.
"""
from __future__ import annotations

import os
import re
from typing import Mapping

from kgitops.desired import secret_values
from kgitops.errors import InputError, Problem

# A default is plain text: it may hold '$' but not another placeholder. `${A:-${B}}` is
# refused (NESTED), never resolved to the literal text `${B}`.
PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-((?:[^}$]|\$(?!\{))*))?\}")
NESTED = re.compile(r"\$\{[^}]*\$\{")
NESTED_MESSAGE = "placeholders cannot be nested: a default (after ':-') is plain text, not another ${VAR}"


def missing_variables(text: str, env: Mapping[str, str] | None = None) -> list[str]:
    """Names of variables `text` needs that are unset and have no default."""
    env = os.environ if env is None else env
    return [m.group(1) for m in PLACEHOLDER.finditer(text) if m.group(1) not in env and m.group(2) is None]


def resolve(text: str, *, setting: str, source: str, env: Mapping[str, str] | None = None) -> str:
    """Substitute placeholders; a missing variable is an error naming it and the setting."""
    env = os.environ if env is None else env
    if NESTED.search(text):
        raise InputError(f"{source}: {setting}: {NESTED_MESSAGE}", [Problem(f"{setting}: {NESTED_MESSAGE}", file=source)])

    def substitute(match: re.Match[str]) -> str:
        name, default = match.group(1), match.group(2)
        if name in env:
            if secret_values.is_secret_variable(name):
                secret_values.remember(env[name])
            return env[name]
        if default is not None:
            return default
        raise InputError(
            f"{source}: environment variable {name} is not set (needed by {setting}); "
            f"export it before running kgitops",
            [Problem(f"environment variable {name} is not set (needed by {setting})", file=source)],
        )

    resolved = PLACEHOLDER.sub(substitute, text)
    if secret_values.is_secret_setting(setting):
        secret_values.remember(resolved)
    return resolved

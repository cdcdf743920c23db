"""How the subject kind's actions read in a plan: the attributes that change."""
from __future__ import annotations

from functools import singledispatch

from kgitops.desired.loader import display_path
from kgitops.kinds.subject.actions import DeleteSubject, RegisterSchema, SetCompatibility, SetMode
from kgitops.plan import Action


@singledispatch
def details(action: Action) -> list[str]:
    return []


@details.register
def _(action: RegisterSchema) -> list[str]:
    after = f"new version after v{action.previous_version}" if action.previous_version else "first version"
    checked = f", checked {action.level}" if action.level else ""
    kind = "" if action.schema_type == "AVRO" else f" ({action.schema_type})"
    lines = [f"schema{kind}: {after} from {display_path(action.schema_file)}{checked}"]
    if action.references and not action.previous_version:
        lines += [f"  reference {name} -> {subject} {'(latest)' if version == 'latest' else 'v' + version}"
                  for name, subject, version in action.references]
    if action.previous_version and not action.changes:
        lines.append("  (no field changes: doc, order or formatting only)" if action.schema_type == "AVRO" else
                     "  (no field changes: annotations, options, comments or formatting only)")
    return lines + [f"  {change}" for change in action.changes]


@details.register
def _(action: SetCompatibility) -> list[str]:
    return [f"compatibility: {action.before or '(unset)'} -> {action.after}"]


@details.register
def _(action: SetMode) -> list[str]:
    scope = "" if action.subject else " (the registry's global mode)"
    return [f"mode: {action.before or 'READWRITE'} -> {action.after}{scope}"]


@details.register
def _(action: DeleteSubject) -> list[str]:
    return [f"versions: {list(action.versions)} (soft delete)"]

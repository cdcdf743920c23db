"""The compatibility problems of a Protobuf or JSON Schema subject at plan time.

The registry's verdict decides whenever it was asked (the reader asks the compatibility
endpoint for every such schema without references, under the subject's current level);
the local checker adds the reasons, since Apicurio's endpoint gives none. Where neither
could be had (a schema with references, whose references Apicurio's endpoint cannot
resolve, or a level this plan changes) the local verdict decides when it can, and
otherwise the plan says the registry checks it when applying.
"""
from __future__ import annotations

from typing import Sequence

from kgitops.desired.loader import display_path
from kgitops.errors import Problem
from kgitops.model import LiveSubject, SubjectSpec


def typed_check(spec: SubjectSpec, live: LiveSubject, effective, specs: Sequence[SubjectSpec]) -> list[Problem]:
    from kgitops.kinds.subject.compare import previous_versions
    from kgitops.kinds.subject.typed import INCOMPATIBLE, REGISTRY_ONLY, verdict

    versions, texts = previous_versions(live, effective.level)
    local = verdict(spec, texts, effective.level, specs)
    file = display_path(spec.schema_file)
    resource = f"subject {spec.subject}"
    registry = live.registry_verdict
    # The registry was asked under the subject's current level: its verdict holds only if
    # the plan does not change that level.
    level_changes = spec.compatibility is not None and (live.compatibility or "").upper() != effective.level
    if registry is not None and not level_changes:
        compatible, messages = registry
        if compatible:
            return []
        reasons = list(messages) or (list(local.reasons) if local.outcome == INCOMPATIBLE else [])
        said = "; ".join(reasons) if reasons else "the registry gave no details"
        checked = "" if local.outcome == INCOMPATIBLE else " (the local checker: checked by the registry only)"
        return [Problem(f"subject {spec.subject}: the schema registry says the new schema is not {effective.level} "
                        f"compatible ({effective.source}) with version {versions[-1]}: {said}{checked}",
                        file=file, kind="policy", resource=resource)]
    if local.outcome == INCOMPATIBLE:
        return [Problem(f"subject {spec.subject}: the new schema is not {effective.level} compatible "
                        f"({effective.source}): {reason} (against version {versions[-1]})",
                        file=file, kind="policy", resource=resource) for reason in local.reasons]
    if local.outcome == REGISTRY_ONLY:
        why = "its references" if spec.references else "a level this plan changes"
        return [Problem(f"subject {spec.subject}: compatibility checked by the registry only, when applying "
                        f"(the registry cannot be asked now because of {why}; the local checker cannot decide: "
                        f"{'; '.join(local.reasons[:3])})", file=file, severity="warning")]
    return []

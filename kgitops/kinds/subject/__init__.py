"""The subject kind: Schema Registry subjects, their schemas and compatibility levels.

    read     kgitops.live.registry.read_registry (the declared subjects, and those of
             owned topics), over the registry client the command built
    compare  compare.py: level first, then registration, then deletions of claimed subjects
    render   render.py
    apply    apply.py: per subject its level, its registration and its mode (subjects run
             concurrently, referenced subjects first); soft deletions last
    types    Avro (kgitops.avro), Protobuf (kgitops.protobuf), JSON Schema
             (kgitops.json_schema), through typed.py, imported only when declared
"""
from __future__ import annotations

from kgitops.kinds.base import ApplyContext, ApplyStep, KindDiff, Outcome, ReadContext, ResourceKind
from kgitops.kinds.subject.actions import DeleteSubject, RegisterSchema, SetCompatibility, SetMode
from kgitops.model import ClusterSpec, LiveRegistry, LiveState
from kgitops.plan import Action

NO_REGISTRY = "no schema_registry is configured in the cluster file"


def _apply(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.kinds.subject.apply import apply_schema_actions

    client = context.clients.registry
    if client is None:
        outcomes = [Outcome(a, ok=False, error=NO_REGISTRY) for a in actions]
    else:
        outcomes = apply_schema_actions(client, actions)
    for outcome in outcomes:
        context.report(outcome)
    return outcomes


class SubjectKind(ResourceKind):
    name = "subject"
    action_types = (SetCompatibility, RegisterSchema, SetMode, DeleteSubject)
    # After the topics (a topic's schemas need their topic); a subject's level is set before
    # a version is checked against it; deletions after every constructive step.
    apply_steps = (
        ApplyStep(50, (SetCompatibility, RegisterSchema, SetMode), _apply),
        ApplyStep(80, (DeleteSubject,), _apply, destructive=True),
    )

    def read_live(self, context: ReadContext) -> LiveRegistry | None:
        if context.clients.registry is None:
            return None
        from kgitops.live.registry import read_registry

        return read_registry(context.clients.registry, context.desired)

    def compare(self, desired: ClusterSpec, live: LiveState) -> KindDiff:
        if live.registry is None:
            return KindDiff()
        # Imported here: the Avro checker and the registry client cost start-up time that a
        # cluster file without subjects should not pay.
        from kgitops.kinds.subject import compare

        actions, problems = compare.diff_subjects(desired, live.registry)
        return KindDiff(actions=tuple(actions),
                        refusals=tuple(p for p in problems if p.severity != "warning"),
                        warnings=tuple(p for p in problems if p.severity == "warning"))

    def details(self, action: Action) -> list[str]:
        from kgitops.kinds.subject import render

        return render.details(action)

    def live_fingerprint(self, desired: ClusterSpec, live: LiveState) -> object:
        registry = live.registry
        if registry is None:
            return {"subjects": {}, "global_compatibility": None}
        return {"subjects": {s: [v.version, v.schema_id, v.compatibility, *([v.mode] if v.mode else [])]
                             for s, v in sorted(registry.subjects.items())},
                "global_compatibility": registry.global_compatibility,
                **({"global_mode": registry.global_mode} if registry.global_mode else {})}

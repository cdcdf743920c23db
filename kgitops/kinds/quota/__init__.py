"""The quota kind: client quotas (producer/consumer byte rates, request percentage,
controller mutation rate per user, client id or both; connection creation rate per IP).

    desired  desired.py: `quotas:` entries, values parsed (`10MiB`), bounds that catch unit
             mistakes
    read     one DescribeClientQuotas for every entity (kgitops.live.kafka_wire: no admin
             client has it), only when quotas are declared or users owned
    compare  here: per entity, the values to set and to remove; an undeclared entity is
             removed only when its user is owned by the user kind (`users:`, `owned_users:`)
    apply    one AlterClientQuotas for the set values (after the users); one for removals,
             among the deletions
"""
from __future__ import annotations

from typing import Mapping

from kgitops.errors import Problem
from kgitops.kinds.base import ApplyContext, ApplyStep, KindDiff, Outcome, ReadContext, ResourceKind, report_each
from kgitops.kinds.quota import desired
from kgitops.kinds.quota.model import BYTE_RATES, Entity, QuotaChange, RemoveQuotas, SetQuotas, quantity
from kgitops.model import ClusterSpec, LiveState
from kgitops.plan import Action

LiveQuotas = Mapping[Entity, Mapping[str, float]]


def _desired(cluster: ClusterSpec) -> desired.DesiredQuotas:
    return cluster.resources.get("quota") or desired.DesiredQuotas()  # type: ignore[return-value]


def _owned(cluster: ClusterSpec, entity: Entity) -> bool:
    """An undeclared entity is the cluster file's to remove when the user it names is."""
    users = cluster.resources.get("user")
    return entity.user is not None and users is not None and users.owns(entity.user)  # type: ignore[attr-defined]


def lowering_risk(entity: Entity, change: QuotaChange) -> str | None:
    if change.after is None:
        return (f"{entity.describe()} loses its {change.key} quota: its clients fall back to a broader quota "
                f"(a default entity) or are no longer limited")
    if change.before is not None and change.after < change.before:
        who = "producers" if change.key == "producer_byte_rate" else "consumers" \
            if change.key == "consumer_byte_rate" else "clients"
        return (f"{change.key} lowered {quantity(change.key, change.before)} -> {quantity(change.key, change.after)}: "
                f"{who} of {entity.describe()} above the new rate are throttled (their requests delayed)")
    return None


def diff_quotas(cluster: ClusterSpec, wanted: desired.DesiredQuotas, live: LiveQuotas) -> KindDiff:
    actions: list[Action] = []
    for spec in sorted(wanted.quotas, key=lambda q: q.entity.describe()):
        have = live.get(spec.entity, {})
        changes = [QuotaChange(k, have.get(k), v) for k, v in sorted(spec.values.items()) if have.get(k) != v]
        changes += [QuotaChange(k, v, None) for k, v in sorted(have.items()) if k not in spec.values]
        if changes:
            risks = tuple(r for r in (lowering_risk(spec.entity, c) for c in changes) if r)
            actions.append(SetQuotas(entity=spec.entity, changes=tuple(changes), new_entity=not have, risks=risks))
    unmanaged = []
    for entity in sorted(set(live) - {q.entity for q in wanted.quotas}, key=Entity.describe):
        if not _owned(cluster, entity):
            unmanaged.append(entity.describe())
            continue
        changes = tuple(QuotaChange(k, v, None) for k, v in sorted(live[entity].items()))
        actions.append(RemoveQuotas(entity=entity, changes=changes,
                                    risks=tuple(r for r in (lowering_risk(entity, c) for c in changes) if r)))
    return KindDiff(actions=tuple(actions), unmanaged=tuple(unmanaged))


def _alter(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.live import kafka_wire

    changes = [(a.entity.parts, {c.key: c.after for c in a.changes}) for a in actions]  # type: ignore[attr-defined]
    admin = None
    try:
        admin = context.clients.kafka_python()  # type: ignore[misc]
        errors = kafka_wire.alter_client_quotas(admin, changes, context.settings.timeout)
    except Exception as err:  # no connection, or the whole request failed: every entity's outcome says so
        errors = {a.entity.parts: getattr(err, "message", str(err)) for a in actions}  # type: ignore[attr-defined]
    finally:
        if admin is not None:
            admin.close()
    return report_each(context, actions, lambda a: errors.get(a.entity.parts))  # type: ignore[attr-defined]


class QuotaKind(ResourceKind):
    name = "quota"
    action_types = (SetQuotas, RemoveQuotas)
    desired_sections = desired.SECTIONS
    # Quotas of new users are set once the users exist (55); removals among the deletions.
    apply_steps = (ApplyStep(57, (SetQuotas,), _alter), ApplyStep(86, (RemoveQuotas,), _alter, destructive=True))

    def load_desired(self, sections):
        return desired.load(sections)

    def check_desired(self, cluster: ClusterSpec) -> list[Problem]:
        return desired.check_bounds(_desired(cluster))

    def read_live(self, context: ReadContext) -> LiveQuotas | None:
        users = context.desired.resources.get("user")
        if not _desired(context.desired).quotas and not getattr(users, "owned_users", ()):
            return None
        context.requests["describe_client_quotas"] = context.requests.get("describe_client_quotas", 0) + 1
        return read_quotas(context.clients)

    def compare(self, cluster: ClusterSpec, live: LiveState) -> KindDiff:
        if "quota" not in live.by_kind:
            return KindDiff()
        return diff_quotas(cluster, _desired(cluster), live.by_kind["quota"])  # type: ignore[arg-type]

    def details(self, action: Action) -> list[str]:
        return [c.describe() for c in action.changes]  # type: ignore[attr-defined]

    def import_sections(self, clients) -> tuple[dict[str, object], list[str]]:
        from kgitops.errors import ConnectionFailed

        try:
            live = read_quotas(clients)
        except ConnectionFailed as err:
            return {}, [f"client quotas not imported: {err.message}"]
        entries = [{"entity": entity.to_yaml(), **{k: _yaml_value(k, v) for k, v in sorted(values.items())}}
                   for entity, values in sorted(live.items(), key=lambda item: item[0].describe())]
        if not entries:
            return {}, []
        return {"quotas": entries}, [f"{len(entries)} client quota entit{'y' if len(entries) == 1 else 'ies'} imported"]

    def live_fingerprint(self, cluster: ClusterSpec, live: LiveState) -> object:
        quotas = live.by_kind.get("quota") or {}
        return sorted([e.describe(), sorted(v.items())] for e, v in quotas.items()  # type: ignore[union-attr]
                      if _desired(cluster).declared(e) or _owned(cluster, e))


def read_quotas(clients) -> dict[Entity, dict[str, float]]:
    from kgitops.live import kafka_wire
    from kgitops.live.connect import kafka_timeout

    admin = clients.kafka_python()
    try:
        described = kafka_wire.describe_client_quotas(admin, kafka_timeout())
    finally:
        admin.close()
    return {Entity.of(parts): values for parts, values in described.items()}


def _yaml_value(key: str, value: float) -> object:
    """What import writes: byte rates in binary units where exact, whole numbers as ints."""
    from kgitops.desired.topic_configs import human_quantity

    if not value.is_integer():
        return value
    if key in BYTE_RATES:
        return human_quantity("bytes", int(value)) or int(value)
    return int(value)


__all__ = ["QuotaKind", "diff_quotas"]

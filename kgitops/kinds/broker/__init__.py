"""The broker kind: cluster-wide dynamic broker defaults, declared as
`brokers: {defaults: {log.cleaner.threads: 2, ...}}` (what `kafka-configs --entity-type
brokers --entity-default` sets).

    read     one DescribeConfigs sent to one broker, for the cluster-wide defaults and that
             broker's own config list (which keys exist and which are dynamic), and, when a
             value changes, one IncrementalAlterConfigs with validate_only: a plan says what
             the brokers would refuse (kgitops.live.kafka_wire: librdkafka cannot name the
             cluster-wide resource)
    compare  declared keys only. Undeclared cluster-wide defaults are listed as unmanaged,
             never reset: Kafka sets some itself (Kafka 4's min.insync.replicas while
             eligible leader replicas are enabled) and cannot remove them. `key: null`
             removes a default.
    policy   a cluster-wide min.insync.replicas or default.replication.factor below the
             cluster file's policy is refused, as it would be for a topic
    apply    one IncrementalAlterConfigs, before topics are created (they see the defaults)
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import ClassVar, Mapping

from kgitops.errors import Problem
from kgitops.kinds.base import ApplyContext, ApplyStep, KindDiff, Outcome, ReadContext, ResourceKind, report_each
from kgitops.kinds.group import config_text
from kgitops.kinds.topic.actions import ConfigChange
from kgitops.model import ClusterSpec, LiveState, Location, Policy
from kgitops.plan import Action

SCOPE = "defaults"
_SCALAR = {"type": ["string", "integer", "number", "boolean", "null"]}
SECTIONS = {"brokers": {"type": "object", "additionalProperties": False, "properties": {
    SCOPE: {"type": "object", "additionalProperties": _SCALAR}}}}
BLOCK = "broker cluster-wide defaults"  # the plan block of these defaults (resource_type, resource)
# Cluster-wide defaults that the safety policy bounds, and the rule that bounds each.
POLICY_BOUNDS = {"min.insync.replicas": "min_insync_replicas", "default.replication.factor": "min_replication_factor"}


@dataclass(frozen=True)
class DesiredBrokers:
    defaults: Mapping[str, str | None]  # None: remove the cluster-wide default
    locations: Mapping[str, Location]


@dataclass(frozen=True)
class LiveBrokers:
    defaults: Mapping[str, str | None]  # the cluster-wide dynamic defaults now
    sensitive: frozenset[str]  # defaults whose value Kafka does not return
    known: Mapping[str, bool]  # every broker config of this cluster -> dynamic (changeable without a restart)
    refused: str | None  # the brokers' answer to the changes with validate_only, when refused


@dataclass(frozen=True)
class AlterBrokerDefaults(Action):
    kind: ClassVar[str] = "alter_broker_configs"
    resource_type: ClassVar[str] = "broker"
    scope: str = "cluster-wide defaults"
    changes: tuple[ConfigChange, ...] = ()

    @property
    def resource(self) -> str:
        return self.scope

    @classmethod
    def from_fields(cls, fields):
        return super().from_fields({**fields, "changes": tuple(ConfigChange(**c) for c in fields.get("changes", ()))})


def _text(value: object) -> str | None:
    return None if value is None else config_text(value)


def load(sections) -> tuple[DesiredBrokers | None, list[Problem]]:
    defaults: dict[str, str | None] = {}
    locations: dict[str, Location] = {}
    problems: list[Problem] = []
    for section in sections:
        for key, value in ((section.data or {}).get(SCOPE) or {}).items():
            location = section.document.value_location((section.key, SCOPE, key))
            if key in defaults:
                problems.append(Problem(f"brokers.defaults.{key} is declared twice (first at {locations[key]})",
                                        location.file, location.line, location.column))
                continue
            defaults[str(key)], locations[str(key)] = _text(value), location
    if not defaults:
        return None, problems
    return DesiredBrokers(defaults, locations), problems


def _desired(cluster: ClusterSpec) -> DesiredBrokers | None:
    return cluster.resources.get("broker")  # type: ignore[return-value]


def changes_of(wanted: DesiredBrokers, live_defaults: Mapping[str, str | None]) -> tuple[ConfigChange, ...]:
    out = []
    for key, value in sorted(wanted.defaults.items()):
        before = live_defaults.get(key)
        if value is None and key in live_defaults:
            out.append(ConfigChange(key, before, None, op="reset", after_note="cluster-wide default removed: each "
                                    "broker's own setting (server.properties) or Kafka's default applies"))
        elif value is not None and before != value:
            out.append(ConfigChange(key, before, value))
    return tuple(out)


def _below_policy(key: str, value: str | None, policy: Policy) -> bool:
    rule = POLICY_BOUNDS.get(key)
    return (rule is not None and value is not None and value.lstrip("-").isdigit()
            and int(value) < int(getattr(policy, rule)))


def check_policy(cluster: ClusterSpec, wanted: DesiredBrokers) -> list[Problem]:
    problems = []
    for key, rule in POLICY_BOUNDS.items():
        value, floor = wanted.defaults.get(key), int(getattr(cluster.policy, rule))
        if _below_policy(key, value, cluster.policy):
            loc = wanted.locations[key]
            problems.append(Problem(f"brokers.defaults.{key} {value} is below policy.{rule} {floor}: every topic "
                                    f"without its own {key} would follow it", loc.file, loc.line, loc.column,
                                    kind="policy", resource=BLOCK))
    return problems


def diff_brokers(wanted: DesiredBrokers, live: LiveBrokers) -> KindDiff:
    refusals = []
    for key, location in sorted(wanted.locations.items()):
        why = None
        if key not in live.known:
            close = difflib.get_close_matches(key, list(live.known), n=1, cutoff=0.8)
            why = f"brokers.defaults.{key} is not a broker config of this cluster" + (
                f" (did you mean {close[0]}?)" if close else "")
        elif not live.known[key]:
            why = (f"brokers.defaults.{key} is not a dynamic broker config: set it in every broker's "
                   f"server.properties (a restart)")
        elif key in live.sensitive:
            why = (f"brokers.defaults.{key} is a sensitive config that Kafka does not return, so kgitops cannot "
                   f"compare it; set it with kafka-configs")
        if why:
            refusals.append(Problem(why, location.file, location.line, location.column, resource=BLOCK))
    if refusals:
        return KindDiff(refusals=tuple(refusals))
    unmanaged = tuple(f"{k} (cluster-wide default)" for k in sorted(set(live.defaults) - set(wanted.defaults)))
    changes = changes_of(wanted, live.defaults)
    if not changes:
        return KindDiff(unmanaged=unmanaged)
    if live.refused:
        first = next(iter(sorted(wanted.locations.values(), key=lambda loc: (loc.line or 0))))
        return KindDiff(refusals=(Problem(f"the brokers refuse these cluster-wide defaults: {live.refused}",
                                          first.file, first.line, first.column, resource=BLOCK),),
                        unmanaged=unmanaged)
    risk = ("a cluster-wide default: every broker applies it at once, and every topic without an override of "
            "the same setting follows it")
    return KindDiff(actions=(AlterBrokerDefaults(changes=changes, risks=(risk,)),), unmanaged=unmanaged)


def _values(changes: tuple[ConfigChange, ...]) -> dict[str, str | None]:
    return {c.key: c.after if c.op == "set" else None for c in changes}


def _alter(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from kgitops.live import kafka_wire

    values = {k: v for a in actions for k, v in _values(a.changes).items()}  # type: ignore[attr-defined]
    admin = None
    try:
        admin = context.clients.kafka_python()  # type: ignore[misc]
        error = kafka_wire.alter_broker_defaults(admin, values, context.settings.timeout)
    except Exception as err:  # no connection, or the request failed: the outcome says so
        error = getattr(err, "message", str(err))
    finally:
        if admin is not None:
            admin.close()
    return report_each(context, actions, lambda a: error)


class BrokerKind(ResourceKind):
    name = "broker"
    action_types = (AlterBrokerDefaults,)
    desired_sections = SECTIONS
    apply_steps = (ApplyStep(5, (AlterBrokerDefaults,), _alter),)

    def load_desired(self, sections):
        return load(sections)

    def check_desired(self, cluster: ClusterSpec) -> list[Problem]:
        wanted = _desired(cluster)
        return check_policy(cluster, wanted) if wanted else []

    def read_live(self, context: ReadContext) -> LiveBrokers | None:
        wanted = _desired(context.desired)
        if wanted is None:
            return None
        from kgitops.live import kafka_wire
        from kgitops.live.connect import kafka_timeout

        timeout = kafka_timeout()
        admin = context.clients.kafka_python()
        try:
            context.requests["describe_configs.broker_defaults"] = 1
            defaults, broker = kafka_wire.describe_broker_defaults(admin, timeout)
            live_defaults = {k: e.value for k, e in defaults.items()}
            changes = changes_of(wanted, live_defaults)
            refused = None
            if changes and all(k in broker and not broker[k].read_only for k in wanted.defaults):
                context.requests["incremental_alter_configs.validate_only"] = 1
                refused = kafka_wire.alter_broker_defaults(admin, _values(changes), timeout, validate_only=True)
        finally:
            admin.close()
        return LiveBrokers(live_defaults, frozenset(k for k, e in defaults.items() if e.sensitive),
                           {k: not e.read_only for k, e in broker.items()}, refused)

    def compare(self, cluster: ClusterSpec, live: LiveState) -> KindDiff:
        wanted, found = _desired(cluster), live.by_kind.get("broker")
        if wanted is None or found is None:
            return KindDiff()
        return diff_brokers(wanted, found)  # type: ignore[arg-type]

    def details(self, action: Action) -> list[str]:
        return [f"{c.key}: {c.before or '(unset)'} -> {c.after if c.op == 'set' else '(removed: ' + str(c.after_note) + ')'}"
                for c in action.changes]  # type: ignore[attr-defined]

    def import_sections(self, clients) -> tuple[dict[str, object], list[str]]:
        from kgitops.errors import ConnectionFailed
        from kgitops.live import kafka_wire
        from kgitops.live.connect import kafka_timeout

        admin = clients.kafka_python()
        try:
            defaults, _ = kafka_wire.describe_broker_defaults(admin, kafka_timeout())
        except ConnectionFailed as err:
            return {}, [f"cluster-wide broker defaults not imported: {err.message}"]
        finally:
            admin.close()
        values = {k: e.value for k, e in sorted(defaults.items()) if not e.sensitive}
        below = {k: v for k, v in values.items() if _below_policy(k, v, Policy())}
        values = {k: v for k, v in values.items() if k not in below}
        notes = [f"{len(values)} cluster-wide broker default(s) imported"] if values else []
        if below:
            notes.append("cluster-wide broker defaults below the default safety policy left undeclared (a plan lists "
                         "them as unmanaged and never resets them): " + ", ".join(f"{k}={v}" for k, v in below.items()))
        skipped = sorted(k for k, e in defaults.items() if e.sensitive)
        if skipped:
            notes.append(f"sensitive cluster-wide broker defaults not imported (Kafka does not return them): "
                         f"{', '.join(skipped)}")
        return ({"brokers": {SCOPE: values}} if values else {}), notes

    def live_fingerprint(self, cluster: ClusterSpec, live: LiveState) -> object:
        found = live.by_kind.get("broker")
        return sorted(found.defaults.items()) if found is not None else None  # type: ignore[union-attr]


__all__ = ["BrokerKind"]

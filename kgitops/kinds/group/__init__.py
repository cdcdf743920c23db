"""The group kind: consumer group configs (Kafka 4's group configs, KIP-848), declared as
`groups: {billing: {consumer.session.timeout.ms: 45000}}`, read with one DescribeConfigs for
the declared groups and changed with one IncrementalAlterConfigs. A group override that is
not declared is reset (the broker's group default applies again)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from kgitops.kinds.base import ApplyContext, ApplyStep, KindDiff, Outcome, ReadContext, ResourceKind, report_each
from kgitops.kinds.topic.actions import ConfigChange
from kgitops.model import ClusterSpec, LiveState
from kgitops.plan import Action

SECTIONS = {"groups": {"type": "object", "additionalProperties": {
    "type": "object", "additionalProperties": {"type": ["string", "integer", "number", "boolean"]}}}}


@dataclass(frozen=True)
class AlterGroupConfig(Action):
    kind: ClassVar[str] = "alter_group_config"
    resource_type: ClassVar[str] = "group"
    group: str = ""
    changes: tuple[ConfigChange, ...] = ()

    @property
    def resource(self) -> str:
        return self.group

    @classmethod
    def from_fields(cls, fields):
        return super().from_fields({**fields, "changes": tuple(ConfigChange(**c) for c in fields.get("changes", ()))})


def config_text(value: object) -> str:
    """A YAML scalar as Kafka writes a config value (`true`, not Python's `True`)."""
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def load(sections) -> tuple[dict[str, dict[str, str]], list]:
    groups: dict[str, dict[str, str]] = {}
    for section in sections:
        for group, config in (section.data or {}).items():
            groups.setdefault(str(group), {}).update({str(k): config_text(v) for k, v in (config or {}).items()})
    return groups, []


def diff_groups(desired: dict[str, dict[str, str]], live: dict[str, dict[str, tuple[str | None, bool]]]) -> KindDiff:
    """`live`: group -> key -> (value, is_default)."""
    actions = []
    for group, wanted in sorted(desired.items()):
        have = live.get(group, {})
        changes = [ConfigChange(key, have.get(key, (None, True))[0], value)
                   for key, value in sorted(wanted.items()) if have.get(key, (None, True))[0] != value]
        changes += [ConfigChange(key, value, None, op="reset", after_note="override removed: the group default applies")
                    for key, (value, is_default) in sorted(have.items()) if not is_default and key not in wanted]
        if changes:
            actions.append(AlterGroupConfig(group=group, changes=tuple(changes)))
    return KindDiff(actions=tuple(actions))


def _alter(context: ApplyContext, actions: list[Action]) -> list[Outcome]:
    from confluent_kafka.admin import AlterConfigOpType, ConfigEntry, ConfigResource, ResourceType

    from kgitops.live.kafka_errors import kafka_error_text

    resources = {a.group: ConfigResource(ResourceType.GROUP, a.group, incremental_configs=[
        ConfigEntry(c.key, c.after, incremental_operation=AlterConfigOpType.SET if c.op == "set" else
                    AlterConfigOpType.DELETE) for c in a.changes]) for a in actions}  # type: ignore[attr-defined]
    futures = context.clients.admin.incremental_alter_configs(list(resources.values()),
                                                              request_timeout=context.settings.timeout)
    errors = {}
    for resource, future in futures.items():
        try:
            future.result(timeout=context.settings.timeout + 5)
        except Exception as err:  # each group's own error is its outcome
            errors[resource.name] = kafka_error_text(err)
    return report_each(context, actions, lambda a: errors.get(a.group))  # type: ignore[attr-defined]


class GroupKind(ResourceKind):
    name = "group"
    action_types = (AlterGroupConfig,)
    desired_sections = SECTIONS
    apply_steps = (ApplyStep(65, (AlterGroupConfig,), _alter),)

    def load_desired(self, sections):
        return load(sections)

    def read_live(self, context: ReadContext):
        groups = context.desired.resources.get("group") or {}
        if not groups:
            return None
        from confluent_kafka.admin import ConfigResource, ResourceType

        from kgitops.errors import ConnectionFailed
        from kgitops.live.connect import kafka_timeout
        from kgitops.live.kafka_errors import kafka_error_text

        timeout = kafka_timeout()
        context.requests["describe_configs.groups"] = context.requests.get("describe_configs.groups", 0) + 1
        futures = context.clients.admin.describe_configs([ConfigResource(ResourceType.GROUP, g) for g in groups],
                                                         request_timeout=timeout)
        live = {}
        for resource, future in futures.items():
            try:
                entries = future.result(timeout=timeout + 5)
            except Exception as err:
                raise ConnectionFailed(f"describing the configs of group {resource.name} failed: "
                                       f"{kafka_error_text(err)} (group configs need Kafka 4.0 or newer)") from err
            live[resource.name] = {k: (e.value, bool(e.is_default)) for k, e in entries.items()}
        return live

    def compare(self, desired: ClusterSpec, live: LiveState) -> KindDiff:
        if "group" not in live.by_kind:
            return KindDiff()
        return diff_groups(desired.resources.get("group") or {}, live.by_kind["group"])  # type: ignore[arg-type]

    def details(self, action: Action) -> list[str]:
        return [f"config.{c.key}: {c.before or '(unset)'} -> {c.after if c.op == 'set' else '(reset: ' + str(c.after_note) + ')'}"
                for c in action.changes]  # type: ignore[attr-defined]

    def live_fingerprint(self, desired: ClusterSpec, live: LiveState) -> object:
        groups = live.by_kind.get("group") or {}
        return {g: sorted((k, v) for k, (v, d) in entries.items() if not d) for g, entries in sorted(groups.items())}

"""Replication throttle around a reassignment, set before and removed after.

Kafka throttles reassignment traffic with two pairs of dynamic configs (the same ones its
kafka-reassign-partitions tool sets):
- on each broker taking part, `leader.replication.throttled.rate` and
  `follower.replication.throttled.rate` (bytes/s);
- on each topic, which replicas the rate applies to: `leader.replication.throttled.replicas`
  lists the current replicas (they send the data), `follower.replication.throttled.replicas`
  the new ones (they fetch it), as `partition:broker` entries.

A throttle left behind slows that topic's replication forever, and an operator may have
throttles of their own; so removal undoes exactly what was set: a broker rate goes back to
its previous per-broker value (or is deleted), a topic list loses only the entries added.
confluent-kafka's incremental_alter_configs is used: it takes BROKER and TOPIC resources,
and APPEND / SUBTRACT on list configs (one BROKER resource per call).
"""
from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    ConfigSource,
    ResourceType,
)

from kgitops.errors import KgitopsError
from kgitops.live.kafka_errors import kafka_error_text

LEADER_RATE = "leader.replication.throttled.rate"
FOLLOWER_RATE = "follower.replication.throttled.rate"
LEADER_REPLICAS = "leader.replication.throttled.replicas"
FOLLOWER_REPLICAS = "follower.replication.throttled.replicas"
BROKER_THROTTLE_KEYS = (LEADER_RATE, FOLLOWER_RATE)
TOPIC_THROTTLE_KEYS = (LEADER_REPLICAS, FOLLOWER_REPLICAS)
ALL_REPLICAS = "*"


class ThrottleError(KgitopsError):
    """A throttle config could not be set or removed."""


@dataclass(frozen=True)
class ThrottlePlan:
    """What a throttled reassignment sets: the rate on `brokers`, and per topic and key the
    `partition:broker` entries to throttle."""

    rate: int
    brokers: tuple[int, ...]
    topic_entries: Mapping[str, Mapping[str, tuple[str, ...]]]  # topic -> key -> entries

    @property
    def is_empty(self) -> bool:
        return not self.brokers


def throttle_plan(moves: Mapping[str, Mapping[int, Sequence[int]]],
                  current: Mapping[str, Mapping[int, Sequence[int]]], rate: int) -> ThrottlePlan:
    """The throttle for moving partitions from `current` to `moves` (topic -> partition ->
    replicas). Only partitions gaining replicas copy data; a pure shrink sets nothing."""
    if isinstance(rate, bool) or not isinstance(rate, int) or rate < 1:
        raise ValueError(f"replication throttle must be a positive number of bytes per second, got {rate!r}")
    brokers: set[int] = set()
    topic_entries: dict[str, dict[str, tuple[str, ...]]] = {}
    for topic in sorted(moves):
        leaders: list[str] = []
        followers: list[str] = []
        for partition, target in sorted(moves[topic].items()):
            before = tuple(current.get(topic, {}).get(partition, ()))
            added = [b for b in target if b not in before]
            if not added:
                continue
            leaders.extend(f"{partition}:{b}" for b in before)
            followers.extend(f"{partition}:{b}" for b in added)
            brokers.update(before, target)
        if followers:
            topic_entries[topic] = {LEADER_REPLICAS: tuple(leaders), FOLLOWER_REPLICAS: tuple(followers)}
    return ThrottlePlan(rate=rate, brokers=tuple(sorted(brokers)), topic_entries=topic_entries)


@dataclass
class _Undo:
    """What was actually changed, so removal touches nothing else."""

    # broker -> key -> the per-broker value it had before (None: it had none, delete ours)
    broker_rates: dict[int, dict[str, str | None]] = field(default_factory=dict)
    # topic -> key -> entries appended to an existing list (None: the key was unset, delete it)
    topic_lists: dict[str, dict[str, tuple[str, ...] | None]] = field(default_factory=dict)


class ReplicationThrottle:
    """Context manager: sets `plan` on entry, removes exactly that on exit, failure or not.

    `set()` and `remove()` can also be called directly; `remove()` returns the problems
    (configs still set, naming each) instead of raising, so a caller can report them next
    to the reassignment's own outcome."""

    def __init__(self, admin: AdminClient, plan: ThrottlePlan, timeout: float = 30.0):
        self._admin = admin
        self._plan = plan
        self._timeout = timeout
        self._undo = _Undo()

    def __enter__(self) -> ReplicationThrottle:
        self.set()
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        problems = self.remove()
        if problems and exc is None:
            raise ThrottleError(throttle_left_behind(problems))

    def set(self) -> None:
        """Set the throttle; if any part fails, remove what was set and raise ThrottleError."""
        if self._plan.is_empty:
            return
        try:
            self._set_broker_rates()
            self._set_topic_lists()
        except ThrottleError as failure:
            leftovers = self.remove()
            message = failure.message + (f"; {throttle_left_behind(leftovers)}" if leftovers else "")
            raise ThrottleError(message) from failure

    def remove(self) -> list[str]:
        """Undo everything set so far; the problems, empty when all is clean."""
        problems = self._remove_topic_lists() + self._remove_broker_rates()
        return problems

    # -- setting ---------------------------------------------------------------

    def _set_broker_rates(self) -> None:
        previous = self._broker_values(self._plan.brokers)
        entries = [ConfigEntry(key, str(self._plan.rate), incremental_operation=AlterConfigOpType.SET)
                   for key in BROKER_THROTTLE_KEYS]
        futures = {b: self._alter(ResourceType.BROKER, str(b), entries) for b in self._plan.brokers}
        errors = []
        for broker, future in futures.items():
            error = self._error_of(future)
            if error is None:
                self._undo.broker_rates[broker] = previous[broker]
            else:
                errors.append(f"broker {broker}: {error}")
        if errors:
            raise ThrottleError(f"could not set the replication throttle rate: {'; '.join(errors)}")

    def _set_topic_lists(self) -> None:
        topics = sorted(self._plan.topic_entries)
        previous = self._topic_values(topics)
        changes: dict[str, list[ConfigEntry]] = {}
        undo: dict[str, dict[str, tuple[str, ...] | None]] = {}
        for topic in topics:
            for key, ours in self._plan.topic_entries[topic].items():
                entry, reverse = _topic_list_change(key, ours, previous[topic].get(key))
                if entry is not None:
                    changes.setdefault(topic, []).append(entry)
                    undo.setdefault(topic, {})[key] = reverse
        if not changes:
            return
        resources = [ConfigResource(ResourceType.TOPIC, t, incremental_configs=e) for t, e in changes.items()]
        errors = []
        for resource, future in self._admin.incremental_alter_configs(resources, request_timeout=self._timeout).items():
            error = self._error_of(future)
            if error is None:
                self._undo.topic_lists[resource.name] = undo[resource.name]
            else:
                errors.append(f"topic {resource.name}: {error}")
        if errors:
            raise ThrottleError(f"could not set the throttled replicas: {'; '.join(errors)}")

    # -- removing --------------------------------------------------------------

    def _remove_topic_lists(self) -> list[str]:
        if not self._undo.topic_lists:
            return []
        resources = [
            ConfigResource(ResourceType.TOPIC, topic, incremental_configs=[_reverse_entry(k, r) for k, r in keys.items()])
            for topic, keys in self._undo.topic_lists.items()
        ]
        problems = []
        for resource, future in self._admin.incremental_alter_configs(resources, request_timeout=self._timeout).items():
            error = self._error_of(future)
            # A topic deleted meanwhile took its configs with it: nothing is left behind.
            if error is None or error.startswith("UNKNOWN_TOPIC_OR_PART"):
                del self._undo.topic_lists[resource.name]
            else:
                keys = ", ".join(self._undo.topic_lists[resource.name])
                problems.append(f"topic {resource.name} ({keys}): {error}")
        return problems

    def _remove_broker_rates(self) -> list[str]:
        futures = {
            broker: self._alter(ResourceType.BROKER, str(broker), [_restore_entry(k, v) for k, v in keys.items()])
            for broker, keys in self._undo.broker_rates.items()
        }
        problems = []
        for broker, future in futures.items():
            error = self._error_of(future)
            if error is None:
                del self._undo.broker_rates[broker]
            else:
                problems.append(f"broker {broker} ({', '.join(BROKER_THROTTLE_KEYS)}): {error}")
        return problems

    # -- reading and plumbing --------------------------------------------------

    def _broker_values(self, brokers: Sequence[int]) -> dict[int, dict[str, str | None]]:
        """Each broker's own dynamic throttle rates (a cluster-wide default or a static
        value is not the broker's own and is not restored by us)."""
        futures = {b: self._describe(ResourceType.BROKER, str(b)) for b in brokers}
        values = {}
        for broker, future in futures.items():
            configs = self._result(future, f"read the configs of broker {broker}")
            values[broker] = {key: _own_value(configs.get(key), ConfigSource.DYNAMIC_BROKER_CONFIG)
                              for key in BROKER_THROTTLE_KEYS}
        return values

    def _topic_values(self, topics: Sequence[str]) -> dict[str, dict[str, str | None]]:
        resources = [ConfigResource(ResourceType.TOPIC, t) for t in topics]
        futures = self._admin.describe_configs(resources, request_timeout=self._timeout)
        values = {}
        for resource, future in futures.items():
            configs = self._result(future, f"read the configs of topic {resource.name}")
            values[resource.name] = {key: _own_value(configs.get(key), ConfigSource.DYNAMIC_TOPIC_CONFIG)
                                     for key in TOPIC_THROTTLE_KEYS}
        return values

    def _alter(self, kind: ResourceType, name: str, entries: list[ConfigEntry]) -> Future:
        resource = ConfigResource(kind, name, incremental_configs=entries)
        return self._admin.incremental_alter_configs([resource], request_timeout=self._timeout)[resource]

    def _describe(self, kind: ResourceType, name: str) -> Future:
        resource = ConfigResource(kind, name)
        return self._admin.describe_configs([resource], request_timeout=self._timeout)[resource]

    def _result(self, future: Future, what: str):
        try:
            return future.result(timeout=self._timeout + 5)
        except (KafkaException, TimeoutError) as exc:
            raise ThrottleError(f"could not {what}: {kafka_error_text(exc)}") from exc

    def _error_of(self, future: Future) -> str | None:
        try:
            future.result(timeout=self._timeout + 5)
        except (KafkaException, TimeoutError) as exc:
            return kafka_error_text(exc)
        return None


def _own_value(entry: ConfigEntry | None, own_source: ConfigSource) -> str | None:
    if entry is None or _source(entry) != own_source.value:
        return None
    return entry.value


def _source(entry: ConfigEntry) -> int:
    source = entry.source
    return source.value if isinstance(source, ConfigSource) else int(source)


def _topic_list_change(key: str, ours: Sequence[str], previous: str | None
                       ) -> tuple[ConfigEntry | None, tuple[str, ...] | None]:
    """The change that throttles `ours` on top of the topic's own `previous` value, and
    how to reverse it (None: delete the key; a tuple: subtract those entries)."""
    if previous is None:
        return ConfigEntry(key, ",".join(ours), incremental_operation=AlterConfigOpType.SET), None
    existing = {e.strip() for e in previous.split(",") if e.strip()}
    if ALL_REPLICAS in existing:  # every replica is throttled already
        return None, ()
    added = tuple(e for e in ours if e not in existing)
    if not added:
        return None, ()
    return ConfigEntry(key, ",".join(added), incremental_operation=AlterConfigOpType.APPEND), added


def _reverse_entry(key: str, reverse: tuple[str, ...] | None) -> ConfigEntry:
    if reverse is None:
        return ConfigEntry(key, None, incremental_operation=AlterConfigOpType.DELETE)
    return ConfigEntry(key, ",".join(reverse), incremental_operation=AlterConfigOpType.SUBTRACT)


def _restore_entry(key: str, previous: str | None) -> ConfigEntry:
    if previous is None:
        return ConfigEntry(key, None, incremental_operation=AlterConfigOpType.DELETE)
    return ConfigEntry(key, previous, incremental_operation=AlterConfigOpType.SET)


def throttle_left_behind(problems: Sequence[str]) -> str:
    return (
        "the replication throttle could not be removed and is still set on "
        + "; ".join(problems)
        + ": remove these configs by hand (kafka-configs --alter --delete-config), or "
        "replication of those replicas stays throttled"
    )

"""What a topic config becomes when a plan removes its override: the brokers' own value
(server.properties or a dynamic broker default), found through the broker configs Kafka
lets that topic config fall back to (LogConfig's synonyms: segment.bytes ->
log.segment.bytes; retention.ms -> log.retention.ms, .minutes, .hours), or else Kafka's
built-in default of the cluster's release line.

One DescribeConfigs of one broker, sent only when a plan resets an override.
"""
from __future__ import annotations

from typing import Mapping

from confluent_kafka.admin import ConfigResource, ResourceType

from kgitops.desired import topic_configs
from kgitops.model import ClusterSpec, LiveCluster

THROTTLES = frozenset({"leader.replication.throttled.replicas", "follower.replication.throttled.replicas"})


def keys_to_reset(cluster: ClusterSpec, live: LiveCluster) -> set[str]:
    """Overridden keys of declared topics that the desired state does not declare."""
    keys: set[str] = set()
    for spec in cluster.topics:
        current = live.topics.get(spec.name)
        if current is not None:
            keys.update(k for k, e in current.config.items()
                        if e.is_topic_override and k not in spec.config and k not in THROTTLES)
    return keys


def reset_values(admin, live: LiveCluster, keys: set[str], line: str, timeout: float
                 ) -> dict[str, tuple[str | None, str]]:
    """key -> (the value after the reset, or None when it cannot be told; its source)."""
    if not keys:
        return {}
    broker_config = _broker_config(admin, live, timeout)
    return {key: value_after_reset(key, broker_config, line) for key in sorted(keys)}


def value_after_reset(key: str, broker_config: Mapping[str, str | None], line: str) -> tuple[str | None, str]:
    for broker_key, factor in topic_configs.broker_synonyms(key):
        value = broker_config.get(broker_key)
        if value is not None and value != "":
            if factor != 1:
                try:
                    value = str(int(value) * factor)
                except ValueError:
                    continue
            return value, "broker default"
    default = topic_configs.default_value(key, line) if key in topic_configs.catalogue(line) else None
    if default is not None and not broker_config:
        return default, f"Kafka {line} default (the brokers' own value could not be read)"
    if default is not None:
        return default, f"Kafka {line} default"
    return None, "the broker default"


def _broker_config(admin, live: LiveCluster, timeout: float) -> dict[str, str | None]:
    """One broker's effective configs; {} when they cannot be read (no rights to describe
    brokers, for example): the note then falls back to Kafka's default and says so."""
    if not live.brokers:
        return {}
    resource = ConfigResource(ResourceType.BROKER, str(live.brokers[0].id))
    try:
        entries = admin.describe_configs([resource], request_timeout=timeout)[resource].result(timeout=timeout + 5)
    except Exception:  # noqa: BLE001 - a missing note detail must never fail a plan
        return {}
    return {name: entry.value for name, entry in entries.items()}

"""Kafka's rules for topic names (org.apache.kafka.common.internals.Topic)."""
from __future__ import annotations

import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kgitops.model import ClusterSpec

MAX_TOPIC_NAME_LENGTH = 249
_LEGAL = re.compile(r"[a-zA-Z0-9._-]+")
_ILLEGAL_CHAR = re.compile(r"[^a-zA-Z0-9._-]")

# Names Kafka, the Schema Registry, Confluent tooling and kgitops (its lock and audit
# topics) use for themselves: the live reader ignores them (is_internal), so a declared
# one could never converge and is refused.
RESERVED_PREFIX = "__"
RESERVED_NAMES = frozenset({"_schemas", "_confluent-metrics", "_confluent-command", "_confluent-telemetry-metrics"})


def is_internal(name: str) -> bool:
    return name.startswith(RESERVED_PREFIX) or name in RESERVED_NAMES


def topic_name_problem(name: str) -> str | None:
    """Why Kafka would refuse `name` (or why kgitops must not manage it); None if fine."""
    if name in (".", ".."):
        return f"topic name '{name}' is not allowed by Kafka"
    if len(name) > MAX_TOPIC_NAME_LENGTH:
        return f"topic name is {len(name)} characters long; Kafka allows at most {MAX_TOPIC_NAME_LENGTH}"
    if not _LEGAL.fullmatch(name):
        bad = _ILLEGAL_CHAR.search(name)
        shown = repr(bad.group(0)) if bad else "an empty name"
        return (
            f"topic name '{name}' contains {shown}; Kafka allows only ASCII letters, digits, '.', '_' and '-'"
        )
    if is_internal(name):
        return f"topic name '{name}' is reserved for Kafka's (or the Schema Registry's) internal topics"
    return None


def collision_key(name: str) -> str:
    """Kafka refuses a topic whose name equals an existing one after '.' -> '_', because
    '.' and '_' map to the same metric name; equal keys collide."""
    return name.replace(".", "_")


def topic_of_subject(subject: str) -> str | None:
    """The topic of a TopicNameStrategy subject (`orders-value` -> `orders`), else None."""
    for suffix in ("-value", "-key"):
        if subject.endswith(suffix) and len(subject) > len(suffix):
            return subject[: -len(suffix)]
    return None


def is_claimed(cluster: "ClusterSpec", subject: str) -> bool:
    """A live subject the cluster file claims: the key or value subject of an owned topic."""
    topic = topic_of_subject(subject)
    return topic is not None and cluster.owns(topic)

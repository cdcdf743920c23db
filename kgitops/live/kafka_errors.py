"""One readable form for confluent-kafka errors: `NAME: description` (for example
`TOPIC_ALREADY_EXISTS: Topic 'orders' already exists.`), used in every message and outcome."""
from __future__ import annotations

from concurrent.futures import TimeoutError as FutureTimeout

from confluent_kafka import KafkaError, KafkaException

from kgitops.errors import ConnectionFailed


AUTHORIZATION_FAILURES = frozenset({
    KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.CLUSTER_AUTHORIZATION_FAILED,
    KafkaError.GROUP_AUTHORIZATION_FAILED, KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
})
AUTHORIZATION_HINT = ("kgitops' principal lacks an ACL for this; README (Secured clusters) lists the minimal ACLs "
                      "kgitops needs")


def kafka_error_text(err: object) -> str:
    if isinstance(err, KafkaException) and err.args:
        err = err.args[0]
    if isinstance(err, KafkaError):
        if err.code() in AUTHORIZATION_FAILURES:
            return f"{err.name()}: {err.str()} ({AUTHORIZATION_HINT})"
        return f"{err.name()}: {err.str()}"
    if isinstance(err, (TimeoutError, FutureTimeout)):
        return "no answer in time (are the brokers up and reachable?)"
    return str(err) or type(err).__name__


class UnknownTopic(ConnectionFailed):
    """A request named a topic the cluster does not know (UNKNOWN_TOPIC_OR_PART)."""

    def __init__(self, message: str, topic: str):
        super().__init__(message)
        self.topic = topic


def is_unknown_topic(err: object) -> bool:
    if isinstance(err, KafkaException) and err.args:
        err = err.args[0]
    return isinstance(err, KafkaError) and err.code() == KafkaError.UNKNOWN_TOPIC_OR_PART


# Errors librdkafka raises locally for a request whose connection went away under it (a
# bootstrap connection retired once the metadata names the brokers, a reconnect): the
# request never reached a decision and can be sent again.
LOCAL_TRANSIENT = frozenset({KafkaError._DESTROY_BROKER, KafkaError._TRANSPORT})


def is_local_transient(err: object) -> bool:
    if isinstance(err, KafkaException) and err.args:
        err = err.args[0]
    return isinstance(err, KafkaError) and err.code() in LOCAL_TRANSIENT

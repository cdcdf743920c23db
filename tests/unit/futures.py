"""Settled futures, the way confluent-kafka's admin client answers, for fakes."""
from __future__ import annotations

from concurrent.futures import Future

from confluent_kafka import KafkaError, KafkaException


def done(value=None) -> Future:
    future: Future = Future()
    future.set_result(value)
    return future


def failed(code: int) -> Future:
    future: Future = Future()
    future.set_exception(KafkaException(KafkaError(code)))
    return future

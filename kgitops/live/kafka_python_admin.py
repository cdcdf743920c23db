"""kafka-python's admin client, reached with the cluster file's librdkafka properties.

confluent-kafka has no partition-reassignment API, kafka-python does; so RF changes use a
second client. Users write one set of librdkafka-style properties (docs/format.md);
this module translates them to KafkaAdminClient keyword arguments, and refuses, naming
them, any it cannot honour: silently dropping a security setting could connect in a way
the user did not intend. Messages name properties, never their values (secrets).
"""
from __future__ import annotations

import logging
from typing import Callable, Mapping

from kafka.admin import KafkaAdminClient
from kafka.errors import KafkaError as KafkaPythonError

from kgitops.errors import ConnectionFailed, InputError

# kafka-python logs every refused connection as a warning; with no handler anywhere Python
# would print them on stderr. kgitops reports one clear error instead; --debug logging
# configured on the root logger still sees them.
logging.getLogger("kafka").addHandler(logging.NullHandler())


def _text(value: object) -> str:
    return str(value)


def _upper(value: object) -> str:
    return str(value).upper()


def _whole_number(value: object) -> int:
    return int(str(value))


def _server_list(value: object) -> list[str]:
    return [s.strip() for s in str(value).split(",") if s.strip()]


def _check_hostname(value: object) -> bool:
    algorithm = str(value).strip().lower()
    if algorithm not in ("https", "none", ""):
        raise ValueError("expected https or none")
    return algorithm == "https"


# librdkafka property -> (KafkaAdminClient argument, conversion).
TRANSLATED: Mapping[str, tuple[str, Callable[[object], object]]] = {
    "bootstrap.servers": ("bootstrap_servers", _server_list),
    "metadata.broker.list": ("bootstrap_servers", _server_list),
    "client.id": ("client_id", _text),
    "security.protocol": ("security_protocol", _upper),
    "sasl.mechanism": ("sasl_mechanism", _upper),
    "sasl.mechanisms": ("sasl_mechanism", _upper),
    "sasl.username": ("sasl_plain_username", _text),
    "sasl.password": ("sasl_plain_password", _text),
    "sasl.kerberos.service.name": ("sasl_kerberos_service_name", _text),
    "ssl.ca.location": ("ssl_cafile", _text),
    "ssl.certificate.location": ("ssl_certfile", _text),
    "ssl.key.location": ("ssl_keyfile", _text),
    "ssl.key.password": ("ssl_password", _text),
    "ssl.crl.location": ("ssl_crlfile", _text),
    "ssl.endpoint.identification.algorithm": ("ssl_check_hostname", _check_hostname),
    "socket.timeout.ms": ("request_timeout_ms", _whole_number),
    "request.timeout.ms": ("request_timeout_ms", _whole_number),
    "retry.backoff.ms": ("retry_backoff_ms", _whole_number),
    "reconnect.backoff.ms": ("reconnect_backoff_ms", _whole_number),
    "reconnect.backoff.max.ms": ("reconnect_backoff_max_ms", _whole_number),
    "metadata.max.age.ms": ("metadata_max_age_ms", _whole_number),
    "connections.max.idle.ms": ("connections_max_idle_ms", _whole_number),
}

# Properties that only tune librdkafka itself (logging, statistics, socket details): they
# change nothing about which cluster is reached or how it authenticates.
IGNORED = frozenset({
    "logger", "debug", "log_level", "log.connection.close", "log.queue", "statistics.interval.ms",
    "error_cb", "stats_cb", "throttle_cb", "socket.keepalive.enable", "socket.nagle.disable",
    "broker.address.family", "api.version.request", "api.version.request.timeout.ms",
    "topic.metadata.refresh.interval.ms", "socket.connection.setup.timeout.ms",
})

# Properties whose librdkafka default is what kafka-python does anyway.
HARMLESS_WHEN = {"enable.ssl.certificate.verification": "true"}


def kafka_python_admin_settings(client_props: Mapping[str, object]) -> dict[str, object]:
    """KafkaAdminClient keyword arguments equivalent to librdkafka `client_props`.

    Raises InputError naming every property that has no kafka-python equivalent or whose
    value cannot be converted (all of them at once, never their values)."""
    settings: dict[str, object] = {}
    untranslatable: list[str] = []
    invalid: list[str] = []
    for key, value in client_props.items():
        if key in IGNORED:
            continue
        if key in HARMLESS_WHEN and str(value).strip().lower() == HARMLESS_WHEN[key]:
            continue
        if key not in TRANSLATED:
            untranslatable.append(key)
            continue
        argument, convert = TRANSLATED[key]
        try:
            settings[argument] = convert(value)
        except ValueError as exc:
            invalid.append(f"{key} ({exc})" if str(exc) else key)
    if not settings.get("bootstrap_servers"):
        invalid.append("bootstrap.servers (missing)")
    if untranslatable or invalid:
        raise InputError(_translation_message(sorted(untranslatable), invalid))
    return settings


def _translation_message(untranslatable: list[str], invalid: list[str]) -> str:
    parts = []
    if untranslatable:
        parts.append(
            "kafka.properties " + ", ".join(untranslatable) + " cannot be passed to kafka-python, the client "
            "kgitops uses for partition reassignments (replication factor changes); supported: "
            + ", ".join(sorted(TRANSLATED))
        )
    if invalid:
        parts.append("invalid connection properties: " + ", ".join(invalid))
    return "; ".join(parts)


def open_kafka_python_admin(client_props: Mapping[str, object]) -> KafkaAdminClient:
    """A connected KafkaAdminClient; ConnectionFailed (one clear sentence) if the cluster
    cannot be reached. The caller closes it."""
    settings = kafka_python_admin_settings(client_props)
    settings.setdefault("client_id", "kgitops")
    # kafka-python bootstraps eagerly in the constructor; bound that by the request timeout
    # so an unreachable cluster fails as fast as the confluent-kafka reads do.
    settings["bootstrap_timeout_ms"] = settings.get("request_timeout_ms", 30000)
    try:
        return KafkaAdminClient(**settings)
    except KafkaPythonError as exc:
        servers = ",".join(settings["bootstrap_servers"])  # type: ignore[arg-type]
        raise ConnectionFailed(
            f"cannot reach the Kafka cluster at {servers} with kafka-python (used for partition "
            f"reassignments): {type(exc).__name__}: {exc}"
        ) from exc

"""Kafka requests that no admin client offers, sent as protocol messages.

confluent-kafka has no client-quota API and cannot address the cluster-wide broker
defaults (a BROKER resource named ""); kafka-python's admin client has neither either, but
kafka-python ships every request of the protocol as a message class
(`kafka.protocol.admin.DescribeClientQuotasRequest`, ...). This module sends such messages
over a connected kafka-python KafkaAdminClient (`Clients.kafka_python`), and is the one
place that reaches into the client's connection manager to do it.

Every function answers with plain data or raises ConnectionFailed naming the request and
Kafka's error; none quotes a configuration value.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from kgitops.errors import ConnectionFailed

BROKER_RESOURCE = 4  # ConfigResource type BROKER; the name "" is the cluster-wide default
DYNAMIC_DEFAULT_BROKER_CONFIG = 3  # DescribeConfigs' config_source of a cluster-wide default
SET, DELETE = 0, 1  # IncrementalAlterConfigs operations

QuotaEntity = tuple[tuple[str, "str | None"], ...]  # ((entity type, name or None = default), ...)


@dataclass(frozen=True)
class BrokerConfigEntry:
    value: str | None
    source: int
    sensitive: bool
    read_only: bool


def send(admin: Any, request: Any, what: str, timeout_s: float, node_id: int | None = None) -> Any:
    """The response to `request`, sent to broker `node_id` (default: any broker);
    ConnectionFailed on a transport error."""
    from kafka.errors import KafkaError

    manager = admin._manager  # kafka-python's KafkaConnectionManager: the one private access

    async def exchange() -> Any:
        return await manager.send(request, node_id=node_id, request_timeout_ms=int(timeout_s * 1000))

    try:
        return manager.run(exchange)
    except KafkaError as err:
        raise ConnectionFailed(f"{what} failed: {type(err).__name__}: {err}") from err


def error_name(code: int, message: str | None = None) -> str:
    """`CLUSTER_AUTHORIZATION_FAILED: Cluster authorization failed.` for an error code."""
    from kafka.errors import for_code

    error = for_code(code)
    name = getattr(error, "message", error.__name__)
    detail = message or getattr(error, "description", "")
    return f"{name}: {detail}" if detail else str(name)


def _entity(components: Sequence[Any]) -> QuotaEntity:
    return tuple(sorted(((c.entity_type, c.entity_name) for c in components), key=lambda pair: pair[0]))


def describe_client_quotas(admin: Any, timeout_s: float) -> dict[QuotaEntity, dict[str, float]]:
    """Every quota entity of the cluster and its values, from one DescribeClientQuotas."""
    from kafka.protocol.admin import DescribeClientQuotasRequest

    # No filter components and not strict: every entity, whatever its entity types.
    response = send(admin, DescribeClientQuotasRequest(components=[], strict=False),
                    "reading the client quotas (DescribeClientQuotas)", timeout_s)
    if response.error_code:
        raise ConnectionFailed(f"reading the client quotas (DescribeClientQuotas) failed: "
                               f"{error_name(response.error_code, response.error_message)}")
    return {_entity(entry.entity): {v.key: float(v.value) for v in entry.values}
            for entry in response.entries or ()}


def alter_client_quotas(admin: Any, changes: Sequence[tuple[QuotaEntity, Mapping[str, float | None]]],
                        timeout_s: float) -> dict[QuotaEntity, str | None]:
    """Set (a number) or remove (None) quota values of several entities in one
    AlterClientQuotas; per entity, None or Kafka's error."""
    from kafka.protocol.admin import AlterClientQuotasRequest

    entries = [(list(entity), [(key, 0.0 if value is None else float(value), value is None)
                               for key, value in sorted(values.items())]) for entity, values in changes]
    response = send(admin, AlterClientQuotasRequest(entries=entries, validate_only=False),
                    "changing the client quotas (AlterClientQuotas)", timeout_s)
    return {_entity(entry.entity): (error_name(entry.error_code, entry.error_message) if entry.error_code else None)
            for entry in response.entries}


def describe_broker_defaults(admin: Any, timeout_s: float
                             ) -> tuple[dict[str, BrokerConfigEntry], dict[str, BrokerConfigEntry]]:
    """The cluster-wide dynamic broker defaults, and one broker's own configs (every broker
    config this cluster knows, `read_only` when it is not dynamic), from one DescribeConfigs
    sent to that broker (a broker answers only for itself)."""
    from kafka.protocol.admin import DescribeConfigsRequest

    what = "reading the cluster-wide broker defaults (DescribeConfigs)"
    manager = admin._manager
    node = manager.least_loaded_node()
    if node is None:
        raise ConnectionFailed(f"{what} failed: no broker is reachable")
    request = DescribeConfigsRequest(resources=[(BROKER_RESOURCE, "", None), (BROKER_RESOURCE, str(node), None)],
                                     include_synonyms=False)
    response = send(admin, request, what, timeout_s, node_id=node)
    found = []
    for result in response.results:
        if result.error_code:
            raise ConnectionFailed(f"{what} failed: {error_name(result.error_code, result.error_message)}")
        found.append({c.name: BrokerConfigEntry(c.value, c.config_source, bool(c.is_sensitive), bool(c.read_only))
                      for c in result.configs})
    defaults, broker = found
    return ({k: e for k, e in defaults.items() if e.source == DYNAMIC_DEFAULT_BROKER_CONFIG}, broker)


def alter_broker_defaults(admin: Any, values: Mapping[str, str | None], timeout_s: float,
                          validate_only: bool = False) -> str | None:
    """Set (a string) or delete (None) cluster-wide broker defaults in one
    IncrementalAlterConfigs; None or Kafka's error."""
    from kafka.protocol.admin import IncrementalAlterConfigsRequest

    entries = [(key, SET if value is not None else DELETE, value) for key, value in sorted(values.items())]
    response = send(admin, IncrementalAlterConfigsRequest(resources=[(BROKER_RESOURCE, "", entries)],
                                                          validate_only=validate_only),
                    "changing the cluster-wide broker defaults (IncrementalAlterConfigs)", timeout_s)
    result = response.responses[0]
    return error_name(result.error_code, result.error_message) if result.error_code else None

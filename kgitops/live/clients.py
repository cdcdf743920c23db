"""The clients a command builds once and passes down (planner, readers, apply steps), like
topicctl's injected admin client: tests hand in fakes, and no module below the commands
opens a connection of its own.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping

from kgitops.model import ClusterSpec

if TYPE_CHECKING:
    from kgitops.live.reassign import Reassigner
    from kgitops.live.registry_client import RegistryClient


@dataclass(frozen=True)
class Clients:
    admin: Any  # confluent_kafka.admin.AdminClient (or a test's fake with the same methods)
    client_config: Mapping[str, object]  # resolved librdkafka settings, for producers and consumers
    registry: "RegistryClient | None" = None
    # kafka-python is needed only for reassignments, and costs a noticeable import: it is
    # connected on first use.
    reassigner: "Callable[[], Reassigner] | None" = None
    # A kafka-python KafkaAdminClient opened on call (DescribeLogDirs for a plan's impact);
    # the caller closes it.
    kafka_python: "Callable[[], Any] | None" = None


def connect(cluster: ClusterSpec) -> Clients:
    """Clients for `cluster`, secrets resolved from the environment (kgitops.live.connect)."""
    from confluent_kafka.admin import AdminClient

    from kgitops.live.connect import kafka_client_config

    config = kafka_client_config(cluster)
    registry = None
    if cluster.schema_registry is not None and (cluster.subjects or cluster.owned_prefixes):
        from kgitops.live.registry_client import RegistryClient

        registry = RegistryClient.from_connection(cluster.schema_registry, cluster.source_file)

    def reassigner() -> "Reassigner":
        from kgitops.live.reassign import Reassigner

        return Reassigner.connect(config)

    def kafka_python() -> Any:
        from kgitops.live.kafka_python_admin import open_kafka_python_admin

        return open_kafka_python_admin(config)

    return Clients(admin=AdminClient(config), client_config=config, registry=registry, reassigner=reassigner,
                   kafka_python=kafka_python)

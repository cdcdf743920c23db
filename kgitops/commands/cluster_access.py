"""Connecting to the cluster a cluster file names, for commands that read kgitops' own
topics (history, force-unlock) rather than plan: the cluster id pin is honoured."""
from __future__ import annotations

from dataclasses import dataclass

from kgitops.desired.loader import load_cluster
from kgitops.kinds import KINDS
from kgitops.live.connect import kafka_client_config
from kgitops.live.kafka import KafkaReader, WrongCluster
from kgitops.model import ClusterSpec


@dataclass(frozen=True)
class ClusterAccess:
    cluster: ClusterSpec
    client_config: dict
    cluster_id: str


def open_cluster(cluster_file: str) -> ClusterAccess:
    cluster = load_cluster(cluster_file, KINDS).cluster
    client_config = kafka_client_config(cluster)
    reader = KafkaReader.from_config(client_config)
    cluster_id, _, _ = reader.describe_cluster()
    if cluster.cluster_id and cluster_id != cluster.cluster_id:
        raise WrongCluster(
            f"{reader.bootstrap} is cluster {cluster_id}, but {cluster_file} pins cluster_id {cluster.cluster_id}. "
            f"Nothing was read or changed. Check the bootstrap servers (or the environment they come from).")
    return ClusterAccess(cluster, client_config, cluster_id)

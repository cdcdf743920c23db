"""Which Kafka the live cluster runs, and whether the declared topic configs fit it.

The live cluster is the authority. DescribeConfigs lists every topic config the broker
knows, so the names it reports for any topic say which configs exist; they also pick the
release line whose catalogue (ranges, defaults) applies: the line with the same set of
names. Lines with identical sets (3.0-3.5, 3.6-3.7, 4.0/4.1/4.3) are told apart by the
broker's ApiVersions (kafka-python infers the version from them), asked only then, and
when no topic could be described at all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Collection, Mapping

from kgitops.desired import topic_configs
from kgitops.errors import Problem
from kgitops.model import ClusterSpec

# Set by partition reassignments: never declared, never part of the comparison.
_UNMANAGED = frozenset({"leader.replication.throttled.replicas", "follower.replication.throttled.replicas"})


@dataclass(frozen=True)
class LiveKafkaVersion:
    line: str  # the catalogue used, "3.9"
    how: str  # how it was found, for messages ("reported topic configs", "ApiVersions", ...)
    config_names: frozenset[str] | None = None  # every topic config the broker reported, if any

    def knows(self, key: str) -> bool:
        if self.config_names is not None:
            return key in self.config_names
        return key in topic_configs.catalogue(self.line)


def lines_matching(names: Collection[str]) -> list[str]:
    """The release lines whose topic configs are closest to `names` (fewest differences),
    oldest first."""
    reported = set(names)
    scored = [(len(reported ^ set(topic_configs.catalogue(line).configs)), line)
              for line in topic_configs.supported_versions()]
    best = min(score for score, _ in scored)
    return [line for score, line in scored if score == best]


def detect(config_names: Collection[str] | None, api_version: Callable[[], str | None],
           declared: str | None = None) -> LiveKafkaVersion:
    """The live cluster's release line. `api_version` returns the version the broker's
    ApiVersions suggest ("3.9"), or None; it is called only when the names do not decide."""
    names = frozenset(config_names) if config_names else None
    if names:
        candidates = lines_matching(names)
        if len(candidates) == 1:
            return LiveKafkaVersion(candidates[0], "the topic configs the brokers report", names)
        inferred = topic_configs.release_line(api_version() or "")
        if inferred in candidates:
            return LiveKafkaVersion(inferred, "the brokers' ApiVersions", names)  # type: ignore[arg-type]
        if declared in candidates:
            return LiveKafkaVersion(declared, "the cluster file's kafka_version", names)  # type: ignore[arg-type]
        return LiveKafkaVersion(candidates[-1], "the topic configs the brokers report", names)
    inferred = topic_configs.release_line(api_version() or "")
    if inferred:
        return LiveKafkaVersion(inferred, "the brokers' ApiVersions")
    line = declared or topic_configs.newest_version()
    return LiveKafkaVersion(line, "the cluster file's kafka_version" if declared else "the newest Kafka kgitops knows")


def reported_config_names(reader, topic_names: Collection[str]) -> frozenset[str]:
    """The topic config names the brokers know: those a plan's reads already saw, else
    those of one existing topic (one more DescribeConfigs, when no declared topic exists
    yet); empty when the cluster has no topic at all."""
    if reader.reported_config_names or not topic_names:
        return reader.reported_config_names
    try:
        reader.describe_topic_configs([min(topic_names)])
    except Exception:  # noqa: BLE001 - then ApiVersions decide
        pass
    return reader.reported_config_names


def api_version_of(client_config: Mapping[str, object]) -> Callable[[], str | None]:
    """A probe of the broker version through ApiVersions (kafka-python), None on failure:
    a version that cannot be read only costs the choice among identical catalogues."""

    def probe() -> str | None:
        try:
            from kgitops.live.kafka_python_admin import open_kafka_python_admin

            client = open_kafka_python_admin(client_config)
            try:
                version = client._client.check_version()  # (3, 9) from the ApiVersions answer
            finally:
                client.close()
            inferred = ".".join(str(part) for part in version[:2])
            return _at_least_newest(inferred)
        except Exception:  # noqa: BLE001 - any failure means "not known", never a wrong plan
            return None

    return probe


def _at_least_newest(inferred: str) -> str:
    """kafka-python tells releases apart up to the newest it knows; a broker newer than
    that reads as that version, so its ceiling means "that or newer": the newest line
    kgitops knows (the broker still refuses, at create time, a key it lacks)."""
    try:
        from kafka.protocol.broker_version_data import BROKER_API_VERSIONS

        ceiling = ".".join(str(part) for part in max(BROKER_API_VERSIONS)[:2])
    except Exception:  # noqa: BLE001 - another kafka-python layout: take its answer as is
        return inferred
    return topic_configs.newest_version() if inferred == ceiling else inferred


def config_problems(cluster: ClusterSpec, version: LiveKafkaVersion) -> list[Problem]:
    """Each declared config the live cluster does not know, or whose value its Kafka line
    refuses, located where it is declared (once per declaration, not per topic that
    inherits it from the defaults)."""
    verdicts: dict[tuple[str, str], str | None] = {}  # large repositories repeat a few pairs
    problems = []
    seen: set[tuple[str, object]] = set()
    for topic in cluster.topics:
        for pair in topic.config.items():
            if pair not in verdicts:
                verdicts[pair] = _problem(*pair, version)
            message = verdicts[pair]
            if message is None:
                continue
            key = pair[0]
            location = topic.field_locations.get(f"config.{key}") or topic.location
            where = (location.file, location.line, location.column) if location else (None, None, None)
            if (key, where) not in seen:
                seen.add((key, where))
                problems.append(Problem(f"{message} (the version from {version.how})", *where, kind="input"))
    return problems


def _problem(key: str, value: str, version: LiveKafkaVersion) -> str | None:
    if key in _UNMANAGED:
        return None
    if not version.knows(key):
        if key in topic_configs.catalogue(version.line):
            return f"'{key}' is not a topic config of this cluster: its brokers do not report it"
        return topic_configs.unknown_config_message(key, version.line)
    if key not in topic_configs.catalogue(version.line):
        return None  # the broker knows it and kgitops' catalogue does not: the broker decides
    try:
        topic_configs.parse_config_value(key, value, version.line)
    except ValueError as err:
        return f"{key}: {err}"
    return None


def version_warnings(cluster: ClusterSpec, version: LiveKafkaVersion) -> list[Problem]:
    """The cluster file's kafka_version when the live cluster says otherwise."""
    if cluster.kafka_version is None or cluster.kafka_version == version.line:
        return []
    return [Problem(f"the cluster file says kafka_version \"{cluster.kafka_version}\", but the cluster runs Kafka "
                    f"{version.line} (from {version.how}): topic configs were checked against {version.line}",
                    cluster.source_file, severity="warning")]

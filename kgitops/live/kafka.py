"""Reading the live cluster: brokers, topics, partitions, replica assignments and topic
configs, in as few admin round trips as possible.

    reader = KafkaReader(admin)                 # or KafkaReader.from_config(client_config)
    live = reader.read(describe=cluster_spec.manages, expected_cluster_id=pin)

Round trips: one DescribeCluster, one Metadata, and DescribeConfigs for the managed topics
in batches sent together (pipelined), never one request per topic.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Collection

from confluent_kafka import KafkaException, TopicCollection
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, ResourceType

from kgitops.desired.topic_names import is_internal
from kgitops.errors import ConnectionFailed, KgitopsError
from kgitops.live.client_errors import BrokersRefused, ClientErrors, result_or_refusal
from kgitops.live.kafka_errors import (AUTHORIZATION_FAILURES, UnknownTopic, is_local_transient, is_unknown_topic,
                                       kafka_error_text)
from kgitops.live.permissions import not_authorized
from kgitops.live.connect import CONNECT_TIMEOUT_S, kafka_timeout
from kgitops.model import Broker, LiveCluster, LiveConfigEntry, LivePartition, LiveTopic


# DescribeConfigs batches: the broker answers a batch in one response and batches in flight
# overlap. Measured with benchmarks/plan_bench.py on the local stack: about ten batches in
# flight was fastest (1,000 topics: batches of 100 in 0.30 s, one batch 0.45 s; 5,000
# topics: 200-500 in 2.1-2.6 s, 50 in 3.6 s, one batch 3.1 s). See batch_size_for.
DESCRIBE_CONFIGS_BATCH = 500
UNKNOWN_TOPIC_RETRIES = 4
TOPIC_OVERRIDE = ConfigSource.DYNAMIC_TOPIC_CONFIG.value


class WrongCluster(KgitopsError):
    """The cluster file pins another cluster id: nothing is read or changed."""


@dataclass
class ReadStats:
    """Round trips per phase, for plan timing output and the benchmark."""

    requests: dict[str, int] = field(default_factory=dict)

    def record(self, phase: str, requests: int = 1) -> None:
        self.requests[phase] = self.requests.get(phase, 0) + requests


class KafkaReader:
    def __init__(self, admin: AdminClient, *, bootstrap: str = "", timeout: float | None = None,
                 batch_size: int = DESCRIBE_CONFIGS_BATCH, errors: object = None):
        self.admin = admin
        self.bootstrap = bootstrap  # for messages
        # The error_cb of the client settings: why the brokers refused us, told at once.
        self.errors = errors if isinstance(errors, ClientErrors) else None
        self.timeout = timeout if timeout is not None else kafka_timeout()
        self.batch_size = batch_size
        self.stats = ReadStats()
        # Every topic config name the brokers know, from the first topic described (a
        # DescribeConfigs answer lists them all): the live cluster's own catalogue.
        self.reported_config_names: frozenset[str] = frozenset()

    @classmethod
    def from_config(cls, client_config: dict[str, object], **options) -> "KafkaReader":
        return cls(AdminClient(client_config), bootstrap=str(client_config.get("bootstrap.servers", "")),
                   errors=client_config.get("error_cb"), **options)

    def read(self, describe: Callable[[str], bool] | None = None, *, expected_cluster_id: str | None = None,
             config_keys: frozenset[str] | None = None, declared: Collection[str] = (),
             attempt: int = 0) -> LiveCluster:
        """The live cluster. Topic configs are described only for the topics `describe`
        accepts (the declared and claimed ones); None means every non-internal topic.
        With `config_keys`, inherited values are kept only for those keys (topic overrides
        always are): a plan needs no other, and building ~40 entries per topic it would
        throw away is most of the client-side cost on large clusters.
        The configs of `declared` topics are requested before the Metadata request, so both
        travel at once; a declared topic that does not exist simply gets no configs.

        Kafka leaves out of Metadata the topics the principal may not DESCRIBE, so a
        declared topic missing from it is checked with its DescribeConfigs answer: readable
        configs mean it exists but is hidden, TOPIC_AUTHORIZATION_FAILED that it cannot be
        told. Either is a NotAuthorized error: no plan from a partial view."""
        cluster_id, controller, brokers = self.describe_cluster()
        if expected_cluster_id and cluster_id != expected_cluster_id:
            raise WrongCluster(
                f"{self.bootstrap} is cluster {cluster_id}, but the cluster file pins cluster_id "
                f"{expected_cluster_id}. Nothing was read or changed. Check the bootstrap servers (or the "
                f"environment they come from), or update cluster_id if the cluster was rebuilt on purpose.")
        early = sorted(declared)
        in_flight = self._send_describe_configs(early)
        topics = self.read_topics()
        wanted = {t for t in topics if describe is None or describe(t)}
        answers = ConfigAnswers()
        configs = self._collect_configs(in_flight, wanted, config_keys, answers=answers)
        late = sorted(wanted - set(early))  # claimed topics, or every topic without a filter
        configs.update(self._collect_configs(self._send_describe_configs(late), wanted, config_keys,
                                             answers=answers))
        if answers.hidden and not answers.denied and attempt == 0 and not self._hidden_by_authorization(answers.hidden):
            # A topic created a moment ago can be missing from one broker's Metadata while
            # another already describes it: read again, once.
            return self.read(describe, expected_cluster_id=expected_cluster_id, config_keys=config_keys,
                             declared=declared, attempt=1)
        answers.raise_if_partial()
        topics = {name: LiveTopic(t.name, t.partitions, configs.get(name, {}), t.topic_id)
                  for name, t in topics.items()}
        return LiveCluster(cluster_id=cluster_id, controller_id=controller, brokers=brokers, topics=topics)

    def describe_cluster(self) -> tuple[str, int | None, tuple[Broker, ...]]:
        wait = min(self.timeout, CONNECT_TIMEOUT_S)
        try:
            result = result_or_refusal(self.admin.describe_cluster(request_timeout=wait), wait + 2, self.errors,
                                       poll=self.admin.poll)
        except BrokersRefused as err:
            raise ConnectionFailed(f"Kafka at {self.bootstrap} refused the connection: {err}") from err
        except (KafkaException, TimeoutError, Exception) as err:
            last = self.errors.last() if self.errors else None
            raise ConnectionFailed(
                f"cannot reach Kafka at {self.bootstrap}: {kafka_error_text(err)}"
                + (f" (last client error: {last})" if last else "")
                + ". Check that the brokers are up and reachable from here, and the kafka settings of the "
                "cluster file.") from err
        self.stats.record("describe_cluster")
        brokers = tuple(sorted((Broker(n.id, n.host, n.port, n.rack) for n in result.nodes), key=lambda b: b.id))
        controller = result.controller.id if result.controller is not None else None
        return result.cluster_id, controller, brokers

    def _hidden_by_authorization(self, names: list[str]) -> bool:
        """True when a DescribeTopics naming them answers TOPIC_AUTHORIZATION_FAILED for each."""
        futures = self.admin.describe_topics(TopicCollection(list(names)), request_timeout=self.timeout)
        for future in futures.values():
            try:
                future.result(timeout=self.timeout + 5)
                return False
            except KafkaException as err:
                if not _is_authorization_failure(err):
                    return False
        return True

    def read_topics(self) -> dict[str, LiveTopic]:
        """Every non-internal topic with its partitions, from one Metadata request."""
        try:
            metadata = self.admin.list_topics(timeout=self.timeout)
        except KafkaException as err:
            raise ConnectionFailed(f"reading topic metadata from {self.bootstrap} failed: "
                                   f"{kafka_error_text(err)}") from err
        self.stats.record("metadata")
        topics = {}
        for name, meta in metadata.topics.items():
            if is_internal(name) or meta.error is not None and not meta.partitions:
                continue
            partitions = tuple(
                LivePartition(p.id, p.leader, tuple(p.replicas), tuple(p.isrs))
                for p in sorted(meta.partitions.values(), key=lambda p: p.id)
            )
            topics[name] = LiveTopic(name, partitions)
        return topics

    def describe_topic_configs(self, names: list[str], config_keys: frozenset[str] | None = None
                               ) -> dict[str, dict[str, LiveConfigEntry]]:
        """Configs of `names` (topics known to exist) with their sources."""
        return self._collect_configs(self._send_describe_configs(names), set(names), config_keys)

    def batch_size_for(self, count: int) -> int:
        """About ten batches in flight: measured fastest on the local stack (1,000 topics:
        batches of 100; 5,000: 500), capped by the configured batch size."""
        return max(50, min(self.batch_size, -(-count // 10)))

    def _send_describe_configs(self, names: list[str]) -> list[dict]:
        """DescribeConfigs for `names` in batches, all sent before any answer is awaited."""
        size = self.batch_size_for(len(names))
        batches = [names[i:i + size] for i in range(0, len(names), size)]
        if batches:
            self.stats.requests["describe_configs"] = self.stats.requests.get("describe_configs", 0) + len(batches)
        return [self.admin.describe_configs([ConfigResource(ResourceType.TOPIC, n) for n in batch],
                                            request_timeout=self.timeout)
                for batch in batches]

    def _collect_configs(self, in_flight: list[dict], existing: set[str], config_keys: frozenset[str] | None,
                         attempt: int = 0, answers: "ConfigAnswers | None" = None
                         ) -> dict[str, dict[str, LiveConfigEntry]]:
        """Answers of `in_flight`; answers for topics not in `existing` (a declared topic
        that is still to be created) are only noted in `answers`, as are authorization
        failures (raised by the caller, all at once; without `answers`, here)."""
        configs: dict[str, dict[str, LiveConfigEntry]] = {}
        retry: list[str] = []
        own = answers is None
        answers = ConfigAnswers() if answers is None else answers
        for futures in in_flight:
            for resource, future in futures.items():
                try:
                    entries = future.result(timeout=self.timeout + 5)
                except KafkaException as err:
                    if _is_authorization_failure(err):
                        answers.denied.append(resource.name)
                        continue
                    unknown = is_unknown_topic(err)
                    if resource.name not in existing and unknown:
                        continue  # declared, absent: to be created
                    # A topic created moments ago may not have reached the broker that
                    # answers yet, or the request went to a bootstrap connection librdkafka
                    # retired when the metadata named the brokers: ask again, a bounded
                    # number of times. (For a declared topic Metadata did not list, only
                    # an answer tells absent from hidden: it is asked again too.)
                    if (unknown or is_local_transient(err)) and attempt < UNKNOWN_TOPIC_RETRIES:
                        retry.append(resource.name)
                        continue
                    message = f"describing the configs of topic {resource.name} failed: {kafka_error_text(err)}"
                    if unknown:
                        raise UnknownTopic(message, resource.name) from err
                    raise ConnectionFailed(message) from err
                if not self.reported_config_names:
                    self.reported_config_names = frozenset(entries)
                if resource.name not in existing:
                    answers.hidden.append(resource.name)
                else:
                    configs[resource.name] = {
                        key: _config_entry(entry) for key, entry in entries.items()
                        if config_keys is None or key in config_keys or entry.source == TOPIC_OVERRIDE}
        if retry:
            time.sleep(0.3 * (attempt + 1))
            configs.update(self._collect_configs(self._send_describe_configs(retry), existing, config_keys,
                                                 attempt + 1, answers))
        if own:
            answers.raise_if_partial()
        return configs


@dataclass
class ConfigAnswers:
    """DescribeConfigs answers that make the view partial: topics the principal may not
    DESCRIBE_CONFIGS, and topics whose configs came back although Metadata left them out
    (they exist; the principal may not DESCRIBE them)."""

    denied: list[str] = field(default_factory=list)
    hidden: list[str] = field(default_factory=list)

    def raise_if_partial(self) -> None:
        if self.denied:
            raise not_authorized("DESCRIBE_CONFIGS", "TOPIC", self.denied)
        if self.hidden:
            raise not_authorized("DESCRIBE", "TOPIC", self.hidden)


def _is_authorization_failure(err: KafkaException) -> bool:
    return bool(err.args) and hasattr(err.args[0], "code") and err.args[0].code() in AUTHORIZATION_FAILURES


def _config_entry(entry) -> LiveConfigEntry:
    # Synonyms are not used: confluent-kafka keys them by name, so a broker-level value
    # with the same name as the topic config (min.insync.replicas) is lost and the value a
    # reset would fall back to cannot be told reliably. A wrong plan is worse than a terse one.
    return LiveConfigEntry(
        name=entry.name,
        value=entry.value,
        source=_source_name(entry.source),
        is_default=bool(entry.is_default),
        is_sensitive=bool(entry.is_sensitive),
    )


SOURCE_NAMES = {s.value: s.name for s in ConfigSource}


def _source_name(source) -> str:
    """confluent-kafka reports a source as a ConfigSource or as its bare int; a table
    lookup, because building the enum from an int costs more than the rest of the entry."""
    if hasattr(source, "name"):
        return source.name
    return SOURCE_NAMES.get(source, str(source))

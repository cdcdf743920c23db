"""The models everything else passes around: desired state (from Git) and live state
(from the cluster and registry). Immutable dataclasses, no behaviour beyond lookups.

Data flows one way: files -> ClusterSpec; cluster -> LiveCluster / LiveRegistry;
(ClusterSpec, live) -> Plan (kgitops.plan); Plan -> apply.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

# Schema Registry compatibility levels (Confluent's names), weakest first within each family.
COMPATIBILITY_LEVELS = (
    "NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE",
)
SCHEMA_TYPES = ("AVRO", "PROTOBUF", "JSON")  # the registry's schemaType values
SUBJECT_MODES = ("READWRITE", "READONLY", "IMPORT")

# ---------------------------------------------------------------------------
# Desired state
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Location:
    """Where something was declared, for messages like `file:line:column: ...`."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [str(p) for p in (self.file, self.line, self.column) if p is not None]
        return ":".join(parts)


@dataclass(frozen=True)
class SchemaReference:
    """A schema's reference to another subject's schema: `name` is how the schema names it
    (a Protobuf import path, a JSON Schema `$ref`, an Avro full name); `version` None is
    the referenced subject's latest version, resolved when planning."""

    name: str
    subject: str
    version: int | None = None

    @property
    def version_text(self) -> str:
        return "latest" if self.version is None else str(self.version)


@dataclass(frozen=True)
class SubjectSpec:
    """A Schema Registry subject kept in Git: its latest schema and, optionally, its level."""

    subject: str
    schema: str  # the schema text as read from the .avsc file (JSON)
    schema_file: str  # absolute path of the .avsc file
    compatibility: str | None = None  # None: leave the subject's level as it is
    schema_type: str = "AVRO"
    topic: str | None = None  # the topic it belongs to (TopicNameStrategy), if any
    location: Location | None = None
    references: tuple[SchemaReference, ...] = ()
    mode: str | None = None  # READWRITE, READONLY or IMPORT; None: leave the subject's mode as it is


@dataclass(frozen=True)
class TopicSpec:
    """A topic as declared. `config` holds Kafka topic configs in Kafka's canonical string
    form (see kgitops.desired.topic_configs.canonical_value), already merged with the
    cluster's defaults and per-cluster overrides."""

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=dict)
    location: Location | None = None
    # Where each effective value was declared (topic file, cluster defaults or overrides):
    # "partitions", "replication_factor" and "config.<key>", e.g. "config.retention.ms".
    field_locations: Mapping[str, Location] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class PolicyException:
    """A rule relaxed for one named topic, which requires a written reason."""

    topic: str
    rules: Mapping[str, object]  # e.g. {"min_replication_factor": 2}
    reason: str
    location: Location | None = None


@dataclass(frozen=True)
class Policy:
    """Safety rules (README, "Safety policy"). Defaults come from production practice."""

    min_replication_factor: int = 3
    min_insync_replicas: int = 2
    allow_topic_deletion: bool = False
    allow_subject_deletion: bool = False
    max_partitions_per_broker: int = 4000  # replicas counted
    max_partitions_per_cluster: int = 20000
    max_topic_deletions_per_apply: int = 5
    max_partition_increase_percent: int = 100
    max_acl_deletions_per_apply: int = 20
    exceptions: tuple[PolicyException, ...] = ()
    location: Location | None = None
    # Where each rule was set in the cluster file; a rule left at its default has none.
    field_locations: Mapping[str, Location] = field(default_factory=dict, compare=False)

    def for_topic(self, topic: str, rule: str) -> object:
        """The value of `rule` for `topic`, honouring a per-topic exception."""
        for exc in self.exceptions:
            if exc.topic == topic and rule in exc.rules:
                return exc.rules[rule]
        return getattr(self, rule)


@dataclass(frozen=True)
class KafkaConnection:
    """How to reach the cluster. Values may hold `${VAR}` placeholders; they are resolved
    from the environment only when connecting (kgitops.desired.interpolate), so secrets
    never live in Git, in plans or in output."""

    bootstrap_servers: str
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class RegistryConnection:
    """How to reach a Confluent-compatible Schema Registry (placeholders as above)."""

    url: str
    basic_username: str | None = None
    basic_password: str | None = None
    bearer_token: str | None = None
    tls_ca_file: str | None = None  # PEM CA bundle to trust instead of the system's
    tls_cert_file: str | None = None  # client certificate and key (mutual TLS)
    tls_key_file: str | None = None
    tls_verify: bool = True
    mode: str | None = None  # the registry's global mode to keep; None: leave it as it is


@dataclass(frozen=True)
class ClusterSpec:
    """Everything one cluster file declares, with its includes resolved."""

    name: str
    source_file: str
    kafka: KafkaConnection
    schema_registry: RegistryConnection | None = None
    policy: Policy = field(default_factory=Policy)
    topics: tuple[TopicSpec, ...] = ()
    subjects: tuple[SubjectSpec, ...] = ()
    # Undeclared live topics under these prefixes are managed (deleted when allowed);
    # any other undeclared topic is only reported as unmanaged.
    owned_prefixes: tuple[str, ...] = ()
    cluster_id: str | None = None  # when set, connecting to another cluster is refused
    expected_brokers: int | None = None  # a plan warns when fewer brokers are live
    files: tuple[str, ...] = ()  # every file read, for the desired-state fingerprint
    # The desired form of each kind that reads sections of its own (kgitops.kinds), by kind name.
    resources: Mapping[str, object] = field(default_factory=dict, compare=False)
    kafka_version: str | None = None  # the Kafka release line the file declares ("3.9"), if any

    def topic(self, name: str) -> TopicSpec | None:
        return self._topics_by_name().get(name)

    def _topics_by_name(self) -> dict[str, TopicSpec]:
        # Frozen dataclass: cache the index on first use (plans look topics up by name
        # thousands of times).
        index = self.__dict__.get("_index")
        if index is None:
            index = {t.name: t for t in self.topics}
            object.__setattr__(self, "_index", index)
        return index

    def owns(self, topic: str) -> bool:
        return any(topic.startswith(p) for p in self.owned_prefixes)

    def manages(self, topic: str) -> bool:
        """Declared here or claimed by an owned prefix: described in full and diffed."""
        return self.owns(topic) or self.topic(topic) is not None


# ---------------------------------------------------------------------------
# Live state
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Broker:
    id: int
    host: str
    port: int
    rack: str | None = None


@dataclass(frozen=True)
class LivePartition:
    id: int
    leader: int
    replicas: tuple[int, ...]
    isr: tuple[int, ...]


@dataclass(frozen=True)
class LiveConfigEntry:
    """One topic config as the broker reports it. `source` is the confluent-kafka
    ConfigSource name: DYNAMIC_TOPIC_CONFIG means set on the topic; anything else
    (DEFAULT_CONFIG, STATIC_BROKER_CONFIG, DYNAMIC_DEFAULT_BROKER_CONFIG...) is inherited."""

    name: str
    value: str | None
    source: str
    is_default: bool = False
    is_sensitive: bool = False

    @property
    def is_topic_override(self) -> bool:
        return self.source == "DYNAMIC_TOPIC_CONFIG"


@dataclass(frozen=True)
class LiveTopic:
    name: str
    partitions: tuple[LivePartition, ...]
    config: Mapping[str, LiveConfigEntry] = field(default_factory=dict)  # empty if not described
    topic_id: str | None = None

    @property
    def partition_count(self) -> int:
        return len(self.partitions)

    @property
    def replication_factor(self) -> int:
        # A reassignment in flight can leave partitions with different counts; the
        # smallest is the one that matters for durability.
        return min((len(p.replicas) for p in self.partitions), default=0)


@dataclass(frozen=True)
class LiveCluster:
    cluster_id: str
    controller_id: int | None
    brokers: tuple[Broker, ...]
    topics: Mapping[str, LiveTopic]  # non-internal topics only
    # Partition reassignments still running, per topic: partition -> (adding, removing).
    # Read only for managed topics with under-replicated partitions (the only ones that can
    # be moving), so a healthy cluster costs no extra request.
    reassignments: Mapping[str, Mapping[int, tuple[tuple[int, ...], tuple[int, ...]]]] = field(default_factory=dict)
    # What a topic config becomes when its override is removed: key -> (value or None when
    # unknown, where it comes from: "broker default", "Kafka 3.9 default"). Read only for
    # the keys a plan resets (kgitops.live.reset_values).
    reset_values: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)
    # The Kafka release line topic configs are checked against, and how it was found
    # (kgitops.live.kafka_version.LiveKafkaVersion); None until the topic kind read it.
    kafka_version: object | None = None

    def replicas_per_broker(self) -> dict[int, int]:
        counts = {b.id: 0 for b in self.brokers}
        for topic in self.topics.values():
            for p in topic.partitions:
                for r in p.replicas:
                    counts[r] = counts.get(r, 0) + 1
        return counts


@dataclass(frozen=True)
class LiveSubject:
    """The latest registered version of a subject and its compatibility level."""

    subject: str
    version: int | None
    schema_id: int | None
    schema: str | None  # as the registry returns it (re-serialised; compare canonical forms)
    schema_type: str = "AVRO"
    compatibility: str | None = None  # the subject's own level, None if unset
    versions: tuple[int, ...] = ()
    # Every undeleted version's schema, by version, when read (a transitive level needs
    # them for the local check); empty when not read.
    history: Mapping[int, str] = field(default_factory=dict)
    # The version under which the registry already holds the desired schema, by its own
    # notion of "same schema" (POST /subjects/{subject}); None if it does not or was not asked.
    desired_schema_version: int | None = None
    # The latest version's references as (name, subject, version), sorted.
    references: tuple[tuple[str, str, int], ...] = ()
    mode: str | None = None  # the subject's mode, read only when a mode is declared for it
    # The registry's compatibility endpoint on the desired schema, when it was asked at plan
    # time (Protobuf and JSON Schema without references): (compatible, messages).
    registry_verdict: tuple[bool, tuple[str, ...]] | None = None


@dataclass(frozen=True)
class LiveRegistry:
    global_compatibility: str | None
    subjects: Mapping[str, LiveSubject]
    global_mode: str | None = None  # read only when a global mode is declared


@dataclass(frozen=True)
class LiveState:
    """The live forms of every kind, by kind name, as their readers returned them. The
    topic kind's form is the cluster itself (brokers, topics, reassignments): every other
    kind may rely on it being read first."""

    by_kind: Mapping[str, object]

    @property
    def cluster(self) -> LiveCluster:
        return self.by_kind["topic"]  # type: ignore[return-value]

    @property
    def registry(self) -> LiveRegistry | None:
        return self.by_kind.get("subject")  # type: ignore[return-value]

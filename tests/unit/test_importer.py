"""kgitops import without a server: live model -> files that load and diff clean."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kgitops.desired.loader import load_cluster
from kgitops.desired.topic_configs import parse_config_value
from kgitops.kinds.topic.compare import diff_topics
from kgitops.errors import InputError
from kgitops.importer.build import build_import, config_value, group_topics, policy_exceptions, shared_default_configs
from kgitops.importer.found import IMPORT_REASON, ConfigValue, ImportedSchema, ImportedTopic, RegistryFindings
from kgitops.importer.read import subjects_to_import
from kgitops.importer.write import check_imported_files, refuse_conflicts, write_files
from kgitops.model import (Broker, ClusterSpec, KafkaConnection, LiveCluster, LiveConfigEntry, LivePartition,
                           LiveTopic, Policy)
from kgitops.policy.desired import check_desired

BROKERS = (Broker(1, "h", 1), Broker(2, "h", 2), Broker(3, "h", 3))


def live_topic(name: str, partitions: int = 3, rf: int = 3, **overrides: str) -> LiveTopic:
    parts = tuple(LivePartition(p, 1, tuple(1 + (p + i) % 3 for i in range(rf)), ()) for p in range(partitions))
    config = {k: LiveConfigEntry(k, v, "DEFAULT_CONFIG", is_default=True)
              for k, v in {"retention.ms": "604800000", "min.insync.replicas": "1"}.items()}
    config.update({k.replace("_", "."): LiveConfigEntry(k.replace("_", "."), v, "DYNAMIC_TOPIC_CONFIG")
                   for k, v in overrides.items()})
    return LiveTopic(name, parts, config)


def live(*topics: LiveTopic) -> LiveCluster:
    return LiveCluster("cid-1", 1, BROKERS, {t.name: t for t in topics})


def imported(name: str, rf: int = 3, partitions: int = 3, **config: str) -> ImportedTopic:
    values = {k.replace("_", "."): ConfigValue(v, v) for k, v in config.items()}
    return ImportedTopic(name, partitions, rf, values)


@pytest.mark.parametrize("key, live_value, written", [
    ("retention.ms", "604800000", "7d"),
    ("retention.ms", "1500", 1500),  # no unit divides it: a plain number, never a rounded one
    ("retention.ms", "-1", -1),
    ("segment.bytes", "1073741824", "1GiB"),
    ("max.message.bytes", "1000000", 1000000),  # decimal units are not used: 1MB beside 1MiB misleads
    ("max.message.bytes", "1048588", 1048588),
    ("cleanup.policy", "compact,delete", ["compact", "delete"]),
    ("cleanup.policy", "delete,compact", ["compact", "delete"]),
    ("cleanup.policy", "compact", "compact"),
    ("min.cleanable.dirty.ratio", "0.2", 0.2),
    ("preallocate", "true", True),
    ("compression.type", "zstd", "zstd"),
    ("min.insync.replicas", "2", 2),
])
def test_config_values_are_written_in_the_most_readable_exact_form(key, live_value, written):
    value, _ = config_value(key, LiveConfigEntry(key, live_value, "DYNAMIC_TOPIC_CONFIG"))
    assert value is not None and value.written == written
    assert parse_config_value(key, value.written) == value.canonical


def test_a_hidden_value_is_left_out_with_the_reason():
    value, reason = config_value("retention.ms", LiveConfigEntry("retention.ms", None, "DYNAMIC_TOPIC_CONFIG"))
    assert value is None and "hides" in reason


@pytest.mark.parametrize("key, live_value, line, written", [
    # A vendor config the broker reports: declared as reported, never skipped.
    ("confluent.placement.constraints", "{}", None, "{}"),
    # 3.x-only settings on a 3.9 cluster, in their readable form.
    ("segment.bytes", "16384", "3.9", "16KiB"),
    ("message.timestamp.difference.max.ms", "3600000", "3.9", "1h"),
    ("message.downconversion.enable", "false", "3.9", False),
    ("message.format.version", "2.8-IV1", "3.9", "2.8-IV1"),
])
def test_every_config_the_cluster_reports_is_declared(key, live_value, line, written):
    value, _ = config_value(key, LiveConfigEntry(key, live_value, "DYNAMIC_TOPIC_CONFIG"), line)
    assert value is not None and value.written == written
    assert parse_config_value(key, value.written, "any") == value.canonical


def test_topics_are_grouped_by_a_shared_prefix_and_the_rest_go_to_misc():
    names = ["shop.orders", "shop-payments", "shop_audit", "billing", "billing.invoices", "lonely.topic",
             "_private", "Shop.Legacy", "misc.one"]
    assert group_topics(names) == {
        "billing": ["billing", "billing.invoices"],
        "misc": ["_private", "lonely.topic", "misc.one"],
        "shop": ["Shop.Legacy", "shop-payments", "shop.orders", "shop_audit"],
    }


def test_a_default_config_is_kept_only_when_every_topic_sets_that_value():
    topics = [imported("a", min_insync_replicas="2", retention_ms="86400000"),
              imported("b", min_insync_replicas="2"),
              imported("c", min_insync_replicas="2", retention_ms="3600000")]
    kept, dropped = shared_default_configs({"min.insync.replicas": 2, "retention.ms": "1d"}, topics)
    assert kept == {"min.insync.replicas": 2}
    assert dropped == {"retention.ms": ("1d", 2)}


def test_topics_below_policy_get_exceptions_and_rf_1_gets_none():
    topics = [imported("rf2", rf=2, min_insync_replicas="1"), imported("isr1", min_insync_replicas="1"),
              imported("ok", min_insync_replicas="2"), imported("rf1", rf=1)]
    exceptions, notes = policy_exceptions([], Policy(), topics)
    assert exceptions == [
        {"topic": "isr1", "min_insync_replicas": 1, "reason": IMPORT_REASON},
        {"topic": "rf2", "min_replication_factor": 2, "min_insync_replicas": 1, "reason": IMPORT_REASON},
    ]
    assert notes == []


def test_input_exceptions_are_kept_where_they_still_fit():
    topics = [imported("raw", rf=2, min_insync_replicas="1"), imported("strict", rf=2)]
    written = [
        {"topic": "raw", "min_replication_factor": 2, "min_insync_replicas": 1, "reason": "replayable firehose"},
        {"topic": "strict", "min_replication_factor": 3, "reason": "too strict for what exists"},
        {"topic": "gone", "min_replication_factor": 2, "reason": "deleted long ago"},
    ]
    exceptions, notes = policy_exceptions(written, Policy(), topics)
    assert exceptions == [
        {"topic": "raw", "min_replication_factor": 2, "min_insync_replicas": 1, "reason": "replayable firehose"},
        {"topic": "strict", "min_replication_factor": 2, "reason": IMPORT_REASON},
    ]
    assert [str(n) for n in notes] == ["the input's policy exception for topic gone is dropped: no such topic on "
                                       "the cluster"]


SOURCE = {
    "name": "prod",
    "kafka": {"bootstrap_servers": "kafka-1:9093",
              "properties": {"security.protocol": "SASL_SSL", "sasl.username": "${KAFKA_USER}",
                             "sasl.password": "${KAFKA_PASSWORD}"}},
    "schema_registry": {"url": "https://registry:8081",
                        "auth": {"basic": {"username": "${SR_USER}", "password": "${SR_PASSWORD}"}}},
    "policy": {"min_replication_factor": 3, "min_insync_replicas": 2, "max_partitions_per_cluster": 20},
    "defaults": {"partitions": 6, "config": {"min.insync.replicas": 2, "unclean.leader.election.enable": False}},
    "owned_prefixes": ["shop."],
    "overrides": {"shop.orders": {"partitions": 24}},
    "include": ["topics/*.yaml", "topics/prod/*.yaml"],
}
SCHEMA = '{"type":"record","name":"Order","fields":[{"name":"id","type":"string"}]}'


def cluster_spec() -> ClusterSpec:
    return ClusterSpec(name="prod", source_file="clusters/prod.yaml", kafka=KafkaConnection("kafka-1:9093"),
                       policy=Policy(max_partitions_per_cluster=20))


def sample_live() -> LiveCluster:
    return live(
        live_topic("shop.orders", 6, min_insync_replicas="2", retention_ms="604800000",
                   cleanup_policy="delete,compact", unclean_leader_election_enable="false"),
        live_topic("shop.orders.dlq", 3, min_insync_replicas="2", segment_bytes="268435456"),
        live_topic("shop.clicks", 12, rf=2, min_insync_replicas="1",
                   leader_replication_throttled_replicas="0:1"),
        live_topic("legacy", 1, max_message_bytes="2097152"),
        live_topic("on", 1, min_insync_replicas="2"),  # a name YAML would read as a boolean
    )


def write_import(tmp_path: Path, live_cluster: LiveCluster, standalone: tuple[ImportedSchema, ...] = ()) -> Path:
    order_value = ImportedSchema("shop.orders-value", SCHEMA + "\n", "FULL", role="value")
    schemas = RegistryFindings({"shop.orders": (order_value,)}, standalone)
    built = build_import(SOURCE, cluster_spec(), live_cluster, schemas)
    refuse_conflicts(tmp_path, built.files)
    write_files(tmp_path, built.files)
    return tmp_path / built.cluster_file


def test_imported_files_load_and_diff_clean_against_the_live_state(tmp_path):
    current = sample_live()
    cluster_file = write_import(tmp_path, current)
    loaded = load_cluster(cluster_file).cluster
    assert loaded.cluster_id == "cid-1"
    assert sorted(t.name for t in loaded.topics) == sorted(current.topics)
    assert diff_topics(loaded, current).actions == []
    assert [p for p in check_desired(loaded) if p.severity == "error"] == []
    assert [s.subject for s in loaded.subjects] == ["shop.orders-value"]
    # Nothing for plan to show; only that `legacy` relies on the brokers' min.insync.replicas.
    assert [str(n) for n in check_imported_files(cluster_file, current)] == [
        "1 topic(s) set no min.insync.replicas of their own and use the brokers' value; plan warns about each "
        "until they declare one"]


def test_the_cluster_file_keeps_placeholders_and_records_what_it_changed(tmp_path):
    cluster_file = write_import(tmp_path, sample_live())
    text = cluster_file.read_text()
    data = yaml.safe_load(text)
    assert data["kafka"]["properties"]["sasl.password"] == "${KAFKA_PASSWORD}"
    assert data["schema_registry"]["auth"]["basic"]["password"] == "${SR_PASSWORD}"
    assert data["include"] == ["topics/*.yaml"] and "overrides" not in data
    # `legacy` sets neither default: both are left out, so they cannot change it.
    assert "config" not in data["defaults"] and data["defaults"]["partitions"] == 6
    assert "# defaults.config min.insync.replicas: 2 is left out: 2 imported topic(s) do not set that value" in text
    assert "# defaults.config unclean.leader.election.enable: false is left out" in text
    assert data["policy"]["max_partitions_per_cluster"] == 23  # what the cluster already holds
    assert data["policy"]["exceptions"] == [
        {"topic": "shop.clicks", "min_replication_factor": 2, "min_insync_replicas": 1, "reason": IMPORT_REASON}]


def test_topic_files_are_readable(tmp_path):
    write_import(tmp_path, sample_live())
    shop = (tmp_path / "topics" / "shop.yaml").read_text()
    assert "      retention.ms: 7d\n" in shop and "      cleanup.policy: [compact, delete]\n" in shop
    assert "      segment.bytes: 256MiB\n" in shop
    assert "throttled" not in shop  # set by reassignments, never declared
    assert "      value: {file: ../schemas/shop.orders-value.avsc, compatibility: FULL}\n" in shop
    misc = yaml.safe_load((tmp_path / "topics" / "misc.yaml").read_text())
    assert [t["name"] for t in misc["topics"]] == ["legacy", "on"]


def test_an_empty_cluster_imports_to_files_that_load(tmp_path):
    cluster_file = write_import(tmp_path, live())
    assert load_cluster(cluster_file).cluster.topics == ()


def test_existing_different_or_extra_files_block_the_import_and_identical_ones_do_not(tmp_path):
    write_import(tmp_path, sample_live())
    write_import(tmp_path, sample_live())  # the same cluster again: nothing to change
    (tmp_path / "topics" / "hand-written.yaml").write_text("topics: []\n")
    with pytest.raises(InputError, match="hand-written.yaml"):
        write_import(tmp_path, sample_live())
    (tmp_path / "topics" / "hand-written.yaml").unlink()
    changed = sample_live()
    changed = LiveCluster(changed.cluster_id, 1, BROKERS, {**changed.topics, "shop.new": live_topic("shop.new")})
    with pytest.raises(InputError, match="shop.yaml"):
        write_import(tmp_path, changed)
    assert "shop.new" not in (tmp_path / "topics" / "shop.yaml").read_text()


def test_topics_the_policy_cannot_except_are_imported_as_they_are_and_reported(tmp_path):
    current = live(live_topic("single", 1, rf=1),
                   live_topic("tight", 1, rf=2, min_insync_replicas="2"),
                   live_topic("fine", 1, min_insync_replicas="2"))
    cluster_file = write_import(tmp_path, current)
    refusals = [str(n) for n in check_imported_files(cluster_file, current) if "plan will refuse" in str(n)]
    assert len(refusals) == 2
    assert "'single': replication_factor 1 is always refused" in refusals[0] + refusals[1]
    assert "'tight': min.insync.replicas 2 must be lower than replication_factor 2" in refusals[0] + refusals[1]


class FakeReader:
    """describe_topic_configs as the real reader fails when a topic vanished meanwhile."""

    def __init__(self, existing: list[str], vanished: set[str]):
        self.existing, self.vanished, self.calls = existing, vanished, []

    def describe_topic_configs(self, names):
        from kgitops.live.kafka_errors import UnknownTopic

        self.calls.append(list(names))
        for name in names:
            if name in self.vanished:
                raise UnknownTopic(f"describing the configs of topic {name} failed", name)
        return {name: {} for name in names}

    def read_topics(self):
        return {name: None for name in self.existing if name not in self.vanished}


def test_configs_are_described_in_chunks_with_progress_and_vanished_topics_are_dropped(monkeypatch):
    from kgitops.importer import read as importer

    monkeypatch.setattr(importer, "PROGRESS_EVERY", 4)
    names = [f"t{i}" for i in range(10)]
    reader = FakeReader(names, vanished={"t5"})
    lines: list[str] = []
    configs, vanished = importer.describe_configs_in_chunks(reader, names, lines.append)
    assert sorted(configs) == sorted(set(names) - {"t5"}) and vanished == ["t5"]
    assert lines == ["described the configs of 4/10 topics", "described the configs of 8/10 topics",
                     "described the configs of 10/10 topics"]
    assert reader.calls[1] == ["t4", "t5", "t6", "t7"] and reader.calls[2] == ["t4", "t6", "t7"]


def test_claimed_subjects_of_missing_topics_are_declared_on_their_own(tmp_path):
    cluster = ClusterSpec(name="prod", source_file="c.yaml", kafka=KafkaConnection("x:1"), owned_prefixes=("shop.",))
    listed = {"shop.orders-value", "shop.gone-value", "other.gone-value", "shop.Address"}
    assert subjects_to_import(cluster, ["shop.orders"], listed) == ["shop.orders-value", "shop.gone-value"]

    cluster_file = write_import(tmp_path, sample_live(), (ImportedSchema("shop.gone-value", SCHEMA + "\n", None),))
    loaded = load_cluster(cluster_file).cluster
    assert {s.subject: s.topic for s in loaded.subjects} == {"shop.orders-value": "shop.orders",
                                                             "shop.gone-value": None}
    misc = yaml.safe_load((tmp_path / "topics" / "misc.yaml").read_text())
    assert misc["subjects"] == [{"subject": "shop.gone-value", "file": "../schemas/shop.gone-value.avsc"}]

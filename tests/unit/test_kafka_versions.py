"""The topic-config catalogue per Kafka release line (generated from the real jars), the
cluster file's kafka_version, telling the live version from what brokers report, and what
a reset override falls back to."""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from kgitops.desired import topic_configs as tc
from kgitops.desired.loader import load_cluster
from kgitops.kinds.topic import risks
from kgitops.errors import InputError
from kgitops.live import kafka_version
from kgitops.live.reset_values import value_after_reset
from kgitops.model import ClusterSpec, KafkaConnection, Location, TopicSpec

REMOVED_IN_4_0 = ("message.format.version", "message.downconversion.enable", "message.timestamp.difference.max.ms")


def test_every_line_from_3_0_to_4_4_is_known():
    assert tc.supported_versions() == ("3.0", "3.1", "3.2", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9",
                                       "4.0", "4.1", "4.2", "4.3", "4.4")
    assert tc.newest_version() == "4.4"
    assert tc.catalogue().version == "4.4"


# From the jars: the 1 MiB minimum (KIP-1030) arrived in 4.1, not 4.0.
@pytest.mark.parametrize("line,minimum", [("3.0", 14), ("3.9", 14), ("4.0", 14), ("4.1", 1048576), ("4.4", 1048576)])
def test_segment_bytes_minimum_differs_by_line(line, minimum):
    assert tc.catalogue(line).get("segment.bytes").minimum == minimum
    assert tc.parse_config_value("segment.bytes", minimum, line) == str(minimum)
    with pytest.raises(ValueError, match="must be at least"):
        tc.parse_config_value("segment.bytes", minimum - 1, line)


@pytest.mark.parametrize("key", REMOVED_IN_4_0)
def test_keys_removed_in_4_0_exist_up_to_3_9_only(key):
    assert all(key in tc.catalogue(line) for line in tc.supported_versions() if line.startswith("3."))
    assert not any(key in tc.catalogue(line) for line in tc.supported_versions() if line.startswith("4."))
    with pytest.raises(ValueError, match=rf"'{key}' is not a topic config in Kafka 4.4 \(removed in Kafka 4.0"):
        tc.parse_config_value(key, "1", "4.4")


@pytest.mark.parametrize("key,first", [
    ("message.timestamp.before.max.ms", "3.6"), ("message.timestamp.after.max.ms", "3.6"),
    ("remote.storage.enable", "3.6"), ("local.retention.ms", "3.6"), ("compression.zstd.level", "3.8"),
    ("remote.log.copy.disable", "3.9"), ("remote.copy.lag.ms", "4.4"),
])
def test_additions_start_at_their_line(key, first):
    lines = tc.supported_versions()
    before = lines[:lines.index(first)]
    assert key in tc.catalogue(first) and tc.catalogue(first).get(key).since == first
    assert not any(key in tc.catalogue(line) for line in before)
    if before:
        assert f"(added in Kafka {first})" in tc.unknown_config_message(key, before[-1])


def test_3x_values_parse_with_their_3x_meaning():
    assert tc.parse_config_value("message.timestamp.difference.max.ms", "1h", "3.9") == "3600000"
    assert tc.parse_config_value("message.downconversion.enable", False, "3.9") == "false"
    assert tc.parse_config_value("message.format.version", "2.8", "3.9") == "2.8"


def test_any_version_accepts_what_some_line_accepts_and_keeps_vendor_keys():
    assert tc.parse_config_value("segment.bytes", 16384, tc.ANY_VERSION) == "16384"
    assert tc.parse_config_value("message.downconversion.enable", True, tc.ANY_VERSION) == "true"
    assert tc.parse_config_value("confluent.placement.constraints", "{}", tc.ANY_VERSION) == "{}"
    # Refused by every line: the newest line's reason, as validate gives by default.
    with pytest.raises(ValueError, match="must be at least 1048576"):
        tc.parse_config_value("segment.bytes", 10, tc.ANY_VERSION)


def test_unknown_lines_and_versions_are_refused():
    with pytest.raises(ValueError, match="kgitops knows the topic configs of Kafka 3.0 to 4.4, not 2.8"):
        tc.catalogue("2.8")
    assert tc.release_line("3.9.1") == "3.9" and tc.release_line("3.9-IV0") == "3.9" and tc.release_line("9.9") is None


def test_broker_synonyms_come_from_kafka_in_precedence_order():
    assert tc.broker_synonyms("segment.bytes") == [("log.segment.bytes", 1)]
    assert tc.broker_synonyms("retention.ms") == [("log.retention.ms", 1), ("log.retention.minutes", 60000),
                                                  ("log.retention.hours", 3600000)]
    assert tc.broker_synonyms("message.downconversion.enable") == [("log.message.downconversion.enable", 1)]


# -- the cluster file's kafka_version (validate, offline) ----------------------------------


def _cluster_file(tmp_path: Path, version_line: str, config: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text("name: c\nkafka: {bootstrap_servers: 'localhost:9092'}\n" + version_line +
                    "topics:\n  - name: a\n    partitions: 1\n    replication_factor: 3\n"
                    f"    config: {{min.insync.replicas: 2, {config}}}\n")
    return path


def test_kafka_version_makes_3x_settings_valid_offline(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loaded = load_cluster(_cluster_file(tmp_path, 'kafka_version: "3.9"\n', "segment.bytes: 16KiB"))
    assert loaded.cluster.kafka_version == "3.9" and loaded.cluster.topics[0].config["segment.bytes"] == "16384"
    with pytest.raises(InputError, match=r"c.yaml:7:.*segment.bytes: must be at least 1048576"):
        load_cluster(_cluster_file(tmp_path, "", "segment.bytes: 16KiB"))


@pytest.mark.parametrize("line,message", [
    ("kafka_version: 3.9\n", "write the version as a string"),
    ('kafka_version: "2.8"\n', 'kgitops knows the topic configs of Kafka 3.0 to 4.4'),
])
def test_a_bad_kafka_version_is_located(tmp_path, monkeypatch, line, message):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError, match=rf"c.yaml:3:16: kafka_version: {message}"):
        load_cluster(_cluster_file(tmp_path, line, "retention.ms: 1d"))


def test_connected_loading_leaves_the_version_to_the_live_cluster(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    loaded = load_cluster(_cluster_file(tmp_path, "", "message.downconversion.enable: false"), connected=True)
    assert loaded.cluster.topics[0].config["message.downconversion.enable"] == "false"


# -- the live version -------------------------------------------------------------------


def _names(line: str) -> set[str]:
    return set(tc.catalogue(line).configs)


def _no_api_versions() -> str | None:
    raise AssertionError("ApiVersions asked although the reported configs decide")


@pytest.mark.parametrize("line", ["3.9", "4.4", "3.8", "4.2"])
def test_a_line_with_its_own_config_set_is_told_by_the_names(line):
    version = kafka_version.detect(_names(line), _no_api_versions)
    assert version.line == line and version.knows("segment.bytes")


def test_identical_config_sets_are_told_apart_by_api_versions():
    assert kafka_version.detect(_names("4.1"), lambda: "4.1").line == "4.1"
    assert kafka_version.detect(_names("3.2"), lambda: "3.2").line == "3.2"
    # ApiVersions unreadable: the file's kafka_version if it fits, else the newest candidate.
    assert kafka_version.detect(_names("4.0"), lambda: None, declared="4.0").line == "4.0"
    assert kafka_version.detect(_names("4.0"), lambda: None).line == "4.3"


def test_without_any_topic_api_versions_or_the_cluster_file_decide():
    assert kafka_version.detect(None, lambda: "3.9").line == "3.9"
    assert kafka_version.detect(None, lambda: None, declared="3.7").line == "3.7"
    assert kafka_version.detect(None, lambda: None).line == "4.4"


def _cluster(config: dict[str, str]) -> ClusterSpec:
    location = Location("topics.yaml", 4, 7)
    topic = TopicSpec("a", 1, 3, config, location, {f"config.{k}": location for k in config})
    return ClusterSpec("c", "c.yaml", KafkaConnection("localhost:9092"), topics=(topic,))


def test_declared_keys_the_live_cluster_lacks_are_located_errors():
    on_39 = kafka_version.detect(_names("3.9"), _no_api_versions)
    (problem,) = kafka_version.config_problems(_cluster({"remote.copy.lag.ms": "1000", "segment.bytes": "16384"}),
                                               on_39)
    assert problem.where() == "topics.yaml:4:7" and problem.kind == "input"
    assert "'remote.copy.lag.ms' is not a topic config in Kafka 3.9 (added in Kafka 4.4)" in problem.message
    on_44 = kafka_version.detect(_names("4.4"), _no_api_versions)
    (too_small,) = kafka_version.config_problems(_cluster({"segment.bytes": "16384"}), on_44)
    assert "segment.bytes: must be at least 1048576" in too_small.message
    # A vendor key the brokers report is theirs to judge.
    vendor = kafka_version.detect(_names("4.4") | {"confluent.placement.constraints"}, _no_api_versions)
    assert kafka_version.config_problems(_cluster({"confluent.placement.constraints": "{}"}), vendor) == []


# -- what a reset falls back to ---------------------------------------------------------


def test_a_reset_falls_back_to_the_brokers_value_through_kafkas_synonyms():
    assert value_after_reset("segment.bytes", {"log.segment.bytes": "16777216"}, "3.9") == ("16777216",
                                                                                            "broker default")
    hours_only = {"log.retention.ms": None, "log.retention.minutes": None, "log.retention.hours": "168"}
    assert value_after_reset("retention.ms", hours_only, "4.4") == ("604800000", "broker default")
    assert value_after_reset("segment.bytes", {}, "4.4")[0] == "1073741824"


@pytest.mark.parametrize("before,after,source,expected", [
    ("16384", "1073741824", "broker default", "segment.bytes 16 KiB -> broker default 1 GiB"),
    ("16384", "16384", "broker default", "segment.bytes stays 16 KiB (broker default)"),
    ("16384", None, "the broker default", "segment.bytes 16 KiB -> the broker default (its value could not"),
])
def test_a_reset_note_says_what_the_value_becomes(before, after, source, expected):
    (note,) = risks.override_reset("segment.bytes", before, after, source)
    assert note.startswith(expected)


def test_the_catalogue_loads_lazily():
    # Importing the module reads no data (a fresh interpreter, so other tests' use of the
    # catalogue does not count); the first catalogue asked for does.
    import subprocess
    import sys

    code = ("import kgitops.desired.topic_configs as tc; assert tc._data.cache_info().currsize == 0; "
            "assert tc.catalogue('3.9').version == '3.9' and tc._data.cache_info().currsize == 1")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_validate_hints_at_kafka_version_when_an_older_line_accepts_the_value(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(InputError) as raised:
        load_cluster(_cluster_file(tmp_path, "", "segment.bytes: 16KiB, message.downconversion.enable: false"))
    message = raised.value.message
    assert "segment.bytes: must be at least 1048576 (1 MiB), got 16384 (16 KiB); Kafka 3.0-4.0 accepts it" in message
    assert "(removed in Kafka 4.0: down-conversion for old consumers is gone); Kafka 3.0-3.9 accepts it" in message
    assert "say so with kafka_version in c.yaml" in message


# -- the Kafka 3.9 dev stack's layout -----------------------------------------------------


def test_the_3_9_stack_has_its_own_ports_and_state_beside_the_4_4_stack(tmp_path):
    from kgitops.devstack import processes
    from kgitops.devstack.stack import StackLayout
    from kgitops.devstack.zookeeper import ZooKeeperLayout, broker_properties, zookeeper_config

    kraft = StackLayout(tmp_path / "dev", base_port=39092, registry_port=38081)
    zk = ZooKeeperLayout.beside(kraft)
    kraft_ports = {kraft.broker_port(n) for n in kraft.node_ids()} | {kraft.controller_port, kraft.registry_port,
                                                                        kraft.registry_port + 1}
    zk_ports = {zk.broker_port(n) for n in zk.node_ids()} | {zk.zookeeper_port}
    assert zk_ports == {39292, 39293, 39294, 39181} and not kraft_ports & zk_ports
    assert zk.state_dir == tmp_path / "dev-kafka3.9"
    # The 4.4 directory's path is a prefix of the 3.9 one's: a process is the stack's only
    # if its whole marker argument matches.
    assert zk.marker.startswith(kraft.marker)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)",
                                processes.marker_argument(zk.marker), "next-argument"])
    try:
        pid_file = tmp_path / "pid"
        pid_file.write_text(str(sleeper.pid))
        # Until the child has exec'd, its command line is still pytest's: wait, bounded.
        for _ in range(200):
            if processes.running_pid(pid_file, zk.marker):
                break
            time.sleep(0.01)
        assert processes.running_pid(pid_file, zk.marker) == sleeper.pid
        assert processes.running_pid(pid_file, kraft.marker) is None
    finally:
        sleeper.kill()
        sleeper.wait()
    props = broker_properties(zk, 2)
    assert "broker.id=2" in props and "zookeeper.connect=127.0.0.1:39181" in props
    assert "listeners=PLAINTEXT://127.0.0.1:39293" in props and "min.insync.replicas=2" in props
    assert "process.roles" not in props
    assert "clientPort=39181" in zookeeper_config(zk) and "clientPortAddress=127.0.0.1" in zookeeper_config(zk)


def test_a_kafka_version_the_cluster_contradicts_is_a_warning():
    on_39 = kafka_version.detect(_names("3.9"), _no_api_versions)
    declared_44 = ClusterSpec("c", "c.yaml", KafkaConnection("localhost:9092"), kafka_version="4.4")
    (warning,) = kafka_version.version_warnings(declared_44, on_39)
    assert warning.severity == "warning" and 'says kafka_version "4.4", but the cluster runs Kafka 3.9' in warning.message
    declared_39 = ClusterSpec("c", "c.yaml", KafkaConnection("localhost:9092"), kafka_version="3.9")
    assert kafka_version.version_warnings(declared_39, on_39) == []

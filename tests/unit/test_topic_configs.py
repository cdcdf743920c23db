"""Topic config values: every way of writing a value maps to one canonical string, so the
desired value (YAML) and the live value (broker) compare equal when they mean the same."""
from __future__ import annotations

import pytest

from kgitops.desired.topic_configs import (
    TOPIC_CONFIGS,
    canonical_value,
    default_value,
    java_double_string,
    parse_config_value,
)

EQUIVALENT = [
    # key, YAML value, canonical
    ("retention.ms", "7d", "604800000"),
    ("retention.ms", "1w", "604800000"),
    ("retention.ms", "168h", "604800000"),
    ("retention.ms", 604800000, "604800000"),
    ("retention.ms", "604800000", "604800000"),
    ("retention.ms", "-1", "-1"),
    ("retention.ms", -1, "-1"),
    ("retention.ms", "1h30m", "5400000"),
    ("retention.ms", "1.5h", "5400000"),
    ("segment.ms", "12h", "43200000"),
    ("segment.ms", "30m", "1800000"),
    ("delete.retention.ms", "45s", "45000"),
    ("file.delete.delay.ms", "500ms", "500"),
    ("retention.bytes", "1GiB", "1073741824"),
    ("retention.bytes", "1GB", "1000000000"),
    ("retention.bytes", "512MiB", "536870912"),
    ("retention.bytes", "100KB", "100000"),
    ("retention.bytes", "1 gib", "1073741824"),
    ("retention.bytes", -1, "-1"),
    ("segment.bytes", "1GiB", "1073741824"),
    ("max.message.bytes", "1MiB", "1048576"),
    ("max.message.bytes", 1048588, "1048588"),
    ("cleanup.policy", "delete", "delete"),
    ("cleanup.policy", "compact,delete", "compact,delete"),
    ("cleanup.policy", "delete,compact", "compact,delete"),
    ("cleanup.policy", "delete, compact", "compact,delete"),
    ("cleanup.policy", ["delete", "compact"], "compact,delete"),
    ("cleanup.policy", "[compact, delete]", "compact,delete"),
    ("cleanup.policy", "Compact", "compact"),
    ("unclean.leader.election.enable", True, "true"),
    ("unclean.leader.election.enable", "TRUE", "true"),
    ("preallocate", False, "false"),
    ("min.cleanable.dirty.ratio", 0.5, "0.5"),
    ("min.cleanable.dirty.ratio", "0.50", "0.5"),
    ("min.cleanable.dirty.ratio", 1, "1.0"),
    ("min.cleanable.dirty.ratio", 0.0001, "1.0E-4"),
    ("compression.type", "ZSTD", "zstd"),
    ("message.timestamp.type", "logappendtime", "LogAppendTime"),
    ("min.insync.replicas", 2, "2"),
    ("min.insync.replicas", "2", "2"),
    ("compression.gzip.level", -1, "-1"),
    ("compression.zstd.level", -5, "-5"),
    ("local.retention.ms", -2, "-2"),
]


@pytest.mark.parametrize("key,value,canonical", EQUIVALENT, ids=[f"{k}={v!r}" for k, v, _ in EQUIVALENT])
def test_yaml_values_are_normalised(key: str, value: object, canonical: str) -> None:
    assert parse_config_value(key, value) == canonical


@pytest.mark.parametrize("key,value,canonical", EQUIVALENT, ids=[f"{k}={v!r}" for k, v, _ in EQUIVALENT])
def test_canonical_value_agrees_with_parse(key: str, value: object, canonical: str) -> None:
    text = ",".join(value) if isinstance(value, list) else str(value).lower() if isinstance(value, bool) else str(value)
    assert canonical_value(key, text) == canonical


LIVE_EQUALS_DESIRED = [
    # what the broker reports, what YAML says
    ("cleanup.policy", "[compact, delete]", "delete,compact"),
    ("cleanup.policy", "compact,delete", ["delete", "compact"]),
    ("retention.ms", "604800000", "7d"),
    ("retention.bytes", "1073741824", "1GiB"),
    ("unclean.leader.election.enable", "true", True),
    ("min.cleanable.dirty.ratio", "1.0E-4", 0.0001),
    ("compression.type", "producer", "PRODUCER"),
]


@pytest.mark.parametrize("key,live,desired", LIVE_EQUALS_DESIRED, ids=[k for k, _, _ in LIVE_EQUALS_DESIRED])
def test_live_value_equals_desired_value(key: str, live: str, desired: object) -> None:
    assert canonical_value(key, live) == parse_config_value(key, desired)


INVALID = [
    ("retention.ms", "seven days", "expected a duration"),
    ("retention.ms", "7y", "expected a duration"),
    ("retention.ms", "1.5ms", "not a whole number of milliseconds"),
    ("retention.ms", -2, "at least -1"),
    ("retention.ms", True, "expected a duration"),
    ("segment.ms", 0, "at least 1"),
    ("retention.bytes", "1 gigabyte", "expected a size"),
    ("segment.bytes", "4GiB", "32-bit integer"),
    ("segment.bytes", "512KiB", "at least 1048576 (1 MiB)"),
    ("max.message.bytes", "3GB", "32-bit integer"),
    ("min.insync.replicas", 0, "at least 1"),
    ("min.insync.replicas", "two", "expected an integer"),
    ("min.insync.replicas", 1.5, "whole number"),
    ("min.cleanable.dirty.ratio", 1.5, "between 0.0 and 1.0"),
    ("min.cleanable.dirty.ratio", "half", "expected a number"),
    ("compression.gzip.level", 0, "between 1 and 9 or -1"),
    ("compression.lz4.level", 18, "between 1 and 17"),
    ("cleanup.policy", "compacted", "did you mean 'compact'"),
    ("cleanup.policy", [], "one or more"),
    ("cleanup.policy", [1, 2], "expected a list"),
    ("compression.type", "brotli", "expected one of"),
    ("preallocate", "yes", "expected true or false"),
    ("preallocate", 1, "expected true or false"),
    ("retention.ms", None, "no value given"),
    ("retention.ms", "${RETENTION}", "only allowed in connection settings"),
    ("retention.msec", "1d", "did you mean 'retention.ms'"),
    ("log.retention.ms", "1d", "topic-level key is 'retention.ms'"),
    ("message.format.version", "3.0", "removed in Kafka 4.0"),
    ("message.downconversion.enable", True, "removed in Kafka 4.0"),
    ("follower.replication.throttled.replicas", "*", "never managed by kgitops"),
]


@pytest.mark.parametrize("key,value,reason", INVALID, ids=[f"{k}={v!r}" for k, v, _ in INVALID])
def test_invalid_values_say_why(key: str, value: object, reason: str) -> None:
    with pytest.raises(ValueError, match=None) as raised:
        parse_config_value(key, value)
    assert reason in str(raised.value)


def test_canonical_value_never_raises_on_strings() -> None:
    assert canonical_value("retention.ms", "garbage") == "garbage"
    assert canonical_value("not.a.config", "  kept  ") == "kept"
    assert canonical_value("leader.replication.throttled.replicas", "1:2, 0:1") == "0:1,1:2"


def test_python_equal_values_of_different_types_are_not_confused() -> None:
    """1 == 1.0 == True in Python; memoisation must not mix them up."""
    assert parse_config_value("min.cleanable.dirty.ratio", 1) == "1.0"
    with pytest.raises(ValueError):
        parse_config_value("min.insync.replicas", True)
    assert parse_config_value("min.insync.replicas", 1) == "1"


@pytest.mark.parametrize(
    "number,text",
    [(0.5, "0.5"), (1.0, "1.0"), (0.0, "0.0"), (1e-4, "1.0E-4"), (1.5e-5, "1.5E-5"), (12345678.0, "1.2345678E7"),
     (1e20, "1.0E20"), (0.001, "0.001")],
)
def test_doubles_are_printed_like_java(number: float, text: str) -> None:
    assert java_double_string(number) == text


def test_catalogue_defaults_are_canonical_and_valid() -> None:
    for key, definition in TOPIC_CONFIGS.items():
        assert definition.default is not None
        assert canonical_value(key, definition.default) == definition.default
        if definition.managed and definition.default != "":
            assert parse_config_value(key, definition.default) == definition.default
    assert default_value("retention.ms") == "604800000"
    assert default_value("segment.bytes") == "1073741824"

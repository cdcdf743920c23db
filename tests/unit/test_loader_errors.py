"""Bad desired state -> `kgitops validate` exits 1 (input) or 3 (policy) and names the
exact file:line of the problem. One row per mistake a user can make."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from kgitops.cli import main

# Line numbers below refer to this file: keep it stable.
CLUSTER = """\
name: test
kafka:
  bootstrap_servers: localhost:9092
schema_registry:
  url: http://localhost:8081
policy:
  min_replication_factor: 3
  min_insync_replicas: 2
defaults:
  partitions: 3
  replication_factor: 3
  config:
    min.insync.replicas: 2
include: [topics/*.yaml]
"""

OK_TOPICS = """\
topics:
  - name: orders
"""

VALID_AVRO = '{"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]}\n'


@dataclass(frozen=True)
class Case:
    id: str
    files: dict[str, str | bytes]
    exit_code: int
    where: str  # "file:line" expected in the output
    says: str = ""  # a fragment of the message
    extra: dict[str, str] = field(default_factory=dict)


def cluster_with(*replacements: tuple[str, str], append: str = "") -> str:
    text = CLUSTER
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    return text + append


CASES = [
    # --- malformed YAML, encodings -------------------------------------------------
    Case("unclosed-flow-mapping", {"topics/a.yaml": "topics: [\n  {name: a\n"}, 1, "topics/a.yaml:3:1",
         "did not find expected ',' or '}'"),
    Case("mapping-value-in-scalar", {"topics/a.yaml": "topics:\n  - name: a: b\n"}, 1, "topics/a.yaml:2:12",
         "mapping values are not allowed"),
    Case("tab-indentation", {"topics/a.yaml": "topics:\n\t- name: a\n"}, 1, "topics/a.yaml:2:1", "tabs"),
    Case("unterminated-quote", {"topics/a.yaml": "topics:\n  - name: 'orders\n"}, 1, "topics/a.yaml:3:1",
         "unexpected end of stream"),
    Case("two-documents", {"topics/a.yaml": "topics: []\n---\ntopics: []\n"}, 1, "topics/a.yaml:2:1",
         "holds one document"),
    Case("undefined-alias", {"topics/a.yaml": "topics:\n  - *nothing\n"}, 1, "topics/a.yaml:2:5", "undefined alias"),
    Case("recursive-alias", {"topics/a.yaml": "topics: &loop\n  - *loop\n"}, 1, "topics/a.yaml:", "recursive"),
    Case("unsupported-tag", {"topics/a.yaml": "topics:\n  - name: !env ORDERS\n"}, 1, "topics/a.yaml:2:11",
         "unsupported YAML tag !env"),
    Case("duplicate-yaml-key", {"topics/a.yaml": "topics:\n  - name: a\n    partitions: 3\n    partitions: 4\n"}, 1,
         "topics/a.yaml:4:5", "duplicate key 'partitions' (first at line 3"),
    Case("duplicate-key-in-cluster", {"cluster.yaml": CLUSTER + "name: again\n"}, 1, "cluster.yaml:15:1",
         "duplicate key 'name'"),
    Case("binary-file", {"topics/a.yaml": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"}, 1, "topics/a.yaml:3:1",
         "binary file"),
    Case("not-utf8", {"topics/a.yaml": b"topics:\n  - name: caf\xe9\n"}, 1, "topics/a.yaml:2:14", "not UTF-8"),
    Case("control-character", {"topics/a.yaml": "topics:\n  - name: a\x07b\n"}, 1, "topics/a.yaml:2:12",
         "U+0007"),
    Case("top-level-list", {"topics/a.yaml": "- name: orders\n"}, 1, "topics/a.yaml:1:1",
         "expected a mapping (topic file), got a list"),
    Case("empty-cluster-file", {"cluster.yaml": ""}, 1, "cluster.yaml:1:1", "expected a mapping (cluster file)"),
    Case("cluster-file-missing", {"cluster.yaml": None}, 1, "cluster.yaml", "file not found"),  # type: ignore[dict-item]
    # --- wrong types, unknown and missing keys -------------------------------------
    Case("partitions-not-a-number", {"topics/a.yaml": "topics:\n  - name: a\n    partitions: twelve\n"}, 1,
         "topics/a.yaml:3:17", 'partitions: expected an integer >= 1, got "twelve"'),
    Case("partitions-zero", {"topics/a.yaml": "topics:\n  - name: a\n    partitions: 0\n"}, 1, "topics/a.yaml:3:17",
         "expected an integer >= 1, got 0"),
    Case("replication-factor-boolean", {"topics/a.yaml": "topics:\n  - name: a\n    replication_factor: yes\n"}, 1,
         "topics/a.yaml:3:25", "replication_factor: expected an integer >= 1, got true"),
    Case("topic-name-number", {"topics/a.yaml": "topics:\n  - name: 2024\n"}, 1, "topics/a.yaml:2:11",
         "put it in quotes"),
    Case("unknown-topic-key", {"topics/a.yaml": "topics:\n  - name: a\n    partiton: 3\n"}, 1, "topics/a.yaml:3:5",
         "unknown key 'partiton' in topic 'a' (did you mean 'partitions'?)"),
    Case("unknown-cluster-key", {"cluster.yaml": CLUSTER + "polcy: {}\n"}, 1, "cluster.yaml:15:1",
         "unknown key 'polcy' in cluster file 'test' (did you mean 'policy'?)"),
    Case("unknown-topic-file-key", {"topics/a.yaml": "topic:\n  - name: a\n"}, 1, "topics/a.yaml:1:1",
         "(did you mean 'topics'?)"),
    Case("topic-without-name", {"topics/a.yaml": "topics:\n  - name: a\n  - partitions: 3\n"}, 1,
         "topics/a.yaml:3:5", "topic is missing required key 'name'"),
    Case("cluster-without-kafka", {"cluster.yaml": "name: test\n"}, 1, "cluster.yaml:1:1",
         "missing required key 'kafka'"),
    Case("bootstrap-servers-number", {"cluster.yaml": cluster_with(("localhost:9092", "9092"))}, 1,
         "cluster.yaml:3:22", "expected a string or a list"),
    Case("registry-two-auth-methods",
         {"cluster.yaml": cluster_with(("  url: http://localhost:8081\n",
                                        "  url: http://localhost:8081\n  auth:\n    basic: {username: u, password: '${P}'}\n"
                                        "    bearer:\n      token: ${T}\n"))},
         1, "cluster.yaml:7:5", "exactly one of basic or bearer"),
    Case("compatibility-lower-case",
         {"topics/a.yaml": "topics:\n  - name: a\n    schemas:\n      value: {file: ../o.avsc, compatibility: backward}\n",
          "o.avsc": VALID_AVRO},
         1, "topics/a.yaml:4:47", "(did you mean 'BACKWARD'?)"),
    # --- topic configs -------------------------------------------------------------
    Case("bad-duration", {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      retention.ms: seven days\n"}, 1,
         "topics/a.yaml:4:21", 'expected a duration such as 7d'),
    Case("duration-unit-unknown", {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      segment.ms: 2y\n"}, 1,
         "topics/a.yaml:4:19", 'got "2y"'),
    Case("bad-size", {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      retention.bytes: 1 gigabyte\n"}, 1,
         "topics/a.yaml:4:24", "expected a size such as 1GiB"),
    Case("size-over-int-range", {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      segment.bytes: 4GiB\n"}, 1,
         "topics/a.yaml:4:22", "32-bit integer"),
    Case("segment-bytes-below-minimum",
         {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      segment.bytes: 512KiB\n"}, 1,
         "topics/a.yaml:4:22", "must be at least 1048576 (1 MiB)"),
    Case("ratio-out-of-range",
         {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      min.cleanable.dirty.ratio: 1.5\n"}, 1,
         "topics/a.yaml:4:34", "must be between 0.0 and 1.0"),
    Case("unknown-config-key", {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      retention.msec: 1d\n"}, 1,
         "topics/a.yaml:4:7", "unknown topic config 'retention.msec' (did you mean 'retention.ms'?)"),
    Case("broker-config-key", {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      log.retention.ms: 1d\n"}, 1,
         "topics/a.yaml:4:7", "topic-level key is 'retention.ms'"),
    Case("removed-config-key",
         {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      message.format.version: '3.0'\n"}, 1,
         "topics/a.yaml:4:7", "removed in Kafka 4.0"),
    Case("bad-cleanup-policy", {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      cleanup.policy: compacted\n"},
         1, "topics/a.yaml:4:23", "(did you mean 'compact'?)"),
    Case("bad-boolean", {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      preallocate: maybe\n"}, 1,
         "topics/a.yaml:4:20", "expected true or false"),
    Case("throttle-config-not-managed",
         {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      leader.replication.throttled.replicas: '*'\n"},
         1, "topics/a.yaml:4:46", "never managed by kgitops"),
    Case("placeholder-in-topic-config",
         {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      retention.ms: ${RETENTION}\n"}, 1,
         "topics/a.yaml:4:21", "only allowed in connection settings"),
    Case("bad-config-in-defaults", {"cluster.yaml": cluster_with(("min.insync.replicas: 2", "min.insync.replicas: two"))},
         1, "cluster.yaml:13:26", "min.insync.replicas: expected an integer"),
    # --- topic names, duplicates ---------------------------------------------------
    Case("illegal-character", {"topics/a.yaml": "topics:\n  - name: orders/eu\n"}, 1, "topics/a.yaml:2:11",
         "contains '/'"),
    Case("name-dot-dot", {"topics/a.yaml": "topics:\n  - name: '..'\n"}, 1, "topics/a.yaml:2:11",
         "'..' is not allowed"),
    Case("name-too-long", {"topics/a.yaml": "topics:\n  - name: " + "x" * 250 + "\n"}, 1, "topics/a.yaml:2:11",
         "250 characters long; Kafka allows at most 249"),
    Case("name-internal", {"topics/a.yaml": "topics:\n  - name: __consumer_offsets\n"}, 1, "topics/a.yaml:2:11",
         "reserved"),
    Case("duplicate-topic-across-files",
         {"topics/a.yaml": "topics:\n  - name: orders\n", "topics/b.yaml": "# shared\ntopics:\n  - name: orders\n"},
         1, "topics/b.yaml:3:5", "declared twice: here and at topics/a.yaml:2:5"),
    Case("dot-underscore-collision", {"topics/a.yaml": "topics:\n  - name: a.b\n  - name: a_b\n"}, 1,
         "topics/a.yaml:3:5", "collides with topic 'a.b' declared at topics/a.yaml:2:5"),
    Case("duplicate-subject",
         {"topics/a.yaml": "topics:\n  - name: a\n    schemas:\n      value: {file: ../o.avsc}\n"
                           "subjects:\n  - subject: a-value\n    file: ../o.avsc\n",
          "o.avsc": VALID_AVRO},
         1, "topics/a.yaml:6:5", "subject 'a-value' is declared twice: here and at topics/a.yaml:4:7"),
    Case("partitions-nowhere", {"cluster.yaml": cluster_with(("  partitions: 3\n", ""))}, 1, "topics/a.yaml:2:5",
         "has no partitions"),
    # --- includes, schema files ----------------------------------------------------
    Case("include-matches-nothing", {"cluster.yaml": cluster_with(("topics/*.yaml", "topic/*.yaml"))}, 1,
         "cluster.yaml:14:11", "include 'topic/*.yaml' matches no file"),
    Case("include-missing-file", {"cluster.yaml": cluster_with(("[topics/*.yaml]", "[topics/a.yaml, topics/b.yaml]"))},
         1, "cluster.yaml:14:26", "included file 'topics/b.yaml' not found"),
    Case("include-a-cluster-file",
         {"topics/a.yaml": "name: other\nkafka:\n  bootstrap_servers: x:9092\n"}, 1, "topics/a.yaml:2:1",
         "this is a cluster file"),
    Case("missing-schema-file",
         {"topics/a.yaml": "topics:\n  - name: a\n    schemas:\n      value:\n        file: ../schemas/nope.avsc\n"},
         1, "topics/a.yaml:5:15", "schema file '../schemas/nope.avsc' not found"),
    Case("avro-unknown-type",
         {"topics/a.yaml": "topics:\n  - name: a\n    schemas:\n      value: {file: ../bad.avsc}\n",
          "bad.avsc": '{"type": "record", "name": "A",\n "fields": [{"name": "x", "type": "strng"}]}\n'},
         1, "bad.avsc:2:35", "unknown type 'strng' (referenced from topics/a.yaml:4:21)"),
    Case("avro-invalid-json",
         {"topics/a.yaml": "subjects:\n  - subject: s\n    file: ../bad.avsc\n",
          "bad.avsc": '{"type": "record",\n  "name": }\n'},
         1, "bad.avsc:2:11", "invalid JSON: Expecting value"),
    Case("avro-missing-attribute",
         {"topics/a.yaml": "subjects:\n  - subject: s\n    file: ../bad.avsc\n", "bad.avsc": '{"type": "array"}\n'},
         1, "bad.avsc:1:1", 'an array needs "items"'),
    # --- policy exceptions, overrides, connection ----------------------------------
    Case("exception-without-reason",
         {"cluster.yaml": cluster_with(("  min_insync_replicas: 2\n",
                                        "  min_insync_replicas: 2\n  exceptions:\n    - topic: orders\n"
                                        "      min_replication_factor: 2\n"))},
         1, "cluster.yaml:10:7", "policy exception is missing required key 'reason'"),
    Case("exception-blank-reason",
         {"cluster.yaml": cluster_with(("  min_insync_replicas: 2\n",
                                        "  min_insync_replicas: 2\n  exceptions:\n    - topic: orders\n"
                                        "      reason: '  '\n      min_replication_factor: 2\n"))},
         1, "cluster.yaml:11:15", "expected a written reason"),
    Case("exception-unknown-topic",
         {"cluster.yaml": cluster_with(("  min_insync_replicas: 2\n",
                                        "  min_insync_replicas: 2\n  exceptions:\n    - topic: ordres\n"
                                        "      reason: replayable\n      min_replication_factor: 2\n"))},
         1, "cluster.yaml:10:7", "names topic 'ordres', which is not declared (did you mean 'orders'?)"),
    Case("exception-relaxes-nothing",
         {"cluster.yaml": cluster_with(("  min_insync_replicas: 2\n",
                                        "  min_insync_replicas: 2\n  exceptions:\n    - topic: orders\n"
                                        "      reason: because\n"))},
         1, "cluster.yaml:10:7", "relaxes no rule"),
    Case("override-unknown-topic", {"cluster.yaml": CLUSTER + "overrides:\n  ordrs:\n    partitions: 6\n"}, 1,
         "cluster.yaml:16:3", "override for topic 'ordrs', which no included file declares (did you mean 'orders'?)"),
    Case("malformed-placeholder",
         {"cluster.yaml": cluster_with(("bootstrap_servers: localhost:9092", "bootstrap_servers: ${BOOTSTRAP"))},
         1, "cluster.yaml:3:22", "malformed placeholder"),
    Case("subjects-without-registry",
         {"cluster.yaml": cluster_with(("schema_registry:\n  url: http://localhost:8081\n", "")),
          "topics/a.yaml": "topics:\n  - name: a\n    schemas:\n      value: {file: ../o.avsc}\n", "o.avsc": VALID_AVRO},
         1, "topics/a.yaml:4:7", "has no schema_registry"),
    # --- policy violations (exit 3) ------------------------------------------------
    Case("replication-factor-one", {"topics/a.yaml": "topics:\n  - name: a\n    replication_factor: 1\n"}, 3,
         "topics/a.yaml:3:5", "replication_factor 1 is always refused"),
    Case("replication-factor-one-despite-exception",
         {"cluster.yaml": cluster_with(("  min_insync_replicas: 2\n",
                                        "  min_insync_replicas: 2\n  exceptions:\n    - topic: orders\n"
                                        "      reason: dev only\n      min_replication_factor: 1\n")),
          "topics/a.yaml": "topics:\n  - name: orders\n    replication_factor: 1\n"},
         3, "topics/a.yaml:3:5", "no policy exception can allow it"),
    Case("replication-factor-below-minimum", {"topics/a.yaml": "topics:\n  - name: a\n    replication_factor: 2\n"}, 3,
         "topics/a.yaml:3:5", "replication_factor 2 is below the policy minimum 3 "
                              "(policy.min_replication_factor in cluster.yaml:7:3)"),
    Case("min-insync-not-below-rf",
         {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      min.insync.replicas: 3\n"}, 3,
         "topics/a.yaml:4:7", "min.insync.replicas 3 must be lower than replication_factor 3"),
    Case("min-insync-below-policy",
         {"topics/a.yaml": "topics:\n  - name: a\n    config:\n      min.insync.replicas: 1\n"}, 3,
         "topics/a.yaml:4:7", "min.insync.replicas 1 is below the policy minimum 2"),
    Case("min-insync-from-defaults-not-below-rf",
         {"cluster.yaml": cluster_with(("min.insync.replicas: 2", "min.insync.replicas: 3"))}, 3,
         "cluster.yaml:13:5", "must be lower than replication_factor 3"),
    Case("partition-budget",
         {"cluster.yaml": cluster_with(("  min_insync_replicas: 2\n",
                                        "  min_insync_replicas: 2\n  max_partitions_per_cluster: 2\n"))},
         3, "cluster.yaml:9:3", "3 partitions, above policy.max_partitions_per_cluster 2"),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_reported_with_its_location(case: Case, tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    files: dict[str, str | bytes | None] = {"cluster.yaml": CLUSTER, "topics/a.yaml": OK_TOPICS, **case.files}
    for name, content in files.items():
        if content is None:
            continue
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")

    code = main(["validate", "-c", "cluster.yaml"])

    out, err = capsys.readouterr()
    output = out + err
    assert code == case.exit_code, output
    assert f"{case.where}" in output, output
    line = next((ln for ln in output.splitlines() if ln.startswith(case.where)), "")
    assert case.says in line, output
    assert "Traceback" not in output


def test_every_problem_is_reported_not_only_the_first(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "a.yaml").write_text(
        "topics:\n"
        "  - name: a\n"
        "    partitions: twelve\n"
        "    config:\n"
        "      retention.ms: 7 days\n"
        "      cleanup.polcy: delete\n"
        "  - name: a/b\n"
    )
    assert main(["validate", "-c", "cluster.yaml"]) == 1
    out = capsys.readouterr().out
    for where in ("topics/a.yaml:3:17", "topics/a.yaml:5:21", "topics/a.yaml:6:7", "topics/a.yaml:7:11"):
        assert where in out
    assert "4 errors" in out


def test_input_errors_win_over_policy_violations(tmp_path, monkeypatch, capsys) -> None:
    """Exit 1, not 3: the desired state must load before the policy can judge it."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "a.yaml").write_text(
        "topics:\n  - name: a\n    replication_factor: 1\n  - name: b\n    partitions: x\n"
    )
    assert main(["validate", "-c", "cluster.yaml"]) == 1


def test_secrets_are_never_printed(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    cluster = cluster_with(
        ("  bootstrap_servers: localhost:9092\n",
         "  bootstrap_servers: localhost:9092\n  properties:\n    sasl.password: hunter2-secret\n"
         "    sasl.username: [not, a, string]\n"),
    )
    (tmp_path / "cluster.yaml").write_text(cluster)
    (tmp_path / "topics").mkdir()
    (tmp_path / "topics" / "a.yaml").write_text(OK_TOPICS)
    main(["validate", "-c", "cluster.yaml"])
    main(["validate", "-c", "cluster.yaml", "--format", "json"])
    out, err = capsys.readouterr()
    assert "hunter2" not in out + err
    assert "cluster.yaml:5:20: warning: kafka.properties.sasl.password is written in the file" in out

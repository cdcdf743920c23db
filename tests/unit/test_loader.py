"""Loading the desired state: precedence, subjects, connection settings, the examples."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from kgitops.cli import main
from kgitops.desired.loader import Loaded, load_cluster
from kgitops.errors import InputError

REPO = Path(__file__).resolve().parents[2]

CLUSTER = """\
name: test
kafka:
  bootstrap_servers: ${TEST_BOOTSTRAP:-localhost:9092}
  properties:
    sasl.mechanism: PLAIN
    sasl.username: ${KGITOPS_TEST_USER}
    sasl.password: ${KGITOPS_TEST_PASSWORD}
    enable.ssl.certificate.verification: false
schema_registry:
  url: http://localhost:8081
  auth:
    bearer:
      token: ${KGITOPS_TEST_TOKEN}
policy:
  min_replication_factor: 3
defaults:
  partitions: 3
  config:
    min.insync.replicas: 2
    retention.ms: 7d
include: [topics/*.yaml]
overrides:
  orders:
    partitions: 12
    config:
      retention.ms: 14d
"""

TOPICS = """\
topics:
  - name: orders
    partitions: 6
    replication_factor: 4
    config:
      retention.ms: 1d
      cleanup.policy: [delete, compact]
    schemas:
      key: {file: ../schemas/key.avsc}
      value: {file: ../schemas/value.avsc, compatibility: BACKWARD}
  - name: payments
subjects:
  - subject: shared-address
    file: ../schemas/value.avsc
    compatibility: FULL
"""

VALUE = '{"type": "record", "name": "V", "fields": [{"name": "id", "type": "string"}]}'


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("KGITOPS_TEST_USER", "KGITOPS_TEST_PASSWORD", "KGITOPS_TEST_TOKEN", "TEST_BOOTSTRAP"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "topics").mkdir()
    (tmp_path / "schemas").mkdir()
    (tmp_path / "cluster.yaml").write_text(CLUSTER)
    (tmp_path / "topics" / "shop.yaml").write_text(TOPICS)
    (tmp_path / "schemas" / "key.avsc").write_text('"string"')
    (tmp_path / "schemas" / "value.avsc").write_text(VALUE)
    return tmp_path


def test_precedence_is_defaults_then_topic_then_overrides(repo: Path) -> None:
    cluster = load_cluster("cluster.yaml").cluster
    orders = cluster.topic("orders")
    assert orders is not None
    assert orders.partitions == 12  # override beats the topic file
    assert orders.replication_factor == 4  # topic file beats the policy fallback
    assert orders.config == {
        "cleanup.policy": "compact,delete",
        "min.insync.replicas": "2",  # from defaults
        "retention.ms": "1209600000",  # override (14d) beats topic (1d) beats defaults (7d)
    }
    assert str(orders.location) == "topics/shop.yaml:2:5"
    assert str(orders.field_locations["partitions"]) == "cluster.yaml:24:5"
    assert str(orders.field_locations["replication_factor"]) == "topics/shop.yaml:4:5"
    assert str(orders.field_locations["config.min.insync.replicas"]) == "cluster.yaml:19:5"
    assert str(orders.field_locations["config.retention.ms"]) == "cluster.yaml:26:7"


def test_missing_replication_factor_falls_back_to_policy_minimum(repo: Path) -> None:
    payments = load_cluster("cluster.yaml").cluster.topic("payments")
    assert payments is not None
    assert (payments.partitions, payments.replication_factor) == (3, 3)
    assert payments.config == {"min.insync.replicas": "2", "retention.ms": "604800000"}
    # Located lazily: the policy's line for the fallback, the defaults' for inherited configs.
    assert str(payments.field_locations["replication_factor"]) == "cluster.yaml:15:3"
    assert str(payments.field_locations["config.retention.ms"]) == "cluster.yaml:20:5"
    assert sorted(payments.field_locations) == ["config.min.insync.replicas", "config.retention.ms", "partitions",
                                                "replication_factor"]
    assert payments.field_locations.get("config.cleanup.policy") is None


def test_subjects_follow_topic_name_strategy(repo: Path) -> None:
    subjects = {s.subject: s for s in load_cluster("cluster.yaml").cluster.subjects}
    assert sorted(subjects) == ["orders-key", "orders-value", "shared-address"]
    assert subjects["orders-value"].topic == "orders"
    assert subjects["orders-value"].compatibility == "BACKWARD"
    assert subjects["orders-key"].compatibility is None
    assert subjects["orders-key"].schema == '"string"'
    assert subjects["shared-address"].topic is None
    assert subjects["shared-address"].schema_file == str(repo / "schemas" / "value.avsc")
    assert str(subjects["orders-value"].location) == "topics/shop.yaml:10:7"


def test_connection_settings_keep_placeholders_and_warn_about_unset_variables(repo: Path) -> None:
    loaded = load_cluster("cluster.yaml")
    kafka = loaded.cluster.kafka
    assert kafka.bootstrap_servers == "${TEST_BOOTSTRAP:-localhost:9092}"
    assert kafka.properties["sasl.password"] == "${KGITOPS_TEST_PASSWORD}"
    assert kafka.properties["enable.ssl.certificate.verification"] == "false"
    assert loaded.cluster.schema_registry is not None
    assert loaded.cluster.schema_registry.bearer_token == "${KGITOPS_TEST_TOKEN}"
    messages = [str(w) for w in loaded.warnings]
    assert messages == [
        "cluster.yaml:6:20: warning: environment variable KGITOPS_TEST_USER is not set "
        "(needed by kafka.properties.sasl.username); commands that connect will fail until it is exported",
        "cluster.yaml:7:20: warning: environment variable KGITOPS_TEST_PASSWORD is not set "
        "(needed by kafka.properties.sasl.password); commands that connect will fail until it is exported",
        "cluster.yaml:13:14: warning: environment variable KGITOPS_TEST_TOKEN is not set "
        "(needed by schema_registry.auth.bearer.token); commands that connect will fail until it is exported",
    ]


def test_set_variables_give_no_warning_and_their_values_are_never_stored(repo: Path, monkeypatch) -> None:
    monkeypatch.setenv("KGITOPS_TEST_USER", "alice")
    monkeypatch.setenv("KGITOPS_TEST_PASSWORD", "s3cr3t-value")
    monkeypatch.setenv("KGITOPS_TEST_TOKEN", "t0ken-value")
    loaded = load_cluster("cluster.yaml")
    assert loaded.warnings == ()
    assert "s3cr3t-value" not in repr(loaded.cluster)
    assert "t0ken-value" not in repr(loaded.cluster)


def test_missing_variable_is_only_a_warning_for_validate(repo: Path, capsys) -> None:
    assert main(["validate", "-c", "cluster.yaml", "--offline"]) == 0
    out = capsys.readouterr().out
    assert "warning: environment variable KGITOPS_TEST_PASSWORD is not set" in out
    assert out.splitlines()[-1].startswith("cluster.yaml: valid: cluster 'test', 2 topics, 3 subjects, 0 errors, 3")


def test_input_error_carries_every_problem(repo: Path) -> None:
    (repo / "topics" / "bad.yaml").write_text("topics:\n  - name: a\n    partitions: x\n  - name: b/c\n")
    with pytest.raises(InputError) as raised:
        load_cluster("cluster.yaml")
    errors = [p for p in raised.value.problems if p.severity == "error"]
    assert [p.where() for p in errors] == ["topics/bad.yaml:3:17", "topics/bad.yaml:4:11"]
    assert raised.value.message.splitlines()[:2] == [str(p) for p in errors]
    assert any(p.severity == "warning" for p in raised.value.problems)  # the unset variables too


def test_anchors_and_merge_keys_are_supported(repo: Path) -> None:
    (repo / "topics" / "shop.yaml").write_text(
        "topics:\n"
        "  - &base\n"
        "    name: orders\n"
        "    partitions: 6\n"
        "    config: &config {retention.ms: 3d}\n"
        "  - <<: *base\n"
        "    name: refunds\n"
        "    config: *config\n"
    )
    cluster = load_cluster("cluster.yaml").cluster
    refunds = cluster.topic("refunds")
    assert refunds is not None
    assert refunds.partitions == 6
    assert refunds.config["retention.ms"] == "259200000"


def test_empty_topic_file_declares_nothing(repo: Path) -> None:
    (repo / "topics" / "empty.yaml").write_text("# nothing yet\n")
    assert len(load_cluster("cluster.yaml").cluster.topics) == 2


def test_files_lists_everything_read(repo: Path) -> None:
    cluster = load_cluster("cluster.yaml").cluster
    assert cluster.source_file == "cluster.yaml"
    assert cluster.files == ("cluster.yaml", "topics/shop.yaml", "schemas/key.avsc", "schemas/value.avsc")


def test_json_output_is_versioned(repo: Path, capsys) -> None:
    assert main(["validate", "-c", "cluster.yaml", "--format", "json", "--offline"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["version"] == 1
    assert report["valid"] is True
    assert report["problems"] == []
    assert len(report["warnings"]) == 3
    assert report["warnings"][0] == {
        "file": "cluster.yaml", "line": 6, "column": 20, "severity": "warning", "kind": "input",
        "message": "environment variable KGITOPS_TEST_USER is not set (needed by kafka.properties.sasl.username); "
                   "commands that connect will fail until it is exported",
    }
    assert report["summary"] == {"errors": 0, "warnings": 3, "topics": 2, "subjects": 3, "files": 4}


def test_json_output_for_policy_violation(repo: Path, capsys) -> None:
    (repo / "topics" / "rf.yaml").write_text("topics:\n  - name: tiny\n    replication_factor: 1\n")
    assert main(["validate", "-c", "cluster.yaml", "--format", "json"]) == 3
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False
    assert [(p["file"], p["line"], p["kind"]) for p in report["problems"]] == [("topics/rf.yaml", 3, "policy")]


def test_json_output_for_input_error(repo: Path, capsys) -> None:
    (repo / "cluster.yaml").write_text("name: [\n")
    assert main(["validate", "-c", "cluster.yaml", "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["valid"] is False and report["cluster"] is None
    assert report["problems"][0]["line"] == 2
    assert report["summary"]["topics"] is None


# ---------------------------------------------------------------------------
# The examples shipped in the repository
# ---------------------------------------------------------------------------


def test_dev_example_is_valid_without_warnings(monkeypatch, capsys) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("KGITOPS_BOOTSTRAP", raising=False)
    monkeypatch.delenv("KGITOPS_REGISTRY_URL", raising=False)
    # --offline: a unit test must not depend on whether a registry happens to run on 18081.
    assert main(["validate", "-c", "clusters/dev.yaml", "--offline"]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines() == [
        "clusters/dev.yaml: valid: cluster 'dev', 6 topics, 6 subjects, 0 errors, 0 warnings."
    ]
    cluster = load_cluster("clusters/dev.yaml").cluster
    assert all(3 <= t.partitions <= 6 and t.replication_factor == 3 for t in cluster.topics)


def test_prod_example_is_valid_with_env_warnings_only(monkeypatch, capsys) -> None:
    monkeypatch.chdir(REPO)
    for name in ("KAFKA_USER", "KAFKA_PASSWORD", "SR_USER", "SR_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    assert main(["validate", "-c", "clusters/prod.yaml"]) == 0
    loaded: Loaded = load_cluster("clusters/prod.yaml")
    assert {w.message.split()[2] for w in loaded.warnings} == {"KAFKA_USER", "KAFKA_PASSWORD", "SR_USER", "SR_PASSWORD"}
    for name in ("KAFKA_USER", "KAFKA_PASSWORD", "SR_USER", "SR_PASSWORD"):
        monkeypatch.setenv(name, "x")
    assert load_cluster("clusters/prod.yaml").warnings == ()
    capsys.readouterr()


def test_shipped_json_schemas_work_as_files_for_other_tools(monkeypatch) -> None:
    """Editors and CI linters read the schema files directly, `$ref`s and all."""
    import yaml
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    from kgitops.desired.schema_errors import load_schema

    cluster_schema, topics_schema = load_schema("cluster.schema.json"), load_schema("topics.schema.json")
    Draft202012Validator.check_schema(cluster_schema)
    Draft202012Validator.check_schema(topics_schema)
    registry = Registry().with_resource("topics.schema.json", Resource.from_contents(topics_schema))
    for cluster_file in sorted((REPO / "clusters").glob("*.yaml")):
        data = yaml.safe_load(cluster_file.read_text())
        assert list(Draft202012Validator(cluster_schema, registry=registry).iter_errors(data)) == []
    for topic_file in sorted((REPO / "clusters" / "topics").rglob("*.yaml")):
        data = yaml.safe_load(topic_file.read_text())
        assert list(Draft202012Validator(topics_schema).iter_errors(data)) == []
    bad = {"name": "x", "kafka": {"bootstrap_servers": "k:9092"}, "defaults": {"config": []}}
    assert list(Draft202012Validator(cluster_schema, registry=registry).iter_errors(bad))

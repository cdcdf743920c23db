"""kgitops against the secured local stack (`kgitops dev up --secure`): Kafka 4.4 with
SASL_SSL/SCRAM-SHA-512 and mutual TLS, StandardAuthorizer denying by default, Apicurio
behind nginx over HTTPS with basic auth. One stack for the whole module.

The main path runs as a principal holding exactly the ACLs README documents
(kgitops.live.permissions), with credentials from the environment; its password is a
canary searched for in every output, --debug trace and file kgitops writes.
"""
from __future__ import annotations

import json
import secrets
from pathlib import Path

import httpx
import pytest
import yaml
from confluent_kafka.admin import (
    AdminClient,
    NewTopic,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from kgitops.bookkeeping.lock import LockTopics, acquire, lock_key
from kgitops.devstack import certs, secure
from kgitops.devstack.stack import _SilentLogger
from kgitops.live.permissions import REQUIRED_ACLS
from kgitops.live.registry_client import RegistryClient, RegistryTlsFailed
from kgitops.model import RegistryConnection
from tests.integration.kgitops_helpers import run_cli, wait_until

SCHEMA = {"type": "record", "name": "Order", "namespace": "it.secure",
          "fields": [{"name": "id", "type": "string"}]}
SCHEMA_V2 = {**SCHEMA, "fields": [*SCHEMA["fields"], {"name": "note", "type": ["null", "string"], "default": None}]}


@pytest.fixture(scope="module")
def layout(secure_stack) -> secure.SecureLayout:
    return secure_stack.layout


def _admin(layout) -> AdminClient:
    return AdminClient({**secure.admin_client_config(layout), "logger": _SilentLogger()})


@pytest.fixture
def prefix(unique_name) -> str:
    return f"{unique_name}."


def _new_user(layout, name: str, password: str) -> None:
    admin = _admin(layout)
    upsert = UserScramCredentialUpsertion(name, ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                                          password.encode())
    for future in admin.alter_user_scram_credentials([upsert], request_timeout=30).values():
        future.result(timeout=35)


def _wait_until_user_works(layout, name: str, password: str) -> None:
    """SCRAM credentials reach every broker through the metadata log; wait until each accepts them."""
    for port in (layout.sasl_port(n) for n in layout.kafka.node_ids()):
        config = {**secure.admin_client_config(layout), "bootstrap.servers": f"127.0.0.1:{port}",
                  "sasl.username": name, "sasl.password": password, "logger": _SilentLogger()}

        def accepted() -> bool:
            client = AdminClient(config)  # kept referenced until the future resolves
            try:
                client.describe_cluster(request_timeout=3).result(timeout=4)
                return True
            except Exception:
                return False

        wait_until(accepted, timeout=30)


@pytest.fixture
def minimal_user(layout, prefix) -> tuple[str, str]:
    """A SCRAM user with exactly the documented ACLs, its managed topics being `prefix`*."""
    name, password = f"kg-{secrets.token_hex(4)}", f"canary-{secrets.token_hex(12)}"
    _new_user(layout, name, password)
    secure.grant(layout, secure.kgitops_acl_bindings(f"User:{name}", topics=prefix, topic_pattern="PREFIXED"))
    _wait_until_user_works(layout, name, password)
    return name, password


@pytest.fixture
def sr_password(layout) -> str:
    return secure.credentials(layout).registry[secure.REGISTRY_USER]


def _env(monkeypatch, layout, user: str, password: str, sr_password: str) -> None:
    monkeypatch.setenv("KAFKA_USER", user)
    monkeypatch.setenv("KAFKA_PASSWORD", password)
    monkeypatch.setenv("SR_USER", secure.REGISTRY_USER)
    monkeypatch.setenv("SR_PASSWORD", sr_password)
    monkeypatch.setenv("KGITOPS_DEV_CA", str(layout.tls.ca_cert))
    monkeypatch.setenv("KGITOPS_DEV_CLIENT_CERT", str(layout.tls.client_cert))
    monkeypatch.setenv("KGITOPS_DEV_CLIENT_KEY", str(layout.tls.client_key))


REGISTRY = {"tls": {"ca_file": "${KGITOPS_DEV_CA}"},
            "auth": {"basic": {"username": "${SR_USER}", "password": "${SR_PASSWORD}"}}}
SASL_PROPERTIES = {"security.protocol": "SASL_SSL", "sasl.mechanism": "SCRAM-SHA-512",
                   "sasl.username": "${KAFKA_USER}", "sasl.password": "${KAFKA_PASSWORD}",
                   "ssl.ca.location": "${KGITOPS_DEV_CA}"}
MTLS_PROPERTIES = {"security.protocol": "SSL", "ssl.ca.location": "${KGITOPS_DEV_CA}",
                   "ssl.certificate.location": "${KGITOPS_DEV_CLIENT_CERT}",
                   "ssl.key.location": "${KGITOPS_DEV_CLIENT_KEY}"}


def _cluster(directory: Path, layout, name: str, topics: list[dict], *, mtls: bool = False, **extra) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    doc = {
        "name": name,
        "kafka": {"bootstrap_servers": layout.mtls_bootstrap if mtls else layout.sasl_bootstrap,
                  "properties": MTLS_PROPERTIES if mtls else SASL_PROPERTIES},
        "schema_registry": {"url": layout.registry_url, **REGISTRY},
        "defaults": {"replication_factor": 3, "config": {"min.insync.replicas": 2}},
        "topics": topics,
        **extra,
    }
    path = directory / "c.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _topic_rf(layout, name: str) -> int:
    meta = _admin(layout).list_topics(name, timeout=10).topics[name]
    return min(len(p.replicas) for p in meta.partitions.values())


class Transcript:
    """Every CLI run of a test, to search for secrets afterwards."""

    def __init__(self, capsys):
        self.capsys = capsys
        self.texts: list[str] = []

    def run(self, *args: str):
        result = run_cli(self.capsys, "--debug", *args)
        self.texts.append(result.text)
        return result

    def assert_never_shows(self, directory: Path, *values: str) -> None:
        written = [p for p in directory.rglob("*") if p.is_file()]
        assert any(p.suffix == ".jsonl" for p in written), "the audit file was not written"
        for value in values:
            for text in self.texts:
                assert value not in text
            for path in written:
                assert value not in path.read_text(errors="replace"), path


def test_minimal_acls_are_enough_for_plan_apply_rf_change_schemas_history_and_import_over_sasl_ssl(
        layout, prefix, minimal_user, sr_password, tmp_path, capsys, monkeypatch):
    user, password = minimal_user
    _env(monkeypatch, layout, user, password, sr_password)
    monkeypatch.setenv("KGITOPS_AUDIT_FILE", str(tmp_path / "work" / ".kgitops" / "audit.jsonl"))
    cli = Transcript(capsys)
    work = tmp_path / "work"
    (work / "order.avsc").parent.mkdir(parents=True, exist_ok=True)
    (work / "order.avsc").write_text(json.dumps(SCHEMA))
    orders, events = f"{prefix}orders", f"{prefix}events"
    below_policy = {"topic": events, "min_replication_factor": 2, "min_insync_replicas": 1,
                    "reason": "starts small in this test"}
    cluster = _cluster(work, layout, f"sec-{user}", [
        {"name": orders, "partitions": 2, "schemas": {"value": {"file": "order.avsc", "compatibility": "BACKWARD"}}},
        {"name": events, "partitions": 1, "replication_factor": 2, "config": {"min.insync.replicas": 1}},
    ], owned_prefixes=[prefix], policy={"exceptions": [below_policy]})

    assert cli.run("validate", "-c", str(cluster)).code == 0
    planned = cli.run("plan", "-c", str(cluster), "--out", str(work / "plan.json"), "--detailed-exitcode")
    assert planned.code == 2, planned.text
    assert "Plan: 3 to create" in planned.out
    applied = cli.run("apply", "-c", str(cluster), str(work / "plan.json"), "--auto-approve")
    assert applied.code == 0, applied.text
    assert cli.run("plan", "-c", str(cluster), "--detailed-exitcode").code == 0

    # A config change, more partitions, a new schema version and RF 2 -> 3 (a reassignment
    # through kafka-python, over SASL_SSL too).
    (work / "order.avsc").write_text(json.dumps(SCHEMA_V2))
    cluster = _cluster(work, layout, f"sec-{user}", [
        {"name": orders, "partitions": 3, "config": {"retention.ms": "1d"},
         "schemas": {"value": {"file": "order.avsc", "compatibility": "BACKWARD"}}},
        {"name": events, "partitions": 1},
    ], owned_prefixes=[prefix])
    changed = cli.run("apply", "-c", str(cluster), "--auto-approve")
    assert changed.code == 0, changed.text
    assert _topic_rf(layout, events) == 3
    assert cli.run("plan", "-c", str(cluster), "--detailed-exitcode").code == 0

    history = cli.run("history", "-c", str(cluster), "--format", "json")
    assert history.code == 0, history.text
    listed = json.loads(history.out)
    assert listed["source"] == "topic"
    assert [r["result"] for r in listed["records"]][:2] == ["succeeded", "succeeded"]

    imported = cli.run("import", "-c", str(cluster), "--out", str(work / "imported"))
    assert imported.code == 0, imported.text
    topic_files = "".join(p.read_text() for p in (work / "imported" / "topics").glob("*.yaml"))
    assert orders in topic_files and events in topic_files

    cli.assert_never_shows(work, password, sr_password)


def test_plan_and_apply_over_mutual_tls_with_the_principal_from_the_certificate(
        layout, prefix, sr_password, tmp_path, capsys, monkeypatch):
    _env(monkeypatch, layout, "unused", "unused", sr_password)
    monkeypatch.setenv("KGITOPS_AUDIT_FILE", str(tmp_path / ".kgitops" / "audit.jsonl"))
    cli = Transcript(capsys)
    name = f"{prefix}mtls"
    below_policy = {"topic": name, "min_replication_factor": 2, "min_insync_replicas": 1, "reason": "grows below"}
    cluster = _cluster(tmp_path, layout, "sec-mtls", [
        {"name": name, "partitions": 1, "replication_factor": 2, "config": {"min.insync.replicas": 1}}],
        mtls=True, policy={"exceptions": [below_policy]})
    applied = cli.run("apply", "-c", str(cluster), "--auto-approve")
    assert applied.code == 0, applied.text
    assert _topic_rf(layout, name) == 2
    # RF 2 -> 3: the reassignment goes through kafka-python, with the certificate translated.
    cluster = _cluster(tmp_path, layout, "sec-mtls", [{"name": name, "partitions": 1}], mtls=True)
    changed = cli.run("apply", "-c", str(cluster), "--auto-approve")
    assert changed.code == 0, changed.text
    assert _topic_rf(layout, name) == 3
    assert cli.run("plan", "-c", str(cluster), "--detailed-exitcode").code == 0
    cli.assert_never_shows(tmp_path, sr_password)


def test_an_apply_refuses_while_another_holds_the_lock_over_sasl_ssl(layout, prefix, minimal_user, sr_password,
                                                                    tmp_path, capsys, monkeypatch):
    user, password = minimal_user
    _env(monkeypatch, layout, user, password, sr_password)
    monkeypatch.setenv("KGITOPS_LOCK_WAIT", "0")
    monkeypatch.setenv("KGITOPS_AUDIT_FILE", str(tmp_path / "audit.jsonl"))
    cluster_name = f"sec-lock-{user}"
    cluster = _cluster(tmp_path, layout, cluster_name, [{"name": f"{prefix}locked", "partitions": 1}])
    from kgitops.desired.loader import load_cluster
    from kgitops.live.connect import kafka_client_config

    config = kafka_client_config(load_cluster(str(cluster)).cluster)
    id_reader = AdminClient(config)  # kept referenced until its future resolves
    cluster_id = id_reader.describe_cluster(request_timeout=15).result(timeout=20).cluster_id
    holder = acquire(LockTopics(config, lock_key(cluster_id, cluster_name), cluster_name, timeout=15),
                     "sha256:other", ttl_s=60, cluster_file=str(cluster))
    try:
        refused = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
        assert refused.code == 1, refused.text
        assert f"lock id {holder.lock_id}" in refused.err
        unlocked = run_cli(capsys, "force-unlock", "-c", str(cluster), holder.lock_id)
        assert unlocked.code == 0, unlocked.text
    finally:
        holder.release()
    assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0


# -- errors people can act on -------------------------------------------------------------


def _one_topic_cluster(tmp_path, layout, prefix) -> Path:
    return _cluster(tmp_path, layout, "sec-errors", [{"name": f"{prefix}x", "partitions": 1}])


def test_a_wrong_password_says_sasl_authentication_failed_naming_user_and_mechanism(
        layout, prefix, sr_password, tmp_path, capsys, monkeypatch):
    canary = f"canary-{secrets.token_hex(12)}"
    _env(monkeypatch, layout, secure.KGITOPS_USER, canary, sr_password)
    result = run_cli(capsys, "--debug", "plan", "-c", str(_one_topic_cluster(tmp_path, layout, prefix)))
    assert result.code == 1
    assert "SASL authentication failed for user 'kgitops' with mechanism SCRAM-SHA-512" in result.err
    assert "sasl.password" in result.err and "KAFKA_PASSWORD" in result.err
    assert canary not in result.text


def test_an_untrusted_broker_certificate_names_ssl_ca_location(layout, prefix, sr_password, tmp_path, capsys,
                                                                 monkeypatch):
    other_ca, _ = certs.make_ca(tmp_path / "other-ca", "not the stack's CA")
    _env(monkeypatch, layout, secure.KGITOPS_USER, secure.credentials(layout).kafka[secure.KGITOPS_USER], sr_password)
    monkeypatch.setenv("KGITOPS_DEV_CA", str(other_ca))
    result = run_cli(capsys, "plan", "-c", str(_one_topic_cluster(tmp_path, layout, prefix)))
    assert result.code == 1
    assert "certificate is not trusted" in result.err and "ssl.ca.location" in result.err, result.err


def test_mutual_tls_without_a_client_certificate_names_the_certificate_settings(layout, prefix, sr_password,
                                                                                  tmp_path, capsys, monkeypatch):
    _env(monkeypatch, layout, "unused", "unused", sr_password)
    cluster = _cluster(tmp_path, layout, "sec-nocert", [{"name": f"{prefix}x", "partitions": 1}], mtls=True)
    doc = yaml.safe_load(cluster.read_text())
    doc["kafka"]["properties"] = {"security.protocol": "SSL", "ssl.ca.location": "${KGITOPS_DEV_CA}"}
    cluster.write_text(yaml.safe_dump(doc))
    result = run_cli(capsys, "plan", "-c", str(cluster))
    assert result.code == 1
    assert "ssl.certificate.location and ssl.key.location" in result.err, result.err


def test_a_wrong_registry_password_points_at_the_registry_credentials(layout, prefix, minimal_user, tmp_path,
                                                                        capsys, monkeypatch):
    user, password = minimal_user
    canary = f"canary-{secrets.token_hex(12)}"
    _env(monkeypatch, layout, user, password, canary)
    (tmp_path / "order.avsc").write_text(json.dumps(SCHEMA))
    cluster = _cluster(tmp_path, layout, "sec-401", [
        {"name": f"{prefix}x", "partitions": 1, "schemas": {"value": {"file": "order.avsc"}}}])
    for command in ("plan", "validate"):
        result = run_cli(capsys, "--debug", command, "-c", str(cluster))
        assert result.code == 1, result.text
        assert "HTTP 401" in result.text and "schema_registry.auth" in result.text
        assert "SR_USER, SR_PASSWORD" in result.text
        assert canary not in result.text and password not in result.text


def test_an_untrusted_registry_certificate_is_not_retried_and_names_tls_ca_file(layout, sr_password, tmp_path):
    requests: list[httpx.Request] = []
    conn = RegistryConnection(url=layout.registry_url, basic_username=secure.REGISTRY_USER,
                              basic_password=sr_password)  # no tls.ca_file: the system's CAs
    with RegistryClient.from_connection(conn, "c.yaml", max_attempts=4, backoff=0.01,
                                        event_hooks={"request": [requests.append]}) as client:
        with pytest.raises(RegistryTlsFailed) as failure:
            client.list_subjects()
    assert len(requests) == 1
    assert "schema_registry.tls.ca_file in c.yaml" in failure.value.message
    assert sr_password not in failure.value.message


def test_nginx_refuses_without_or_with_a_wrong_password_and_serves_the_right_one(layout, sr_password):
    url, ca = f"{layout.registry_url}/subjects", secure.trust(layout)
    assert httpx.get(url, verify=ca).status_code == 401
    assert httpx.get(url, verify=ca, auth=(secure.REGISTRY_USER, "wrong")).status_code == 401
    assert httpx.get(url, verify=ca, auth=(secure.REGISTRY_USER, sr_password)).status_code == 200


# -- authorization: never a plan from a partial view ---------------------------------------


def _existing_topic(layout, name: str) -> None:
    admin = _admin(layout)
    admin.create_topics([NewTopic(name, 1, 3)])[name].result(timeout=30)
    wait_until(lambda: name in admin.list_topics(timeout=10).topics)


def test_a_principal_without_acls_gets_an_error_naming_the_operation_not_a_plan_to_create(
        layout, prefix, sr_password, tmp_path, capsys, monkeypatch):
    name = f"{prefix}exists"
    _existing_topic(layout, name)
    _env(monkeypatch, layout, secure.NO_ACL_USER, secure.credentials(layout).kafka[secure.NO_ACL_USER], sr_password)
    cluster = _cluster(tmp_path, layout, "sec-noacl", [{"name": name, "partitions": 1}])
    result = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
    assert result.code == 1, result.text
    assert f"not authorized: DESCRIBE_CONFIGS on topic {name}; kgitops needs" in result.err
    assert "to create" not in result.out


def test_a_topic_hidden_from_metadata_by_a_missing_describe_acl_is_an_error(layout, prefix, sr_password, tmp_path,
                                                                            capsys, monkeypatch):
    """DESCRIBE_CONFIGS but no DESCRIBE: Metadata leaves the topic out, DescribeConfigs answers."""
    from confluent_kafka.admin import AclBinding, AclOperation, AclPermissionType, ResourcePatternType, ResourceType

    name = f"{prefix}hidden"
    _existing_topic(layout, name)
    user, password = f"kg-{secrets.token_hex(4)}", f"canary-{secrets.token_hex(12)}"
    _new_user(layout, user, password)
    secure.grant(layout, [AclBinding(ResourceType.TOPIC, prefix, ResourcePatternType.PREFIXED, f"User:{user}", "*",
                                     AclOperation.DESCRIBE_CONFIGS, AclPermissionType.ALLOW)])
    _wait_until_user_works(layout, user, password)
    _env(monkeypatch, layout, user, password, sr_password)
    cluster = _cluster(tmp_path, layout, "sec-hidden", [{"name": name, "partitions": 1}])
    result = run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode")
    assert result.code == 1, result.text
    assert f"not authorized: DESCRIBE on topic {name}" in result.err


def test_readme_lists_every_required_acl():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    for acl in REQUIRED_ACLS:
        assert f"| {acl.resource} | `{acl.name}` | {acl.pattern} | {', '.join(acl.operations)} |" in readme, acl


def test_dev_status_prints_the_secured_endpoints_and_credential_files(layout, capsys):
    result = run_cli(capsys, "dev", "status", "--secure")
    assert result.code == 0, result.text
    for fragment in (layout.sasl_bootstrap, layout.mtls_bootstrap, layout.registry_url, str(layout.tls.ca_cert),
                     str(layout.tls.client_cert), str(layout.credentials_file), str(layout.env_file)):
        assert fragment in result.out
    assert secure.credentials(layout).kafka[secure.ADMIN_USER] not in result.out


def test_the_tls_files_are_regenerated_when_one_is_missing(tmp_path):
    files = certs.ensure_tls_files(tmp_path)
    first = files.ca_cert.read_text()
    files.client_key.unlink()
    again = certs.ensure_tls_files(tmp_path)
    assert all(p.exists() for p in again.all_files()) and again.ca_cert.read_text() != first


def test_a_principal_that_may_read_but_not_create_plans_and_its_apply_fails_naming_the_acls(
        layout, prefix, sr_password, tmp_path, capsys, monkeypatch):
    from confluent_kafka.admin import ResourceType

    user, password = f"kg-{secrets.token_hex(4)}", f"canary-{secrets.token_hex(12)}"
    _new_user(layout, user, password)
    writes = {"CREATE", "ALTER", "ALTER_CONFIGS", "DELETE"}
    secure.grant(layout, [b for b in secure.kgitops_acl_bindings(f"User:{user}", topics=prefix,
                                                                 topic_pattern="PREFIXED")
                          if not (b.restype == ResourceType.TOPIC and b.name == prefix and b.operation.name in writes)])
    _wait_until_user_works(layout, user, password)
    _env(monkeypatch, layout, user, password, sr_password)
    monkeypatch.setenv("KGITOPS_AUDIT_FILE", str(tmp_path / "audit.jsonl"))
    name = f"{prefix}readonly"
    cluster = _cluster(tmp_path, layout, f"sec-ro-{user}", [{"name": name, "partitions": 1}])
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 2
    applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert applied.code == 1, applied.text
    assert f"create topic {name}: TOPIC_AUTHORIZATION_FAILED" in applied.text
    assert "lists the minimal ACLs kgitops needs" in applied.text
    assert name not in _admin(layout).list_topics(timeout=10).topics


def test_impact_without_group_permissions_is_a_warning_naming_the_acl_not_a_failed_plan(
        layout, prefix, minimal_user, sr_password, tmp_path, capsys, monkeypatch):
    """A principal without the GROUP DESCRIBE the impact needs (the one optional row of the
    minimal ACLs): a plan with a risky change still succeeds, and says which permission its
    impact lacks."""
    from confluent_kafka import ConsumerGroupTopicPartitions, TopicPartition
    from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType, ResourceType

    user, password = minimal_user
    _env(monkeypatch, layout, user, password, sr_password)
    topic = f"{prefix}retained"
    admin = _admin(layout)
    revoke = AclBindingFilter(ResourceType.GROUP, None, ResourcePatternType.ANY, f"User:{user}", None,
                              AclOperation.ANY, AclPermissionType.ANY)
    for future in admin.delete_acls([revoke], request_timeout=30).values():
        assert future.result(timeout=30), "the minimal ACLs include GROUP DESCRIBE"
    for future in admin.create_topics([NewTopic(topic, 1, 3, config={"min.insync.replicas": "2"})]).values():
        future.result(timeout=60)
    wait_until(lambda: topic in admin.list_topics(timeout=10).topics)
    offsets = ConsumerGroupTopicPartitions(f"{prefix}readers", [TopicPartition(topic, 0, 0)])
    for future in admin.alter_consumer_group_offsets([offsets]).values():
        future.result(timeout=30)
    cluster = _cluster(tmp_path / "w", layout, f"sec-{user}", [
        {"name": topic, "partitions": 1, "config": {"retention.ms": "1h"}}], owned_prefixes=[prefix])
    plans = []

    def warned() -> bool:  # the revocation reaches every broker within moments
        plans.append(run_cli(capsys, "plan", "-c", str(cluster)))
        return "GROUP" in plans[-1].out

    wait_until(warned, timeout=30)
    planned = plans[-1]
    assert planned.code == 0, planned.text
    assert "retention decrease" in planned.out
    assert "DESCRIBE" in planned.out and "GROUP" in planned.out, planned.out  # the warning names the ACL

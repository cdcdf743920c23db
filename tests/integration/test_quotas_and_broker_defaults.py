"""Client quotas and cluster-wide broker defaults on the secured stack: a declared quota
really throttles the user's producer, the cluster-wide default is what Kafka's admin API
reports as the dynamic default of every broker, import then plan shows no changes, and
removing them from the files (or writing `null`) takes them away again."""
from __future__ import annotations

import secrets
import time
import uuid

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import ConfigResource, ConfigSource, ResourceType

from kgitops.devstack import secure
from kgitops.devstack.stack import _SilentLogger
from tests.integration.kgitops_helpers import admin, plan_json, run_cli, write_cluster

# Not a topic config's synonym: changing it cluster-wide changes no other test's topics.
BROKER_KEY = "log.cleaner.backoff.ms"


@pytest.fixture
def stack(secure_stack):
    return secure_stack


def _throttled_ms(stack, user: str, password: str, topic: str, payload_bytes: int) -> int:
    """The most throttle time the brokers reported to a producer of `user` writing
    `payload_bytes` as fast as it can (librdkafka's throttle_cb)."""
    throttles: list[int] = []
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "security.protocol": "SASL_SSL",
                         "sasl.mechanism": secure.SCRAM, "sasl.username": user, "sasl.password": password,
                         "ssl.ca.location": str(stack.layout.tls.ca_cert), "logger": _SilentLogger(),
                         "acks": "all", "linger.ms": 5, "message.timeout.ms": 60000,
                         "throttle_cb": lambda event: throttles.append(int(event.throttle_time * 1000))})
    chunk = b"x" * 16384
    for _ in range(payload_bytes // len(chunk)):
        producer.produce(topic, chunk)
        producer.poll(0)
    producer.flush(60)
    deadline = time.monotonic() + 5  # throttle events arrive with the responses just flushed
    while not throttles and time.monotonic() < deadline:
        producer.poll(0.2)
    return max(throttles, default=0)


def _broker_default(stack, key: str) -> tuple[str | None, str]:
    """(value, source) of `key` as broker 1 reports it through librdkafka's admin API."""
    client = admin(stack)  # referenced until its answer arrives
    entries = client.describe_configs([ConfigResource(ResourceType.BROKER, "1")])
    entry = next(iter(entries.values())).result(timeout=30)[key]
    return entry.value, ConfigSource(entry.source).name


def test_quotas_throttle_the_user_and_broker_defaults_reach_every_broker(stack, unique_name, tmp_path, capsys,
                                                                          monkeypatch):
    suffix = uuid.uuid4().hex[:6]
    topic, user = unique_name, f"quota-{suffix}"
    password = secrets.token_urlsafe(12)
    monkeypatch.setenv("IT_QUOTA_PASSWORD", password)
    users = [{"name": user, "password": "${IT_QUOTA_PASSWORD}"}]
    acls = [{"principal": f"User:{user}", "produce": {"topics": [topic]}}]
    quotas = [{"entity": {"user": user}, "producer_byte_rate": "64KiB", "request_percentage": 200},
              {"entity": {"user": user, "client_id": "<default>"}, "consumer_byte_rate": "2MiB"}]
    before = _broker_default(stack, BROKER_KEY)
    brokers = {"defaults": {BROKER_KEY: 16000}}
    cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": topic, "partitions": 1}], users=users, acls=acls,
                            quotas=quotas, brokers=brokers)
    try:
        planned = run_cli(capsys, "plan", "-c", str(cluster))
        assert planned.code == 0, planned.text
        assert f"+ quota user={user}" in planned.out and "producer_byte_rate: (unset) -> 65536 (64 KiB/s)" in planned.out
        assert f"+ quota client-id=<default>,user={user}" in planned.out
        assert f"{BROKER_KEY}: " in planned.out and "-> 16000" in planned.out
        assert "describe_client_quotas x1" in planned.err and "describe_configs.broker_defaults x1" in planned.err
        applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
        assert applied.code == 0, applied.text
        assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0  # no phantoms

        assert _broker_default(stack, BROKER_KEY) == ("16000", "DYNAMIC_DEFAULT_BROKER_CONFIG")
        # 1 MiB at 64 KiB/s: the brokers delay the producer's requests (the quota is real).
        assert _throttled_ms(stack, user, password, topic, 1024 * 1024) > 0

        imported = tmp_path / "imported"
        result = run_cli(capsys, "import", "-c", str(cluster), "--out", str(imported))
        assert result.code == 0, result.text
        access = (imported / "topics" / "_access.yaml").read_text()
        assert f"user: {user}" in access and "producer_byte_rate: 64KiB" in access and f"{BROKER_KEY}: '16000'" in access
        again = run_cli(capsys, "plan", "-c", str(imported / "it.yaml"), "--detailed-exitcode")
        assert again.code == 0, again.text  # import then plan: no changes

        # The user's per-client-id quota goes (its user is declared, so the file owns it), the
        # other quota is lowered, the broker default is removed with `null`.
        quotas = [{"entity": {"user": user}, "producer_byte_rate": "32KiB", "request_percentage": 200}]
        cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": topic, "partitions": 1}], users=users,
                                acls=acls, quotas=quotas, brokers={"defaults": {BROKER_KEY: None}})
        data = plan_json(capsys, cluster)
        blocks = {f'{r["resource_type"]} {r["resource"]}': r for r in data["resources"]}
        assert blocks[f"quota client-id=<default>,user={user}"]["change"] == "delete"
        assert blocks[f"quota user={user}"]["change"] == "change"
        assert any("lowered" in risk for risk in blocks[f"quota user={user}"]["risks"])
        assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0
        assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0
        assert _broker_default(stack, BROKER_KEY) == before
    finally:
        cleanup = write_cluster(tmp_path / "cleanup.yaml", stack, [], brokers={"defaults": {BROKER_KEY: None}},
                                owned_users=[user])
        run_cli(capsys, "apply", "-c", str(cleanup), "--auto-approve")


def test_broker_defaults_the_brokers_would_refuse_are_refused_at_plan_time(stack, tmp_path, capsys):
    cluster = write_cluster(tmp_path / "c.yaml", stack, [], brokers={"defaults": {
        "log.retention.hours": 100, "log.cleaner.backof.ms": 1, "min.insync.replicas": 1}})
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.code == 1, planned.text  # an impossible change outweighs a policy refusal
    assert "log.retention.hours is not a dynamic broker config" in planned.text
    assert "log.cleaner.backof.ms is not a broker config of this cluster (did you mean log.cleaner.backoff.ms?)" \
        in planned.text
    assert "min.insync.replicas 1 is below policy.min_insync_replicas 2" in planned.text
    cluster = write_cluster(tmp_path / "c.yaml", stack, [], brokers={"defaults": {"min.insync.replicas": 1}})
    assert run_cli(capsys, "plan", "-c", str(cluster)).code == 3
    # A value the brokers refuse is refused before anything is applied.
    cluster = write_cluster(tmp_path / "c.yaml", stack, [], brokers={"defaults": {"log.cleaner.threads": -3}})
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.code == 1 and "the brokers refuse these cluster-wide defaults" in planned.text, planned.text

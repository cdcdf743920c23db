"""ACLs and SCRAM users as code on the secured stack, with clients that really
authenticate: after apply, the producer's user can write and the consumer's user can read
in its group but not write; removing the consumer's binding makes its consumer fail after
the next apply, and the plan said so beforehand."""
from __future__ import annotations

import secrets
import time
import uuid

import pytest
from confluent_kafka import Consumer, KafkaError, KafkaException, Producer

from kgitops.devstack import secure
from kgitops.devstack.stack import _SilentLogger
from tests.integration.kgitops_helpers import plan_json, run_cli, write_cluster


@pytest.fixture
def stack(secure_stack):
    return secure_stack


def _client_config(stack, user: str, password: str) -> dict:
    return {"bootstrap.servers": stack.bootstrap_servers, "security.protocol": "SASL_SSL",
            "sasl.mechanism": secure.SCRAM, "sasl.username": user, "sasl.password": password,
            "ssl.ca.location": str(stack.layout.tls.ca_cert), "logger": _SilentLogger()}


def _produce(stack, user: str, password: str, topic: str) -> KafkaError | None:
    errors: list[KafkaError] = []
    producer = Producer({**_client_config(stack, user, password), "acks": "all", "message.timeout.ms": 15000})
    producer.produce(topic, b"order-1", key=b"k", on_delivery=lambda err, msg: err and errors.append(err))
    producer.flush(20)
    return errors[0] if errors else None


def _consume(stack, user: str, password: str, topic: str, group: str) -> list[bytes] | KafkaError:
    consumer = Consumer({**_client_config(stack, user, password), "group.id": group,
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED, KafkaError.GROUP_AUTHORIZATION_FAILED):
                    return msg.error()
                continue
            consumer.commit(msg, asynchronous=False)  # the group now has a committed offset
            return [msg.value()]
        return []
    except KafkaException as err:
        return err.args[0]
    finally:
        consumer.close()


def test_acls_and_users_grant_exactly_what_is_declared(stack, unique_name, tmp_path, capsys, monkeypatch):
    suffix = uuid.uuid4().hex[:6]
    topic, producer_user, consumer_user, group = unique_name, f"orders-{suffix}", f"billing-{suffix}", f"g-{suffix}"
    passwords = {producer_user: secrets.token_urlsafe(12), consumer_user: secrets.token_urlsafe(12)}
    monkeypatch.setenv("IT_ORDERS_PASSWORD", passwords[producer_user])
    monkeypatch.setenv("IT_BILLING_PASSWORD", passwords[consumer_user])
    users = [{"name": producer_user, "mechanism": "SCRAM-SHA-512", "iterations": 8192,
              "password": "${IT_ORDERS_PASSWORD}"},
             {"name": consumer_user, "mechanism": "SCRAM-SHA-512", "password": "${IT_BILLING_PASSWORD}"}]
    consume = {"principal": f"User:{consumer_user}", "consume": {"topics": [topic], "group": group}}
    produce = {"principal": f"User:{producer_user}", "produce": {"topics": [topic]}}
    owned = {"owned_principals": [f"User:{producer_user}", f"User:{consumer_user}"]}
    cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": topic, "partitions": 1}],
                            users=users, acls=[produce, consume], **owned)

    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.code == 0, planned.text
    assert f"+ acl User:{consumer_user}" in planned.out and f"+ user {consumer_user}" in planned.out
    assert f"+ ALLOW READ on group {group} (literal) from *" in planned.out
    assert passwords[producer_user] not in planned.text and passwords[consumer_user] not in planned.text
    applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert applied.code == 0, applied.text
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0  # no phantoms

    assert _produce(stack, producer_user, passwords[producer_user], topic) is None
    assert _consume(stack, consumer_user, passwords[consumer_user], topic, group) == [b"order-1"]
    denied = _produce(stack, consumer_user, passwords[consumer_user], topic)
    assert denied is not None and denied.code() == KafkaError.TOPIC_AUTHORIZATION_FAILED

    imported = tmp_path / "imported"
    result = run_cli(capsys, "import", "-c", str(cluster), "--out", str(imported))
    assert result.code == 0, result.text
    access = (imported / "topics" / "_access.yaml").read_text()
    assert f"principal: User:{consumer_user}" in access and "consume:" in access and f"group: {group}" in access
    assert f"name: {producer_user}" in access and "iterations: 8192" in access
    assert passwords[producer_user] not in access
    again = run_cli(capsys, "plan", "-c", str(imported / "it.yaml"), "--detailed-exitcode")
    assert again.code == 0, again.text  # import then plan: no changes

    # The consumer's binding goes: the plan says what it breaks, apply makes it so.
    cluster = write_cluster(tmp_path / "c.yaml", stack, [{"name": topic, "partitions": 1}],
                            users=users, acls=[produce], **owned)
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert f"- acl User:{consumer_user}" in planned.out
    assert f"User:{consumer_user} loses READ on topic {topic}: its clients will fail with TOPIC_AUTHORIZATION_FAILED" \
        in planned.out
    # The live impact: the consumer's group has committed offsets on the topic it loses.
    assert f"impact: group {group} (1 committed partition on {topic}): its consumers fail with " \
           f"GROUP_AUTHORIZATION_FAILED" in planned.out, planned.out
    data = plan_json(capsys, cluster)
    assert data["summary"]["delete"] == 1
    (removal,) = [a for a in data["actions"] if a["kind"] == "delete_acls"]
    assert removal["impact"]["groups"] == [{"group": group, "topics": [topic], "partitions": 1,
                                            "error": "GROUP_AUTHORIZATION_FAILED"}]
    assert run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve").code == 0
    failed = _consume(stack, consumer_user, passwords[consumer_user], topic, f"{group}-2")
    assert isinstance(failed, KafkaError) and failed.code() in (KafkaError.TOPIC_AUTHORIZATION_FAILED,
                                                                 KafkaError.GROUP_AUTHORIZATION_FAILED)


def test_acl_requests_are_bounded(stack, unique_name, tmp_path, capsys, monkeypatch):
    acls = [{"principal": f"User:bulk-{unique_name}-{i}", "resource": {"type": "topic", "name": f"{unique_name}-{i}"},
             "operations": ["READ"]} for i in range(200)]
    cluster = write_cluster(tmp_path / "c.yaml", stack, [], acls=acls,
                            external_principals=[a["principal"] for a in acls])
    planned = run_cli(capsys, "plan", "-c", str(cluster))
    assert planned.code == 0, planned.text
    assert "describe_acls x1" in planned.err and "Plan: 200 to create" in planned.out

"""librdkafka properties -> kafka-python KafkaAdminClient arguments."""
from __future__ import annotations

import logging

import pytest

from kgitops.errors import InputError
from kgitops.live.kafka_python_admin import kafka_python_admin_settings


def test_plaintext_bootstrap_becomes_a_server_list():
    assert kafka_python_admin_settings({"bootstrap.servers": "127.0.0.1:19092, 127.0.0.1:19093"}) == {
        "bootstrap_servers": ["127.0.0.1:19092", "127.0.0.1:19093"],
    }


def test_sasl_ssl_scram_settings_translate():
    settings = kafka_python_admin_settings({
        "bootstrap.servers": "kafka-1:9093",
        "security.protocol": "sasl_ssl",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "kgitops",
        "sasl.password": "s3cret",
        "ssl.ca.location": "/etc/kafka/ca.pem",
        "ssl.endpoint.identification.algorithm": "none",
        "socket.timeout.ms": 30000,
    })
    assert settings == {
        "bootstrap_servers": ["kafka-1:9093"],
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_plain_username": "kgitops",
        "sasl_plain_password": "s3cret",
        "ssl_cafile": "/etc/kafka/ca.pem",
        "ssl_check_hostname": False,
        "request_timeout_ms": 30000,
    }


def test_librdkafka_only_tuning_and_the_shared_logger_are_ignored():
    settings = kafka_python_admin_settings({
        "bootstrap.servers": "127.0.0.1:19092",
        "logger": logging.getLogger("x"),
        "debug": "broker",
        "enable.ssl.certificate.verification": "true",
    })
    assert settings == {"bootstrap_servers": ["127.0.0.1:19092"]}


def test_untranslatable_properties_are_named_together_without_values():
    with pytest.raises(InputError) as raised:
        kafka_python_admin_settings({
            "bootstrap.servers": "kafka:9092",
            "sasl.oauthbearer.client.secret": "top-secret",
            "ssl.keystore.location": "/etc/kafka/keystore.p12",
            "enable.ssl.certificate.verification": "false",
        })
    message = raised.value.message
    assert "enable.ssl.certificate.verification, sasl.oauthbearer.client.secret, ssl.keystore.location" in message
    assert "kafka-python" in message and "replication factor" in message
    assert "top-secret" not in message


def test_missing_bootstrap_and_bad_numbers_are_errors():
    with pytest.raises(InputError) as raised:
        kafka_python_admin_settings({"socket.timeout.ms": "soon"})
    assert "socket.timeout.ms" in raised.value.message
    assert "bootstrap.servers (missing)" in raised.value.message

"""Connection settings that fail: each error names the setting and where it is declared,
never a resolved value (any may be a secret). No server needed."""
from __future__ import annotations

from pathlib import Path

import pytest
from confluent_kafka import KafkaError

from kgitops.cli import main
from kgitops.live.client_errors import ClientErrors
from kgitops.live.client_properties import librdkafka_problems

SECRET = "s3cret-canary-value"


def _cluster(tmp_path: Path, properties: str, registry: str = "") -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(f"name: c\nkafka:\n  bootstrap_servers: 127.0.0.1:1\n  properties:\n{properties}{registry}"
                    "topics: []\n")
    return path


@pytest.mark.parametrize("properties, expected", [
    ('    security.protocol: "${KGITOPS_T_PASSWORD}"\n',
     "c.yaml:5:24: kafka.properties.security.protocol: librdkafka does not accept its value"),
    ("    sasl.pasword: x\n", "c.yaml:5:19: kafka.properties.sasl.pasword: not a librdkafka configuration property"),
    ('    enable.idempotence: "${KGITOPS_T_PASSWORD}"\n',
     "c.yaml:5:25: kafka.properties.enable.idempotence: librdkafka does not accept its value"),
])
def test_validate_reports_a_property_librdkafka_refuses_at_its_line_without_its_value(
        tmp_path, capsys, monkeypatch, properties, expected):
    monkeypatch.setenv("KGITOPS_T_PASSWORD", SECRET)
    cluster = _cluster(tmp_path, properties)
    for command in (["validate", "-c", str(cluster)], ["plan", "-c", str(cluster)],
                    ["--debug", "history", "-c", str(cluster)]):
        assert main(command) == 1
        out = capsys.readouterr()
        assert expected in out.out + out.err
        assert SECRET not in out.out + out.err


def test_a_misplaced_password_is_masked_even_in_librdkafkas_own_words():
    problems = librdkafka_problems({"security.protocol": "SASL_SSL", "sasl.mechanism": SECRET,
                                    "sasl.username": "u", "sasl.password": "p"})
    assert problems[0].key == "sasl.mechanism"
    assert not any(SECRET in str(p) for p in problems)


def test_a_registry_url_from_a_secret_variable_is_never_shown(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("KGITOPS_T_PASSWORD", SECRET)
    (tmp_path / "a.avsc").write_text('"string"')
    for url in ('"${KGITOPS_T_PASSWORD}"', '"http://127.0.0.1:${KGITOPS_T_PASSWORD}"'):
        cluster = tmp_path / "r.yaml"
        cluster.write_text(f"name: r\nkafka: {{bootstrap_servers: 127.0.0.1:1}}\nschema_registry: {{url: {url}}}\n"
                           "topics:\n  - {name: r.a, partitions: 1, replication_factor: 3, "
                           "config: {min.insync.replicas: 2}, schemas: {value: {file: a.avsc}}}\n")
        main(["validate", "-c", str(cluster)])
        out = capsys.readouterr()
        assert "is not a usable URL" in out.out and SECRET not in out.out + out.err


@pytest.mark.parametrize("value", ["abc", "nan", "-1", "0", "inf"])
def test_an_invalid_kafka_timeout_is_a_clear_error(tmp_path, capsys, monkeypatch, value):
    monkeypatch.setenv("KGITOPS_KAFKA_TIMEOUT", value)
    assert main(["plan", "-c", str(_cluster(tmp_path, "    client.id: x\n"))]) == 1
    err = capsys.readouterr().err
    assert "KGITOPS_KAFKA_TIMEOUT must be a positive number of seconds" in err and "internal error" not in err


def _errors(**written: str) -> ClientErrors:
    resolved = {"sasl.mechanism": "SCRAM-SHA-512", "sasl.username": "kgitops", "sasl.password": SECRET}
    return ClientErrors("c.yaml", written, resolved)


def test_a_sasl_refusal_names_user_mechanism_and_the_variables_to_fix():
    errors = _errors(**{"sasl.username": "${KAFKA_USER}", "sasl.password": "${KAFKA_PASSWORD}"})
    assert errors.refusal() is None
    errors(KafkaError(KafkaError._TRANSPORT, "Connection refused"))  # a broker starting: not final
    assert errors.refusal() is None
    errors(KafkaError(KafkaError._AUTHENTICATION, "SASL authentication error: invalid credentials"))
    refusal = errors.refusal()
    assert "SASL authentication failed for user 'kgitops' with mechanism SCRAM-SHA-512" in refusal
    assert "sasl.password in c.yaml (from the environment: KAFKA_USER, KAFKA_PASSWORD)" in refusal


def test_an_untrusted_broker_certificate_names_ssl_ca_location():
    errors = _errors(**{"ssl.ca.location": "${CA}"})
    errors(KafkaError(KafkaError._SSL, "SSL handshake failed: certificate verify failed"))
    assert "kafka.properties.ssl.ca.location in c.yaml (from the environment: CA)" in errors.refusal()


def test_a_registry_ca_file_that_cannot_be_read_names_the_setting_not_the_path_from_the_environment(monkeypatch):
    from kgitops.errors import InputError
    from kgitops.live.registry_tls import ssl_context
    from kgitops.model import RegistryConnection

    monkeypatch.setenv("KGITOPS_T_CA", "/nonexistent/secret-path/ca.pem")
    with pytest.raises(InputError) as failure:
        ssl_context(RegistryConnection(url="https://r:8081", tls_ca_file="${KGITOPS_T_CA}"), "c.yaml")
    assert "schema_registry.tls.ca_file (${KGITOPS_T_CA})" in failure.value.message
    assert "secret-path" not in failure.value.message


def test_the_registry_url_shown_drops_credentials_and_never_shows_a_non_url_value():
    from kgitops.live.registry_client import display_url

    assert display_url("${SR_URL}", "https://u:p@r.internal:8081/apis/ccompat/v7?k=v") == \
        "https://r.internal:8081/apis/ccompat/v7"
    assert display_url("${SR_URL}", SECRET) == "${SR_URL}"
    assert display_url("http://h:${P}", f"http://h:{SECRET}") == "http://h:${P}"


def test_the_required_acls_name_what_to_grant_for_an_operation():
    from kgitops.live.permissions import needed_for, not_authorized

    assert needed_for("TOPIC", "DESCRIBE_CONFIGS").startswith("DESCRIBE, DESCRIBE_CONFIGS on the topics it manages")
    assert needed_for("TOPIC", "WRITE").startswith(
        "CREATE, DESCRIBE, READ, WRITE, DELETE on topic __kgitops_lock. (PREFIXED), for apply, force-unlock")
    message = not_authorized("DESCRIBE", "TOPIC", [f"t{i}" for i in range(7)]).message
    assert message.startswith("not authorized: DESCRIBE on topics t0, t1, t2, t3, t4 and 2 more; kgitops needs")

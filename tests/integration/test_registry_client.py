"""The registry client against the real registry on loopback: every method, the error
mapping, retries and auth. httpx event hooks only observe outgoing requests (the auth
header, the number of attempts); every answer comes from a real server."""
from __future__ import annotations

import base64
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator

import httpx
import pytest

from kgitops.errors import EXIT_REJECTED, ConnectionFailed, InputError
from kgitops.live.registry import read_history, read_subjects
from kgitops.live.registry_client import (
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidSchema,
    RegistryClient,
    RegistryError,
    RegistryUnavailable,
    SchemaNotFound,
    SubjectNotFound,
    SubjectSoftDeleted,
    VersionNotFound,
)
from kgitops.model import RegistryConnection

LEVELS = {"NONE", "BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL", "FULL_TRANSITIVE"}


def record(*fields: dict, name: str = "Reading") -> str:
    return json.dumps({"type": "record", "name": name, "namespace": "kgitops.client.test", "fields": list(fields)})


V1 = record({"name": "sensor", "type": "string"})
V2 = record({"name": "sensor", "type": "string"}, {"name": "unit", "type": "string", "default": "C"})
V2_INCOMPATIBLE = record({"name": "sensor", "type": "string"}, {"name": "unit", "type": "string"})


@pytest.fixture
def client(stack) -> Iterator[RegistryClient]:
    with RegistryClient(stack.registry_url, timeout=10) as registry:
        yield registry


@pytest.fixture
def subject(unique_name) -> str:
    return f"{unique_name}-value"


def parsed(text: str) -> object:
    return json.loads(text)


# -- reading and registering ---------------------------------------------------------


def test_register_returns_an_id_and_the_version_reads_back(client, subject):
    schema_id = client.register(subject, V1)

    assert subject in client.list_subjects()
    assert client.list_versions(subject) == [1]
    latest = client.get_version(subject)
    assert (latest.subject, latest.version, latest.id) == (subject, 1, schema_id)
    assert parsed(latest.schema) == parsed(V1)
    assert client.get_version(subject, 1) == latest
    assert parsed(client.get_schema_by_id(schema_id)) == parsed(V1)


def test_registering_the_same_schema_again_makes_no_new_version(client, subject):
    first = client.register(subject, V1)
    second_id = client.register(subject, V2)
    # Same schema, different spelling: the registry answers with the existing id.
    respelled = json.dumps(json.loads(V1), indent=4, sort_keys=True)
    assert client.register(subject, respelled) == first
    assert client.register(subject, V2) == second_id
    assert client.list_versions(subject) == [1, 2]
    assert client.get_version(subject).version == 2  # an older schema re-registered does not become latest


def test_lookup_finds_a_registered_schema_whatever_its_spelling(client, subject):
    client.register(subject, V1)
    found = client.lookup(subject, json.dumps(json.loads(V1), indent=2, sort_keys=True))
    assert found is not None and found.version == 1 and found.subject == subject
    assert client.lookup(subject, V2) is None
    assert client.lookup(f"{subject}-never-registered", V1) is None


def test_subject_names_with_reserved_characters_round_trip(client, unique_name):
    subject = f"{unique_name}/odd name:value"
    client.register(subject, V1)
    assert client.list_versions(subject) == [1]
    assert client.get_version(subject).subject == subject


def test_compatibility_endpoint_says_yes_no_and_yes_for_an_unknown_subject(client, subject):
    client.set_subject_config(subject, "BACKWARD")
    client.register(subject, V1)
    assert client.test_compatibility(subject, V2)[0] is True
    compatible, messages = client.test_compatibility(subject, V2_INCOMPATIBLE)
    assert compatible is False
    assert all(isinstance(m, str) for m in messages)  # Confluent explains; Apicurio sends none
    assert client.test_compatibility(f"{subject}-never-registered", V2_INCOMPATIBLE) == (True, [])


def test_compatibility_against_all_versions_for_a_transitive_level(client, subject):
    client.set_subject_config(subject, "NONE")
    client.register(subject, record({"name": "a", "type": "int"}))
    client.register(subject, record())
    client.set_subject_config(subject, "BACKWARD_TRANSITIVE")
    candidate = record({"name": "a", "type": "string", "default": "x"})  # fine with v2, not with v1's int a
    assert client.test_compatibility(subject, candidate, version="latest")[0] is True
    assert client.test_compatibility(subject, candidate, version=None)[0] is False
    assert client.test_compatibility(subject, candidate, version=2)[0] is True


def test_levels_global_and_per_subject(client, subject):
    assert client.get_global_config() in LEVELS
    assert client.get_subject_config(subject) is None  # neither versions nor a level
    assert client.set_subject_config(subject, "FULL_TRANSITIVE") == "FULL_TRANSITIVE"
    assert client.get_subject_config(subject) == "FULL_TRANSITIVE"  # set before any version exists
    client.register(subject, V1)
    assert client.set_subject_config(subject, "FORWARD") == "FORWARD"
    assert client.get_subject_config(subject) == "FORWARD"


def test_delete_subject_is_soft(client, subject):
    client.register(subject, V1)
    client.register(subject, V2)
    assert client.delete_subject(subject) == [1, 2]
    assert subject not in client.list_subjects()
    assert subject in client.list_subjects(deleted=True)
    with pytest.raises(SubjectNotFound):
        client.list_versions(subject)
    with pytest.raises(SubjectSoftDeleted):
        client.delete_subject(subject)


# -- errors ---------------------------------------------------------------------------


def test_unknown_subject_is_subject_not_found_naming_it(client, subject):
    with pytest.raises(SubjectNotFound) as raised:
        client.get_version(subject)
    err = raised.value
    assert (err.status, err.error_code, err.subject) == (404, 40401, subject)
    assert subject in err.message and "<topic>-value" in err.message
    assert "\n" not in err.message


def test_unknown_version_and_schema_id(client, subject):
    client.register(subject, V1)
    with pytest.raises(VersionNotFound) as raised:
        client.get_version(subject, 7)
    assert raised.value.error_code == 40402
    with pytest.raises(SchemaNotFound) as raised_id:
        client.get_schema_by_id(2_000_000_000)
    assert raised_id.value.error_code == 40403


def test_invalid_schema_is_refused_as_invalid(client, subject):
    with pytest.raises(InvalidSchema) as raised:
        client.register(subject, '{"type": "record", "name": "R", "fields": [{"name": "a", "type": "nosuchtype"}]}')
    assert raised.value.error_code == 42201
    assert isinstance(raised.value, InputError)
    assert subject in raised.value.message and "kgitops validate" in raised.value.message


def test_incompatible_registration_is_refused_with_exit_3(client, subject):
    client.set_subject_config(subject, "BACKWARD")
    client.register(subject, V1)
    with pytest.raises(IncompatibleSchema) as raised:
        client.register(subject, V2_INCOMPATIBLE)
    err = raised.value
    assert err.status == 409 and err.exit_code == EXIT_REJECTED
    assert subject in err.message
    assert client.list_versions(subject) == [1]


def test_invalid_level_is_refused(client, subject):
    with pytest.raises(InvalidCompatibilityLevel) as raised:
        client.set_subject_config(subject, "SIDEWAYS")
    assert raised.value.error_code == 42203 and "BACKWARD_TRANSITIVE" in raised.value.message


def test_a_url_without_the_api_path_says_so(stack):
    root = stack.registry_url.split("/apis/")[0]
    with RegistryClient(root, timeout=5) as wrong:
        with pytest.raises(RegistryError) as raised:
            wrong.list_subjects()
    assert raised.value.status == 404 and "/apis/ccompat/v7" in raised.value.message


# -- retries --------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unreachable_registry_fails_after_bounded_attempts_with_one_clear_error():
    attempts: list[httpx.Request] = []
    url = f"http://127.0.0.1:{closed_port()}/apis/ccompat/v7"
    with RegistryClient(url, timeout=0.5, max_attempts=3, backoff=0.01,
                        event_hooks={"request": [attempts.append]}) as unreachable:
        with pytest.raises(RegistryUnavailable) as raised:
            unreachable.get_global_config()
    err = raised.value
    assert len(attempts) == 3
    assert isinstance(err, ConnectionFailed) and err.exit_code == 1
    assert url in err.message and "3 attempts" in err.message and "ConnectError" in err.message
    assert "\n" not in err.message and "Traceback" not in err.message


class FlakyProxy:
    """A loopback HTTP proxy in front of the real registry that answers 503 to the first
    `failures` requests, as a registry does while its leader moves."""

    def __init__(self, upstream: str, failures: int):
        self.upstream, self.failures, self.seen = upstream.rstrip("/"), failures, 0
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                proxy.seen += 1
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if proxy.seen <= proxy.failures:
                    status, payload = 503, b'{"error_code": 50003, "message": "Error while forwarding the request"}'
                else:
                    forwarded = {k: v for k, v in self.headers.items() if k.lower() in ("content-type", "accept")}
                    upstream = httpx.request(self.command, proxy.upstream + self.path, content=body or None,
                                             headers=forwarded)
                    status, payload = upstream.status_code, upstream.content
                self.send_response(status)
                self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> "FlakyProxy":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_5xx_answers_are_retried_until_the_registry_answers(stack):
    origin = httpx.URL(stack.registry_url)
    with FlakyProxy(f"{origin.scheme}://{origin.host}:{origin.port}", failures=2) as proxy:
        with RegistryClient(proxy.url + origin.path, max_attempts=4, backoff=0.01) as flaky:
            assert flaky.get_global_config() in LEVELS
    assert proxy.seen == 3


def test_5xx_answers_exhaust_the_attempts(stack):
    origin = httpx.URL(stack.registry_url)
    with FlakyProxy(f"{origin.scheme}://{origin.host}:{origin.port}", failures=10) as proxy:
        with RegistryClient(proxy.url + origin.path, max_attempts=2, backoff=0.01) as flaky:
            with pytest.raises(RegistryUnavailable) as raised:
                flaky.get_global_config()
    assert proxy.seen == 2
    assert "HTTP 503" in raised.value.message and "50003" in raised.value.message


# -- auth -----------------------------------------------------------------------------


def test_basic_auth_comes_from_the_environment_and_stays_secret(stack, monkeypatch):
    monkeypatch.setenv("KGITOPS_TEST_SR_USER", "svc-kgitops")
    monkeypatch.setenv("KGITOPS_TEST_SR_PASSWORD", "s3cr3t-pa55")
    conn = RegistryConnection(url=stack.registry_url, basic_username="${KGITOPS_TEST_SR_USER}",
                              basic_password="${KGITOPS_TEST_SR_PASSWORD}")
    sent: list[str] = []
    with RegistryClient.from_connection(conn, "clusters/dev.yaml",
                                        event_hooks={"request": [lambda r: sent.append(r.headers["Authorization"])]}
                                        ) as authed:
        assert authed.get_global_config() in LEVELS  # the loopback registry has auth off and ignores it
        assert "s3cr3t" not in repr(authed) and "svc-kgitops" not in repr(authed)
    assert sent == ["Basic " + base64.b64encode(b"svc-kgitops:s3cr3t-pa55").decode()]


def test_bearer_token_comes_from_the_environment(stack, monkeypatch):
    monkeypatch.setenv("KGITOPS_TEST_SR_TOKEN", "tok-123")
    conn = RegistryConnection(url=stack.registry_url, bearer_token="${KGITOPS_TEST_SR_TOKEN}")
    sent: list[str] = []
    with RegistryClient.from_connection(conn, "clusters/dev.yaml",
                                        event_hooks={"request": [lambda r: sent.append(r.headers["Authorization"])]}
                                        ) as authed:
        authed.get_global_config()
        assert "tok-123" not in repr(authed)
    assert sent == ["Bearer tok-123"]


def test_a_missing_variable_is_an_input_error_naming_it(stack, monkeypatch):
    monkeypatch.delenv("KGITOPS_TEST_SR_MISSING", raising=False)
    conn = RegistryConnection(url=stack.registry_url, basic_username="u", basic_password="${KGITOPS_TEST_SR_MISSING}")
    with pytest.raises(InputError) as raised:
        RegistryClient.from_connection(conn, "clusters/dev.yaml")
    assert "KGITOPS_TEST_SR_MISSING" in raised.value.message and "clusters/dev.yaml" in raised.value.message
    assert "schema_registry.auth.basic.password" in raised.value.message


def test_credentials_in_the_url_never_reach_a_message(monkeypatch):
    url = f"http://admin:hunter2@127.0.0.1:{closed_port()}/apis/ccompat/v7?token=abc"
    with RegistryClient(url, timeout=0.3, max_attempts=1) as unreachable:
        assert "hunter2" not in repr(unreachable)
        with pytest.raises(RegistryUnavailable) as raised:
            unreachable.list_subjects()
    assert "hunter2" not in raised.value.message and "token=abc" not in raised.value.message


# -- reading managed subjects ---------------------------------------------------------


def test_read_subjects_reads_only_the_named_subjects(client, unique_name):
    registered, transitive, missing = (f"{unique_name}-{n}-value" for n in ("plain", "transitive", "missing"))
    client.register(registered, V1)
    client.set_subject_config(transitive, "NONE")
    client.register(transitive, record({"name": "a", "type": "int"}))
    client.register(transitive, record())
    client.set_subject_config(transitive, "FULL_TRANSITIVE")
    requests: list[httpx.Request] = []
    with RegistryClient(client.url, event_hooks={"request": [requests.append]}) as observed:
        live = read_subjects(observed, [registered, transitive, missing], max_workers=4,
                             desired={registered: V1, transitive: V2, missing: V1})

    assert set(live.subjects) == {registered, transitive, missing}
    assert live.global_compatibility in LEVELS
    plain = live.subjects[registered]
    assert (plain.version, plain.desired_schema_version, plain.history) == (1, 1, {})
    assert parsed(plain.schema) == parsed(V1)
    evolving = live.subjects[transitive]
    assert evolving.compatibility == "FULL_TRANSITIVE" and evolving.versions == (1, 2)
    assert sorted(evolving.history) == [1, 2] and parsed(evolving.history[1]) == parsed(record({"name": "a", "type": "int"}))
    assert evolving.desired_schema_version is None
    absent = live.subjects[missing]
    assert (absent.version, absent.schema, absent.compatibility) == (None, None, None)
    touched = {str(r.url) for r in requests}
    assert not any(u.endswith("/subjects") for u in touched)  # no listing of the whole registry
    assert read_history(client, transitive).keys() == {1, 2}
    assert read_history(client, missing) == {}


def test_bodies_are_sent_as_schema_registry_json(stack, subject):
    sent: list[tuple[str, str | None]] = []
    with RegistryClient(stack.registry_url,
                        event_hooks={"request": [lambda r: sent.append((r.method, r.headers.get("Content-Type")))]}
                        ) as observed:
        observed.register(subject, V1)
        observed.get_version(subject)
    assert sent == [("POST", "application/vnd.schemaregistry.v1+json"), ("GET", None)]

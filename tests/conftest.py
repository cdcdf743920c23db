"""Shared fixtures. Integration tests (tests/integration) run against the real local stack:
a running one is reused, otherwise it is started once per session (and left running for
the next run; `.ci/run` stops it)."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field

import pytest


@dataclass(frozen=True)
class Stack:
    bootstrap_servers: str
    registry_url: str
    layout: object  # kgitops.devstack.stack.StackLayout (secure.SecureLayout for the secured stack)
    name: str = "plaintext"
    admin_properties: dict = field(default_factory=dict)  # librdkafka settings of the tests' own admin clients
    cluster_properties: dict = field(default_factory=dict)  # kafka.properties of the cluster files tests write
    registry_settings: dict = field(default_factory=dict)  # schema_registry settings beside the url
    registry_verify: object = True  # httpx verify= for the tests' own registry clients
    registry_auth: object = None


@pytest.fixture(scope="session")
def stack(request) -> Stack:
    """The plaintext 4.4 stack; a test parametrised indirectly with a stack name (EVERY_STACK)
    runs on that stack instead."""
    return request.getfixturevalue(STACK_FIXTURES[getattr(request, "param", "plaintext")])


@pytest.fixture(scope="session")
def plain_stack() -> Stack:
    from kgitops.devstack.stack import StackLayout, status, up

    layout = StackLayout.from_settings()
    current = status(layout)
    if not current.healthy:
        # With toxiproxy's listeners from the start: the fault tests need them, and adding
        # them later costs a restart of every broker.
        current = up(layout, timeout=240, via_proxy=True)
    return Stack(current.bootstrap_servers, current.schema_registry_url, layout)


# Which fixture gives which stack: the plaintext 4.4 stack, the secured 4.4 stack, and
# Kafka 3.9 in ZooKeeper mode.
STACK_FIXTURES = {"plaintext": "plain_stack", "secured": "secure_stack", "3.9": "stack39"}
# A representative slice of the integration suite runs on every stack.
EVERY_STACK = pytest.mark.parametrize("stack", list(STACK_FIXTURES), indirect=True)
@pytest.fixture(scope="session")
def secure_stack() -> Stack:
    """The secured stack (`kgitops dev up --secure`), started once. Cluster files written
    for it connect as the user `kgitops`, which holds only the minimal ACLs README lists,
    with credentials from the environment."""
    import os

    from kgitops.devstack import secure

    layout = secure.SecureLayout.from_settings()
    if not secure.status(layout).healthy:
        secure.up(layout, timeout=300)
    creds = secure.credentials(layout)
    os.environ.update({"KGITOPS_IT_KAFKA_USER": secure.KGITOPS_USER,
                       "KGITOPS_IT_KAFKA_PASSWORD": creds.kafka[secure.KGITOPS_USER],
                       "KGITOPS_IT_SR_USER": secure.REGISTRY_USER,
                       "KGITOPS_IT_SR_PASSWORD": creds.registry[secure.REGISTRY_USER],
                       "KGITOPS_IT_CA": str(layout.tls.ca_cert)})
    admin = secure.admin_client_config(layout)
    return Stack(
        layout.sasl_bootstrap, layout.registry_url, layout, name="secured",
        admin_properties={k: v for k, v in admin.items() if k != "bootstrap.servers"},
        cluster_properties={"security.protocol": "SASL_SSL", "sasl.mechanism": secure.SCRAM,
                            "sasl.username": "${KGITOPS_IT_KAFKA_USER}", "sasl.password": "${KGITOPS_IT_KAFKA_PASSWORD}",
                            "ssl.ca.location": "${KGITOPS_IT_CA}"},
        registry_settings={"tls": {"ca_file": "${KGITOPS_IT_CA}"},
                           "auth": {"basic": {"username": "${KGITOPS_IT_SR_USER}",
                                              "password": "${KGITOPS_IT_SR_PASSWORD}"}}},
        registry_verify=secure.trust(layout),
        registry_auth=(secure.REGISTRY_USER, creds.registry[secure.REGISTRY_USER]),
    )


@pytest.fixture(scope="session", params=["plaintext", "secured"])
def either_stack(request) -> Stack:
    """For modules that run on both stacks: they override `stack` with this."""
    return request.getfixturevalue("plain_stack" if request.param == "plaintext" else "secure_stack")


@pytest.fixture
def unique_name(request) -> str:
    """A topic/subject name no other test (or earlier run) uses: test name + random suffix."""
    base = re.sub(r"[^a-zA-Z0-9]+", "-", request.node.name).strip("-").lower()[:40]
    return f"t-{base}-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def stack39() -> Stack:
    """The Kafka 3.9 stack in ZooKeeper mode (kgitops dev up --kafka-version 3.9), shared by
    every 3.x test: a running one is reused, otherwise it is started once (and left
    running, like the 4.4 stack; `.ci/run` stops it)."""
    from kgitops.devstack import zookeeper
    from kgitops.devstack.stack import StackLayout

    layout = zookeeper.ZooKeeperLayout.beside(StackLayout.from_settings())
    current = zookeeper.status(layout)
    if not current.healthy:
        current = zookeeper.up(layout, timeout=240)
    return Stack(current.bootstrap_servers, "", layout)

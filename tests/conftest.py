"""Shared fixtures. Integration tests (tests/integration) run against the real local stack:
a running one is reused, otherwise it is started once per session (and left running for
the next run; `.ci/run` stops it)."""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

import pytest


@dataclass(frozen=True)
class Stack:
    bootstrap_servers: str
    registry_url: str
    layout: object  # kgitops.devstack.stack.StackLayout


@pytest.fixture(scope="session")
def stack(request) -> Stack:
    """The 4.4 stack; a test parametrised with BOTH_STACKS runs on the 3.9 stack too."""
    if getattr(request, "param", "4.4") == "3.9":
        return request.getfixturevalue("stack39")
    from kgitops.devstack.stack import StackLayout, status, up

    layout = StackLayout.from_settings()
    current = status(layout)
    if not current.healthy:
        # With toxiproxy's listeners from the start: the fault tests need them, and adding
        # them later costs a restart of every broker.
        current = up(layout, timeout=240, via_proxy=True)
    return Stack(current.bootstrap_servers, current.schema_registry_url, layout)


# A representative slice of the integration suite runs on Kafka 4.4 (KRaft) and 3.9 (ZooKeeper).
BOTH_STACKS = pytest.mark.parametrize("stack", ["4.4", "3.9"], indirect=True)


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

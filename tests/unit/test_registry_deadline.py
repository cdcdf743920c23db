"""A registry that accepts connections and never answers: one call ends at its time
limit (retries included), not after attempts x timeout, and the error names the call."""
from __future__ import annotations

import socket
import threading

import pytest

from kgitops.errors import InputError
from kgitops.live.registry_client import RegistryClient, RegistryUnavailable


class SilentServer:
    """Listens on 127.0.0.1, accepts every connection, reads what is sent, never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.accepted = 0
        self.connections: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}/apis/ccompat/v7"

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                connection, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.accepted += 1
            self.connections.append(connection)  # kept open: the client waits for an answer

    def __enter__(self) -> "SilentServer":
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for connection in self.connections:
            connection.close()
        self.sock.close()


def test_one_call_to_a_hung_registry_ends_at_its_limit_and_names_the_call() -> None:
    with SilentServer() as server, RegistryClient(server.url, timeout=0.6, max_attempts=4, backoff=0.01) as client:
        with pytest.raises(RegistryUnavailable) as raised:
            client.get_subject_config("shop.orders-value")
    message = raised.value.message
    # The old behaviour was four attempts of a full timeout each; now they share one budget.
    assert server.accepted == 1, server.accepted
    assert "GET /config/shop.orders-value" in message, message
    assert "KGITOPS_REGISTRY_TIMEOUT" in message and "1 attempt" in message


def test_the_command_deadline_bounds_every_call_after_it() -> None:
    now = [0.0]
    with SilentServer() as server, RegistryClient(server.url, timeout=5, deadline=0.4, max_attempts=2,
                                                  clock=lambda: now[0]) as client:
        now[0] = 1.0  # the command has already spent more than its registry deadline
        with pytest.raises(RegistryUnavailable) as raised:
            client.list_subjects()
    assert server.accepted == 0  # no attempt starts once the deadline has passed
    assert "KGITOPS_REGISTRY_DEADLINE" in raised.value.message and "0 attempts" in raised.value.message


@pytest.mark.parametrize("value", ["abc", "nan", "-1", "0", "inf"])
def test_a_bad_timeout_in_the_environment_is_an_input_error(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("KGITOPS_REGISTRY_TIMEOUT", value)
    with pytest.raises(InputError) as raised:
        RegistryClient("http://127.0.0.1:1")
    assert "KGITOPS_REGISTRY_TIMEOUT must be a positive number of seconds" in raised.value.message

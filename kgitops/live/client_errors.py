"""Why librdkafka cannot talk to the brokers, told at once.

librdkafka knows within milliseconds that a SASL password is wrong or a broker certificate
is not trusted, but an admin request only times out. `ClientErrors` is the `error_cb` of
every client kgitops builds from a cluster file: it keeps those errors, so a waiting
caller can stop early and say what to fix (the setting, the cluster file, the environment
variables it comes from), never a resolved value.
"""
from __future__ import annotations

import threading
import time
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Mapping

from confluent_kafka import KafkaError

from kgitops.desired import secret_values
from kgitops.desired.interpolate import PLACEHOLDER

KEPT = 20
# Transport errors that are a final answer about TLS (a broker still starting gives none of these).
TLS_REFUSALS = ("SSL handshake failed", "alert bad certificate", "alert certificate required",
                "alert handshake failure", "alert unknown ca")


class ClientErrors:
    """librdkafka's error_cb; `written` are the kafka.properties as written in `source`
    (placeholders included), `resolved` the client settings (to mask in librdkafka's text)."""

    def __init__(self, source: str, written: Mapping[str, str], resolved: Mapping[str, object]):
        self.source = source
        self._written = dict(written)
        self._resolved = resolved
        self._errors: list[KafkaError] = []
        self._lock = threading.Lock()

    def __call__(self, error: KafkaError) -> None:
        with self._lock:
            self._errors = [*self._errors[-(KEPT - 1):], error]

    def __repr__(self) -> str:
        return f"ClientErrors({self.source!r})"

    def __deepcopy__(self, memo: dict) -> "ClientErrors":
        return self  # one log per cluster file, shared by every client made from it

    def refusal(self) -> str | None:
        """A sentence saying what to fix, when the brokers refused us (credentials or TLS);
        None while nothing final is known (a broker still starting is not final)."""
        with self._lock:
            errors = list(self._errors)
        for error in reversed(errors):
            text = self._text(error)
            if error.code() == KafkaError._AUTHENTICATION and "SASL" in text:
                return self._sasl_refused(text)
            if error.code() in (KafkaError._SSL, KafkaError._AUTHENTICATION) or any(
                    sign in text for sign in TLS_REFUSALS):
                return self._tls_refused(text)
        return None

    def last(self) -> str | None:
        with self._lock:
            return self._text(self._errors[-1]) if self._errors else None

    def _text(self, error: KafkaError) -> str:
        return secret_values.mask(f"{error.name()}: {error.str()}")

    def _sasl_refused(self, text: str) -> str:
        mechanism = self._resolved.get("sasl.mechanism") or self._resolved.get("sasl.mechanisms") or "GSSAPI"
        user = self._resolved.get("sasl.username")
        who = f" for user {user!r}" if user else ""
        return (f"SASL authentication failed{who} with mechanism {mechanism} ({text}). Check "
                f"kafka.properties.sasl.username and sasl.password in {self.source}"
                f"{self._from_env('sasl.username', 'sasl.password')}, and that the user exists on the cluster "
                f"with a {mechanism} credential")

    def _tls_refused(self, text: str) -> str:
        if "verify failed" in text or "verify" in text and "certificate" in text:
            return (f"the brokers' TLS certificate is not trusted ({text}). Set kafka.properties.ssl.ca.location "
                    f"in {self.source}{self._from_env('ssl.ca.location')} to the PEM file of the CA that signed "
                    f"the brokers' certificates")
        return (f"the TLS handshake with the brokers failed ({text}). If the listener requires client "
                f"certificates (mutual TLS), set kafka.properties.ssl.certificate.location and ssl.key.location "
                f"in {self.source}{self._from_env('ssl.certificate.location', 'ssl.key.location')}; check that "
                f"security.protocol matches the listener")

    def _from_env(self, *keys: str) -> str:
        names = [m.group(1) for key in keys for m in PLACEHOLDER.finditer(self._written.get(key, ""))]
        return f" (from the environment: {', '.join(names)})" if names else ""


class BrokersRefused(Exception):
    """The brokers refused the credentials or the TLS handshake (the message says what to fix)."""


POLL_INTERVAL_S = 0.05


def result_or_refusal(future, timeout: float, errors: ClientErrors | None, poll=None, clock=time.monotonic):
    """`future.result()`, but raising BrokersRefused as soon as `errors` knows the brokers
    refused us, instead of waiting out `timeout` (then TimeoutError). `poll` is the
    client's poll(): librdkafka hands errors to error_cb only from there."""
    deadline = clock() + timeout
    while True:
        try:
            return future.result(timeout=POLL_INTERVAL_S if errors is not None else timeout)
        except FutureTimeout:
            if poll is not None:
                poll(0)
            refusal = errors.refusal() if errors is not None else None
            if refusal:
                raise BrokersRefused(refusal) from None
            if clock() >= deadline:
                raise

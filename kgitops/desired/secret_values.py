"""The secrets this process has resolved, so that any text about to be shown can be masked.

Errors are written never to quote a resolved value; this is the net under that rule, for
text kgitops does not write itself (librdkafka's and httpx's messages, a traceback with
--debug). A value counts as a secret when its setting is a credential (sasl.password,
basic.password, bearer.token...) or when the variable it came from is named like one
(KAFKA_PASSWORD put, by mistake, into security.protocol).
"""
from __future__ import annotations

import re
import threading

MASK = "***"
MIN_LENGTH = 4  # masking "a" would mangle every message, and such a value guards nothing
SECRET_SETTING = re.compile(r"(password|secret|token|jaas\.config|ssl\.key\.pem|keystore\.key)$", re.IGNORECASE)
SECRET_VARIABLE = re.compile(r"PASSWORD|PASSWD|PWD|SECRET|TOKEN|CREDENTIAL|PASS\b|_PASS_|APIKEY|API_KEY",
                             re.IGNORECASE)

_values: set[str] = set()
_lock = threading.Lock()


def is_secret_setting(setting: str) -> bool:
    return bool(SECRET_SETTING.search(setting))


def is_secret_variable(name: str) -> bool:
    return bool(SECRET_VARIABLE.search(name))


def remember(value: str) -> None:
    if len(value) >= MIN_LENGTH:
        with _lock:
            _values.add(value)


def known() -> list[str]:
    with _lock:
        return sorted(_values, key=len, reverse=True)


def mask(text: str) -> str:
    """`text` with every secret resolved so far replaced by ***."""
    for value in known():
        if value in text:
            text = text.replace(value, MASK)
    return text

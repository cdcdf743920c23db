"""librdkafka's own verdict on `kafka.properties`, asked offline.

confluent-kafka checks every property when a client is constructed: an unknown name, a
value of the wrong type or outside an enumeration, a certificate file it cannot load. A
client built without `bootstrap.servers` connects nowhere, so constructing one is an
offline check that agrees with librdkafka exactly. Its messages may quote a value
(`Invalid value "<the value>" for configuration property ...`) and any resolved value may
be a secret, so they are rewritten to name the property only.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Mapping

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient

from kgitops.desired import secret_values

# Client-side settings that kgitops adds itself; not the user's to check.
NOT_CHECKED = frozenset({"bootstrap.servers", "logger", "error_cb"})
MIN_SCRUBBED_LENGTH = 4

ALLOWED_VALUES = {
    "security.protocol": "plaintext, ssl, sasl_plaintext or sasl_ssl",
    "sasl.mechanism": "GSSAPI, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
    "sasl.mechanisms": "GSSAPI, PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER",
}

_QUIET = logging.getLogger("kgitops.librdkafka.check")
_QUIET.addHandler(logging.NullHandler())
_QUIET.propagate = False


@dataclass(frozen=True)
class PropertyProblem:
    key: str | None  # the property librdkafka objects to, when it names one
    reason: str  # never holds a value
    kind: str = "value"  # "unknown" property, bad "value", a "file" it cannot load, "other"

    def __str__(self) -> str:
        return f"kafka.properties.{self.key}: {self.reason}" if self.key else f"kafka.properties: {self.reason}"


def librdkafka_problems(properties: Mapping[str, object]) -> list[PropertyProblem]:
    """Every property librdkafka refuses, one problem each (an empty list: all accepted)."""
    remaining = {key: str(value) for key, value in properties.items() if key not in NOT_CHECKED}
    problems: list[PropertyProblem] = []
    for _ in range(len(remaining) + 1):
        text = _construction_error(remaining)
        if text is None:
            break
        problem = _problem(text, remaining)
        problems.append(problem)
        if problem.key is None or problem.key not in remaining:
            break  # nothing to take out and ask again about
        del remaining[problem.key]
    return problems


def _construction_error(properties: dict[str, str]) -> str | None:
    try:
        AdminClient({**properties, "logger": _QUIET})
    except KafkaException as err:
        return err.args[0].str() if err.args else str(err)
    except (TypeError, ValueError) as err:  # confluent-kafka's own checks of callbacks and types
        return str(err)
    return None


def _problem(text: str, properties: Mapping[str, str]) -> PropertyProblem:
    if match := re.search(r'No such configuration property: "([^"]+)"', text):
        return PropertyProblem(match.group(1), "not a librdkafka configuration property (check the spelling)",
                               "unknown")
    key = _named_key(text, properties)
    if key and re.search(r"Invalid value|Expected|Unsupported", text):
        allowed = ALLOWED_VALUES.get(key)
        return PropertyProblem(key, "librdkafka does not accept its value" + (f"; use {allowed}" if allowed else ""))
    if key and (match := re.search(re.escape(key) + r" failed: (.*)", text)):
        return PropertyProblem(key, f"librdkafka cannot use the file it names ({scrub(match.group(1), properties)})",
                               "file")
    reason = scrub(text.removeprefix("Failed to create admin client: "), properties)
    return PropertyProblem(key, f"librdkafka refuses the settings: {reason}", "other")


def _named_key(text: str, properties: Mapping[str, str]) -> str | None:
    for quoted in re.findall(r'"([^"]+)"', text):
        if quoted in properties:
            return quoted
    if "SASL mechanism" in text:
        return next((k for k in ("sasl.mechanism", "sasl.mechanisms") if k in properties), None)
    return next((key for key in sorted(properties, key=len, reverse=True) if key in text), None)


def scrub(text: str, properties: Mapping[str, object]) -> str:
    """`text` with every value of `properties` (at least MIN_SCRUBBED_LENGTH long) masked:
    for librdkafka's refusal of the settings themselves, where any of them may be the
    culprit. Errors at run time mask only secrets (kgitops.desired.secret_values)."""
    for value in sorted({str(v) for v in properties.values()}, key=len, reverse=True):
        if len(value) >= MIN_SCRUBBED_LENGTH:
            text = text.replace(value, "***")
    return secret_values.mask(text)

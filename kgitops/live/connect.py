"""Client settings for a cluster, with `${VAR}` placeholders resolved from the environment.

The resolved values (secrets included) go straight to the clients; nothing here is
printed, logged or stored in a plan.
"""
from __future__ import annotations

import logging
import math
import os

from kgitops.desired.interpolate import resolve
from kgitops.errors import InputError, Problem
from kgitops.live.client_errors import ClientErrors
from kgitops.live.client_properties import librdkafka_problems
from kgitops.model import ClusterSpec

# librdkafka reports every refused connection on stderr; kgitops turns failures into one
# clear error instead, so client logs go to a logger that stays quiet unless --debug.
LIBRDKAFKA_LOGGER = logging.getLogger("kgitops.librdkafka")
LIBRDKAFKA_LOGGER.addHandler(logging.NullHandler())
LIBRDKAFKA_LOGGER.propagate = False

# Seconds to wait for one request to Kafka or the registry, unless the environment says
# otherwise (KGITOPS_KAFKA_TIMEOUT, KGITOPS_REGISTRY_TIMEOUT).
DEFAULT_TIMEOUT_S = 30.0


def kafka_timeout() -> float:
    """Seconds to wait for one admin request (KGITOPS_KAFKA_TIMEOUT, default 30)."""
    text = os.environ.get("KGITOPS_KAFKA_TIMEOUT", str(DEFAULT_TIMEOUT_S))
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise InputError("KGITOPS_KAFKA_TIMEOUT must be a positive number of seconds (for example 30); "
                         "unset it for the default of 30")
    return value


# The longest wait between reconnection attempts to one broker (librdkafka's default: 10 s).
RECONNECT_BACKOFF_MAX_MS = 1000

# An unreachable cluster should be reported quickly, whatever the request timeout.
CONNECT_TIMEOUT_S = 10.0


def kafka_client_config(cluster: ClusterSpec) -> dict[str, object]:
    """librdkafka properties for `cluster`, secrets resolved, checked by librdkafka itself
    (offline) so that no client construction fails later with a message quoting a value."""
    source = cluster.source_file
    config: dict[str, object] = {
        key: resolve(str(value), setting=f"kafka.properties.{key}", source=source)
        for key, value in cluster.kafka.properties.items()
    }
    config["bootstrap.servers"] = resolve(cluster.kafka.bootstrap_servers, setting="kafka.bootstrap_servers",
                                          source=source)
    problems = librdkafka_problems(config)
    if problems:
        raise InputError(f"{source}: " + "; ".join(map(str, problems))
                         + " (run kgitops validate for the lines; values are never shown, they may be secrets)",
                         [Problem(str(p), file=source) for p in problems])
    config.setdefault("socket.timeout.ms", int(kafka_timeout() * 1000))
    # librdkafka doubles the wait before reconnecting to a broker up to 10 s; after a burst
    # of resets that wait alone could outlast a request's timeout, so a broker that is back
    # is retried within a second (docs/architecture.md, "Faults").
    config.setdefault("reconnect.backoff.max.ms", RECONNECT_BACKOFF_MAX_MS)
    config["logger"] = LIBRDKAFKA_LOGGER
    config["error_cb"] = ClientErrors(source, dict(cluster.kafka.properties), config)
    return config

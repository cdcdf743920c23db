"""Pinned versions of the local stack, and its default ports and directories."""
from __future__ import annotations

import os
from pathlib import Path

KAFKA_VERSION = "4.4.0"
SCALA_BINARY = "2.13"
SLF4J_VERSION = "2.0.17"  # Kafka 4.4.0's tree brings slf4j 1.7, which ignores the log4j2 binding
LOG4J_VERSION = "2.25.3"
APICURIO_VERSION = "3.3.3"
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"  # Maven 3.8's default 2.8 is too old

NODE_COUNT = 3
DEFAULT_BASE_PORT = 19092  # brokers listen on base, base+1, base+2
CONTROLLER_PORT_OFFSET = 100  # controllers on base+100 ...
DEFAULT_REGISTRY_PORT = 18081
CCOMPAT_PATH = "/apis/ccompat/v7"

KAFKA_MIN_JAVA = 17
REGISTRY_MIN_JAVA = 21


def cache_dir() -> Path:
    """Downloaded jars, shared by every checkout and state directory."""
    explicit = os.environ.get("KGITOPS_CACHE_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "kgitops"


def default_state_dir() -> Path:
    """Logs, data and pid files of the running stack."""
    explicit = os.environ.get("KGITOPS_DEV_DIR")
    if explicit:
        return Path(explicit)
    return Path(os.environ.get("XDG_STATE_HOME", Path.home() / ".local" / "state")) / "kgitops" / "dev"

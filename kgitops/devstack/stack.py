"""The local real stack: a KRaft controller, 3 Kafka brokers and Apicurio Registry with its
Confluent-compatible API, all on loopback, under one state directory.

The controller runs apart from the brokers so that stopping two brokers keeps a quorum:
the cluster then really refuses acks=all writes with NOT_ENOUGH_REPLICAS, as production
would, instead of losing its controller.

    layout = StackLayout.from_settings()
    up(layout)        # idempotent: reuses what is already running
    status(layout)    # StackStatus
    down(layout)      # stops exactly the processes it started
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Callable

import httpx

from kgitops.devstack import jars, processes, proxy
from kgitops.devstack import versions as v
from kgitops.devstack.java import find_java
from kgitops.errors import KgitopsError

KAFKA_HEAP = os.environ.get("KGITOPS_DEV_KAFKA_HEAP", "1g")
CONTROLLER_HEAP = os.environ.get("KGITOPS_DEV_CONTROLLER_HEAP", "384m")
REGISTRY_HEAP = os.environ.get("KGITOPS_DEV_REGISTRY_HEAP", "512m")


@dataclass(frozen=True)
class StackLayout:
    state_dir: Path
    base_port: int = v.DEFAULT_BASE_PORT
    registry_port: int = v.DEFAULT_REGISTRY_PORT
    nodes: int = v.NODE_COUNT

    @classmethod
    def from_settings(cls, state_dir: str | None = None, base_port: int | None = None,
                      registry_port: int | None = None) -> "StackLayout":
        env = os.environ
        return cls(
            state_dir=Path(state_dir) if state_dir else v.default_state_dir(),
            base_port=base_port or int(env.get("KGITOPS_DEV_BASE_PORT", v.DEFAULT_BASE_PORT)),
            registry_port=registry_port or int(env.get("KGITOPS_DEV_REGISTRY_PORT", v.DEFAULT_REGISTRY_PORT)),
        )

    def node_ids(self) -> range:
        return range(1, self.nodes + 1)

    def broker_port(self, node: int) -> int:
        return self.base_port + node - 1

    @property
    def controller_port(self) -> int:
        return self.base_port + v.CONTROLLER_PORT_OFFSET

    @property
    def controller_dir(self) -> Path:
        return self.state_dir / "controller"

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{self.broker_port(n)}" for n in self.node_ids())

    @property
    def registry_url(self) -> str:
        return f"http://127.0.0.1:{self.registry_port}{v.CCOMPAT_PATH}"

    def node_dir(self, node: int) -> Path:
        return self.state_dir / f"node{node}"

    def node_pid_file(self, node: int) -> Path:
        return self.node_dir(node) / "pid"

    def node_log(self, node: int) -> Path:
        return self.node_dir(node) / "server.log"

    @property
    def registry_dir(self) -> Path:
        return self.state_dir / "registry"

    @property
    def marker(self) -> str:
        """A string on every command line we start, so we only ever stop our own processes."""
        return str(self.state_dir.resolve())


@dataclass
class StackStatus:
    bootstrap_servers: str
    schema_registry_url: str
    brokers: int  # live brokers registered with the controller
    registry_up: bool
    nodes: dict[int | str, dict] = field(default_factory=dict)  # broker id or "controller" -> {pid, rss_mb, log, port}
    registry: dict = field(default_factory=dict)
    state_dir: str = ""
    cluster_id: str | None = None
    proxy: dict | None = None  # {bootstrap_servers, schema_registry_url, api} when behind toxiproxy

    @property
    def expected_brokers(self) -> int:
        return sum(1 for k in self.nodes if k != "controller")

    @property
    def healthy(self) -> bool:
        return self.brokers == self.expected_brokers and self.registry_up

    def to_dict(self) -> dict:
        return {
            "bootstrap_servers": self.bootstrap_servers,
            "schema_registry_url": self.schema_registry_url,
            "brokers": self.brokers,
            "registry_up": self.registry_up,
            "healthy": self.healthy,
            "cluster_id": self.cluster_id,
            "state_dir": self.state_dir,
            "nodes": {str(k): val for k, val in self.nodes.items()},
            "registry": self.registry,
            "proxy": self.proxy,
        }


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- Kafka nodes


CONTROLLER_ID = 100  # apart from the broker ids 1..3


def _common_properties(layout: StackLayout) -> list[str]:
    return [
        f"controller.quorum.voters={CONTROLLER_ID}@127.0.0.1:{layout.controller_port}",
        "controller.listener.names=CONTROLLER",
        f"listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT,{proxy.PROXIED_LISTENER}:PLAINTEXT",
    ]


def controller_properties(layout: StackLayout) -> str:
    return "\n".join([
        "# Generated by kgitops dev: the KRaft controller of the local stack.",
        "process.roles=controller",
        f"node.id={CONTROLLER_ID}",
        *_common_properties(layout),
        f"listeners=CONTROLLER://127.0.0.1:{layout.controller_port}",
        f"log.dirs={layout.controller_dir / 'data'}",
        "",
    ])


def node_properties(layout: StackLayout, node: int) -> str:
    listeners = proxy.broker_listeners(layout, node)  # PLAINTEXT, and one through toxiproxy if asked
    return "\n".join([
        "# Generated by kgitops dev: one broker of the local stack.",
        "process.roles=broker",
        f"node.id={node}",
        *_common_properties(layout),
        "listeners=" + ",".join(f"{name}://127.0.0.1:{bound}" for name, bound, _ in listeners),
        "advertised.listeners=" + ",".join(f"{name}://127.0.0.1:{advertised}" for name, _, advertised in listeners),
        "inter.broker.listener.name=PLAINTEXT",
        f"log.dirs={layout.node_dir(node) / 'data'}",
        *BROKER_SETTINGS,
        "",
    ])


# Every dev broker, KRaft or ZooKeeper mode (devstack/zookeeper.py).
BROKER_SETTINGS = (
    # The rules kgitops enforces, real on this stack: RF 3, min.insync.replicas 2.
    "default.replication.factor=3",
    "min.insync.replicas=2",
    "offsets.topic.replication.factor=3",
    "transaction.state.log.replication.factor=3",
    "transaction.state.log.min.isr=2",
    "num.partitions=1",
    "auto.create.topics.enable=false",
    "group.initial.rebalance.delay.ms=0",
    "delete.topic.enable=true",
    # Small and quick to recover: a dev stack holds little data.
    "log.segment.bytes=16777216",
    "num.network.threads=2",
    "num.io.threads=4",
    "num.recovery.threads.per.data.dir=1",
)


def _kafka_command(layout: StackLayout, java: str, libs: Path, main_class: str, *args: str,
                   heap: str = KAFKA_HEAP) -> list[str]:
    log4j = resources.files("kgitops.devstack") / "log4j2.properties"
    return [
        java, f"-Xmx{heap}", "-Xms128m",
        "-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        processes.marker_argument(layout.marker),
        "-cp", f"{libs}/*", main_class, *args,
    ]


def _cluster_id(layout: StackLayout) -> str:
    path = layout.state_dir / "cluster-id"
    if not path.exists():
        # Kafka wants a base64url UUID (22 chars, like `kafka-storage random-uuid`).
        import base64
        path.write_text(base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="))
    return path.read_text().strip()


def _start_kafka_process(layout: StackLayout, java: str, libs: Path, directory: Path, properties: str,
                         heap: str, format_args: tuple[str, ...] = ()) -> None:
    """Write the properties, format storage with Kafka's own StorageTool once (with
    `format_args`, e.g. SCRAM users), and start."""
    if processes.running_pid(directory / "pid", layout.marker):
        return
    directory.mkdir(parents=True, exist_ok=True)
    props = directory / "node.properties"
    props.write_text(properties)
    if not (directory / "data" / "meta.properties").exists():
        cmd = _kafka_command(layout, java, libs, "kafka.tools.StorageTool", "format", "-t", _cluster_id(layout),
                             "-c", str(props), "--ignore-formatted", *format_args, heap="256m")
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if out.returncode != 0:
            raise KgitopsError(f"formatting Kafka storage in {directory} failed:\n{out.stdout}\n{out.stderr}")
    cmd = _kafka_command(layout, java, libs, "kafka.Kafka", str(props), heap=heap)
    processes.start(cmd, log_file=directory / "server.log", pid_file=directory / "pid", cwd=directory)


def _start_node(layout: StackLayout, java: str, libs: Path, node: int) -> None:
    _start_kafka_process(layout, java, libs, layout.node_dir(node), node_properties(layout, node), KAFKA_HEAP)


def _start_controller(layout: StackLayout, java: str, libs: Path) -> None:
    _start_kafka_process(layout, java, libs, layout.controller_dir, controller_properties(layout), CONTROLLER_HEAP)


def start_node(layout: StackLayout, node: int) -> None:
    """Start one Kafka node (also used by tests that stop and restart brokers)."""
    java = find_java(v.KAFKA_MIN_JAVA, explicit_env="KGITOPS_KAFKA_JAVA", purpose="Apache Kafka").executable
    _start_node(layout, java, jars.ensure_kafka_libs(), node)


def stop_node(layout: StackLayout, node: int) -> bool:
    return processes.stop(layout.node_pid_file(node), layout.marker)


# --------------------------------------------------------------------------- registry


def _start_registry(layout: StackLayout) -> None:
    pid_file = layout.registry_dir / "pid"
    if processes.running_pid(pid_file, layout.marker):
        return
    runner = jars.ensure_apicurio()
    java = find_java(v.REGISTRY_MIN_JAVA, explicit_env="KGITOPS_REGISTRY_JAVA",
                     purpose=f"Apicurio Registry {v.APICURIO_VERSION}").executable
    layout.registry_dir.mkdir(parents=True, exist_ok=True)
    cmd = [
        java, f"-Xmx{REGISTRY_HEAP}", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
        processes.marker_argument(layout.marker),
        f"-Dquarkus.http.port={layout.registry_port}",
        "-Dquarkus.http.host=127.0.0.1",
        # Quarkus' management interface (health, metrics) defaults to *:9000: keep it on
        # loopback, next to the registry port, so two stacks (or anything on 9000) never clash.
        f"-Dquarkus.management.port={layout.registry_port + 1}",
        "-Dquarkus.management.host=127.0.0.1",
        "-Dapicurio.storage.kind=sql",
        "-Dapicurio.storage.sql.kind=h2",
        # Behave like Confluent Schema Registry's default instead of enforcing nothing.
        "-Dapicurio.rules.global.compatibility=BACKWARD",
        "-Dapicurio.ccompat.max-subjects=1000000",
        "-Dquarkus.log.level=INFO",
        "-jar", str(runner),
    ]
    processes.start(cmd, log_file=layout.registry_dir / "registry.log", pid_file=pid_file, cwd=layout.registry_dir)


# --------------------------------------------------------------------------- health


def live_broker_count(layout: StackLayout, timeout: float = 5.0, client_config: dict | None = None
                      ) -> tuple[int, str | None]:
    """Brokers registered with the controller, through the admin API (0 if unreachable)."""
    from confluent_kafka.admin import AdminClient

    config = client_config or {"bootstrap.servers": layout.bootstrap_servers}
    admin = AdminClient({**config, "socket.timeout.ms": int(timeout * 1000), "logger": _SilentLogger()})
    try:
        result = admin.describe_cluster(request_timeout=timeout).result(timeout=timeout + 1)
        return len(result.nodes), result.cluster_id
    except Exception:
        return 0, None


class _SilentLogger:
    """librdkafka logs every refused connection while brokers start; readiness polling
    expects those, so they are not shown."""

    def log(self, *args, **kwargs) -> None:  # noqa: D401 - logging.Logger protocol
        pass

    def __getattr__(self, name):
        return lambda *a, **k: None


def registry_answers(layout: StackLayout, timeout: float = 3.0) -> bool:
    try:
        return httpx.get(f"{layout.registry_url}/subjects", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def status(layout: StackLayout, *, broker_count: Callable[..., tuple[int, str | None]] | None = None,
           registry_check: Callable[[StackLayout], bool] | None = None) -> StackStatus:
    """Processes and health; the secured profile passes its own ways of asking."""
    broker_count = broker_count or live_broker_count
    registry_check = registry_check or registry_answers
    nodes = {}
    for n in layout.node_ids():
        pid = processes.running_pid(layout.node_pid_file(n), layout.marker)
        nodes[n] = {"pid": pid, "rss_mb": processes.rss_mb(pid) if pid else None, "log": str(layout.node_log(n)),
                    "port": layout.broker_port(n)}
    ctl_pid = processes.running_pid(layout.controller_dir / "pid", layout.marker)
    nodes["controller"] = {"pid": ctl_pid, "rss_mb": processes.rss_mb(ctl_pid) if ctl_pid else None,
                           "log": str(layout.controller_dir / "server.log"), "port": layout.controller_port}
    reg_pid = processes.running_pid(layout.registry_dir / "pid", layout.marker)
    any_running = reg_pid or any(info["pid"] for info in nodes.values())
    brokers, cluster_id = broker_count(layout, timeout=3.0) if any_running else (0, None)
    return StackStatus(
        bootstrap_servers=layout.bootstrap_servers,
        schema_registry_url=layout.registry_url,
        brokers=brokers,
        registry_up=bool(reg_pid) and registry_check(layout),
        nodes=nodes,
        registry={"pid": reg_pid, "rss_mb": processes.rss_mb(reg_pid) if reg_pid else None,
                  "log": str(layout.registry_dir / "registry.log"), "port": layout.registry_port},
        state_dir=str(layout.state_dir),
        cluster_id=cluster_id,
        proxy=proxy.status(layout),
    )


# --------------------------------------------------------------------------- up / down


def _check_ports_free(layout: StackLayout) -> None:
    """A port held by something else would make a node fail with a confusing bind error."""
    ports = []
    for n in layout.node_ids():
        if not processes.running_pid(layout.node_pid_file(n), layout.marker):
            ports.append(layout.broker_port(n))
    if not processes.running_pid(layout.controller_dir / "pid", layout.marker):
        ports.append(layout.controller_port)
    if not processes.running_pid(layout.registry_dir / "pid", layout.marker):
        ports.append(layout.registry_port)
    refuse_busy_ports(ports)


def refuse_busy_ports(ports: list[int]) -> None:
    busy = [p for p in ports if _port_in_use(p)]
    if busy:
        raise KgitopsError(
            f"port(s) {', '.join(map(str, busy))} on 127.0.0.1 are in use by another process. Stop it, or choose "
            f"other ports with --base-port / --registry-port (or KGITOPS_DEV_BASE_PORT / KGITOPS_DEV_REGISTRY_PORT).")


def up(layout: StackLayout, timeout: float = 180.0, *, via_proxy: bool = False) -> StackStatus:
    """Start whatever is not running and wait until 3 brokers and the registry answer; with
    `via_proxy`, also a listener per broker and the registry behind toxiproxy (proxy.py)."""
    started = time.monotonic()
    current = status(layout)
    if current.healthy:
        progress(f"Stack already running ({current.brokers} brokers, registry up): reusing it.")
        if via_proxy:
            proxy.start(layout)
            return status(layout)
        return current
    if via_proxy:
        proxy.prepare(layout)
    _check_ports_free(layout)
    kafka_java = find_java(v.KAFKA_MIN_JAVA, explicit_env="KGITOPS_KAFKA_JAVA", purpose="Apache Kafka").executable
    find_java(v.REGISTRY_MIN_JAVA, explicit_env="KGITOPS_REGISTRY_JAVA",
              purpose=f"Apicurio Registry {v.APICURIO_VERSION}")  # fail before starting anything
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    libs = jars.ensure_kafka_libs()
    jars.ensure_apicurio()
    progress(f"Starting a KRaft controller and {layout.nodes} Kafka {v.KAFKA_VERSION} brokers on {layout.bootstrap_servers} "
             f"and Apicurio Registry {v.APICURIO_VERSION} on {layout.registry_url}")
    _start_controller(layout, kafka_java, libs)
    for n in layout.node_ids():
        _start_node(layout, kafka_java, libs, n)
    _start_registry(layout)
    _wait_ready(layout, started, timeout)
    if via_proxy:
        proxy.start(layout)
    ready = status(layout)
    progress(f"Stack ready in {time.monotonic() - started:.1f} s: {ready.brokers} brokers, registry up.")
    return ready


def _dead_component(layout: StackLayout) -> tuple[str, Path] | None:
    if not processes.running_pid(layout.controller_dir / "pid", layout.marker):
        return "the Kafka controller", layout.controller_dir / "server.log"
    for n in layout.node_ids():
        if not processes.running_pid(layout.node_pid_file(n), layout.marker):
            return f"Kafka node {n}", layout.node_log(n)
    if not processes.running_pid(layout.registry_dir / "pid", layout.marker):
        return "the registry", layout.registry_dir / "registry.log"
    return None


def _wait_ready(layout: StackLayout, started: float, timeout: float) -> None:
    def probe() -> tuple[bool, str]:
        brokers, _ = live_broker_count(layout, timeout=2.0)
        registry = registry_answers(layout)
        return (brokers == layout.nodes and registry,
                f"{brokers}/{layout.nodes} brokers, registry {'up' if registry else 'starting'}")

    wait_until_ready(probe, lambda: _dead_component(layout), started=started, timeout=timeout,
                     stack="the stack", log=layout.node_log(1), down_command="kgitops dev down")


def wait_until_ready(probe: Callable[[], tuple[bool, str]], dead_component: Callable[[], tuple[str, Path] | None], *,
                     started: float, timeout: float, stack: str, log: Path, down_command: str) -> None:
    """Poll `probe` (ready?, what it sees) until ready; a component that exited or the
    timeout ends it with the tail of the relevant log."""
    last_report = 0.0
    while True:
        ready, seen = probe()
        if ready:
            return
        dead = dead_component()
        elapsed = time.monotonic() - started
        if dead or elapsed > timeout:
            name, failed_log = dead if dead else (f"{stack} ({seen})", log)
            reason = "exited" if dead else f"was not ready after {timeout:.0f} s"
            raise KgitopsError(f"{name} {reason}. Last lines of {failed_log}:\n{processes.log_tail(failed_log)}\n"
                               f"Stop what was started with `{down_command}`.")
        if elapsed - last_report >= 5:
            progress(f"  waiting: {seen} ({elapsed:.0f} s)")
            last_report = elapsed
        time.sleep(0.5)


def down(layout: StackLayout, *, wipe: bool = True) -> list[str]:
    """Stop the registry and the nodes (in parallel) and, by default, delete their data so
    the next `up` starts from an empty cluster."""
    stopped = []
    if proxy.stop(layout):
        stopped.append("toxiproxy")
    if processes.stop(layout.registry_dir / "pid", layout.marker, timeout=15):
        stopped.append("registry")
    # All nodes together (a lone last node waits for a quorum).
    stopped += processes.stop_together({f"kafka broker {n}": layout.node_pid_file(n) for n in layout.node_ids()},
                                       layout.marker, timeout=20)
    # Last, so that the brokers' controlled shutdown still has a controller to talk to.
    if processes.stop(layout.controller_dir / "pid", layout.marker, timeout=20):
        stopped.append("kafka controller")
    if wipe and layout.state_dir.exists():
        for n in layout.node_ids():
            shutil.rmtree(layout.node_dir(n), ignore_errors=True)
        shutil.rmtree(layout.registry_dir, ignore_errors=True)
        shutil.rmtree(layout.controller_dir, ignore_errors=True)
        (layout.state_dir / "cluster-id").unlink(missing_ok=True)
        proxy.forget(layout)
    return stopped

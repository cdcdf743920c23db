"""toxiproxy in front of the local stack, so tests can cut, slow and reset its connections.

toxiproxy is built from source with `go install` into the shared cache the first time it is
needed (a few minutes), then reused. Proxies are driven through toxiproxy's HTTP API.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator

import httpx

from kgitops.devstack import processes
from kgitops.devstack import versions as v
from kgitops.errors import KgitopsError

if TYPE_CHECKING:
    from kgitops.devstack.stack import StackLayout

TOXIPROXY_VERSION = "2.12.0"  # ask for it exactly: `@latest` of the v2 module resolves to 2.5.0
TOXIPROXY_MODULE = "github.com/Shopify/toxiproxy/v2"
COMPLETE_MARKER = ".complete"


def toxiproxy_dir() -> Path:
    return v.cache_dir() / f"toxiproxy-{TOXIPROXY_VERSION}"


def _find_go() -> str:
    found = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if found is None:
        raise KgitopsError("toxiproxy is built from source and needs Go (https://go.dev/dl/); "
                           "no `go` was found on PATH.")
    return found


def ensure_toxiproxy() -> Path:
    """The toxiproxy server binary, building server and cli with `go install` on first use."""
    home = toxiproxy_dir()
    server = home / "server"
    if (home / COMPLETE_MARKER).exists() and server.exists():
        return server
    go = _find_go()
    building = home.parent / f"{home.name}.building-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    log = building / "go-install.log"
    env = {**os.environ, "GOBIN": str(building), "CGO_ENABLED": "0"}
    started = time.monotonic()
    print(f"  building toxiproxy {TOXIPROXY_VERSION} with go install (first run only)...", file=sys.stderr, flush=True)
    with open(log, "w") as out:
        proc = subprocess.Popen([go, "install", f"{TOXIPROXY_MODULE}/cmd/server@v{TOXIPROXY_VERSION}",
                                 f"{TOXIPROXY_MODULE}/cmd/cli@v{TOXIPROXY_VERSION}"],
                                cwd=building, env=env, stdout=out, stderr=subprocess.STDOUT)
        while proc.poll() is None:
            time.sleep(5)
            print(f"  ... still building toxiproxy ({time.monotonic() - started:.0f} s)", file=sys.stderr, flush=True)
    if proc.returncode != 0 or not (building / "server").exists():
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-25:])
        raise KgitopsError(f"go install of toxiproxy {TOXIPROXY_VERSION} failed (log: {log}):\n{tail}")
    (building / COMPLETE_MARKER).write_text(TOXIPROXY_VERSION)
    shutil.rmtree(home, ignore_errors=True)
    building.rename(home)  # atomic: a concurrent build never leaves a half-filled cache directory
    print(f"  built toxiproxy in {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)
    return server


# --------------------------------------------------------------------------- ports and listeners
#
# With `kgitops dev up --via-proxy` every broker gets a second listener, PROXIED, bound on
# base+600+i and advertised at toxiproxy's port base+700+i, so a client that bootstraps
# through the proxy also reaches every broker through it (and only client traffic: the
# brokers talk to each other and to the controller directly). The registry's proxy listens
# on registry_port+2 (registry_port+1 is its management port).

PROXIED_LISTENER = "PROXIED"
# Clear of the other profiles: base+200.. the Kafka 3.9 stack (zookeeper.py), base+300..400
# the secured stack (secure.py).
LISTENER_PORT_OFFSET = 600
PROXY_PORT_OFFSET = 700
API_PORT_OFFSET = 800
REGISTRY_PROXY_PORT_OFFSET = 2
MARKER_FILE = "via-proxy"
REGISTRY_PROXY = "registry"


def broker_proxy(node: int) -> str:
    return f"broker-{node}"


@dataclass(frozen=True)
class ProxyLayout:
    """Where toxiproxy and its proxies listen for one stack."""

    state_dir: Path
    base_port: int
    registry_port: int
    nodes: int

    @classmethod
    def of(cls, layout: "StackLayout") -> "ProxyLayout":
        return cls(layout.state_dir, layout.base_port, layout.registry_port, layout.nodes)

    def listener_port(self, node: int) -> int:
        return self.base_port + LISTENER_PORT_OFFSET + node - 1

    def proxy_port(self, node: int) -> int:
        return self.base_port + PROXY_PORT_OFFSET + node - 1

    @property
    def api_port(self) -> int:
        return self.base_port + API_PORT_OFFSET

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.api_port}"

    @property
    def registry_proxy_port(self) -> int:
        return self.registry_port + REGISTRY_PROXY_PORT_OFFSET

    @property
    def bootstrap_servers(self) -> str:
        return ",".join(f"127.0.0.1:{self.proxy_port(n)}" for n in range(1, self.nodes + 1))

    @property
    def registry_url(self) -> str:
        return f"http://127.0.0.1:{self.registry_proxy_port}{v.CCOMPAT_PATH}"

    @property
    def directory(self) -> Path:
        return self.state_dir / "toxiproxy"

    @property
    def enabled(self) -> bool:
        return (self.state_dir / MARKER_FILE).exists()

    def proxies(self) -> list[dict]:
        """toxiproxy's own proxy definitions (its -config / POST /populate format)."""
        brokers = [{"name": broker_proxy(n), "listen": f"127.0.0.1:{self.proxy_port(n)}",
                    "upstream": f"127.0.0.1:{self.listener_port(n)}", "enabled": True}
                   for n in range(1, self.nodes + 1)]
        return brokers + [{"name": REGISTRY_PROXY, "listen": f"127.0.0.1:{self.registry_proxy_port}",
                           "upstream": f"127.0.0.1:{self.registry_port}", "enabled": True}]


def broker_listeners(layout: "StackLayout", node: int) -> list[tuple[str, int, int]]:
    """(listener name, port bound, port advertised) of one broker: PLAINTEXT, and PROXIED
    when the stack runs behind toxiproxy."""
    direct = layout.broker_port(node)
    listeners = [("PLAINTEXT", direct, direct)]
    proxied = ProxyLayout.of(layout)
    if proxied.enabled:
        listeners.append((PROXIED_LISTENER, proxied.listener_port(node), proxied.proxy_port(node)))
    return listeners


# --------------------------------------------------------------------------- the toxiproxy process


def _pid_file(proxied: ProxyLayout) -> Path:
    return proxied.directory / "pid"


def _marker(layout: "StackLayout") -> str:
    return layout.marker


def running(layout: "StackLayout") -> bool:
    return processes.running_pid(_pid_file(ProxyLayout.of(layout)), _marker(layout)) is not None


def prepare(layout: "StackLayout") -> ProxyLayout:
    """Before the brokers start: build toxiproxy and mark the stack as proxied, so that
    every broker start (also a restart by a test) writes the PROXIED listener."""
    ensure_toxiproxy()
    proxied = ProxyLayout.of(layout)
    layout.state_dir.mkdir(parents=True, exist_ok=True)
    (layout.state_dir / MARKER_FILE).write_text("brokers advertise a listener through toxiproxy\n")
    return proxied


def start(layout: "StackLayout", timeout: float = 120.0) -> ProxyLayout:
    """Once the stack runs: restart (one at a time) any broker started without the PROXIED
    listener, start toxiproxy and create its proxies. Idempotent."""
    from kgitops.devstack import stack

    proxied = prepare(layout)
    for node in layout.node_ids():
        if not stack._port_in_use(proxied.listener_port(node)):
            stack.progress(f"  restarting kafka broker {node} with a listener for toxiproxy")
            stack.stop_node(layout, node)
            stack.start_node(layout, node)
            _wait(lambda: stack._port_in_use(proxied.listener_port(node)) and
                  stack.live_broker_count(layout, timeout=2.0)[0] == layout.nodes,
                  timeout, f"kafka broker {node} did not come back with its toxiproxy listener",
                  layout.node_log(node))
    if not running(layout):
        busy = [p for p in (proxied.api_port, proxied.registry_proxy_port,
                            *(proxied.proxy_port(n) for n in layout.node_ids())) if stack._port_in_use(p)]
        if busy:
            raise KgitopsError(f"port(s) {', '.join(map(str, busy))} on 127.0.0.1 that toxiproxy needs are in use "
                               f"by another process; choose other ports with --base-port / --registry-port.")
        proxied.directory.mkdir(parents=True, exist_ok=True)
        config = proxied.directory / "proxies.json"
        config.write_text(json.dumps(proxied.proxies(), indent=2))
        processes.start([str(ensure_toxiproxy()), "-host", "127.0.0.1", "-port", str(proxied.api_port),
                         # After "--", ignored by toxiproxy: the marker processes.running_pid looks for.
                         "-config", str(config), "--", processes.marker_argument(layout.marker)],
                        log_file=proxied.directory / "toxiproxy.log",
                        pid_file=_pid_file(proxied), cwd=proxied.directory)
        _wait(lambda: Toxiproxy(proxied.api_url).answers(), 30, "toxiproxy did not answer",
              proxied.directory / "toxiproxy.log")
    client = Toxiproxy(proxied.api_url)
    client.populate(proxied.proxies())
    client.reset()
    return proxied


def status(layout: "StackLayout") -> dict | None:
    """Where to reach the stack through toxiproxy, None when it is not running."""
    if not running(layout):
        return None
    proxied = ProxyLayout.of(layout)
    return {"bootstrap_servers": proxied.bootstrap_servers, "schema_registry_url": proxied.registry_url,
            "api": proxied.api_url}


def stop(layout: "StackLayout") -> bool:
    return processes.stop(_pid_file(ProxyLayout.of(layout)), _marker(layout), timeout=10)


def forget(layout: "StackLayout") -> None:
    """After `dev down`: the next `dev up` is direct unless asked again."""
    (layout.state_dir / MARKER_FILE).unlink(missing_ok=True)


def _wait(condition: Callable[[], bool], timeout: float, what: str, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise KgitopsError(f"{what} within {timeout:.0f} s. Last lines of {log}:\n{processes.log_tail(log)}")
        time.sleep(0.5)


# --------------------------------------------------------------------------- the HTTP API


class Toxiproxy:
    """A thin client of toxiproxy's HTTP API (https://github.com/Shopify/toxiproxy#http-api)."""

    def __init__(self, api_url: str, timeout: float = 10.0):
        self.api_url = api_url
        self.timeout = timeout

    def _call(self, method: str, path: str, body: object | None = None) -> object:
        try:
            response = httpx.request(method, f"{self.api_url}{path}", json=body, timeout=self.timeout)
        except httpx.HTTPError as err:
            raise KgitopsError(f"toxiproxy at {self.api_url} did not answer {method} {path}: {err}") from err
        if response.status_code >= 300:
            raise KgitopsError(f"toxiproxy refused {method} {path}: HTTP {response.status_code} {response.text[:300]}")
        return response.json() if response.content else None

    def answers(self) -> bool:
        try:
            return httpx.get(f"{self.api_url}/version", timeout=2.0).status_code == 200
        except httpx.HTTPError:
            return False

    def populate(self, proxies: list[dict]) -> None:
        """Create the proxies, or update those that exist."""
        self._call("POST", "/populate", proxies)

    def reset(self) -> None:
        """Every proxy enabled again, every toxic removed."""
        self._call("POST", "/reset")

    def set_enabled(self, proxy: str, enabled: bool) -> None:
        """Disabled, a proxy closes its connections and refuses new ones."""
        self._call("POST", f"/proxies/{proxy}", {"enabled": enabled})

    def add_toxic(self, proxy: str, kind: str, attributes: dict, *, stream: str = "downstream",
                  toxicity: float = 1.0, name: str | None = None) -> str:
        name = name or f"{kind}_{stream}"
        self._call("POST", f"/proxies/{proxy}/toxics", {"name": name, "type": kind, "stream": stream,
                                                         "toxicity": toxicity, "attributes": attributes})
        return name

    def remove_toxic(self, proxy: str, name: str) -> None:
        self._call("DELETE", f"/proxies/{proxy}/toxics/{name}")

    @contextmanager
    def toxic(self, proxies: list[str], kind: str, attributes: dict, **options) -> Iterator[None]:
        """`kind` on every proxy in `proxies` for the body of the `with`."""
        added = []
        try:
            for proxy in proxies:
                added.append((proxy, self.add_toxic(proxy, kind, attributes, **options)))
            yield
        finally:
            for proxy, name in added:
                self.remove_toxic(proxy, name)

    @contextmanager
    def disabled(self, proxies: list[str]) -> Iterator[None]:
        try:
            for proxy in proxies:
                self.set_enabled(proxy, False)
            yield
        finally:
            for proxy in proxies:
                self.set_enabled(proxy, True)

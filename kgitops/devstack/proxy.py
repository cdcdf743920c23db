"""toxiproxy in front of the local stack, so tests can cut, slow and reset its connections.

toxiproxy is built from source with `go install` into the shared cache the first time it is
needed (a few minutes), then reused. Proxies are driven through toxiproxy's HTTP API.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kgitops.devstack import versions as v
from kgitops.errors import KgitopsError

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

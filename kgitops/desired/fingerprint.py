"""The desired state's fingerprint: a saved plan is stale when the files it was made from change."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from kgitops.model import ClusterSpec
from kgitops.plan import fingerprint


def desired_fingerprint(cluster: ClusterSpec) -> str:
    """A digest of every file the desired state was read from: contents, keyed by the path
    relative to the cluster file, so the same checkout gives the same digest from any
    working directory (CI jobs plan and apply from different places)."""
    base = Path(cluster.source_file).resolve().parent
    contents = {}
    for path in sorted(set(cluster.files) | {cluster.source_file}):
        resolved = Path(path).resolve()
        try:
            contents[os.path.relpath(resolved, base)] = hashlib.sha256(resolved.read_bytes()).hexdigest()
        except OSError:
            contents[os.path.relpath(resolved, base)] = None
    return fingerprint(contents)

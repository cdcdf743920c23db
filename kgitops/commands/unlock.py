"""`kgitops force-unlock -c CLUSTER.yaml ID`: release an apply lock left behind by an apply
that is gone. Only the current holder's id is accepted, so a stale id from an old error
message cannot release the lock of an apply that is running now."""
from __future__ import annotations

import argparse

from kgitops.render.escape import escape_control
from kgitops.commands.cluster_access import open_cluster
from kgitops.errors import EXIT_OK
from kgitops.bookkeeping.lock import HELD, RELEASED_STATUS, LockTopics, force_unlock, iso_time, lock_key


def run(args: argparse.Namespace) -> int:
    access = open_cluster(args.cluster)
    topics = LockTopics(access.client_config, lock_key(access.cluster_id, access.cluster.name), access.cluster.name)
    view = force_unlock(topics, args.lock_id)
    holder = view.holder
    assert holder is not None  # force_unlock refuses a lock without a holder
    who = escape_control(f"{holder.holder} (pid {holder.pid}, since {iso_time(holder.timestamp_ms)})")
    if view.status == RELEASED_STATUS:
        print(f"Lock {args.lock_id} of cluster {access.cluster.name} ({who}) was already released; nothing to do.")
        return EXIT_OK
    print(f"Released lock {args.lock_id} of cluster {access.cluster.name}, held by {who}. The next apply can take it.")
    if view.status == HELD:
        print(f"Its last heartbeat was {view.seconds_since_alive:.0f} s ago: if that apply is still running, it keeps "
              f"changing the cluster without holding the lock. Run `kgitops plan -c {args.cluster}` once it is done.")
    return EXIT_OK

"""Risk notes: what a change means in Kafka terms, one rule per function.

Each rule takes the before and after values of one attribute and returns the notes that
apply (none for a harmless change). Text is shown on its own line under the action.
"""
from __future__ import annotations

UNLIMITED = -1  # retention.ms / retention.bytes: keep forever


def partition_increase(topic: str, before: int, after: int) -> list[str]:
    if after <= before:
        return []
    return [
        f"keyed records move: a key's partition is hash(key) % partitions, so most keys map to another "
        f"partition once {topic} has {after} instead of {before} partitions (murmur2 in the Java client; "
        f"librdkafka's default partitioner hashes differently); per-key ordering across the change is lost "
        f"and compacted or keyed state readers see the same key in two partitions"
    ]


def _retention(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def retention_decrease(key: str, before: str | None, after: str | None) -> list[str]:
    if key not in ("retention.ms", "retention.bytes"):
        return []
    old, new = _retention(before), _retention(after)
    if old is None or new is None or old == new:
        return []
    shrinks = (old == UNLIMITED and new != UNLIMITED) or (new != UNLIMITED and new < old)
    if not shrinks:
        return []
    limit = "time" if key == "retention.ms" else "size"
    return [f"retention decrease ({key} {before} -> {after}): data beyond the new {limit} limit is deleted "
            f"for good at the next retention check; consumers that lag behind lose it"]


def cleanup_policy_change(before: str | None, after: str | None) -> list[str]:
    if before is None or after is None or before == after:
        return []
    old, new = set(before.split(",")), set(after.split(","))
    notes = [f"cleanup.policy {before} -> {after}:"]
    if "compact" in new and "compact" not in old:
        notes.append("compaction keeps only the latest record per key (older values are removed, records "
                     "without a key are rejected by producers)")
    if "compact" in old and "compact" not in new:
        notes.append("records are no longer kept per key: the latest value of a key is deleted once it "
                     "passes retention")
    if "delete" in new and "delete" not in old:
        notes.append("retention now deletes old segments, including the latest value of keys")
    if "delete" in old and "delete" not in new:
        notes.append("time/size retention stops: the topic grows until compaction alone bounds it")
    return [" ".join(notes)]


def min_insync_vs_replication(min_insync: int | None, replication_factor: int) -> list[str]:
    if min_insync is None or min_insync < replication_factor:
        return []
    if min_insync > replication_factor:
        return [f"min.insync.replicas {min_insync} > replication factor {replication_factor}: every write "
                f"with acks=all fails"]
    return [f"min.insync.replicas {min_insync} = replication factor {replication_factor}: writes with acks=all "
            f"fail as soon as one replica is down or lagging"]


def min_insync_after_replication(min_insync: int, rf_before: int, rf_after: int) -> list[str]:
    return [f"min.insync.replicas is set to {min_insync} only after the replication factor reaches {rf_after}: "
            f"setting it first would leave min.insync.replicas >= replication factor {rf_before} for the whole "
            f"reassignment, when acks=all writes fail with one broker down; if the reassignment does not "
            f"complete, min.insync.replicas stays as it is"]


def replication_change(before: int, after: int, partitions: int) -> list[str]:
    if after == before:
        return []
    if after > before:
        return [f"replication factor {before} -> {after} copies every partition's data to {after - before} more "
                f"broker(s) ({partitions} partitions): network and disk load until the new replicas are in sync"]
    return [f"replication factor {before} -> {after}: {before - after} replica(s) per partition are removed; "
            f"the topic survives fewer broker failures"]


def topic_deletion(topic: str) -> list[str]:
    return [f"deleting {topic} removes all its data and cannot be undone; producers and consumers of it fail"]

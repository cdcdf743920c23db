"""Cluster health as a plan reports it: warnings (kind "health") about brokers missing and
managed partitions offline, under-replicated or under their min.insync.replicas. A plan
on a degraded cluster is not "no changes, all well" (`plan --fail-on-unhealthy` makes it
fail)."""
from __future__ import annotations

from kgitops.errors import Problem
from kgitops.model import ClusterSpec, LiveCluster, LiveTopic

SHOWN = 5  # partitions named per warning; the count covers the rest


def health_warnings(desired: ClusterSpec, live: LiveCluster) -> list[Problem]:
    warnings = brokers_missing(desired, live)
    managed = [topic for name, topic in sorted(live.topics.items()) if desired.manages(name)]
    offline, under_replicated, under_min_isr = [], [], []
    for topic in managed:
        min_isr = _min_insync(topic)
        for p in topic.partitions:
            label = f"{topic.name}-{p.id}"
            if p.leader < 0:
                offline.append(f"{label} (replicas {list(p.replicas)}, no leader)")
            elif len(p.isr) < len(p.replicas):
                under_replicated.append(f"{label} (in sync {list(p.isr)} of {list(p.replicas)})")
            if p.leader >= 0 and min_isr is not None and len(p.isr) < min_isr:
                under_min_isr.append(f"{label} (in sync {len(p.isr)}, min.insync.replicas {min_isr})")
    warnings += _partitions_warning(offline, "offline: nothing can be read from or written to them")
    warnings += _partitions_warning(under_replicated, "under-replicated: a broker is down or lagging")
    warnings += _partitions_warning(under_min_isr, "under min.insync.replicas: acks=all writes to them fail now")
    return warnings


def expected_broker_count(desired: ClusterSpec) -> tuple[int, str]:
    if desired.expected_brokers is not None:
        return desired.expected_brokers, f"expected_brokers in {desired.source_file}"
    largest = max((t.replication_factor for t in desired.topics), default=0)
    return largest, "the largest replication factor declared"


def brokers_missing(desired: ClusterSpec, live: LiveCluster) -> list[Problem]:
    expected, why = expected_broker_count(desired)
    if len(live.brokers) >= expected:
        return []
    ids = ", ".join(str(b.id) for b in live.brokers) or "none"
    return [Problem(f"cluster {desired.name}: {len(live.brokers)} live broker(s) (ids {ids}), {expected} expected "
                    f"({why}): brokers are down or unreachable", file=desired.source_file, severity="warning",
                    kind="health")]


def _partitions_warning(partitions: list[str], what: str) -> list[Problem]:
    if not partitions:
        return []
    shown = ", ".join(partitions[:SHOWN]) + (f", ... ({len(partitions) - SHOWN} more)" if len(partitions) > SHOWN else "")
    return [Problem(f"{len(partitions)} managed partition(s) {what}: {shown}", severity="warning", kind="health")]


def _min_insync(topic: LiveTopic) -> int | None:
    entry = topic.config.get("min.insync.replicas")
    try:
        return int(entry.value) if entry is not None and entry.value is not None else None
    except ValueError:
        return None

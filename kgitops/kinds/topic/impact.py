"""The live impact of a plan's risky topic actions: what *this* change does to *this*
cluster (docs/impact.md).

    impacts = read_impacts(plan.actions, live_cluster, clients, throttle=rate)
    impacts.for_action(action)      # Impact or None
    impact_lines(impact)            # text lines, shown under the action's risk notes
    impact_to_dict(impact)          # the `impact` object of a JSON plan action

The model is plain frozen data; `read_impacts` is the only part that talks to the cluster,
and only for topics with risky actions: a plan without one sends no request at all.
A read the principal may not make, or that fails, leaves that part of the impact out with
a warning naming the permission; the plan itself never fails because of it.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Protocol, Sequence

from kgitops.errors import Problem
from kgitops.kinds.topic import risks
from kgitops.kinds.topic.actions import (AddPartitions, AlterTopicConfig, ChangeReplicationFactor, DeleteTopic,
                                         TopicAction)
from kgitops.live.consumers import (BATCHED_OFFSET_FETCH_FROM, SAMPLE_RECORDS_PER_PARTITION, ConsumerReader,
                                    GroupListing, OffsetAt, Partition, ReadDenied, ReadFailed,
                                    committed_offsets_batched, log_dir_sizes, read_error, sample_null_keys)
from kgitops.model import LiveCluster
from kgitops.plan import Action
from kgitops.wording import approx_duration, approx_size, plural

PARTITIONS_SHOWN = 10  # per text line; JSON has them all
GROUPS_SHOWN = 10
STREAMS_SUFFIXES = ("-changelog", "-repartition")

# ---------------------------------------------------------------------------
# The model
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PartitionDeletion:
    partition: int
    records: int
    bytes: int | None  # estimated from the partition's size; None when sizes were not read


@dataclass(frozen=True)
class GroupLoss:
    group: str
    unread_records: int  # committed offset .. cutoff: records it has not read yet that go
    by_partition: Mapping[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class RetentionTimeImpact:
    limit_ms: int
    cutoff_ms: int  # now - limit: records with an older timestamp are past the new limit
    partitions: tuple[PartitionDeletion, ...]
    groups: tuple[GroupLoss, ...] | None  # None: the groups could not be read

    @property
    def records(self) -> int:
        return sum(p.records for p in self.partitions)

    @property
    def bytes(self) -> int | None:
        sizes = [p.bytes for p in self.partitions if p.records]
        return None if any(b is None for b in sizes) else sum(b for b in sizes if b is not None)


@dataclass(frozen=True)
class PartitionOverLimit:
    partition: int
    size: int
    over: int


@dataclass(frozen=True)
class RetentionBytesImpact:
    limit_bytes: int
    partitions: tuple[PartitionOverLimit, ...]

    @property
    def over(self) -> int:
        return sum(p.over for p in self.partitions)


@dataclass(frozen=True)
class GroupOnTopic:
    group: str
    state: str
    type: str
    members: int | None  # None: the group could not be described
    lag: int | None  # over the partitions it has committed offsets on; None: end offsets not read
    partitions: int  # how many partitions of the topic it has committed offsets on
    streams_topics: tuple[str, ...] = ()  # its -changelog / -repartition topics, if any

    @property
    def looks_like_streams(self) -> bool:
        return bool(self.streams_topics) or self.type == "streams"


@dataclass(frozen=True)
class LastWrite:
    partition: int
    timestamp_ms: int | None  # the newest record's timestamp; None: the partition is empty


@dataclass(frozen=True)
class KeylessSample:
    records: int  # records read from the ends of the partitions
    null_keys: int
    partitions: tuple[int, ...]  # partitions where a null key was seen
    partitions_sampled: int


@dataclass(frozen=True)
class ReplicationCopy:
    bytes: int | None  # None: sizes could not be read
    by_broker: Mapping[int, int]  # bytes each new replica's broker fetches
    by_leader: Mapping[int, int]  # bytes each leader sends
    throttle: int | None  # bytes/s per broker (apply --throttle), None: unthrottled

    @property
    def seconds(self) -> float | None:
        """With a throttle, the rate applies to each broker's leader and follower traffic:
        the busiest broker sets the pace."""
        if self.throttle is None or self.bytes is None:
            return None
        busiest = max([*self.by_broker.values(), *self.by_leader.values(), 0])
        return busiest / self.throttle


@dataclass(frozen=True)
class MinInsyncRisk:
    min_insync: int
    partitions: tuple[tuple[int, int], ...]  # (partition, ISR size) with ISR size <= min_insync


@dataclass(frozen=True)
class Impact:
    """One action's impact; the parts that do not apply are None (or empty)."""

    topic: str
    action: str  # the action's kind
    now_ms: int
    retention_time: RetentionTimeImpact | None = None
    retention_bytes: RetentionBytesImpact | None = None
    groups: tuple[GroupOnTopic, ...] | None = None  # partition increase, deletion
    last_writes: tuple[LastWrite, ...] | None = None  # deletion
    keyless: KeylessSample | None = None  # change to compact
    replication: ReplicationCopy | None = None
    min_insync: MinInsyncRisk | None = None
    unavailable: tuple[str, ...] = ()  # parts that could not be read, and why

    def lines(self) -> list[str]:
        return impact_lines(self)

    def to_dict(self) -> dict:
        return impact_to_dict(self)


class ActionImpact(Protocol):
    """What a plan shows of one action's impact: a topic's Impact, or another kind's (an
    ACL removal's AccessLoss, kgitops.kinds.acl.impact)."""

    def lines(self) -> list[str]: ...

    def to_dict(self) -> dict: ...


@dataclass(frozen=True)
class Impacts:
    by_action: Mapping[tuple[str, str], ActionImpact]
    consumers: Mapping[str, tuple[GroupOnTopic, ...]]  # changed topic -> groups reading it
    warnings: tuple[Problem, ...] = ()
    requests: Mapping[str, int] = field(default_factory=dict)

    def for_action(self, action: Action) -> Any:
        return self.by_action.get((action.kind, action.resource))

    # What the renderers ask for (they know nothing else of this module).

    def lines_for(self, action: Action) -> list[str]:
        impact = self.for_action(action)
        return impact.lines() if impact is not None else []

    def section_lines(self) -> list[str]:
        """The consumers section and the warnings, printed after the actions."""
        return consumers_lines(self) + [f"warning: {w.message}" for w in self.warnings]

    def add_to(self, data: dict, actions: Sequence[Action]) -> dict:
        return add_to_plan_dict(data, actions, self)


NO_IMPACT = Impacts({}, {})

# ---------------------------------------------------------------------------
# What each action needs
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Needs:
    action: TopicAction
    retention_ms: int | None = None  # the new limit
    retention_bytes: int | None = None
    compact: bool = False
    min_insync: int | None = None
    groups: bool = False
    last_writes: bool = False
    added_replicas: Mapping[int, tuple[int, ...]] | None = None  # partition -> brokers gaining a replica

    @property
    def topic(self) -> str:
        return self.action.topic

    @property
    def reads_cluster(self) -> bool:
        return bool(self.retention_ms is not None or self.retention_bytes is not None or self.compact or self.groups
                    or self.last_writes or self.added_replicas)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def needs_of(action: Action) -> Needs | None:
    """What the impact of `action` reads; None for an action without one."""
    if isinstance(action, AddPartitions):
        return Needs(action, groups=True)
    if isinstance(action, DeleteTopic):
        return Needs(action, groups=True, last_writes=True)
    if isinstance(action, ChangeReplicationFactor):
        added = {p: tuple(b for b in target if b not in action.current.get(p, ()))
                 for p, target in action.assignment.items()}
        added = {p: b for p, b in added.items() if b}
        return Needs(action, added_replicas=added) if added else None
    if not isinstance(action, AlterTopicConfig):
        return None
    parts: dict[str, Any] = {}
    for change in action.changes:
        if change.op != "set":
            continue  # a reset's new value is the broker's, not known here
        new = _int(change.after)
        if change.key in ("retention.ms", "retention.bytes") and new is not None and new >= 0 \
                and risks.retention_decrease(change.key, change.before, change.after):
            parts["retention_ms" if change.key == "retention.ms" else "retention_bytes"] = new
        elif change.key == "cleanup.policy" and "compact" in (change.after or "").split(",") \
                and "compact" not in (change.before or "").split(","):
            parts["compact"] = True
        elif change.key == "min.insync.replicas" and new is not None and new > (_int(change.before) or 1):
            parts["min_insync"] = new
    return Needs(action, **parts) if parts else None


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def _access_losses(actions: Sequence[Action], acls: Any, live: LiveCluster, reader: ConsumerReader
                   ) -> dict[tuple[str, str], ActionImpact]:
    """ACL removals' impact (kgitops.kinds.acl.impact), read only when the plan removes one."""
    if acls is None or not any(a.kind == "delete_acls" for a in actions):
        return {}
    from kgitops.kinds.acl.impact import read_access_losses

    return dict(read_access_losses(actions, acls, live.topics, reader))


def read_impacts(actions: Sequence[Action], live: LiveCluster, clients: Any, *, throttle: int | None = None,
                 acls: Any = None, now_ms: int | None = None, timeout: float = 30.0,
                 sample_records: int = SAMPLE_RECORDS_PER_PARTITION,
                 batch_groups_from: int = BATCHED_OFFSET_FETCH_FROM) -> Impacts:
    """The impact of each risky topic action in `actions`, and of each ACL removal when
    `acls` (the live ACL bindings) is given, read from the live cluster with the injected
    `clients` (kgitops.live.clients.Clients). `now_ms` is the clock the ages
    and the retention cutoff are computed from; from `batch_groups_from` groups on, their
    offsets are read in one request per coordinator."""
    now = int(time.time() * 1000) if now_ms is None else now_ms
    needs = [n for n in map(needs_of, actions) if n is not None and n.topic in live.topics]
    requests: dict[str, int] = {}
    reader = ConsumerReader(clients.admin, timeout=timeout, requests=requests)
    access = _access_losses(actions, acls, live, reader)
    if not needs:
        return Impacts(access, {}, (), requests) if access else NO_IMPACT
    run = _Run(live, clients, reader, now)
    run.batch_groups_from = batch_groups_from
    if any(n.reads_cluster for n in needs):
        changed = sorted({a.resource for a in actions if isinstance(a, TopicAction) and a.symbol != "+"
                          and a.resource in live.topics})
        run.read(needs, changed, sample_records)
    by_action: dict[tuple[str, str], ActionImpact] = {(n.action.kind, n.topic): run.impact(n, throttle)
                                                      for n in needs}
    by_action.update(access)
    consumers = {t: run.groups_on(t) for t in run.consumer_topics} if run.groups_read else {}
    return Impacts(by_action, {t: g for t, g in consumers.items() if g is not None}, tuple(run.warnings),
                   requests)


class _Run:
    """The reads of one read_impacts call and what they found; a part that failed is None."""

    def __init__(self, live: LiveCluster, clients: Any, reader: ConsumerReader, now_ms: int):
        self.live, self.clients, self.reader, self.now = live, clients, reader, now_ms
        self.warnings: list[Problem] = []
        self.missing: dict[str, list[str]] = {}  # topic -> why parts are missing
        self.latest: dict[Partition, OffsetAt] | None = {}
        self.earliest: dict[Partition, OffsetAt] | None = {}
        self.by_time: dict[Partition, OffsetAt] | None = {}
        self.newest: dict[Partition, OffsetAt] | None = {}
        self.sizes: dict[Partition, int] | None = {}
        self.samples: dict[Partition, tuple[int, int]] | None = {}
        self.listings: dict[str, GroupListing] = {}
        self.offsets: dict[str, dict[Partition, int]] | None = None
        self.members: dict[str, int] | None = {}
        self.groups_read = False
        self.consumer_topics: list[str] = []
        self.batch_groups_from = BATCHED_OFFSET_FETCH_FROM

    def partitions(self, topic: str) -> list[Partition]:
        return [(topic, p.id) for p in self.live.topics[topic].partitions]

    def fail(self, topics: Sequence[str], part: str, err: Exception) -> None:
        if isinstance(err, ReadDenied):
            why = f"{part}: missing permission {err.permission} ({err.detail})"
        else:
            why = f"{part}: {err}"
        for topic in topics:
            self.missing.setdefault(topic, []).append(why)
        self.warnings.append(Problem(f"impact of the plan on {', '.join(sorted(set(topics)))} is incomplete: {why}; "
                                     f"the plan itself is complete", severity="warning"))

    def read(self, needs: Sequence[Needs], changed: Sequence[str], sample_records: int) -> None:
        from confluent_kafka.admin import OffsetSpec

        by_time = {n.topic: n.retention_ms for n in needs if n.retention_ms is not None}
        compact = sorted({n.topic for n in needs if n.compact})
        deleted = sorted({n.topic for n in needs if n.last_writes})
        self.consumer_topics = list(changed)
        # Log-dir sizes come over kafka-python (its own connections, one broker after the
        # other): the slowest read, so it runs beside all the others.
        sizes = threading.Thread(target=self.read_sizes, args=(needs,), name="kgitops-log-dirs", daemon=True)
        sizes.start()
        with_latest = sorted(set(changed) | set(by_time) | set(compact))
        with_earliest = sorted(set(by_time) | set(compact))
        # All ListOffsets calls travel together, and with the group reads below.
        calls = {
            "latest": ({p: OffsetSpec.latest() for t in with_latest for p in self.partitions(t)}, with_latest),
            "earliest": ({p: OffsetSpec.earliest() for t in with_earliest for p in self.partitions(t)}, with_earliest),
            "by_time": ({p: OffsetSpec.for_timestamp(self.now - limit) for t, limit in sorted(by_time.items())
                         for p in self.partitions(t)}, sorted(by_time)),
            "newest": ({p: OffsetSpec.max_timestamp() for t in deleted for p in self.partitions(t)}, deleted),
        }
        in_flight = {}
        for name, (specs, topics) in calls.items():
            try:
                in_flight[name] = self.reader.send_list_offsets(specs)
            except Exception as err:  # noqa: BLE001 - a plan never fails on its impact
                in_flight[name] = None
                self.fail(topics, f"{name} offsets", read_error("sending ListOffsets", err))
        self.read_groups(changed)
        for name, (_specs, topics) in calls.items():
            futures = in_flight[name]
            answers: dict[Partition, OffsetAt] | None = None
            if futures is not None:
                try:
                    answers = self.reader.collect_list_offsets(name.replace("_", " "), futures)
                except (ReadDenied, ReadFailed) as err:
                    self.fail(topics, f"{name.replace('_', ' ')} offsets", err)
            setattr(self, name, answers)
        self.read_samples(compact, sample_records)
        sizes.join()

    def read_groups(self, topics: Sequence[str]) -> None:
        wanted = [p for t in topics for p in self.partitions(t)]
        if not wanted:
            return
        self.groups_read = True
        try:
            self.listings = {g.group_id: g for g in self.reader.list_groups()}
            self.offsets = self.committed_offsets(sorted(self.listings), wanted)
        except (ReadDenied, ReadFailed) as err:
            self.fail(topics, "consumer groups", err)
            return
        try:
            self.members = self.reader.member_counts(self.offsets)
        except (ReadDenied, ReadFailed) as err:
            self.members = None
            self.fail(topics, "consumer group members", err)

    def committed_offsets(self, groups: list[str], wanted: list[Partition]) -> dict[str, dict[Partition, int]]:
        """Per group (one call each, concurrently), or for many groups kafka-python's one
        OffsetFetch per coordinator; should that fail for another reason than a permission,
        the per-group reads still answer."""
        opener = getattr(self.clients, "kafka_python", None)
        if opener is not None and len(groups) >= self.batch_groups_from:
            try:
                return committed_offsets_batched(opener, groups, wanted, self.reader.requests)
            except ReadFailed:
                pass
        return self.reader.committed_offsets(groups, wanted)

    def read_sizes(self, needs: Sequence[Needs]) -> None:
        topics = sorted({n.topic for n in needs if n.retention_ms is not None or n.retention_bytes is not None
                         or n.added_replicas})
        leaders = {(t, p.id): p.leader for t in topics for p in self.live.topics[t].partitions if p.leader >= 0}
        opener: Callable[[], Any] | None = getattr(self.clients, "kafka_python", None)
        if not leaders:
            return
        if opener is None:
            self.sizes = None
            return
        try:
            self.sizes = log_dir_sizes(opener, leaders, self.reader.requests)
        except (ReadDenied, ReadFailed) as err:
            self.sizes = None
            self.fail(topics, "log-dir sizes", err)

    def read_samples(self, topics: Sequence[str], per_partition: int) -> None:
        if not topics or self.latest is None or self.earliest is None:
            return
        ranges = {}
        for p in (p for t in topics for p in self.partitions(t)):
            if p in self.latest and p in self.earliest:
                end, start = self.latest[p].offset, self.earliest[p].offset
                ranges[p] = (max(start, end - per_partition), end)
        try:
            self.samples = sample_null_keys(self.clients.client_config, ranges, self.reader.requests)
        except (ReadDenied, ReadFailed) as err:
            self.samples = None
            self.fail(topics, "record key sample", err)

    # -- building the model -------------------------------------------------

    def impact(self, needs: Needs, throttle: int | None) -> Impact:
        topic = needs.topic
        return Impact(
            topic=topic, action=needs.action.kind, now_ms=self.now,
            retention_time=self.retention_time(topic, needs.retention_ms) if needs.retention_ms is not None else None,
            retention_bytes=self.retention_bytes(topic, needs.retention_bytes)
            if needs.retention_bytes is not None else None,
            groups=self.groups_on(topic) if needs.groups else None,
            last_writes=self.last_writes(topic) if needs.last_writes else None,
            keyless=self.keyless(topic) if needs.compact else None,
            replication=self.replication(topic, needs.added_replicas, throttle) if needs.added_replicas else None,
            min_insync=self.min_insync(topic, needs.min_insync) if needs.min_insync is not None else None,
            unavailable=tuple(self.missing.get(topic, ())),
        )

    def retention_time(self, topic: str, limit: int) -> RetentionTimeImpact | None:
        if self.latest is None or self.earliest is None or self.by_time is None:
            return None
        cutoffs: dict[int, tuple[int, int]] = {}  # partition -> (first offset kept, first offset)
        deletions = []
        for key in self.partitions(topic):
            first, end = self.earliest[key].offset, self.latest[key].offset
            # The first record at or after the cutoff; -1: every record is older.
            kept = self.by_time[key].offset if self.by_time[key].offset >= 0 else end
            kept = max(first, min(kept, end))
            cutoffs[key[1]] = (kept, first)
            records = kept - first
            deletions.append(PartitionDeletion(key[1], records, self._share_of_size(key, records, end - first)))
        groups = None
        if self.offsets is not None:
            losses = []
            for group, offsets in sorted(self.offsets.items()):
                lost = {p: kept - max(offsets[(topic, p)], first) for p, (kept, first) in cutoffs.items()
                        if (topic, p) in offsets and kept > max(offsets[(topic, p)], first)}
                if any((topic, p) in offsets for p in cutoffs):
                    losses.append(GroupLoss(group, sum(lost.values()), dict(sorted(lost.items()))))
            groups = tuple(losses)
        return RetentionTimeImpact(limit, self.now - limit, tuple(deletions), groups)

    def _share_of_size(self, key: Partition, records: int, total: int) -> int | None:
        if self.sizes is None or key not in self.sizes:
            return None
        if total <= 0 or records <= 0:
            return 0
        return self.sizes[key] * records // total

    def retention_bytes(self, topic: str, limit: int) -> RetentionBytesImpact | None:
        if self.sizes is None:
            return None
        return RetentionBytesImpact(limit, tuple(
            PartitionOverLimit(p, self.sizes[(topic, p)], max(0, self.sizes[(topic, p)] - limit))
            for _t, p in self.partitions(topic) if (topic, p) in self.sizes))

    def groups_on(self, topic: str) -> tuple[GroupOnTopic, ...] | None:
        if self.offsets is None:
            return None
        names = set(self.live.topics)
        found = []
        for group, offsets in sorted(self.offsets.items()):
            mine = {p: o for (t, p), o in offsets.items() if t == topic}
            if not mine:
                continue
            lag = None if self.latest is None else sum(
                max(0, self.latest[(topic, p)].offset - o) for p, o in mine.items() if (topic, p) in self.latest)
            listing = self.listings.get(group, GroupListing(group, "Unknown", "unknown"))
            streams = tuple(sorted(n for n in names if n.startswith(group + "-") and n.endswith(STREAMS_SUFFIXES)))
            members = self.members.get(group) if self.members is not None else None
            found.append(GroupOnTopic(group, listing.state, listing.type, members, lag, len(mine), streams))
        return tuple(found)

    def last_writes(self, topic: str) -> tuple[LastWrite, ...] | None:
        if self.newest is None:
            return None
        return tuple(LastWrite(p, self.newest[(topic, p)].timestamp if self.newest[(topic, p)].offset >= 0 else None)
                     for _t, p in self.partitions(topic))

    def keyless(self, topic: str) -> KeylessSample | None:
        if self.samples is None:
            return None
        mine = {p: c for (t, p), c in self.samples.items() if t == topic}
        return KeylessSample(records=sum(c[0] for c in mine.values()), null_keys=sum(c[1] for c in mine.values()),
                             partitions=tuple(sorted(p for p, c in mine.items() if c[1])), partitions_sampled=len(mine))

    def replication(self, topic: str, added: Mapping[int, tuple[int, ...]], throttle: int | None) -> ReplicationCopy:
        leaders = {p.id: p.leader for p in self.live.topics[topic].partitions}
        by_broker: dict[int, int] = {}
        by_leader: dict[int, int] = {}
        total: int | None = 0
        for partition, brokers in sorted(added.items()):
            size = self.sizes.get((topic, partition)) if self.sizes is not None else None
            if size is None:
                total = None
                continue
            for broker in brokers:
                by_broker[broker] = by_broker.get(broker, 0) + size
                by_leader[leaders[partition]] = by_leader.get(leaders[partition], 0) + size
            if total is not None:
                total += size * len(brokers)
        return ReplicationCopy(total, dict(sorted(by_broker.items())), dict(sorted(by_leader.items())), throttle)

    def min_insync(self, topic: str, value: int) -> MinInsyncRisk:
        return MinInsyncRisk(value, tuple((p.id, len(p.isr)) for p in self.live.topics[topic].partitions
                                          if len(p.isr) <= value))


# ---------------------------------------------------------------------------
# Text and JSON
# ---------------------------------------------------------------------------


def _count(n: int) -> str:
    return f"{n:,}"


def _bytes(n: int) -> str:
    return f"{n:,} bytes" + (f" ({approx_size(n)})" if n >= 1024 else "")


def _listed(items: Sequence[str], limit: int = PARTITIONS_SHOWN) -> str:
    shown = ", ".join(items[:limit])
    return shown + (f", ... ({len(items) - limit} more)" if len(items) > limit else "")


def _when(timestamp_ms: int, now_ms: int) -> str:
    at = datetime.fromtimestamp(timestamp_ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    age = now_ms - timestamp_ms
    return f"{approx_duration(age)} ago ({at})" if age >= 0 else f"in the future ({at})"


def group_line(group: GroupOnTopic) -> str:
    members = "members unknown" if group.members is None else plural(group.members, "member")
    lag = "lag unknown" if group.lag is None else f"lag {_count(group.lag)}"
    return f"group {group.group} ({group.state}, {members}): {lag}"


def impact_lines(impact: Impact) -> list[str]:
    """One line per finding, each starting with `impact:`; shown under the risk notes."""
    lines: list[str] = []
    if (rt := impact.retention_time) is not None:
        lines += _retention_time_lines(rt)
    if (rb := impact.retention_bytes) is not None:
        over = [p for p in rb.partitions if p.over]
        if over:
            lines.append(f"{_bytes(rb.over)} over the new size limit would be deleted: "
                         + _listed([f"partition {p.partition}: {_bytes(p.over)} over" for p in over]))
        else:
            lines.append(f"no partition is over the new size limit ({_bytes(rb.limit_bytes)}) yet")
    if impact.groups is not None:
        lines += _group_lines(impact.groups, impact.action)
    if impact.last_writes is not None:
        written = sorted((w for w in impact.last_writes if w.timestamp_ms is not None),
                         key=lambda w: -(w.timestamp_ms or 0))
        empty = [w.partition for w in impact.last_writes if w.timestamp_ms is None]
        if written:
            lines.append(f"last write {_when(written[0].timestamp_ms or 0, impact.now_ms)} on partition "
                         f"{written[0].partition}; newest record per partition: "
                         + _listed([f"{w.partition}: {approx_duration(impact.now_ms - (w.timestamp_ms or 0))} ago"
                                    for w in sorted(written, key=lambda w: w.partition)]))
        if empty:
            lines.append(f"{plural(len(empty), 'partition')} never written to (empty): "
                         + _listed([str(p) for p in empty]))
    if (k := impact.keyless) is not None:
        if k.null_keys:
            lines.append(f"{_count(k.null_keys)} of the {_count(k.records)} newest records sampled have a null key "
                         f"(partitions {_listed([str(p) for p in k.partitions])}): producers of keyless records "
                         f"fail once the topic is compacted")
        elif k.records:
            lines.append(f"none of the {_count(k.records)} newest records sampled ({plural(k.partitions_sampled, 'partition')}) "
                         f"has a null key")
        else:
            lines.append("the topic has no records to sample for null keys")
    if (r := impact.replication) is not None:
        if r.bytes is None:
            lines.append("the bytes to copy are unknown (log-dir sizes not read)")
        else:
            per_broker = _listed([f"broker {b}: {approx_size(n) or _count(n) + ' bytes'}" for b, n in r.by_broker.items()])
            pace = (f"at the throttle of {approx_size(r.throttle)}/s per broker: about {approx_duration(int((r.seconds or 0) * 1000))}"
                    if r.throttle else "unthrottled (apply --throttle RATE bounds it)")
            lines.append(f"{_bytes(r.bytes)} to copy to new replicas ({per_broker}); {pace}")
    if (m := impact.min_insync) is not None:
        below = [f"{p} (ISR {isr})" for p, isr in m.partitions if isr < m.min_insync]
        at = [f"{p} (ISR {isr})" for p, isr in m.partitions if isr == m.min_insync]
        if below:
            lines.append(f"{plural(len(below), 'partition')} with an ISR below the new min.insync.replicas "
                         f"{m.min_insync}: acks=all writes fail right after the change: {_listed(below)}")
        if at:
            lines.append(f"{plural(len(at), 'partition')} with an ISR at the new min.insync.replicas {m.min_insync}: "
                         f"acks=all writes fail as soon as one more replica drops out: {_listed(at)}")
        if not m.partitions:
            lines.append(f"every partition's ISR is above the new min.insync.replicas {m.min_insync}")
    lines += [f"not computed: {why}" for why in impact.unavailable]
    return [f"impact: {line}" for line in lines]


def _retention_time_lines(rt: RetentionTimeImpact) -> list[str]:
    limit = approx_duration(rt.limit_ms)
    if not rt.records:
        lines = [f"no record is older than the new limit ({limit}) yet"]
    else:
        size = f" (about {approx_size(rt.bytes)})" if rt.bytes else ""
        lines = [f"{_count(rt.records)} records{size} are older than the new limit ({limit}) and would be "
                 f"deleted: " + _listed([f"partition {p.partition}: {_count(p.records)}"
                                         for p in rt.partitions if p.records])]
    if rt.groups is not None:
        losing = [g for g in rt.groups if g.unread_records]
        lines += [f"group {g.group}: {_count(g.unread_records)} unread records would be deleted ("
                  + _listed([f"partition {p}: {_count(n)}" for p, n in g.by_partition.items()]) + ")"
                  for g in losing[:GROUPS_SHOWN]]
        if len(losing) > GROUPS_SHOWN:
            lines.append(f"... and {len(losing) - GROUPS_SHOWN} more groups lose unread records")
        if rt.groups and not losing:
            lines.append(f"no consumer group of the topic ({plural(len(rt.groups), 'group')}) loses unread records")
    return lines


def _group_lines(groups: Sequence[GroupOnTopic], action: str) -> list[str]:
    if not groups:
        return ["no consumer group has committed offsets on this topic"]
    lines = [group_line(g) for g in groups[:GROUPS_SHOWN]]
    if len(groups) > GROUPS_SHOWN:
        lines.append(f"... and {len(groups) - GROUPS_SHOWN} more groups")
    if action == AddPartitions.kind:
        for g in (g for g in groups if g.looks_like_streams):
            why = f"its topics {', '.join(g.streams_topics)} exist" if g.streams_topics else "a streams group"
            lines.append(f"group {g.group} looks like a Kafka Streams application ({why}): its keyed state "
                         f"and co-partitioned joins break when the partitions change")
    return lines


def group_to_dict(group: GroupOnTopic) -> dict:
    return {"group": group.group, "state": group.state, "type": group.type, "members": group.members,
            "lag": group.lag, "partitions": group.partitions, "streams": group.looks_like_streams,
            "streams_topics": list(group.streams_topics)}


def impact_to_dict(impact: Impact) -> dict:
    """The `impact` object of a JSON plan action (docs/plan-format.md)."""
    out: dict[str, Any] = {"now_ms": impact.now_ms}
    if (rt := impact.retention_time) is not None:
        out["retention_ms"] = {
            "limit_ms": rt.limit_ms, "cutoff_ms": rt.cutoff_ms, "records": rt.records, "bytes": rt.bytes,
            "partitions": [{"partition": p.partition, "records": p.records, "bytes": p.bytes} for p in rt.partitions],
            "groups": None if rt.groups is None else [
                {"group": g.group, "unread_records": g.unread_records,
                 "partitions": {str(p): n for p, n in g.by_partition.items()}} for g in rt.groups]}
    if (rb := impact.retention_bytes) is not None:
        out["retention_bytes"] = {"limit_bytes": rb.limit_bytes, "bytes_over": rb.over, "partitions": [
            {"partition": p.partition, "size": p.size, "over": p.over} for p in rb.partitions]}
    if impact.groups is not None:
        out["groups"] = [group_to_dict(g) for g in impact.groups]
    if impact.last_writes is not None:
        out["last_writes"] = [{"partition": w.partition, "timestamp_ms": w.timestamp_ms} for w in impact.last_writes]
    if (k := impact.keyless) is not None:
        out["null_keys"] = {"records_sampled": k.records, "null_key_records": k.null_keys,
                            "partitions_sampled": k.partitions_sampled, "partitions": list(k.partitions)}
    if (r := impact.replication) is not None:
        out["replication"] = {"bytes_to_copy": r.bytes, "by_broker": {str(b): n for b, n in r.by_broker.items()},
                              "throttle_bytes_per_sec": r.throttle, "estimated_seconds": r.seconds}
    if (m := impact.min_insync) is not None:
        out["min_insync"] = {"min_insync_replicas": m.min_insync,
                             "partitions": [{"partition": p, "isr": isr} for p, isr in m.partitions]}
    out["unavailable"] = list(impact.unavailable)
    return out


def consumers_lines(impacts: Impacts) -> list[str]:
    """The read-only consumers section: who reads each changed topic."""
    if not impacts.consumers:
        return []
    lines = ["Consumers of changed topics:"]
    for topic, groups in sorted(impacts.consumers.items()):
        if not groups:
            lines.append(f"  {topic}: no consumer group has committed offsets")
        for g in groups:
            lines.append(f"  {topic}: {group_line(g)}")
    return lines


def consumers_to_dict(impacts: Impacts) -> dict:
    return {topic: [group_to_dict(g) for g in groups] for topic, groups in sorted(impacts.consumers.items())}


def add_to_plan_dict(data: dict, actions: Sequence[Action], impacts: Impacts) -> dict:
    """`data` (plan_to_dict of the plan holding `actions`, same order) with an `impact`
    object on each action that has one, the `consumers` section and the impact warnings."""
    out = {**data, "actions": [dict(a) for a in data["actions"]]}
    for entry, action in zip(out["actions"], actions):
        impact = impacts.for_action(action)
        entry["impact"] = impact.to_dict() if impact is not None else None
    out["consumers"] = consumers_to_dict(impacts)
    out["warnings"] = list(data.get("warnings", [])) + [w.to_dict() for w in impacts.warnings]
    return out

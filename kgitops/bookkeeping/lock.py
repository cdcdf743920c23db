"""One apply per cluster at a time: a lock kept in the Kafka cluster itself, with no
ZooKeeper and no state backend.

Kafka has no compare-and-set on records, but CreateTopics is decided by the controller:
of several concurrent creators of one topic name exactly one succeeds, the others get
TOPIC_ALREADY_EXISTS. The lock is therefore a sequence of generations, each a topic
`__kgitops_lock.<cluster id>.<generation>` (1 partition, RF 3 with min.insync.replicas 2,
LogAppendTime, records written with acks=all), whose log says what became of it:
`acquired` (who, where, plan digest, TTL), `heartbeat`..., `released`.

Acquiring:
1. List the generations. The highest one g is the lock; it is free when it was released,
   when its holder's last `acquired`/`heartbeat` is older than the TTL the holder recorded,
   or when it never got an `acquired` record within ACQUIRING_GRACE_S (its creator died
   between creating and writing). Otherwise the apply is refused, naming the holder.
2. Create generation g+1. This is the atomic step: when two contenders both find g free,
   exactly one creates g+1; the other is refused, naming the winner.
3. A slow contender may create a generation that had already been deleted (it listed long
   ago), i.e. one lower than the current lock. So the creator lists again until its own
   topic shows (brokers apply metadata in the controller's order, so every topic created
   before its own shows too) and, when a higher generation exists, deletes its topic and
   refuses (or starts over when that one is free).
4. Wait for the new topic's leader and in-sync replicas (seconds on a busy cluster), write
   `acquired` with a producer that takes a topic its metadata lacks for still propagating
   (a second try when the first fails), all within LOCK_FIRST_WRITE_S, or delete
   the generation and fail with a retryable message. Heartbeat every min(10 s, TTL/6)
   from a daemon thread while the apply runs, write `released` at the end. Older
   generations are deleted once a newer one is held, so one or two lock topics exist.

The cluster id (DescribeCluster), not the cluster file's `name`, names the topics: two
cluster files pointing at one cluster exclude each other.

Expiry is judged on the brokers' clock, never on the machines' clocks: whoever inspects a
generation first appends a `probe` record to it, and compares the holder's last record's
LogAppendTime with the probe's. Clock skew between CI runners cannot break it.

A holder considers its lock lost when no heartbeat was acknowledged for a TTL, counted
from the moment it sent the last acknowledged one (before the broker stamped it), so it
gives up no later than any observer can declare the lock expired; apply then warns (an
admin request already sent cannot be called back). The TTL (default 60 s, env
KGITOPS_LOCK_TTL) is stored in the `acquired` record, so every observer uses the holder's.
KGITOPS_LOCK_WAIT (seconds, default 0) makes a contender wait for a held lock instead of
refusing at once.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import re
import os
import socket
import sys
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from typing import Callable, Iterator

from confluent_kafka.admin import AdminClient

from kgitops.errors import ConnectionFailed, InputError, KgitopsError
from kgitops.bookkeeping import internal_topics
from kgitops.live.connect import kafka_timeout
from kgitops.live.kafka_errors import kafka_error_text

LOCK_TOPIC_PREFIX = "__kgitops_lock."
RECORD_VERSION = 1
DEFAULT_TTL_S = 60.0
MAX_HEARTBEAT_INTERVAL_S = 10.0
# A generation whose creator never wrote `acquired` is taken over after this long. Not the
# TTL: observers cannot know the creator's TTL before it is written.
ACQUIRING_GRACE_S = 30.0
MAX_ACQUIRE_ATTEMPTS = 3
# From listing the generations to the new generation's `acquired` record being written, at
# most this long: an observer declares a generation without that record abandoned only
# ACQUIRING_GRACE_S after its own first probe of it, which comes after the creation.
LOCK_FIRST_WRITE_S = ACQUIRING_GRACE_S * 2 / 3
# How long a contender that lost the creation race waits for the winner's `acquired`
# record, so that the refusal can name the winner. The winner writes it within
# LOCK_FIRST_WRITE_S of its own start (it waits for the new topic's leader first; seconds
# on a busy cluster), and the loser's own probes take time on a busy machine too: so the
# loser waits as long as any observer would before calling the generation abandoned.
WINNER_RECORD_WAIT_S = ACQUIRING_GRACE_S
FIRST_WRITE_ATTEMPTS = 2
TOPIC_KEY = re.compile(r"[A-Za-z0-9._-]{1,200}")
WAIT_RETRY_S = 1.0

ACQUIRED, HEARTBEAT, RELEASED, PROBE = "acquired", "heartbeat", "released", "probe"
EVENTS = (ACQUIRED, HEARTBEAT, RELEASED, PROBE)

HELD, EXPIRED, RELEASED_STATUS, ACQUIRING, ABANDONED = "held", "expired", "released", "acquiring", "abandoned"
FREE_STATUSES = (EXPIRED, RELEASED_STATUS, ABANDONED)

Notify = Callable[[str], None]


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------
# Who is applying
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    user: str
    host: str
    pid: int

    def __str__(self) -> str:
        return f"{self.user}@{self.host}"


def whoami() -> Identity:
    try:
        user = getpass.getuser()
    except Exception:  # no login name (a container with an arbitrary uid)
        user = f"uid{os.getuid()}"
    return Identity(user, socket.gethostname(), os.getpid())


# ---------------------------------------------------------------------------
# Records and the state they describe (pure)
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LockRecord:
    """One event in a lock generation's log. `timestamp_ms` is the broker's LogAppendTime,
    known only once the record is read back; it is not part of the encoding."""

    event: str
    lock_id: str
    user: str = ""
    host: str = ""
    pid: int = 0
    plan_digest: str = ""
    ttl_s: float = 0.0
    released_by: str = ""  # set by force-unlock: "user@host"
    timestamp_ms: int = 0

    @property
    def holder(self) -> str:
        return f"{self.user}@{self.host}"


def encode_record(record: LockRecord) -> bytes:
    body = {k: v for k, v in asdict(record).items() if k != "timestamp_ms" and v not in ("", 0, 0.0)}
    # `time` is the writer's clock, for people reading the topic; decisions use the broker's.
    return json.dumps({"v": RECORD_VERSION, **body, "event": record.event, "lock_id": record.lock_id,
                       "time": iso_time(time.time() * 1000)}, sort_keys=True).encode()


def decode_record(value: bytes, timestamp_ms: int) -> LockRecord | None:
    """None for anything that is not a lock record. Later versions may add fields only."""
    try:
        data = json.loads(value)
        if not isinstance(data, dict) or data.get("event") not in EVENTS or not data.get("lock_id"):
            return None
        return LockRecord(event=data["event"], lock_id=str(data["lock_id"]), user=str(data.get("user", "")),
                          host=str(data.get("host", "")), pid=int(data.get("pid", 0)),
                          plan_digest=str(data.get("plan_digest", "")), ttl_s=float(data.get("ttl_s", 0)),
                          released_by=str(data.get("released_by", "")), timestamp_ms=timestamp_ms)
    except (ValueError, TypeError):
        return None


@dataclass(frozen=True)
class LockView:
    """What one generation says at broker time `now_ms`."""

    generation: int
    status: str  # held | expired | released | acquiring | abandoned
    now_ms: int
    holder: LockRecord | None = None  # its `acquired` record
    last_alive_ms: int | None = None  # its last `acquired` or `heartbeat`
    released_by: str = ""  # who forced the release, if it was forced

    @property
    def is_free(self) -> bool:
        return self.status in FREE_STATUSES

    @property
    def seconds_since_alive(self) -> float:
        return (self.now_ms - (self.last_alive_ms or self.now_ms)) / 1000

    @property
    def seconds_to_expiry(self) -> float:
        ttl = self.holder.ttl_s if self.holder else ACQUIRING_GRACE_S
        return max(0.0, ttl - self.seconds_since_alive)


def lock_view(generation: int, records: list[LockRecord], now_ms: int,
              acquiring_grace_s: float = ACQUIRING_GRACE_S) -> LockView:
    """Fold a generation's records (in log order) into its state at `now_ms`.

    Only the first `acquired` counts (only the generation's creator writes one); heartbeats
    and releases count only when they carry the holder's lock id."""
    holder = next((r for r in records if r.event == ACQUIRED), None)
    if holder is None:
        first_ms = min((r.timestamp_ms for r in records), default=now_ms)
        status = ABANDONED if now_ms - first_ms > acquiring_grace_s * 1000 else ACQUIRING
        return LockView(generation, status, now_ms)
    own = [r for r in records if r.lock_id == holder.lock_id]
    last_alive_ms = max(r.timestamp_ms for r in own if r.event in (ACQUIRED, HEARTBEAT))
    release = next((r for r in own if r.event == RELEASED), None)
    if release is not None:
        status = RELEASED_STATUS
    elif now_ms - last_alive_ms > holder.ttl_s * 1000:
        status = EXPIRED
    else:
        status = HELD
    return LockView(generation, status, now_ms, holder, last_alive_ms,
                    release.released_by if release is not None else "")


def iso_time(ms: float) -> str:
    return datetime.fromtimestamp(ms / 1000, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def held_message(cluster_name: str, view: LockView, cluster_file: str) -> str:
    """Why an apply is refused: who holds the lock, since when, and how to get it back."""
    if view.holder is None:
        return (f"another apply is taking the apply lock of cluster {cluster_name} right now (lock generation "
                f"{view.generation}, its holder not recorded yet). Nothing was changed; run apply again in a few "
                f"seconds.")
    h = view.holder
    return (f"cluster {cluster_name} is locked by another apply: {h.holder} (pid {h.pid}) holds it since "
            f"{iso_time(h.timestamp_ms)}, lock id {h.lock_id} (plan {h.plan_digest or 'unknown'}; last heartbeat "
            f"{view.seconds_since_alive:.0f} s ago). Nothing was changed. Wait for that apply to finish; if it is gone, "
            f"its lock expires by itself {h.ttl_s:.0f} s after its last heartbeat (in {view.seconds_to_expiry:.0f} s), "
            f"or release it now with: kgitops force-unlock -c {cluster_file} {h.lock_id}")


def heartbeat_interval(ttl_s: float) -> float:
    # Six chances to renew within a TTL: a broker failover or a slow request does not
    # make a running apply lose its lock.
    return min(MAX_HEARTBEAT_INTERVAL_S, ttl_s / 6)


def new_lock_id() -> str:
    return uuid.uuid4().hex[:12]


def _seconds_from_env(name: str, default: float, *, allow_zero: bool) -> float:
    text = os.environ.get(name)
    if text is None or text.strip() == "":
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if value < 0 or (value == 0 and not allow_zero):
        raise InputError(f"environment variable {name}={text!r} is not a {'non-negative' if allow_zero else 'positive'} "
                         f"number of seconds")
    return value


def ttl_from_env() -> float:
    return _seconds_from_env("KGITOPS_LOCK_TTL", DEFAULT_TTL_S, allow_zero=False)


def wait_from_env() -> float:
    return _seconds_from_env("KGITOPS_LOCK_WAIT", 0.0, allow_zero=True)


# ---------------------------------------------------------------------------
# The generations on the brokers
# ---------------------------------------------------------------------------


class LockHeld(KgitopsError):
    """Another apply holds the cluster's lock (exit 1)."""

    def __init__(self, message: str, view: LockView):
        super().__init__(message)
        self.view = view


class _StartOver(Exception):
    """The generations changed while looking at them (one vanished, or a newer free one
    showed up); acquiring starts again from a fresh listing."""


def lock_key(cluster_id: str | None, cluster_name: str) -> str:
    """What names a cluster's lock (and audit) topics: the cluster id from DescribeCluster,
    so every cluster file that points at one cluster shares its lock. A cluster that reports
    no id (none that kgitops supports) falls back to the file's name; an id that is not
    topic-name material is hashed, so the topic names stay legal and within 249 characters."""
    key = cluster_id or cluster_name
    if TOPIC_KEY.fullmatch(key):
        return key
    return "sha256-" + hashlib.sha256(key.encode()).hexdigest()[:32]


class LockNotWritten(ConnectionFailed):
    """A new lock generation did not take its first record in time (a busy cluster); the
    generation was deleted again and nothing was changed. Retryable."""


class LockTopics:
    """The lock generations of one cluster, named by `key` (lock_key); `cluster_name` is
    what messages call it."""

    def __init__(self, client_config: dict, key: str, cluster_name: str | None = None,
                 timeout: float | None = None):
        self.client_config = client_config
        self.key = key
        self.cluster_name = cluster_name or key
        self.prefix = f"{LOCK_TOPIC_PREFIX}{key}."
        self.timeout = kafka_timeout() if timeout is None else timeout
        self.admin = AdminClient(client_config)
        self.producer = internal_topics.durable_producer(client_config, self.timeout)

    @property
    def label(self) -> str:
        """The cluster as messages name it: its file's name, and its id when they differ."""
        return self.cluster_name if self.key == self.cluster_name else f"{self.cluster_name} (id {self.key})"

    def topic(self, generation: int) -> str:
        return f"{self.prefix}{generation}"

    def generation_of(self, topic: str) -> int | None:
        suffix = topic[len(self.prefix):] if topic.startswith(self.prefix) else ""
        return int(suffix) if suffix.isdigit() else None

    def listing(self) -> tuple[list[int], int]:
        """The generations that exist, ascending, and the number of live brokers."""
        try:
            metadata = self.admin.list_topics(timeout=self.timeout)
        except Exception as err:
            raise ConnectionFailed(f"listing topics failed: {kafka_error_text(err)}") from err
        generations = sorted(g for g in map(self.generation_of, metadata.topics) if g is not None)
        return generations, len(metadata.brokers)

    def spec(self, generation: int, brokers: int):
        return internal_topics.durable_topic(self.topic(generation), brokers, {
            "message.timestamp.type": "LogAppendTime",
            # A released generation may be the current one for months: its records must stay.
            "retention.ms": "-1",
        })

    def create(self, generation: int, brokers: int) -> bool:
        return internal_topics.create_topic(self.admin, self.spec(generation, brokers), self.timeout)

    def append(self, generation: int, record: LockRecord) -> internal_topics.StoredRecord:
        return internal_topics.append(self.producer, self.topic(generation), encode_record(record),
                                      record.lock_id.encode(), self.timeout)

    def write_first(self, generation: int, brokers: int, record: LockRecord, deadline: float) -> float:
        """Write the `acquired` record to a generation created a moment ago, by monotonic
        `deadline`: wait for the new partition's leader and in-sync replicas (seconds on a
        busy cluster), then write, once more if the first try fails and time is left.
        Returns the monotonic time the acknowledged write was sent; raises LockNotWritten."""
        topic = self.topic(generation)
        min_insync = int(self.spec(generation, brokers).config["min.insync.replicas"])
        error = "its partition had no leader with enough in-sync replicas"
        # A producer of its own. The lock's producer gives up on a topic its metadata lacks
        # after 3 s (a deleted generation); on a busy cluster a broker whose metadata lags
        # behind the creation can say the new topic does not exist after that, even right
        # after another broker named its leader, and the produce was then refused at once
        # (_UNKNOWN_TOPIC) on both tries. This one takes the topic for still propagating
        # for as long as the first write may take.
        producer = internal_topics.durable_producer(
            self.client_config, self.timeout, **{"topic.metadata.propagation.max.ms": int(LOCK_FIRST_WRITE_S * 1000)})
        for attempt in range(FIRST_WRITE_ATTEMPTS):
            if not internal_topics.wait_for_leader(producer, topic, min_insync, deadline):
                break
            remaining = deadline - time.monotonic()
            if remaining < 0.5:
                break
            # The first try may use half of what is left, so that a second one has a chance.
            budget = remaining / 2 if attempt + 1 < FIRST_WRITE_ATTEMPTS else remaining
            sent_at = time.monotonic()
            try:
                internal_topics.append(producer, topic, encode_record(record), record.lock_id.encode(),
                                       min(budget, self.timeout))
                return sent_at
            except ConnectionFailed as err:
                error = err.message
                # A record still queued would be written late, after the generation was
                # given up; a duplicate `acquired` of this lock id is harmless anyway.
                producer.purge()
                producer.poll(0)
        raise LockNotWritten(f"the apply lock of cluster {self.label} could not be taken: the new lock topic {topic} "
                             f"did not accept its first record within {LOCK_FIRST_WRITE_S:.0f} s ({error}); the "
                             f"cluster may be busy or a broker down. Nothing was changed; run apply again (or set "
                             f"KGITOPS_LOCK_WAIT to keep trying for that many seconds).")

    def inspect(self, generation: int, prober: str) -> LockView:
        """The generation's state, judged at the broker time of a probe appended to it."""
        try:
            probe = self.append(generation, LockRecord(PROBE, prober))
        except ConnectionFailed:
            if not internal_topics.topic_exists(self.admin, self.topic(generation), self.timeout):
                raise _StartOver()
            raise
        stored = internal_topics.read_range(self.client_config, self.topic(generation), 0, probe.offset + 1,
                                            self.timeout)
        records = [r for r in (decode_record(s.value, s.timestamp_ms) for s in stored) if r is not None]
        return lock_view(generation, records, now_ms=probe.timestamp_ms, acquiring_grace_s=ACQUIRING_GRACE_S)

    def inspect_with_holder(self, generation: int, prober: str) -> LockView:
        """Like inspect, but give a generation that was just created a moment to record its holder."""
        deadline = time.monotonic() + WINNER_RECORD_WAIT_S
        view = self.inspect(generation, prober)
        while view.status == ACQUIRING and time.monotonic() < deadline:
            time.sleep(0.2)
            view = self.inspect(generation, prober)
        return view

    def wait_until_listed(self, generation: int) -> list[int]:
        """The generations, from a listing that shows `generation` itself."""
        deadline = time.monotonic() + self.timeout
        while True:
            generations, _ = self.listing()
            if generation in generations:
                return generations
            if time.monotonic() > deadline:
                raise ConnectionFailed(f"topic {self.topic(generation)} was created but the brokers did not list it "
                                       f"within {self.timeout:.0f} s")
            time.sleep(0.05)

    def delete(self, generations: list[int]) -> None:
        internal_topics.delete_topics(self.admin, [self.topic(g) for g in generations], self.timeout)


class HeldLock:
    """A lock this process holds: heartbeats from a daemon thread until released."""

    def __init__(self, topics: LockTopics, generation: int, acquired: LockRecord, acknowledged_at: float,
                 notify: Notify = _to_stderr, clock: Callable[[], float] = time.monotonic):
        self.topics = topics
        self.clock = clock
        self.generation = generation
        self.record = acquired
        self.notify = notify
        self._acknowledged_at = acknowledged_at  # monotonic time the last acknowledged record was sent
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._heartbeat, name=f"kgitops-lock-{acquired.lock_id}",
                                        daemon=True)
        self._released = False
        self._lost = False

    @property
    def lock_id(self) -> str:
        return self.record.lock_id

    @property
    def ttl_s(self) -> float:
        return self.record.ttl_s

    @property
    def lost(self) -> bool:
        """True once no heartbeat was acknowledged for a TTL: another apply may hold it now.
        It stays true: a heartbeat acknowledged late cannot undo an expiry observers saw."""
        if not self._lost and self.clock() - self._acknowledged_at > self.ttl_s:
            self._lost = True
        return self._lost

    def start_heartbeat(self) -> None:
        self._thread.start()

    def _heartbeat(self) -> None:
        beat = LockRecord(HEARTBEAT, self.lock_id, ttl_s=self.ttl_s)
        while not self._stop.wait(heartbeat_interval(self.ttl_s)):
            sent_at = self.clock()
            try:
                self.topics.append(self.generation, beat)
                self._acknowledged_at = sent_at
            except Exception:
                pass  # tried again at the next beat; `lost` says when it is too late
            if self.lost:
                return  # renewing now could not undo it: an observer may already have taken over

    def release(self) -> None:
        if self._released:
            return
        self._released = True
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=self.topics.timeout)
        if self.lost:
            self.notify(f"Warning: the apply lock {self.lock_id} of cluster {self.topics.label} could not be "
                        f"renewed for more than its {self.ttl_s:.0f} s TTL during this apply; another apply may have "
                        f"run at the same time. Run `kgitops plan` to check the cluster.")
        try:
            self.topics.append(self.generation, LockRecord(RELEASED, self.lock_id))
        except KgitopsError as err:
            self.notify(f"Warning: could not release the apply lock {self.lock_id} ({err.message}); it expires by "
                        f"itself {self.ttl_s:.0f} s after its last heartbeat.")


def acquire(topics: LockTopics, plan_digest: str, *, ttl_s: float, cluster_file: str,
            me: Identity | None = None, notify: Notify = _to_stderr) -> HeldLock:
    """Take the lock, or raise LockHeld naming the holder. The heartbeat is running on return."""
    me = me or whoami()
    acquired = LockRecord(ACQUIRED, new_lock_id(), user=me.user, host=me.host, pid=me.pid, plan_digest=plan_digest,
                          ttl_s=ttl_s)
    for _ in range(MAX_ACQUIRE_ATTEMPTS):
        try:
            lock = _acquire_once(topics, acquired, cluster_file, notify)
        except _StartOver:
            continue
        lock.start_heartbeat()
        return lock
    raise ConnectionFailed(f"the apply lock topics of cluster {topics.label} kept changing while taking the "
                           f"lock ({MAX_ACQUIRE_ATTEMPTS} attempts); nothing was changed, run apply again")


def _acquire_once(topics: LockTopics, acquired: LockRecord, cluster_file: str, notify: Notify) -> HeldLock:
    started = time.monotonic()
    lock_id = acquired.lock_id
    generations, brokers = topics.listing()
    current = generations[-1] if generations else 0
    if current:
        view = topics.inspect(current, lock_id)
        if view.status == ACQUIRING:
            # Created a moment ago by another contender that has not written its record
            # yet: wait for it, so the refusal names the holder (or the generation turns
            # out abandoned, hence free).
            view = topics.inspect_with_holder(current, lock_id)
        if not view.is_free:
            raise LockHeld(held_message(topics.label, view, cluster_file), view)
    target = current + 1
    if not topics.create(target, brokers):
        _refuse_for(topics, target, lock_id, cluster_file)  # another contender created it first
    listed = topics.wait_until_listed(target)
    higher = [g for g in listed if g > target]
    if higher:
        topics.delete([target])  # we were slow and created a stale generation
        _refuse_for(topics, max(higher), lock_id, cluster_file)
    try:
        sent_at = topics.write_first(target, brokers, acquired, deadline=started + LOCK_FIRST_WRITE_S)
    except KgitopsError:
        # Without its `acquired` record the generation would block others for
        # ACQUIRING_GRACE_S; nobody else can hold it yet, so it is ours to delete.
        topics.delete([target])
        raise
    topics.delete([g for g in listed if g < target])
    return HeldLock(topics, target, acquired, sent_at, notify)


def _refuse_for(topics: LockTopics, generation: int, prober: str, cluster_file: str) -> None:
    view = topics.inspect_with_holder(generation, prober)
    if view.is_free:
        raise _StartOver()
    raise LockHeld(held_message(topics.label, view, cluster_file), view)


def acquire_waiting(topics: LockTopics, plan_digest: str, *, ttl_s: float, wait_s: float, cluster_file: str,
                    notify: Notify = _to_stderr) -> HeldLock:
    """acquire(), retried while another apply holds the lock, for at most `wait_s` seconds."""
    deadline = time.monotonic() + wait_s
    announced = False
    while True:
        try:
            return acquire(topics, plan_digest, ttl_s=ttl_s, cluster_file=cluster_file, notify=notify)
        except (LockHeld, LockNotWritten) as held:
            if time.monotonic() + WAIT_RETRY_S > deadline:
                raise
            if not announced:
                notify(f"Waiting up to {wait_s:.0f} s for the apply lock: {held.message}")
                announced = True
            time.sleep(WAIT_RETRY_S)


@contextmanager
def cluster_lock(cluster_name: str, cluster_id: str | None, client_config: dict, plan_digest: str, *,
                 cluster_file: str, notify: Notify = _to_stderr) -> Iterator[HeldLock]:
    """Hold the cluster's apply lock for the body of the `with`; always released."""
    topics = LockTopics(client_config, lock_key(cluster_id, cluster_name), cluster_name)
    lock = acquire_waiting(topics, plan_digest, ttl_s=ttl_from_env(), wait_s=wait_from_env(),
                           cluster_file=cluster_file, notify=notify)
    try:
        yield lock
    finally:
        lock.release()


# ---------------------------------------------------------------------------
# force-unlock
# ---------------------------------------------------------------------------


class NotTheHolder(KgitopsError):
    """force-unlock named a lock id that does not hold the lock (exit 1)."""


def current_view(topics: LockTopics) -> LockView | None:
    """The state of the cluster's lock: its highest generation, None when there is none."""
    for _ in range(MAX_ACQUIRE_ATTEMPTS):
        generations, _ = topics.listing()
        if not generations:
            return None
        try:
            return topics.inspect(generations[-1], new_lock_id())
        except _StartOver:
            continue
    raise ConnectionFailed(f"the apply lock topics of cluster {topics.label} kept changing while reading them; "
                           f"try again")


def force_unlock(topics: LockTopics, lock_id: str, *, me: Identity | None = None) -> LockView:
    """Release the lock held by `lock_id`; the view before the release. Refuses any other id."""
    me = me or whoami()
    view = current_view(topics)
    if view is None or view.holder is None:
        raise NotTheHolder(f"cluster {topics.label} has no apply lock holder; nothing to unlock (lock id "
                           f"{lock_id} was not released)")
    if view.holder.lock_id != lock_id:
        state = "held" if view.status == HELD else view.status
        raise NotTheHolder(f"lock id {lock_id} does not hold the apply lock of cluster {topics.label}; the "
                           f"current lock is {view.holder.lock_id} ({state}, {view.holder.holder}, pid "
                           f"{view.holder.pid}, since {iso_time(view.holder.timestamp_ms)}). Nothing was released.")
    if view.status != RELEASED_STATUS:
        topics.append(view.generation, LockRecord(RELEASED, lock_id, released_by=str(me)))
    return view

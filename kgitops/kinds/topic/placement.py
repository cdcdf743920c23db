"""Replica placement for replication-factor changes.

A pure function from (current assignment, live brokers, racks, load, target RF) to a new
assignment, so the plan can show exactly which brokers gain or lose a replica and the
rules can be tested without a cluster (topicctl's assigners are the model).

Rules, in order of priority:
- current replicas stay, in their order; the first replica (the preferred leader) is never
  moved or removed, so a change of RF never moves leadership;
- rack diversity: a partition prefers brokers on a rack it has no replica on yet, and when
  shrinking drops replicas from racks it holds twice first;
- load: new replicas go to the brokers holding the fewest replicas, counting the whole
  cluster and what this reassignment has already added, so one topic's partitions spread
  evenly; when shrinking, replicas go from the most loaded brokers first;
- ties are broken by broker id (lowest gains, highest loses), so a plan is reproducible.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

from kgitops.model import Broker


@dataclass
class _Choice:
    """One partition's open decision: keep `fixed`, pick `count` brokers out of `pool`."""

    fixed: tuple[int, ...]
    pool: tuple[int, ...]
    count: int
    chosen: list[int]


def reassign_for_replication_factor(
    current: Mapping[int, Sequence[int]],
    brokers: Sequence[Broker],
    target_rf: int,
    racks: Mapping[int, str | None] | None = None,
    load: Mapping[int, int] | None = None,
) -> dict[int, tuple[int, ...]]:
    """The replica list of every partition in `current` once the topic has `target_rf`
    replicas.

    `current` maps partition -> replicas, preferred leader first. `racks` maps broker id ->
    rack; by default each Broker's own `rack` is used, and placement is rack-aware when any
    broker has one (a broker without a rack counts as a rack of its own). `load` is the
    number of replicas each broker holds across the cluster, this topic's current replicas
    included (LiveCluster.replicas_per_broker()); by default only this topic's replicas
    are counted. Partitions already at `target_rf` are returned unchanged.

    Raises ValueError when `target_rf` is below 1 or above the number of live brokers, or
    when a partition that must change has a replica on a broker that is not live (Kafka
    refuses an assignment naming a broker it does not know).
    """
    live = sorted({b.id for b in brokers})
    _check_target(target_rf, live)
    rack_of = _rack_lookup(brokers, racks)
    counts = _initial_counts(current, live, load)

    result: dict[int, tuple[int, ...]] = {}
    choices: dict[int, _Choice] = {}
    for partition in sorted(current):
        replicas = tuple(current[partition])
        if len(replicas) == target_rf:
            result[partition] = replicas
            continue
        _check_partition(partition, replicas, live)
        choices[partition] = _open_choice(replicas, live, target_rf, counts)

    for choice in choices.values():
        _choose_greedily(choice, counts, rack_of)
    _rebalance(choices, counts, rack_of)

    for partition, choice in choices.items():
        result[partition] = _replica_list(tuple(current[partition]), choice)
    return dict(sorted(result.items()))


def place_new_partitions(
    first: int,
    count: int,
    brokers: Sequence[Broker],
    target_rf: int,
    racks: Mapping[int, str | None] | None = None,
    load: Mapping[int, int] | None = None,
) -> dict[int, tuple[int, ...]]:
    """Replicas for partitions `first`..`first + count - 1` added to a topic whose
    replication factor becomes `target_rf` in the same apply: created at the target RF
    directly (Kafka would give them the topic's current RF, and the reassignment planned for
    the existing partitions would not cover them). Preferred leaders go to the least-loaded
    brokers in turn; the other replicas follow reassign_for_replication_factor's rules."""
    live = sorted({b.id for b in brokers})
    _check_target(target_rf, live)
    counts = {b: (load or {}).get(b, 0) for b in live}
    leaders: dict[int, tuple[int, ...]] = {}
    for partition in range(first, first + count):
        leader = min(live, key=lambda b: (counts[b], b))
        counts[leader] += 1
        leaders[partition] = (leader,)
    return reassign_for_replication_factor(leaders, brokers, target_rf, racks=racks, load=counts)


def _check_target(target_rf: int, live: Sequence[int]) -> None:
    if isinstance(target_rf, bool) or not isinstance(target_rf, int) or target_rf < 1:
        raise ValueError(f"replication factor must be a whole number of at least 1, got {target_rf!r}")
    if target_rf > len(live):
        listed = ", ".join(map(str, live)) or "none"
        raise ValueError(
            f"replication factor {target_rf} needs {target_rf} brokers, but the cluster has "
            f"{len(live)} live broker(s) (broker ids: {listed}); each replica must live on a different broker"
        )


def _check_partition(partition: int, replicas: tuple[int, ...], live: Sequence[int]) -> None:
    if not replicas:
        raise ValueError(f"partition {partition} has no replicas; there is no leader to keep")
    if len(set(replicas)) != len(replicas):
        raise ValueError(f"partition {partition} lists a broker twice in its replicas {list(replicas)}")
    missing = [r for r in replicas if r not in live]
    if missing:
        raise ValueError(
            f"partition {partition} has replicas on broker(s) {', '.join(map(str, missing))}, which "
            f"are not live (live brokers: {', '.join(map(str, live))}); Kafka refuses an assignment "
            "naming them: bring those brokers back, or move the partition off them first"
        )


def _rack_lookup(brokers: Sequence[Broker], racks: Mapping[int, str | None] | None) -> dict[int, Hashable]:
    """Broker id -> the failure domain it belongs to. A broker with no rack is a domain of
    its own, so without racks every broker is distinct and only load decides."""
    named = {b.id: b.rack for b in brokers} if racks is None else dict(racks)
    return {b.id: ("rack", named[b.id]) if named.get(b.id) is not None else ("broker", b.id) for b in brokers}


def _initial_counts(current: Mapping[int, Sequence[int]], live: Sequence[int],
                    load: Mapping[int, int] | None) -> dict[int, int]:
    if load is not None:
        counts = {b: int(load.get(b, 0)) for b in live}
    else:
        counts = {b: 0 for b in live}
        for replicas in current.values():
            for r in replicas:
                counts[r] = counts.get(r, 0) + 1
    return counts


def _open_choice(replicas: tuple[int, ...], live: Sequence[int], target_rf: int,
                 counts: dict[int, int]) -> _Choice:
    """Growing: keep every replica, pick new ones among the other live brokers.
    Shrinking: keep the leader, pick which followers stay. Either way it is one choice of
    `count` brokers from a pool, so both directions share the rules and the rebalancing."""
    if target_rf > len(replicas):
        pool = tuple(b for b in live if b not in replicas)
        return _Choice(fixed=replicas, pool=pool, count=target_rf - len(replicas), chosen=[])
    followers = replicas[1:]
    for b in followers:  # undecided until chosen again; a replica that stays is re-counted
        counts[b] -= 1
    return _Choice(fixed=replicas[:1], pool=followers, count=target_rf - 1, chosen=[])


def _choose_greedily(choice: _Choice, counts: dict[int, int], rack_of: Mapping[int, Hashable]) -> None:
    for _ in range(choice.count):
        taken = set(choice.fixed) | set(choice.chosen)
        used_racks = {rack_of[b] for b in taken}
        best = min(
            (b for b in choice.pool if b not in taken),
            key=lambda b: (rack_of[b] in used_racks, counts[b], b),
        )
        choice.chosen.append(best)
        counts[best] += 1


def _rack_duplicates(replicas: Sequence[int], rack_of: Mapping[int, Hashable]) -> int:
    return len(replicas) - len({rack_of[b] for b in replicas})


def _rebalance(choices: Mapping[int, _Choice], counts: dict[int, int], rack_of: Mapping[int, Hashable]) -> None:
    """Greedy choices made partition by partition can leave one broker two or more
    replicas above another (an early partition took the broker a later one needed). Swap a
    chosen broker for a less loaded one from the same partition's pool while that narrows
    the gap and keeps rack diversity. Each swap lowers the sum of squared counts by at
    least 2, so this ends; the pass limit only bounds the loop for the reader."""
    max_passes = 1 + sum(c * c for c in counts.values())
    for _ in range(max_passes):
        if not any(_swap_one(choice, counts, rack_of) for choice in choices.values()):
            return


def _swap_one(choice: _Choice, counts: dict[int, int], rack_of: Mapping[int, Hashable]) -> bool:
    for index, heavy in sorted(enumerate(choice.chosen), key=lambda item: (-counts[item[1]], item[1])):
        replicas = [*choice.fixed, *choice.chosen]
        duplicates = _rack_duplicates(replicas, rack_of)
        others = [b for b in replicas if b != heavy]
        candidates = [
            b for b in choice.pool
            if b not in replicas
            and counts[b] + 1 < counts[heavy]
            and _rack_duplicates([*others, b], rack_of) <= duplicates
        ]
        if candidates:
            light = min(candidates, key=lambda b: (counts[b], b))
            choice.chosen[index] = light
            counts[heavy] -= 1
            counts[light] += 1
            return True
    return False


def _replica_list(replicas: tuple[int, ...], choice: _Choice) -> tuple[int, ...]:
    """Growing appends the new brokers after the current ones; shrinking keeps the
    survivors in their current order, so the preferred leader stays first either way."""
    if len(choice.fixed) == len(replicas):
        return replicas + tuple(choice.chosen)
    kept = set(choice.fixed) | set(choice.chosen)
    return tuple(b for b in replicas if b in kept)

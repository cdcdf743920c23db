"""How the topic kind's actions read in a plan: the attributes that change."""
from __future__ import annotations

from functools import singledispatch

from kgitops.desired.topic_configs import human
from kgitops.kinds.topic.actions import (AddPartitions, AlterTopicConfig, ChangeReplicationFactor, CreateTopic,
                                         DeleteTopic)
from kgitops.plan import Action

MOVES_SHOWN = 8


@singledispatch
def details(action: Action) -> list[str]:
    return []


@details.register
def _(action: CreateTopic) -> list[str]:
    return [f"partitions: {action.partitions}", f"replication_factor: {action.replication_factor}",
            *[f"config.{k}: {human(k, v)}" for k, v in action.config.items()]]


@details.register
def _(action: DeleteTopic) -> list[str]:
    return [f"partitions: {action.partitions}", f"replication_factor: {action.replication_factor}"]


@details.register
def _(action: AddPartitions) -> list[str]:
    placed = [f"new partition {p}: {list(r)}" for p, r in sorted(action.assignment.items())]
    return [f"partitions: {action.before} -> {action.after}", *placed[:MOVES_SHOWN],
            *([f"... and {len(placed) - MOVES_SHOWN} more new partitions"] if len(placed) > MOVES_SHOWN else [])]


@details.register
def _(action: AlterTopicConfig) -> list[str]:
    out = []
    for c in action.changes:
        if c.op == "reset":
            out.append(f"config.{c.key}: {human(c.key, c.before)} -> (reset: {c.after_note})")
        else:
            source = f" [{c.before_source}]" if c.before_source and c.before_source != "topic override" else ""
            out.append(f"config.{c.key}: {human(c.key, c.before)}{source} -> {human(c.key, c.after)}")
    return out


@details.register
def _(action: ChangeReplicationFactor) -> list[str]:
    moves = [f"partition {p}: {list(action.current.get(p, ()))} -> {list(r)}"
             for p, r in sorted(action.assignment.items())]
    shown = moves[:MOVES_SHOWN] + ([f"... and {len(moves) - MOVES_SHOWN} more partitions"]
                                   if len(moves) > MOVES_SHOWN else [])
    return [f"replication_factor: {action.before} -> {action.after}", *shown]

"""What a resource kind is: the contract between the pipeline (planner, policy, render,
apply) and each kind of resource kgitops manages (docs/architecture.md, "Resource kinds").

A kind is one object, registered once in kgitops.kinds; it holds for its resources how
the live form is read, how desired and live forms are compared into actions, how each
action reads in a plan, the policy rules that need the live cluster, and the apply steps
that execute its actions with their place in the apply order. Actions are plain data
(kgitops.plan.Action subclasses defined by the kind); nothing outside a kind's own
package looks inside them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, ClassVar, Mapping, Sequence

from kgitops.errors import Problem
from kgitops.model import ClusterSpec, LiveState
from kgitops.plan import Action

if TYPE_CHECKING:  # only for annotations
    from kgitops.desired.loader import DesiredSection
    from kgitops.live.clients import Clients


@dataclass(frozen=True)
class Outcome:
    """What happened to one action of an apply."""

    action: Action
    ok: bool
    error: str | None = None  # the exact error Kafka or the registry gave
    skipped: bool = False  # not attempted (an earlier step it depends on failed)
    rejected: bool = False  # refused by the server's rules (an incompatible schema): exit 3

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else ("done" if self.ok else "failed")


Report = Callable[[Outcome], None]


@dataclass(frozen=True)
class ApplySettings:
    timeout: float = 60.0
    reassignment_timeout: float = 600.0
    throttle_bytes_per_sec: int | None = None


@dataclass(frozen=True)
class ApplyContext:
    """Everything an apply step may use: the clients the command built, and its settings."""

    clients: "Clients"
    settings: ApplySettings
    report: Report


def report_each(context: ApplyContext, actions: Sequence[Action],
                error_of: Callable[[Action], str | None]) -> list[Outcome]:
    """The outcome of each action of a batched request (its error, or none), reported as
    it is made: the shape every step with one request per batch ends with."""
    outcomes = []
    for action in actions:
        error = error_of(action)
        outcome = Outcome(action, ok=error is None, error=error)
        context.report(outcome)
        outcomes.append(outcome)
    return outcomes


@dataclass(frozen=True)
class ApplyStep:
    """One batched step of apply. Steps of every kind run by `order` (lowest first);
    within a plan, actions are listed in the same order. A destructive step runs only when
    every constructive step before it succeeded. `run` reports each outcome through
    `context.report` itself (long steps report as they go) and returns them all."""

    order: int
    actions: tuple[type[Action], ...]
    run: Callable[[ApplyContext, list[Action]], list[Outcome]]
    destructive: bool = False


@dataclass(frozen=True)
class ReadContext:
    """What a kind may use to read its live form: the desired state (to read only what it
    manages), the clients, the live forms of the kinds read before it, and a counter of
    admin requests for plan timing output."""

    desired: ClusterSpec
    clients: "Clients"
    earlier: Mapping[str, object]
    requests: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class KindDiff:
    """A kind's comparison: its actions, the changes it refuses (impossible, exit 1; or
    against policy, exit 3), warnings, and live resources it leaves alone (unmanaged)."""

    actions: tuple[Action, ...] = ()
    refusals: tuple[Problem, ...] = ()
    warnings: tuple[Problem, ...] = ()
    unmanaged: tuple[str, ...] = ()


class ResourceKind:
    """A kind of resource. Subclasses set the class attributes and override what applies;
    the defaults do nothing, so a kind implements only what it has."""

    name: ClassVar[str] = ""  # "topic", "subject": also the resource_type of its actions
    action_types: ClassVar[tuple[type[Action], ...]] = ()
    apply_steps: ClassVar[tuple[ApplyStep, ...]] = ()
    # Top-level sections of cluster and topic files this kind reads itself, each with its
    # JSON Schema (the loader validates them with the rest, errors at file:line). Topics
    # and subjects are read by the loader itself (kgitops.desired.loader) and declare none.
    desired_sections: ClassVar[Mapping[str, Mapping[str, object]]] = {}

    def load_desired(self, sections: "Sequence[DesiredSection]") -> tuple[object, list[Problem]]:
        """This kind's desired form from its sections (in file order), and the problems found;
        the planner finds it in ClusterSpec.resources[name]."""
        return None, []

    def check_desired(self, desired: ClusterSpec) -> list[Problem]:
        """Policy rules on this kind's desired form alone (validate runs them too)."""
        return []

    def read_live(self, context: ReadContext) -> object | None:
        """The live form of this kind's managed resources (None: nothing to read)."""
        return None

    def compare(self, desired: ClusterSpec, live: LiveState) -> KindDiff:
        return KindDiff()

    def check_live(self, desired: ClusterSpec, live: LiveState, actions: Sequence[Action]) -> list[Problem]:
        """Policy rules that need the live state, over the whole plan's actions."""
        return []

    def details(self, action: Action) -> list[str]:
        """The attributes of one of this kind's actions that change, `name: before -> after`."""
        return []

    def import_sections(self, clients: "Clients") -> tuple[dict[str, object], list[str]]:
        """For `kgitops import`: this kind's live resources as top-level YAML sections (a
        plan right after the import shows no changes), and notes for the user."""
        return {}, []

    def live_fingerprint(self, desired: ClusterSpec, live: LiveState) -> object:
        """JSON-able data covering the live state this kind's actions depend on: a saved
        plan is stale when it changes."""
        return None

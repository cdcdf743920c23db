"""What happened to each action of an apply."""
from __future__ import annotations

from dataclasses import dataclass

from kgitops.plan import Action


@dataclass(frozen=True)
class Outcome:
    action: Action
    ok: bool
    error: str | None = None  # the exact error Kafka or the registry gave
    skipped: bool = False  # not attempted (an earlier step it depends on failed)

    @property
    def status(self) -> str:
        return "skipped" if self.skipped else ("done" if self.ok else "failed")

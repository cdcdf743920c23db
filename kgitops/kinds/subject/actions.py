"""The subject kind's actions: set a compatibility level or a mode, register a schema, delete."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from kgitops.plan import Action


@dataclass(frozen=True)
class SubjectAction(Action):
    resource_type: ClassVar[str] = "subject"
    subject: str = ""

    @property
    def resource(self) -> str:
        return self.subject


@dataclass(frozen=True)
class RegisterSchema(SubjectAction):
    kind: ClassVar[str] = "register_schema"
    schema: str = ""  # the schema text to register
    schema_file: str = ""
    schema_type: str = "AVRO"
    previous_version: int | None = None  # latest registered version, None for a new subject
    topic: str | None = None
    level: str | None = None  # the compatibility level the new version is checked with
    changes: tuple[str, ...] = ()  # field by field against the latest version (kgitops.avro.diff)
    # (name, subject, version): a version number, or "latest" for the referenced subject's
    # version that this plan registers, resolved when applying.
    references: tuple[tuple[str, str, str], ...] = ()

    @classmethod
    def from_fields(cls, fields: dict) -> "RegisterSchema":
        fields = dict(fields)
        references = tuple(tuple(str(part) for part in r) for r in fields.pop("references", ()) or ())
        action = super().from_fields(fields)
        return dataclasses.replace(action, references=references)  # type: ignore[return-value]

    @property
    def symbol(self) -> str:  # type: ignore[override]
        """A first version creates the subject; a later one changes it."""
        return "+" if self.previous_version is None else "~"

    def depends_on(self) -> tuple[tuple[str, str, str], ...]:
        # A schema of a topic that could not be created waits for the next apply.
        return (("create_topic", self.topic, "its topic was not created"),) if self.topic else ()


@dataclass(frozen=True)
class SetCompatibility(SubjectAction):
    kind: ClassVar[str] = "set_compatibility"
    before: str | None = None
    after: str = ""


@dataclass(frozen=True)
class SetMode(SubjectAction):
    """A subject's mode; with no subject, the registry's global mode."""

    kind: ClassVar[str] = "set_mode"
    before: str | None = None
    after: str = ""

    @property
    def resource(self) -> str:
        return self.subject or "(global mode)"


@dataclass(frozen=True)
class DeleteSubject(SubjectAction):
    kind: ClassVar[str] = "delete_subject"
    symbol: ClassVar[str] = "-"
    versions: tuple[int, ...] = ()

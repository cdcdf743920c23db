"""What an import found (plain data) and the small helpers every part uses."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping, Sequence


Progress = Callable[[str], None]

IMPORT_REASON = "imported: existing topic below policy, fix deliberately"
TOPICS_DIR = "topics"
SCHEMAS_DIR = "schemas"
TOPIC_FILES_GLOB = f"{TOPICS_DIR}/*.yaml"
MISC_STEM = "misc"
ROLES = ("key", "value")  # TopicNameStrategy: <topic>-key, <topic>-value


_PREFIX = re.compile(r"[A-Za-z0-9]+")


def _silent(message: str) -> None:
    pass


# ---------------------------------------------------------------------------
# What was found
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigValue:
    canonical: str  # Kafka's canonical string: what plan compares
    written: object  # what the file says: `7d`, `1GiB`, [compact, delete], 2, true


@dataclass(frozen=True)
class ImportedSchema:
    subject: str
    text: str  # as written to the schema file: pretty-printed JSON, or the .proto text
    compatibility: str | None  # the subject's own level, when it differs from the global one
    role: str | None = None  # "key" | "value" for a topic's subject; None for a standalone one
    schema_type: str = "AVRO"
    references: tuple[tuple[str, str, int], ...] = ()  # (name, subject, version), as registered

    @property
    def extension(self) -> str:
        return {"PROTOBUF": ".proto", "JSON": ".json"}.get(self.schema_type, ".avsc")


@dataclass(frozen=True)
class ImportedTopic:
    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, ConfigValue]  # the topic's own overrides, nothing inherited
    schemas: tuple[ImportedSchema, ...] = ()


@dataclass(frozen=True)
class ImportNote:
    """Something the user should know about the imported files (printed as a warning)."""

    message: str
    topic: str | None = None

    def __str__(self) -> str:
        return f"topic {self.topic}: {self.message}" if self.topic else self.message


@dataclass(frozen=True)
class RegistryFindings:
    schemas: Mapping[str, tuple[ImportedSchema, ...]]  # by topic
    # Subjects claimed by owned_prefixes whose topic does not exist: declared on their own,
    # or the plan would delete them.
    standalone: tuple[ImportedSchema, ...] = ()
    notes: tuple[ImportNote, ...] = ()


@dataclass(frozen=True)
class ImportFiles:
    cluster_file: str  # path of the new cluster file, relative to DIR
    files: Mapping[str, str]  # relative path (with '/') -> text
    topics: tuple[ImportedTopic, ...]
    notes: tuple[ImportNote, ...]


@dataclass(frozen=True)
class ImportResult:
    cluster_name: str
    cluster_id: str
    cluster_file: str  # as shown to the user
    topics: int
    schemas: int
    files_written: int
    files_unchanged: int
    notes: tuple[ImportNote, ...]
    seconds: float


# ---------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _items(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _some(names: Sequence[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")

"""Files -> desired model: a cluster file, the topic files it includes and the Avro files
they name become one ClusterSpec, or one InputError listing every problem found.

Precedence for a topic's settings, lowest first (docs/format.md):

    cluster `defaults:`  <  the topic's own entry  <  cluster `overrides: {topic: ...}`

config keys merge key by key. A topic without `replication_factor` anywhere gets
`policy.min_replication_factor`; a topic without `partitions` anywhere is an error.

Paths in messages (Location.file), ClusterSpec.source_file and ClusterSpec.files are shown
relative to the working directory when the file is under it, absolute otherwise;
SubjectSpec.schema_file is absolute.
"""
from __future__ import annotations

import dataclasses
import difflib
import glob
import json
import os
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Iterable, Iterator, Mapping, Protocol, Sequence

from kgitops.collector import collector_paused
from kgitops.desired.connection import connection_problems, kafka_connection, registry_connection
from kgitops.desired.include_paths import INCLUDE_ROOT_ENV, expand, include_root, is_inside
from kgitops.desired.schema_errors import CLUSTER_SCHEMA, TOPICS_SCHEMA, schema_problems
from kgitops.desired.schema_files import SchemaFileReader, schema_type_of
from kgitops.desired.topic_configs import (ANY_VERSION, catalogue, lines_accepting, parse_config_value, release_line,
                                           supported_versions)
from kgitops.desired.topic_names import collision_key, topic_name_problem
from kgitops.desired.yaml_nodes import PathPart, YamlDocument, read_yaml_file
from kgitops.errors import InputError, Problem
from kgitops.model import (ClusterSpec, KafkaConnection, Location, Policy, PolicyException, SchemaReference,
                           SubjectSpec, TopicSpec)
from kgitops.render.escape import escape_control

POLICY_INT_RULES = (
    "min_replication_factor",
    "min_insync_replicas",
    "max_partitions_per_broker",
    "max_partitions_per_cluster",
    "max_topic_deletions_per_apply",
    "max_partition_increase_percent",
    "max_acl_deletions_per_apply",
)
POLICY_BOOL_RULES = ("allow_topic_deletion", "allow_subject_deletion")
# Rules a policy exception may relax for one topic (cluster-wide budgets cannot be).
EXCEPTION_RULES = ("min_replication_factor", "min_insync_replicas", "max_partition_increase_percent")


@dataclass(frozen=True)
class Loaded:
    """A successfully loaded cluster and the warnings found on the way."""

    cluster: ClusterSpec
    warnings: tuple[Problem, ...]


class SectionReader(Protocol):
    """What the loader needs of a resource kind that declares top-level sections of its own
    (kgitops.kinds.base.ResourceKind): their JSON Schemas, and how to read them."""

    name: str
    desired_sections: Mapping[str, Mapping[str, object]]

    def load_desired(self, sections: Sequence[DesiredSection]) -> tuple[object, list[Problem]]: ...


@dataclass(frozen=True)
class DesiredSection:
    """One top-level section a kind reads (`acls:` in a topic file, say), where it is."""

    document: YamlDocument
    key: str

    @property
    def data(self) -> object:
        return _mapping(self.document.data).get(self.key)


def load_cluster(path: str | os.PathLike[str], kinds: Sequence[SectionReader] = (), *,
                 connected: bool = False) -> Loaded:
    """Load a cluster file and everything it includes, with the sections `kinds` declare.
    Raises InputError carrying every problem (errors and warnings); its message lists them
    one per line.

    Topic configs are checked against the file's `kafka_version` (default: the newest Kafka
    kgitops knows). `connected` (plan, apply, import): the live cluster is the authority,
    so a config any Kafka line accepts passes here and the caller checks it against the
    cluster's own version once it has read it (kgitops.live.kafka_version)."""
    # Loading allocates hundreds of thousands of small objects that all live until it ends.
    with collector_paused():
        return _ClusterLoader(os.fspath(path), kinds, connected=connected).load()


def display_path(path: str) -> str:
    """`clusters/topics/orders.yaml` when under the working directory, else absolute."""
    return _display_path(os.fspath(path), os.getcwd())


@lru_cache(maxsize=4096)
def _display_path(path: str, cwd: str) -> str:
    absolute = os.path.normpath(os.path.join(cwd, path))
    try:
        relative = os.path.relpath(absolute, cwd)
    except ValueError:  # another drive (Windows)
        return absolute
    return absolute if relative.startswith("..") else relative


# ---------------------------------------------------------------------------
# Internal shapes
# ---------------------------------------------------------------------------


@dataclass
class _Layer:
    """What one level of precedence (defaults, topic entry, override) declares, and where
    it is written (`path` in `document`): a key's location is found when a message needs it."""

    document: YamlDocument | None = None
    path: tuple[PathPart, ...] = ()
    partitions: int | None = None
    replication_factor: int | None = None
    config: dict[str, object] = field(default_factory=dict)  # canonical values

    def key_location(self, *keys: PathPart) -> Location:
        assert self.document is not None, "an empty layer declares nothing to locate"
        return self.document.key_location((*self.path, *keys))


class _FieldLocations(Mapping[str, Location]):
    """TopicSpec.field_locations: where each effective value was declared ("partitions",
    "replication_factor", "config.<key>"), looked up in the layer that set it only when a
    message asks. Locating every field of 10,000 topics up front was a fifth of `kgitops
    validate`'s time, for messages almost never written."""

    __slots__ = ("_layers", "_config_keys", "_policy_location")

    def __init__(self, layers: tuple[_Layer, ...], config_keys: Iterable[str], policy_location: Location):
        self._layers = layers  # highest precedence first
        self._config_keys = tuple(config_keys)
        self._policy_location = policy_location  # a replication factor no layer sets comes from the policy

    def __getitem__(self, name: str) -> Location:
        if name in ("partitions", "replication_factor"):
            layer = next((layer for layer in self._layers if getattr(layer, name) is not None), None)
            if layer is not None:
                return layer.key_location(name)
            if name == "replication_factor":
                return self._policy_location
        elif name.startswith("config."):
            key = name[len("config."):]
            layer = next((layer for layer in self._layers if key in layer.config), None)
            if layer is not None:
                return layer.key_location("config", key)
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        yield "partitions"
        yield "replication_factor"
        yield from (f"config.{key}" for key in self._config_keys)

    def __len__(self) -> int:
        return 2 + len(self._config_keys)


@dataclass(frozen=True)
class _Entry:
    """One item of a `topics:` or `subjects:` list, and where it lives."""

    document: YamlDocument
    path: tuple[PathPart, ...]
    data: Mapping[str, object]

    def key_location(self, *keys: PathPart) -> Location:
        return self.document.key_location((*self.path, *keys))

    def value_location(self, *keys: PathPart) -> Location:
        return self.document.value_location((*self.path, *keys))


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _mapping(value: object) -> Mapping[str, object]:
    return value if isinstance(value, dict) else {}


def _items(value: object) -> list[object]:
    return value if isinstance(value, list) else []


def _value_at(data: object, path: tuple[PathPart, ...]) -> object:
    for part in path:
        if isinstance(part, int):
            data = data[part] if isinstance(data, list) and 0 <= part < len(data) else None
        else:
            data = _mapping(data).get(part)
    return data


def _token(text: str) -> str:
    """A value from a file quoted in a message: at most 80 characters, control characters
    escaped, so a message never carries more than the offending token."""
    return escape_control(text if len(text) <= 80 else text[:77] + "...")


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    match = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""


# ---------------------------------------------------------------------------
# The loader
# ---------------------------------------------------------------------------


class _ClusterLoader:
    """One load: reads files, collects every problem, builds the ClusterSpec."""

    def __init__(self, path: str, kinds: Sequence[SectionReader] = (), connected: bool = False):
        self.kinds = [kind for kind in kinds if kind.desired_sections]
        self.sections = tuple(sorted((key, json.dumps(schema, sort_keys=True)) for kind in self.kinds
                                     for key, schema in kind.desired_sections.items()))
        self.connected = connected
        self.config_version: str | None = None  # the Kafka line configs are checked against
        self.path = os.path.abspath(path)
        self.display = display_path(path)
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.files: dict[str, None] = {}  # every file read, in reading order
        self.schema_reader = SchemaFileReader()
        self.reported_schema_files: set[str] = set()
        self.declared_topics: dict[str, Location] = {}
        self.declared_subjects: dict[str, Location] = {}
        self.root = include_root(self.path)

    # -- orchestration ------------------------------------------------------

    def load(self) -> Loaded:
        document = self._read_document(self.path, self.display, CLUSTER_SCHEMA)
        if document is None or not isinstance(document.data, dict):
            raise self._failure()
        data = document.data
        declared_version = self._kafka_version(document)
        self.config_version = ANY_VERSION if self.connected else declared_version
        policy = self._policy(document)
        defaults = self._layer(document, ("defaults",))
        overrides = {
            name: self._layer(document, ("overrides", name)) for name in _mapping(data.get("overrides"))
        }
        documents = [document, *self._included_documents(document)]
        topic_entries = [entry for doc in documents for entry in self._entries(doc, "topics")]
        subject_entries = [entry for doc in documents for entry in self._entries(doc, "subjects")]

        topics = self._topics(topic_entries, defaults, overrides, policy)
        self._check_overrides(document, overrides)
        subjects = self._subjects(topic_entries, subject_entries)
        self._check_policy_exceptions(policy)
        self._check_registry_declared(document, subjects)
        errors, warnings = connection_problems(document)
        self.errors += errors
        self.warnings += warnings
        resources = self._kind_resources(documents)

        kafka = kafka_connection(data)
        if kafka is None and not self.errors:  # the schema check should have said why
            self._error(document.key_location(("kafka",)), "kafka.bootstrap_servers is missing or not a string")
        if self.errors or kafka is None:
            raise self._failure()
        cluster = self._cluster(data, kafka, policy, topics, subjects)
        cluster = dataclasses.replace(cluster, kafka_version=declared_version, resources=resources)
        return Loaded(cluster, tuple(self._sorted(self.warnings)))

    def _kind_resources(self, documents: list[YamlDocument]) -> dict[str, object]:
        """Each kind's desired form, read by the kind from its own sections."""
        resources: dict[str, object] = {}
        for kind in self.kinds:
            found = [DesiredSection(doc, key) for doc in documents for key in kind.desired_sections
                     if key in _mapping(doc.data)]
            form, problems = kind.load_desired(found)
            resources[kind.name] = form
            self.errors += [p for p in problems if p.severity == "error"]
            self.warnings += [p for p in problems if p.severity == "warning"]
        return resources
    def _kafka_version(self, document: YamlDocument) -> str | None:
        """The Kafka release line the file declares ("3.9"), None when it declares none."""
        value = _mapping(document.data).get("kafka_version")
        if value is None:
            return None
        location = document.value_location(("kafka_version",))
        if not isinstance(value, str):
            self._error(location, f"kafka_version: write the version as a string (kafka_version: \"{value}\"); "
                                  "YAML reads 3.9 as a number, and 3.10 as 3.1")
            return None
        line = release_line(value)
        if line is None:
            known = supported_versions()
            self._error(location, f"kafka_version: kgitops knows the topic configs of Kafka {known[0]} to "
                                  f"{known[-1]} ({', '.join(known)}), not \"{value}\"")
        return line

    def _cluster(
        self,
        data: Mapping[str, object],
        kafka: KafkaConnection,
        policy: Policy,
        topics: list[TopicSpec],
        subjects: list[SubjectSpec],
    ) -> ClusterSpec:
        cluster_id = data.get("cluster_id")
        return ClusterSpec(
            name=str(data["name"]),
            source_file=self.display,
            kafka=kafka,
            schema_registry=registry_connection(data),
            policy=policy,
            topics=tuple(topics),
            subjects=tuple(subjects),
            owned_prefixes=tuple(p for p in _items(data.get("owned_prefixes")) if isinstance(p, str)),
            cluster_id=cluster_id if isinstance(cluster_id, str) else None,
            expected_brokers=data["expected_brokers"] if _is_int(data.get("expected_brokers")) else None,
            files=tuple(self.files),
        )

    def _failure(self) -> InputError:
        problems = self._sorted(self.errors) + self._sorted(self.warnings)
        return InputError("\n".join(str(p) for p in problems), problems)

    def _sorted(self, problems: list[Problem]) -> list[Problem]:
        order = {name: index for index, name in enumerate(self.files)}
        return sorted(problems, key=lambda p: (order.get(p.file or "", len(order)), p.line or 0, p.column or 0))

    def _error(self, location: Location, message: str) -> None:
        self.errors.append(Problem(message, location.file, location.line, location.column))

    # -- files --------------------------------------------------------------

    def _read_document(
        self, path: str, display: str, schema: str, included_from: Location | None = None
    ) -> YamlDocument | None:
        self.files[display] = None
        document, problems = read_yaml_file(path, display)
        self.errors += problems
        if document is None:
            return None
        if schema == TOPICS_SCHEMA:
            if document.data is None:
                return document  # an empty topic file declares nothing, which is fine
            if isinstance(document.data, dict) and "kafka" in document.data:
                self._error(
                    document.key_location(("kafka",)),
                    f"this is a cluster file (it has 'kafka:'); include only topic files (included from {included_from})",
                )
                return None
        self.errors += schema_problems(schema, document, self.sections)
        return document

    def _included_documents(self, cluster: YamlDocument) -> list[YamlDocument]:
        base = os.path.dirname(self.path)
        seen = {os.path.realpath(self.path)}  # real paths: a file reached through a link is read once
        documents = []
        for index, pattern in enumerate(_items(_mapping(cluster.data).get("include"))):
            if not isinstance(pattern, str) or not pattern:
                continue
            location = cluster.value_location(("include", index))
            for match in self._include_matches(base, pattern, location):
                real = os.path.realpath(match)
                if real == os.path.realpath(self.path):
                    self._error(location, f"include '{_token(pattern)}' names this cluster file itself; include topic files")
                    continue
                if real in seen:
                    continue
                seen.add(real)
                document = self._read_document(match, display_path(match), TOPICS_SCHEMA, location)
                if document is not None:
                    documents.append(document)
        return documents

    def _include_matches(self, base: str, pattern: str, location: Location) -> list[str]:
        full = os.path.join(base, os.path.expanduser(pattern))
        if glob.has_magic(full):
            matches = expand(full)
            if not matches:
                self._error(location, f"include '{_token(pattern)}' matches no file (looked in {display_path(base) or '.'})")
            inside = [m for m in matches if is_inside(m, self.root)]
            if len(inside) < len(matches):
                outside = len(matches) - len(inside)
                self._outside_root(location, f"include '{_token(pattern)}' matches {outside} file{'s' if outside > 1 else ''}")
            return inside
        if os.path.isdir(full):
            self._error(location, f"include '{_token(pattern)}' is a directory; use a glob such as "
                                  f"'{_token(pattern.rstrip('/'))}/*.yaml'")
            return []
        if not os.path.isfile(full):
            if not self._inside_root(full, location, f"include '{_token(pattern)}' names"):
                return []
            if os.path.exists(full):  # a FIFO, a device, a socket: never opened
                self._error(location, f"included file '{_token(pattern)}' is not a regular file")
            else:
                self._error(location, f"included file '{_token(pattern)}' not found (looked for {display_path(full)})")
            return []
        return [os.path.abspath(full)] if self._inside_root(full, location, f"include '{_token(pattern)}' names") else []

    def _inside_root(self, path: str, location: Location, what: str) -> bool:
        """Everything a cluster file reads stays inside its include root (see include_paths)."""
        if is_inside(path, self.root):
            return True
        self._outside_root(location, f"{what} a file")
        return False

    def _outside_root(self, location: Location, what: str) -> None:
        self._error(
            location,
            f"{what} outside {self.root}, the repository of {self.display} (its git work tree, or its "
            f"directory outside git); set {INCLUDE_ROOT_ENV} to a directory holding both to allow it",
        )

    @staticmethod
    def _entries(document: YamlDocument, section: str) -> list[_Entry]:
        items = _items(_mapping(document.data).get(section))
        return [_Entry(document, (section, i), item) for i, item in enumerate(items) if isinstance(item, dict)]

    # -- policy -------------------------------------------------------------

    def _policy(self, document: YamlDocument) -> Policy:
        data = _mapping(_mapping(document.data).get("policy"))
        if not data:
            return Policy()
        values: dict[str, object] = {}
        locations: dict[str, Location] = {}
        for rule in POLICY_INT_RULES + POLICY_BOOL_RULES:
            value = data.get(rule)
            valid = isinstance(value, bool) if rule in POLICY_BOOL_RULES else _is_int(value)
            if valid:
                values[rule] = value
                locations[rule] = document.key_location(("policy", rule))
        exceptions = tuple(
            self._policy_exception(document, index, item)
            for index, item in enumerate(_items(data.get("exceptions")))
            if isinstance(item, dict) and isinstance(item.get("topic"), str) and isinstance(item.get("reason"), str)
        )
        return Policy(
            **values,  # type: ignore[arg-type]
            exceptions=exceptions,
            location=document.key_location(("policy",)),
            field_locations=locations,
        )

    @staticmethod
    def _policy_exception(document: YamlDocument, index: int, item: Mapping[str, object]) -> PolicyException:
        rules = {rule: item[rule] for rule in EXCEPTION_RULES if _is_int(item.get(rule))}
        return PolicyException(
            topic=str(item["topic"]),
            rules=rules,
            reason=str(item["reason"]).strip(),
            location=document.value_location(("policy", "exceptions", index)),
        )

    def _check_policy_exceptions(self, policy: Policy) -> None:
        seen: dict[tuple[str, str], Location | None] = {}
        for exception in policy.exceptions:
            location = exception.location or Location(self.display)
            if exception.topic not in self.declared_topics:
                self._error(
                    location,
                    f"policy exception names topic '{exception.topic}', which is not declared"
                    f"{_did_you_mean(exception.topic, self.declared_topics)}",
                )
            if not exception.rules:
                self._error(
                    location,
                    f"policy exception for '{exception.topic}' relaxes no rule: add one of {', '.join(EXCEPTION_RULES)}",
                )
            for rule in exception.rules:
                first = seen.get((exception.topic, rule))
                if (exception.topic, rule) in seen:
                    self._error(location, f"a second policy exception for '{exception.topic}' relaxes {rule} (first at {first})")
                seen[(exception.topic, rule)] = exception.location

    # -- topics -------------------------------------------------------------

    def _layer(self, document: YamlDocument, path: tuple[PathPart, ...]) -> _Layer:
        data = _value_at(document.data, path)
        layer = _Layer(document, path)
        if not isinstance(data, dict):
            return layer
        for name in ("partitions", "replication_factor"):
            if _is_int(data.get(name)):
                setattr(layer, name, data[name])
        for key, raw in _mapping(data.get("config")).items():
            try:
                canonical = parse_config_value(key, raw, self.config_version)
            except ValueError as err:
                if key in catalogue(None if self.config_version == ANY_VERSION else self.config_version):
                    self._error(document.value_location((*path, "config", key)), f"{key}: {err}{self._version_hint(key, raw)}")
                else:
                    self._error(layer.key_location("config", key), f"{err}{self._version_hint(key, raw)}")
                continue
            layer.config[key] = canonical
        return layer

    def _version_hint(self, key: str, raw: object) -> str:
        """When the file names no kafka_version and an older Kafka accepts the value: say so."""
        if self.config_version is not None:
            return ""
        lines = lines_accepting(key, raw)
        if not lines:
            return ""
        span = lines[0] if len(lines) == 1 else f"{lines[0]}-{lines[-1]}"
        return (f"; Kafka {span} accepts it: if the cluster runs that, say so with kafka_version "
                f"in {self.display}")

    def _topics(
        self, entries: list[_Entry], defaults: _Layer, overrides: Mapping[str, _Layer], policy: Policy
    ) -> list[TopicSpec]:
        collisions: dict[str, tuple[str, Location]] = {}
        topics: list[TopicSpec] = []
        for entry in entries:
            name = entry.data.get("name")
            if not isinstance(name, str) or not name:
                continue  # the schema check reported it
            own = self._layer(entry.document, entry.path)
            location = entry.key_location("name")
            if not self._topic_name_ok(entry, name, location, collisions):
                continue
            spec = self._merged_topic(name, location, defaults, own, overrides.get(name, _Layer()), policy)
            if spec is not None:
                topics.append(spec)
        return topics

    def _topic_name_ok(
        self, entry: _Entry, name: str, location: Location, collisions: dict[str, tuple[str, Location]]
    ) -> bool:
        reason = topic_name_problem(name)
        if reason:
            self._error(entry.value_location("name"), reason)
            return False
        first = self.declared_topics.get(name)
        if first is not None:
            self._error(location, f"topic '{name}' is declared twice: here and at {first}")
            return False
        self.declared_topics[name] = location
        other = collisions.get(collision_key(name))
        if other is not None:
            self._error(
                location,
                f"topic '{name}' collides with topic '{other[0]}' declared at {other[1]}: Kafka refuses topics "
                "whose names differ only by '.' and '_' (they share metric names); rename one",
            )
            return False
        collisions[collision_key(name)] = (name, location)
        return True

    def _merged_topic(
        self, name: str, location: Location, defaults: _Layer, own: _Layer, override: _Layer, policy: Policy
    ) -> TopicSpec | None:
        layers = (override, own, defaults)  # highest precedence first
        partitions = next((layer.partitions for layer in layers if layer.partitions is not None), None)
        if partitions is None:
            self._error(
                location,
                f"topic '{name}' has no partitions: set partitions on the topic or defaults.partitions in {self.display}",
            )
            return None
        replication = next((layer.replication_factor for layer in layers if layer.replication_factor is not None),
                           None)
        if replication is None:
            replication = policy.min_replication_factor
        config = {**defaults.config, **own.config, **override.config}
        policy_location = policy.field_locations.get("min_replication_factor", location)
        return TopicSpec(
            name=name,
            partitions=int(partitions),
            replication_factor=int(replication),
            config={key: str(value) for key, value in sorted(config.items())},
            location=location,
            field_locations=_FieldLocations(layers, config, policy_location),
        )

    def _check_overrides(self, cluster: YamlDocument, overrides: Mapping[str, _Layer]) -> None:
        for name in overrides:
            if name not in self.declared_topics:
                self._error(
                    cluster.key_location(("overrides", name)),
                    f"override for topic '{name}', which no included file declares"
                    f"{_did_you_mean(name, self.declared_topics)}",
                )

    # -- subjects -----------------------------------------------------------

    def _subjects(self, topic_entries: list[_Entry], subject_entries: list[_Entry]) -> list[SubjectSpec]:
        subjects: list[SubjectSpec] = []
        for entry in topic_entries:
            name = entry.data.get("name")
            if not isinstance(name, str) or name not in self.declared_topics:
                continue
            schemas = _mapping(entry.data.get("schemas"))
            for role in ("key", "value"):  # TopicNameStrategy: <topic>-key, <topic>-value
                reference = schemas.get(role)
                if isinstance(reference, dict):
                    sub_entry = _Entry(entry.document, (*entry.path, "schemas", role), reference)
                    subjects += self._subject(f"{name}-{role}", sub_entry, topic=name)
        for entry in subject_entries:
            if isinstance(entry.data.get("subject"), str) and entry.data["subject"]:
                subjects += self._subject(str(entry.data["subject"]), entry, topic=None)
        if any(s.references or s.schema_type == "PROTOBUF" for s in subjects):
            # Imported only here: references and Protobuf need the whole set of subjects.
            from kgitops.kinds.subject.references import desired_problems

            self.errors.extend(desired_problems(subjects))
        return subjects

    def _subject(self, subject: str, entry: _Entry, topic: str | None) -> list[SubjectSpec]:
        file_value = entry.data.get("file")
        if not isinstance(file_value, str) or not file_value:
            return []
        location = entry.key_location()
        first = self.declared_subjects.get(subject)
        if first is not None:
            self._error(location, f"subject '{subject}' is declared twice: here and at {first}")
            return []
        self.declared_subjects[subject] = location
        base = os.path.dirname(os.path.abspath(entry.document.file))
        schema_path = os.path.normpath(os.path.join(base, os.path.expanduser(file_value)))
        file_location = entry.value_location("file")
        if not self._inside_root(schema_path, file_location, f"schema file '{_token(file_value)}' is"):
            return []
        declared_type = entry.data.get("type")
        schema_type = schema_type_of(schema_path, declared_type if isinstance(declared_type, str) else None)
        schema = self.schema_reader.read(schema_path, display_path(schema_path), schema_type,
                                         has_references=bool(entry.data.get("references")))
        if schema.missing:
            self._error(file_location, f"schema file '{file_value}' not found (looked for {schema.display})")
            return []
        self.files[schema.display] = None
        if schema.problem is not None:
            if schema_path not in self.reported_schema_files:
                self.reported_schema_files.add(schema_path)
                p = schema.problem
                self.errors.append(Problem(f"{p.message} (referenced from {file_location})", p.file, p.line, p.column))
            return []
        compatibility = entry.data.get("compatibility")
        mode = entry.data.get("mode")
        return [
            SubjectSpec(
                subject=subject,
                schema=schema.text or "",
                schema_file=schema_path,
                compatibility=compatibility if isinstance(compatibility, str) else None,
                topic=topic,
                location=location,
                schema_type=schema_type,
                references=_references(entry.data.get("references")),
                mode=mode if isinstance(mode, str) else None,
            )
        ]

    def _check_registry_declared(self, cluster: YamlDocument, subjects: list[SubjectSpec]) -> None:
        if subjects and "schema_registry" not in _mapping(cluster.data):
            first = subjects[0]
            self._error(
                first.location or Location(self.display),
                f"subject '{first.subject}' is declared but {self.display} has no schema_registry: section",
            )


def _references(value: object) -> tuple[SchemaReference, ...]:
    """The `references:` of a subject (already checked against the schema)."""
    if not isinstance(value, list):
        return ()
    return tuple(SchemaReference(str(r["name"]), str(r["subject"]),
                                 r.get("version") if isinstance(r.get("version"), int) else None)
                 for r in value if isinstance(r, dict) and "name" in r and "subject" in r)

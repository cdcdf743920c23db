"""`kgitops import`: what already exists on a cluster -> desired-state files that
`kgitops plan` shows as no changes.

    result = import_cluster("clusters/prod.yaml", "imported/", progress=print_to_stderr)

Written into DIR:

    DIR/<name>.yaml          the input cluster file's connection, policy, defaults and
                             owned_prefixes, as written (`${VAR}` placeholders stay
                             placeholders), plus `cluster_id:` (the pin) and
                             `include: [topics/*.yaml]`
    DIR/topics/<prefix>.yaml topics grouped by the part of their name before the first
                             '.', '-' or '_' when several share it; misc.yaml for the rest
    DIR/schemas/<subject>.avsc  the latest Avro schema of each `<topic>-key` /
                             `<topic>-value` subject of an imported topic (pretty JSON),
                             and of subjects claimed by owned_prefixes whose topic does
                             not exist (declared under `subjects:` in misc.yaml: a plan
                             would delete them otherwise)

What makes the next plan clean:
- each topic declares its partitions, replication factor and exactly the configs set on
  it (source DYNAMIC_TOPIC_CONFIG), in human form where that is exact (`7d`, `1GiB`);
  inherited values are not declared, so nothing is pinned that was not pinned before
- a `defaults.config` key of the input survives only when every imported topic sets that
  same value; otherwise the default would change the topics that do not
- topics below the policy get per-topic exceptions with a reason that keeps the debt
  visible; the cluster partition budget is raised to what the cluster already holds
- subject levels are declared only where the subject's own level differs from the
  registry's global level (Apicurio reports an unset level as the global one)

The files are checked before the command returns: they are loaded with the same loader
plan uses, and the topics are diffed against the live state just read, so anything plan
would show (a config kgitops cannot express, RF 1 that no policy exception allows) is
reported by import itself.
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
import tempfile
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from kgitops.desired.loader import EXCEPTION_RULES, display_path, load_cluster
from kgitops.kinds import KINDS
from kgitops.desired.schema_files import avro_problem
from kgitops.desired.topic_configs import (canonical_value, human_quantity, known_config, parse_config_value,
                                           unknown_config_message)
from kgitops.desired.yaml_nodes import read_yaml_file
from kgitops.kinds.topic.compare import UNMANAGED_CONFIGS, diff_topics
from kgitops.errors import InputError, KgitopsError
from kgitops.importer.yaml_text import render_cluster_file, render_topic_file, scalar
from kgitops.live.connect import kafka_client_config
from kgitops.live import kafka_version
from kgitops.live.kafka import KafkaReader
from kgitops.live.kafka_errors import UnknownTopic
from kgitops.desired.topic_names import is_claimed
from kgitops.live.registry_client import RegistryClient, SubjectNotFound, VersionNotFound
from kgitops.model import ClusterSpec, LiveCluster, LiveConfigEntry, LiveTopic, Policy
from kgitops.policy.desired import MIN_INSYNC, check_desired

Progress = Callable[[str], None]

PROGRESS_EVERY = 500  # topics (or subjects) between progress lines on large clusters
IMPORT_REASON = "imported: existing topic below policy, fix deliberately"
TOPICS_DIR = "topics"
SCHEMAS_DIR = "schemas"
TOPIC_FILES_GLOB = f"{TOPICS_DIR}/*.yaml"
MISC_STEM = "misc"
ROLES = ("key", "value")  # TopicNameStrategy: <topic>-key, <topic>-value
REGISTRY_WORKERS = 16
# Apicurio's GET /subjects stops here unless apicurio.ccompat.max-subjects is raised.
APICURIO_SUBJECT_LIMIT = 1000
DESCRIBE_ATTEMPTS = 3  # topics deleted while we read are dropped and the chunk described again


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
    text: str  # pretty-printed JSON, as written to the .avsc file
    compatibility: str | None  # the subject's own level, when it differs from the global one
    role: str | None = None  # "key" | "value" for a topic's subject; None for a standalone one


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
# Orchestration
# ---------------------------------------------------------------------------


def import_cluster(cluster_file: str, out_dir: str, progress: Progress = _silent) -> ImportResult:
    """Read the cluster (and registry) the cluster file points at, write DIR, check it."""
    started = time.perf_counter()
    cluster = load_cluster(cluster_file, KINDS, connected=True).cluster
    source = _input_document(cluster_file)
    out = Path(out_dir)
    _refuse_unusable_dir(out)

    live, read_notes, version = read_live_cluster(cluster, progress)
    registry = RegistryFindings({})
    if cluster.schema_registry is not None and live.topics:
        registry = read_topic_schemas(cluster, sorted(live.topics), progress)
    built = build_import(source, cluster, live, registry, kafka_line=version.line)
    access_notes = add_access_file(built.files, cluster)

    refuse_conflicts(out, built.files)
    written, unchanged = write_files(out, built.files)
    new_cluster_file = out / built.cluster_file
    check_notes = check_imported_files(new_cluster_file, live)
    return ImportResult(
        cluster_name=cluster.name,
        cluster_id=live.cluster_id,
        cluster_file=display_path(str(new_cluster_file)),
        topics=len(built.topics),
        schemas=sum(len(t.schemas) for t in built.topics) + len(registry.standalone),
        files_written=written,
        files_unchanged=unchanged,
        notes=tuple(read_notes) + registry.notes + built.notes + tuple(access_notes) + tuple(check_notes),
        seconds=time.perf_counter() - started,
    )


ACCESS_FILE = f"{TOPICS_DIR}/_access.yaml"  # matched by the cluster file's include glob


def add_access_file(files: dict[str, str], cluster: ClusterSpec) -> list[ImportNote]:
    """The kinds beyond topics and subjects that can be imported (ACLs, SCRAM users), in one
    file of their sections; nothing when the cluster has none."""
    import yaml

    from kgitops.live.clients import connect

    clients = connect(cluster)
    sections: dict[str, object] = {}
    notes: list[ImportNote] = []
    for kind in KINDS:
        found, kind_notes = kind.import_sections(clients)
        sections.update(found)
        notes += [ImportNote(n) for n in kind_notes]
    if "acls" in sections:
        backed = {f"User:{u['name']}" for u in sections.get("users", ())}  # type: ignore[union-attr]
        external = sorted({e["principal"] for e in sections["acls"]} - backed)  # type: ignore[union-attr]
        if external:
            sections["external_principals"] = external
    if sections:
        files[ACCESS_FILE] = (f"# Access control of cluster {cluster.name}, imported by kgitops: SCRAM users and "
                              f"ACLs per principal.\n" + yaml.safe_dump(sections, sort_keys=False, width=120))
    return notes


def _input_document(cluster_file: str) -> Mapping[str, object]:
    """The input cluster file as written (placeholders unresolved). load_cluster has
    already validated it, so this cannot fail in practice."""
    document, problems = read_yaml_file(cluster_file, display_path(cluster_file))
    if document is None or not isinstance(document.data, dict):
        raise InputError("\n".join(str(p) for p in problems) or f"{cluster_file}: not a cluster file", problems)
    return document.data


def _refuse_unusable_dir(out: Path) -> None:
    # Checked before reading the cluster: a typo should not cost a full read.
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out}: exists and is not a directory")


# ---------------------------------------------------------------------------
# Reading Kafka
# ---------------------------------------------------------------------------


def read_live_cluster(cluster: ClusterSpec, progress: Progress
                      ) -> tuple[LiveCluster, list[ImportNote], kafka_version.LiveKafkaVersion]:
    """Every non-internal topic with its configs, and the Kafka line the cluster runs.
    Metadata first (after the cluster-id pin is checked), configs after, in chunks so
    large clusters show progress."""
    client_config = kafka_client_config(cluster)
    reader = KafkaReader.from_config(client_config)
    bare = reader.read(describe=_describe_none, expected_cluster_id=cluster.cluster_id)
    names = sorted(bare.topics)
    progress(f"cluster {bare.cluster_id}: {len(names)} topics, {len(bare.brokers)} brokers")
    configs, vanished = describe_configs_in_chunks(reader, names, progress)
    topics = {n: dataclasses.replace(bare.topics[n], config=configs[n]) for n in names if n in configs}
    notes = [ImportNote(f"{len(vanished)} topic(s) were deleted while the cluster was read and are not imported: "
                        f"{_some(vanished)}")] if vanished else []
    version = kafka_version.detect(kafka_version.reported_config_names(reader, bare.topics),
                                   kafka_version.api_version_of(client_config),
                                   cluster.kafka_version)
    progress(f"Kafka {version.line} (from {version.how})")
    return dataclasses.replace(bare, topics=topics), notes, version


def _describe_none(topic: str) -> bool:
    return False


def describe_configs_in_chunks(reader: KafkaReader, names: Sequence[str], progress: Progress
                               ) -> tuple[dict[str, dict[str, LiveConfigEntry]], list[str]]:
    """Configs of `names` (batched by the reader inside each chunk), and the topics that
    disappeared on the way."""
    configs: dict[str, dict[str, LiveConfigEntry]] = {}
    vanished: list[str] = []
    for start in range(0, len(names), PROGRESS_EVERY):
        chunk = list(names[start:start + PROGRESS_EVERY])
        described, gone = _describe_chunk(reader, chunk)
        configs.update(described)
        vanished += gone
        if len(names) > PROGRESS_EVERY:
            progress(f"described the configs of {start + len(chunk)}/{len(names)} topics")
    return configs, vanished


def _describe_chunk(reader: KafkaReader, chunk: list[str]) -> tuple[dict[str, dict[str, LiveConfigEntry]], list[str]]:
    # On a busy cluster topics come and go between the Metadata and DescribeConfigs
    # requests; one deleted topic must not fail the whole import.
    gone: list[str] = []
    for attempt in range(1, DESCRIBE_ATTEMPTS):
        try:
            return reader.describe_topic_configs(chunk), gone
        except UnknownTopic:
            pass
        # The reader already waited for topics too new to be known everywhere: what is
        # still unknown was deleted if fresh metadata no longer lists it.
        existing = reader.read_topics()
        gone += [name for name in chunk if name not in existing]
        chunk = [name for name in chunk if name in existing]
    return reader.describe_topic_configs(chunk), gone  # the last attempt: a failure now is reported


# ---------------------------------------------------------------------------
# Reading the registry
# ---------------------------------------------------------------------------


def read_topic_schemas(cluster: ClusterSpec, topics: Sequence[str], progress: Progress) -> RegistryFindings:
    """The latest schema and level of every `<topic>-key` / `<topic>-value` subject of
    `topics`, and of every subject the cluster's owned_prefixes claim (which a plan would
    otherwise delete): one GET /subjects, then the subjects concurrently."""
    assert cluster.schema_registry is not None
    with RegistryClient.from_connection(cluster.schema_registry, cluster.source_file) as client:
        listed = set(client.list_subjects())
        wanted = subjects_to_import(cluster, topics, listed)
        global_level = client.get_global_config()
        progress(f"registry: {len(wanted)} subjects to import")
        notes: list[ImportNote] = []
        if len(listed) == APICURIO_SUBJECT_LIMIT:
            notes.append(ImportNote(
                f"the registry listed exactly {APICURIO_SUBJECT_LIMIT} subjects; Apicurio stops there unless "
                "apicurio.ccompat.max-subjects is raised, so schemas of some topics may be missing"))
        found: dict[str, list[ImportedSchema]] = defaultdict(list)
        standalone: list[ImportedSchema] = []
        with ThreadPoolExecutor(max_workers=max(1, min(REGISTRY_WORKERS, len(wanted)))) as pool:
            reads = pool.map(lambda subject: read_subject(client, subject, global_level), wanted)
            for done, (subject, read) in enumerate(zip(wanted, reads), start=1):
                topic, role = subject_topic_role(subject, set(topics))
                if isinstance(read, ImportedSchema):
                    if topic is None:
                        standalone.append(read)
                    else:
                        found[topic].append(dataclasses.replace(read, role=role))
                elif read is not None:
                    notes.append(_with_claim_consequence(read, cluster, subject))
                if len(wanted) > PROGRESS_EVERY and done % PROGRESS_EVERY == 0:
                    progress(f"read {done}/{len(wanted)} subjects")
    return RegistryFindings({t: tuple(schemas) for t, schemas in found.items()}, tuple(standalone), tuple(notes))


def subjects_to_import(cluster: ClusterSpec, topics: Sequence[str], listed: set[str]) -> list[str]:
    """The TopicNameStrategy subjects of `topics`, then the claimed subjects of topics that
    do not exist, in a stable order."""
    of_topics = [f"{topic}-{role}" for topic in topics for role in ROLES if f"{topic}-{role}" in listed]
    chosen = set(of_topics)
    claimed = sorted(s for s in listed if s not in chosen and is_claimed(cluster, s))
    return of_topics + claimed


def subject_topic_role(subject: str, topics: set[str]) -> tuple[str | None, str | None]:
    """(topic, role) when `subject` is `<topic>-key` / `<topic>-value` of a live topic."""
    for role in ROLES:
        topic = subject[: -len(role) - 1] if subject.endswith(f"-{role}") else None
        if topic in topics:
            return topic, role
    return None, None


def _with_claim_consequence(note: ImportNote, cluster: ClusterSpec, subject: str) -> ImportNote:
    """A subject that is not imported but is claimed by owned_prefixes is one the plan acts on."""
    if not is_claimed(cluster, subject):
        return note
    if cluster.policy.allow_subject_deletion:
        consequence = "it is claimed by owned_prefixes, so plan will DELETE it (policy.allow_subject_deletion)"
    else:
        consequence = "it is claimed by owned_prefixes, so plan will warn that it is undeclared"
    return dataclasses.replace(note, message=f"{note.message}; {consequence}")


def read_subject(client: RegistryClient, subject: str, global_level: str | None) -> ImportedSchema | ImportNote | None:
    """The subject as a schema file can hold it, or why it cannot (None: nothing to import)."""
    try:
        latest = client.get_version(subject, "latest")
    except (SubjectNotFound, VersionNotFound):
        return None  # deleted since it was listed, or a level without versions
    if latest.schema_type.upper() != "AVRO":
        return ImportNote(f"subject {subject} holds a {latest.schema_type} schema; kgitops manages Avro "
                          "subjects only, so it is not imported")
    if latest.references:
        return ImportNote(f"subject {subject} references other schemas; a schema file is one self-contained "
                          ".avsc, so it is not imported")
    problem = avro_problem(latest.schema, subject)
    if problem is not None:
        return ImportNote(f"subject {subject}: the registered schema does not parse as Avro here "
                          f"({problem.message}); not imported")
    level = client.get_subject_config(subject)
    own_level = level.upper() if level and level.upper() != (global_level or "").upper() else None
    return ImportedSchema(subject, pretty_json(latest.schema), own_level)


def pretty_json(text: str) -> str:
    return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------
# Live state -> files (pure)
# ---------------------------------------------------------------------------


def build_import(source: Mapping[str, object], cluster: ClusterSpec, live: LiveCluster,
                 registry: RegistryFindings, kafka_line: str | None = None) -> ImportFiles:
    """Everything to write, from the input cluster file as written, its loaded form and
    what was read (`kafka_line`: the Kafka line the cluster runs, None: the newest). No I/O."""
    notes: list[ImportNote] = []
    topics: list[ImportedTopic] = []
    for name in sorted(live.topics):
        topic, topic_notes = imported_topic(live.topics[name], registry.schemas.get(name, ()), kafka_line)
        topics.append(topic)
        notes += topic_notes

    input_defaults = _mapping(source.get("defaults"))
    kept_defaults, dropped_defaults = shared_default_configs(_mapping(input_defaults.get("config")), topics)
    exceptions, exception_notes = policy_exceptions(_items(_mapping(source.get("policy")).get("exceptions")),
                                                    cluster.policy, topics)
    notes += exception_notes

    schemas = [s for t in topics for s in t.schemas] + list(registry.standalone)
    schema_files = schema_file_names(s.subject for s in schemas)
    groups = group_topics(t.name for t in topics)
    if registry.standalone or not topics:
        # Standalone subjects live in misc.yaml; and the include glob must match a file,
        # even on an empty cluster.
        groups.setdefault(MISC_STEM, [])
    files: dict[str, str] = {}
    by_name = {t.name: t for t in topics}
    for stem, members in groups.items():
        entries = [topic_entry(by_name[n], set(kept_defaults), schema_files) for n in members]
        standalone = [subject_entry(s, schema_files) for s in registry.standalone] if stem == MISC_STEM else []
        header = topic_file_header(stem, cluster, live, len(members), len(standalone))
        files[f"{TOPICS_DIR}/{stem}.yaml"] = render_topic_file(header, entries, standalone)
    for schema in schemas:
        files[f"{SCHEMAS_DIR}/{schema_files[schema.subject]}"] = schema.text

    cluster_file = f"{cluster.name}.yaml"
    files[cluster_file] = cluster_file_text(source, cluster, live, topics, kept_defaults, dropped_defaults, exceptions,
                                            kafka_line)
    return ImportFiles(cluster_file, files, tuple(topics), tuple(notes))


def imported_topic(live: LiveTopic, schemas: Sequence[ImportedSchema], kafka_line: str | None = None
                   ) -> tuple[ImportedTopic, list[ImportNote]]:
    config: dict[str, ConfigValue] = {}
    notes: list[ImportNote] = []
    for key, entry in sorted(live.config.items()):
        if not entry.is_topic_override or key in UNMANAGED_CONFIGS:
            continue  # inherited values are not the topic's own; throttles belong to reassignments
        value, problem = config_value(key, entry, kafka_line)
        if value is None:
            notes.append(ImportNote(f"config {key}={entry.value!r} is left out: {problem}; plan will show it "
                                    "as a reset until kgitops can declare it", live.name))
        else:
            config[key] = value
            if problem:
                notes.append(ImportNote(f"config {key}: {problem}", live.name))
    ordered = tuple(sorted(schemas, key=lambda s: ROLES.index(s.role or "value")))
    return ImportedTopic(live.name, live.partition_count, live.replication_factor, config, ordered), notes


def config_value(key: str, entry: LiveConfigEntry, kafka_line: str | None = None) -> tuple[ConfigValue | None, str]:
    """The value to declare for a live override (and a note, "" when none), or None and why
    it cannot be declared. The cluster reported the key, so a key kgitops' catalogue of
    `kafka_line` lacks is still declared, as the broker reports it."""
    if entry.value is None:
        return None, "the broker hides its value (sensitive)"
    if known_config(key, kafka_line) is None:
        return ConfigValue(entry.value, entry.value), (f"declared as the broker reports it: "
                                                        f"{unknown_config_message(key, kafka_line)}")
    canonical = canonical_value(key, entry.value)
    for candidate in written_forms(key, canonical, kafka_line):
        try:
            if parse_config_value(key, candidate, kafka_line) == canonical:
                return ConfigValue(canonical, candidate), ""
        except ValueError:
            continue
    # The broker accepted it, so it is declared as is (plan checks it against the cluster).
    try:
        parse_config_value(key, entry.value, kafka_line)
        reason = "declared as the broker reports it (no other form reads back the same)"
    except ValueError as err:
        reason = f"declared as the broker reports it, though kgitops' catalogue refuses it ({err})"
    return ConfigValue(entry.value, entry.value), reason


def written_forms(key: str, canonical: str, kafka_line: str | None = None) -> list[object]:
    """How a value could be written, most readable first; the first that reads back as
    `canonical` is used, so the human form is only ever chosen where it is exact."""
    definition = known_config(key, kafka_line)
    assert definition is not None  # config_value checked it
    forms: list[object] = []
    if definition.type in ("int", "long") and re.fullmatch(r"-?\d+", canonical):
        number = int(canonical)
        human = human_quantity(definition.unit, number)
        if human:
            forms.append(human)
        forms.append(number)
    elif definition.type == "double":
        try:
            forms.append(float(canonical))
        except ValueError:
            pass
    elif definition.type == "boolean" and canonical in ("true", "false"):
        forms.append(canonical == "true")
    elif definition.type == "list":
        items = [item for item in canonical.split(",") if item]
        if len(items) == 1:
            forms.append(items[0])  # `cleanup.policy: compact` reads better than `[compact]`
        forms.append(items)
    forms.append(canonical)
    return forms


def shared_default_configs(defaults: Mapping[str, object], topics: Sequence[ImportedTopic]
                           ) -> tuple[dict[str, object], dict[str, tuple[object, int]]]:
    """(defaults.config keys to keep as written, dropped key -> (value, topics that differ)).

    A default applies to every topic that does not say otherwise, so it is kept only when
    every imported topic sets exactly that value itself; anywhere else it would change a
    topic on the next apply."""
    kept: dict[str, object] = {}
    dropped: dict[str, tuple[object, int]] = {}
    for key, raw in defaults.items():
        try:
            canonical = parse_config_value(key, raw)
        except ValueError:
            dropped[key] = (raw, len(topics))
            continue
        differing = sum(1 for t in topics if key not in t.config or t.config[key].canonical != canonical)
        if differing:
            dropped[key] = (raw, differing)
        else:
            kept[key] = raw
    return kept, dropped


def exception_rules_needed(topic: ImportedTopic, policy: Policy) -> dict[str, int]:
    """The per-topic exceptions that let `topic` pass the policy as it is. RF 1 and
    min.insync.replicas >= RF cannot be excepted: the check reports them instead."""
    rules: dict[str, int] = {}
    if 2 <= topic.replication_factor < policy.min_replication_factor:
        rules["min_replication_factor"] = topic.replication_factor
    declared = topic.config.get(MIN_INSYNC)
    if declared is not None and int(declared.canonical) < policy.min_insync_replicas:
        rules["min_insync_replicas"] = int(declared.canonical)
    return rules


def policy_exceptions(written: Sequence[object], policy: Policy, topics: Sequence[ImportedTopic]
                      ) -> tuple[list[dict[str, object]], list[ImportNote]]:
    """The input's exceptions for topics that exist (a rule kept where it relaxes enough),
    then one new exception per topic still below the policy."""
    # Needs are judged against the rules themselves; the input's exceptions are then
    # matched against them rule by rule.
    needed = {t.name: exception_rules_needed(t, policy) for t in topics}
    kept: list[dict[str, object]] = []
    notes: list[ImportNote] = []
    for item in written:
        entry = dict(_mapping(item))
        topic = entry.get("topic")
        if topic not in needed:
            notes.append(ImportNote(f"the input's policy exception for topic {topic} is dropped: no such topic on "
                                    "the cluster"))
            continue
        for rule in EXCEPTION_RULES:
            if rule not in entry or rule not in needed[topic]:  # type: ignore[index]
                continue
            if int(entry[rule]) <= needed[topic][rule]:  # type: ignore[index, call-overload]
                del needed[topic][rule]  # type: ignore[index]
            else:
                del entry[rule]  # too strict for the topic as it is: the import's exception replaces it
        if any(rule in entry for rule in EXCEPTION_RULES):
            kept.append(entry)
    added = [{"topic": name, **rules, "reason": IMPORT_REASON} for name, rules in sorted(needed.items()) if rules]
    return kept + added, notes


def topic_prefix(name: str) -> str:
    """`shop.orders` -> `shop`; `_private` -> `` (no prefix). Lower-cased: `Orders` and
    `orders` would clash as file names on case-insensitive file systems."""
    match = _PREFIX.match(name)
    return match.group(0).lower() if match else ""


def group_topics(names: Iterable[str]) -> dict[str, list[str]]:
    """File stem -> topic names: a prefix shared by two or more topics gets its own file,
    everything else goes to misc."""
    by_prefix: dict[str, list[str]] = defaultdict(list)
    for name in names:
        by_prefix[topic_prefix(name)].append(name)
    groups: dict[str, list[str]] = defaultdict(list)
    for prefix, members in by_prefix.items():
        groups[prefix if prefix and len(members) > 1 else MISC_STEM] += members
    return {stem: sorted(members) for stem, members in sorted(groups.items())}


def schema_file_names(subjects: Iterable[str]) -> dict[str, str]:
    """Subject -> file name under schemas/, unique even on case-insensitive file systems."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for subject in sorted(subjects):
        stem, suffix = subject, 1
        while f"{stem}.avsc".lower() in taken:
            suffix += 1
            stem = f"{subject}-{suffix}"
        taken.add(f"{stem}.avsc".lower())
        names[subject] = f"{stem}.avsc"
    return names


def schema_reference(schema: ImportedSchema, schema_files: Mapping[str, str]) -> dict[str, str]:
    reference = {"file": f"../{SCHEMAS_DIR}/{schema_files[schema.subject]}"}
    if schema.compatibility:
        reference["compatibility"] = schema.compatibility
    return reference


def topic_entry(topic: ImportedTopic, defaulted: set[str], schema_files: Mapping[str, str]) -> dict[str, object]:
    schemas = {s.role: schema_reference(s, schema_files) for s in topic.schemas if s.role}
    return {
        "name": topic.name,
        "partitions": topic.partitions,
        "replication_factor": topic.replication_factor,
        "config": {k: v.written for k, v in topic.config.items() if k not in defaulted},
        "schemas": schemas,
    }


def subject_entry(schema: ImportedSchema, schema_files: Mapping[str, str]) -> dict[str, str]:
    return {"subject": schema.subject, **schema_reference(schema, schema_files)}


def topic_file_header(stem: str, cluster: ClusterSpec, live: LiveCluster, topics: int, subjects: int = 0) -> list[str]:
    what = ("topics that share no prefix with another topic" if stem == MISC_STEM
            else f"topics named {stem}.*, {stem}-* or {stem}_*")
    lines = [f"Imported by `kgitops import` from cluster {cluster.name} ({live.cluster_id}): {topics} {what}.",
             "Each topic lists the configs set on it; values it inherits from the brokers are not declared."]
    if subjects:
        lines.append(f"The {subjects} subject(s) below belong to topics that do not exist but fall under "
                     "owned_prefixes: declared here, or the plan would delete them.")
    return lines


def cluster_file_text(source: Mapping[str, object], cluster: ClusterSpec, live: LiveCluster,
                      topics: Sequence[ImportedTopic], kept_defaults: Mapping[str, object],
                      dropped_defaults: Mapping[str, tuple[object, int]], exceptions: list[dict[str, object]],
                      kafka_line: str | None = None) -> str:
    header = [f"Written by `kgitops import` from {cluster.source_file}: cluster {cluster.name} as found.",
              "Connection settings are copied as written; ${VAR} placeholders are resolved when kgitops connects."]
    replaced = [key for key in ("overrides", "topics", "subjects") if source.get(key)]
    if replaced:
        header.append(f"The input's {', '.join(replaced)} are not copied: the topic files hold what the cluster has.")
    sections: list[tuple[list[str], dict[str, object]]] = [
        ([], {"name": cluster.name}),
        (["plan and apply refuse to talk to any other cluster"], {"cluster_id": live.cluster_id}),
    ]
    if kafka_line:
        sections.append((["validate checks topic configs against this Kafka line; plan against the live cluster"],
                         {"kafka_version": kafka_line}))
    for key in ("kafka", "schema_registry"):
        if key in source:
            sections.append(([], {key: source[key]}))
    policy, policy_comments = policy_section(source, cluster, topics, exceptions)
    if policy:
        sections.append((policy_comments, {"policy": policy}))
    defaults, defaults_comments = defaults_section(source, kept_defaults, dropped_defaults)
    if defaults:
        sections.append((defaults_comments, {"defaults": defaults}))
    elif defaults_comments:
        sections.append((defaults_comments, {}))
    if source.get("owned_prefixes"):
        sections.append((["undeclared live topics with these prefixes are managed by kgitops"],
                         {"owned_prefixes": source["owned_prefixes"]}))
    sections.append(([], {"include": [TOPIC_FILES_GLOB]}))
    return render_cluster_file(header, [(c, s) for c, s in sections if s or c])


def policy_section(source: Mapping[str, object], cluster: ClusterSpec, topics: Sequence[ImportedTopic],
                   exceptions: list[dict[str, object]]) -> tuple[dict[str, object], list[str]]:
    policy = {k: v for k, v in _mapping(source.get("policy")).items() if k != "exceptions"}
    comments: list[str] = []
    total = sum(t.partitions for t in topics)
    if total > cluster.policy.max_partitions_per_cluster:
        comments.append(f"max_partitions_per_cluster raised from {cluster.policy.max_partitions_per_cluster} to the "
                        f"{total} partitions the cluster already holds.")
        policy["max_partitions_per_cluster"] = total
    imported = sum(1 for e in exceptions if e.get("reason") == IMPORT_REASON)
    if imported:
        comments.append(f"{imported} exception(s) marked 'imported:' let existing topics below the policy pass as "
                        "they are; fix each deliberately, then remove its exception.")
    if exceptions:
        policy["exceptions"] = exceptions
    return policy, comments


def defaults_section(source: Mapping[str, object], kept: Mapping[str, object],
                     dropped: Mapping[str, tuple[object, int]]) -> tuple[dict[str, object], list[str]]:
    defaults = {k: v for k, v in _mapping(source.get("defaults")).items() if k != "config"}
    if kept:
        defaults["config"] = dict(kept)
    comments = [f"defaults.config {key}: {scalar(value)} is left out: {count} imported topic(s) do not set that value "
                "themselves, and the default would change them." for key, (value, count) in dropped.items()]
    if comments:
        comments.append("Declare such values on each new topic, or restore the default once every topic sets it.")
    return defaults, comments


# ---------------------------------------------------------------------------
# Writing and checking
# ---------------------------------------------------------------------------


def refuse_conflicts(out: Path, files: Mapping[str, str]) -> None:
    """Nothing is written when DIR holds a file import would replace with other content,
    or a topic file import did not write (the include glob would declare its topics a
    second time). Identical files are fine: importing an unchanged cluster again works."""
    conflicts = [rel for rel, text in sorted(files.items()) if _differs(out / rel, text)]
    topics_dir = out / TOPICS_DIR
    if topics_dir.is_dir():
        conflicts += sorted(f"{TOPICS_DIR}/{p.name}" for p in topics_dir.glob("*.yaml")
                            if f"{TOPICS_DIR}/{p.name}" not in files)
    if conflicts:
        shown = "\n".join(f"  {display_path(str(out / rel))}" for rel in conflicts[:20])
        more = f"\n  ... and {len(conflicts) - 20} more" if len(conflicts) > 20 else ""
        raise InputError(
            f"{display_path(str(out))} already holds {len(conflicts)} file(s) that the import would replace or that "
            f"would be included next to the imported ones; nothing was written:\n{shown}{more}\n"
            f"Import into an empty directory (or move these files away) and compare.")


def _differs(path: Path, text: str) -> bool:
    if not path.exists():
        return False
    try:
        return path.read_text(encoding="utf-8") != text
    except (OSError, UnicodeDecodeError):
        return True


def write_files(out: Path, files: Mapping[str, str]) -> tuple[int, int]:
    """(files written, files already identical). Each file is written whole or not at all."""
    written = unchanged = 0
    for rel, text in sorted(files.items()):
        path = out / rel
        if path.exists() and not _differs(path, text):
            unchanged += 1
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        written += 1
    return written, unchanged


def check_imported_files(cluster_file: Path, live: LiveCluster) -> list[ImportNote]:
    """Load what was written the way plan will, and say now what plan would show for
    the topics: refusals by the policy, and any topic change (there should be none)."""
    try:
        loaded = load_cluster(cluster_file, KINDS, connected=True)
    except InputError as err:
        raise KgitopsError(
            f"the imported files were written but do not load, which is a bug in kgitops import; please report "
            f"it with these problems:\n{err.message}") from err
    notes: list[ImportNote] = []
    policy = check_desired(loaded.cluster)
    refused = [p for p in policy if p.severity == "error"]
    notes += [ImportNote(f"plan will refuse until this is fixed: {p}") for p in refused]
    without_min_insync = sum(1 for t in loaded.cluster.topics if MIN_INSYNC not in t.config)
    if without_min_insync:
        notes.append(ImportNote(f"{without_min_insync} topic(s) set no {MIN_INSYNC} of their own and use the "
                                "brokers' value; plan warns about each until they declare one"))
    # That per-topic warning is summarised above; any other policy warning is passed on.
    notes += [ImportNote(str(p)) for p in policy
              if p.severity == "warning" and f"does not declare {MIN_INSYNC}" not in p.message]
    changes = diff_topics(loaded.cluster, live)
    notes += [ImportNote(f"plan will show a change: {action.kind.replace('_', ' ')} {action.resource}")
              for action in changes.actions]
    notes += [ImportNote(f"plan will refuse: {problem}") for problem in changes.refusals]
    return notes


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

"""Reading what an import writes: every topic with its configs (in chunks, with progress) and
the latest schema of each topic's subjects."""
from __future__ import annotations

import dataclasses
import json
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Sequence

from kgitops.desired.schema_files import avro_problem
from kgitops.importer.found import Progress, ROLES, ImportedSchema, ImportNote, RegistryFindings, _some
from kgitops.live.connect import kafka_client_config
from kgitops.live import kafka_version
from kgitops.live.kafka import KafkaReader
from kgitops.live.kafka_errors import UnknownTopic
from kgitops.desired.topic_names import is_claimed
from kgitops.live.registry_client import RegistryClient, SubjectNotFound, VersionNotFound
from kgitops.model import ClusterSpec, LiveCluster, LiveConfigEntry


PROGRESS_EVERY = 500  # topics (or subjects) between progress lines on large clusters
REGISTRY_WORKERS = 16
# Apicurio's GET /subjects stops here unless apicurio.ccompat.max-subjects is raised.
APICURIO_SUBJECT_LIMIT = 1000
DESCRIBE_ATTEMPTS = 3  # topics deleted while we read are dropped and the chunk described again






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
            # The subjects imported schemas reference, declared on their own, until none is missing.
            have = set(wanted)
            while True:
                imported = [x for xs in found.values() for x in xs] + standalone
                missing = referenced_subjects(imported, have)
                if not missing:
                    break
                have.update(missing)
                for subject, read in zip(missing, pool.map(lambda s: read_subject(client, s, global_level), missing)):
                    if isinstance(read, ImportedSchema):
                        standalone.append(read)
                    elif read is not None:
                        notes.append(read)
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
    if latest.schema_type.upper() in ("PROTOBUF", "JSON"):
        return _typed_subject(client, subject, latest, global_level)
    if latest.schema_type.upper() != "AVRO":
        return ImportNote(f"subject {subject} holds a {latest.schema_type} schema, which kgitops does not "
                          "manage, so it is not imported")
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


def _typed_subject(client: RegistryClient, subject: str, latest, global_level: str | None) -> ImportedSchema | ImportNote:
    """A Protobuf subject as its .proto text, a JSON Schema one pretty-printed, with its
    references pinned to the versions registered (a plan right after shows no changes)."""
    schema_type = latest.schema_type.upper()
    if schema_type == "JSON":
        from kgitops.json_schema.check import json_schema_problem

        problem = json_schema_problem(latest.schema, subject)
        if problem is not None:
            return ImportNote(f"subject {subject}: the registered schema is not a valid JSON Schema here "
                              f"({problem.message}); not imported")
        text = pretty_json(latest.schema)
    else:
        text = latest.schema if latest.schema.endswith("\n") else latest.schema + "\n"
    references = tuple(sorted((str(r.get("name")), str(r.get("subject")), int(r.get("version") or 0))
                              for r in latest.references))
    level = client.get_subject_config(subject)
    own_level = level.upper() if level and level.upper() != (global_level or "").upper() else None
    return ImportedSchema(subject, text, own_level, schema_type=schema_type, references=references)


def referenced_subjects(schemas: Sequence[ImportedSchema], have: set[str]) -> list[str]:
    """Subjects the imported schemas reference that are not imported yet."""
    return sorted({subject for s in schemas for _, subject, _ in s.references} - have)


def pretty_json(text: str) -> str:
    return json.dumps(json.loads(text), indent=2, ensure_ascii=False) + "\n"

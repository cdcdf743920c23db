"""Live state -> the files an import writes. Pure: no I/O."""
from __future__ import annotations

import re
from collections import defaultdict
from typing import Iterable, Mapping, Sequence

from kgitops.desired.loader import EXCEPTION_RULES
from kgitops.desired.topic_configs import (canonical_value, human_quantity, known_config, parse_config_value,
                                           unknown_config_message)
from kgitops.kinds.topic.compare import UNMANAGED_CONFIGS
from kgitops.importer.found import (IMPORT_REASON, MISC_STEM, ROLES, SCHEMAS_DIR, TOPIC_FILES_GLOB, TOPICS_DIR, _PREFIX,
                                     ConfigValue, ImportedSchema, ImportedTopic, ImportFiles, ImportNote,
                                     RegistryFindings, _items, _mapping)
from kgitops.importer.yaml_text import render_cluster_file, render_topic_file, scalar
from kgitops.model import ClusterSpec, LiveCluster, LiveConfigEntry, LiveTopic, Policy
from kgitops.policy.desired import MIN_INSYNC






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
    schema_files = schema_file_names((s.subject for s in schemas), {s.subject: s.extension for s in schemas})
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


def schema_file_names(subjects: Iterable[str], extensions: Mapping[str, str] | None = None) -> dict[str, str]:
    """Subject -> file name under schemas/ (.avsc, or the extension given for it), unique
    even on case-insensitive file systems."""
    names: dict[str, str] = {}
    taken: set[str] = set()
    for subject in sorted(subjects):
        extension = (extensions or {}).get(subject, ".avsc")
        stem, suffix = subject, 1
        while f"{stem}{extension}".lower() in taken:
            suffix += 1
            stem = f"{subject}-{suffix}"
        taken.add(f"{stem}{extension}".lower())
        names[subject] = f"{stem}{extension}"
    return names


def schema_reference(schema: ImportedSchema, schema_files: Mapping[str, str]) -> dict[str, object]:
    reference: dict[str, object] = {"file": f"../{SCHEMAS_DIR}/{schema_files[schema.subject]}"}
    if schema.compatibility:
        reference["compatibility"] = schema.compatibility
    if schema.references:
        reference["references"] = [{"name": n, "subject": s, "version": v} for n, s, v in schema.references]
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

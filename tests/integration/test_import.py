"""kgitops import against the real 3-broker cluster and registry: what already exists
becomes files, and the plan right after the import shows no changes.

The import reads the whole cluster, so it also picks up topics other tests create, change
and delete while this one runs. Our own topics (a unique prefix) must plan clean, always;
anything the plan shows for other topics must be explained by them changing between the
import and the plan (a second import tells), never by the import itself.
"""
from __future__ import annotations

import json
import time
import uuid
from pathlib import Path

import pytest
import yaml
from confluent_kafka.admin import AdminClient, NewTopic

from kgitops.importer import import_cluster
from kgitops.importer.found import IMPORT_REASON
from kgitops.live.registry_client import RegistryClient
from tests.integration.kgitops_helpers import run_cli

TOPIC_COUNT = 200
MiB = 1024 * 1024

# Assorted topic-level configs, as teams leave them on a cluster nobody managed.
CONFIG_VARIANTS: tuple[dict[str, str], ...] = (
    {"retention.ms": "604800000", "min.insync.replicas": "2"},
    {"cleanup.policy": "compact", "segment.bytes": str(64 * MiB), "min.insync.replicas": "2"},
    {"cleanup.policy": "compact,delete", "retention.ms": "86400000", "min.insync.replicas": "2"},
    {"max.message.bytes": str(2 * MiB), "min.insync.replicas": "2"},
    {"retention.ms": "3600000"},  # no min.insync.replicas of its own
    {"min.insync.replicas": "1", "retention.ms": "1500"},  # below policy; 1500 ms has no exact unit
    {"segment.bytes": str(MiB), "retention.ms": "-1", "min.insync.replicas": "2"},
    {},
)
ORDER_SCHEMA = {"type": "record", "name": "Order", "namespace": "kgitops.imported",
                "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "long"}]}


def topic_specs(prefix: str) -> list[NewTopic]:
    topics = []
    for i in range(TOPIC_COUNT):
        config = dict(CONFIG_VARIANTS[i % len(CONFIG_VARIANTS)])
        rf = 2 if i % 25 == 0 else 3
        if rf == 2 and "min.insync.replicas" in config:
            config["min.insync.replicas"] = "1"  # 2 would stop acks=all writes with one broker down
        topics.append(NewTopic(f"{prefix}.{i % len(CONFIG_VARIANTS)}.{i:03d}", 1 + i % 6, rf, config=config))
    return topics


@pytest.fixture
def created_topics(stack):
    """200 topics created outside kgitops in one CreateTopics request; deleted in one batch."""
    prefix = f"imp{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    specs = topic_specs(prefix)
    for future in admin.create_topics(specs, operation_timeout=60).values():
        future.result(timeout=90)
    names = [t.topic for t in specs]
    try:
        wait_until_visible(admin, names)
        yield prefix, {t.topic: t for t in specs}
    finally:
        for future in admin.delete_topics(names, operation_timeout=60).values():
            future.result(timeout=90)


def wait_until_visible(admin: AdminClient, names: list[str], timeout: float = 30.0) -> None:
    """Created is not yet visible everywhere: wait until metadata shows every topic led."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        topics = admin.list_topics(timeout=10).topics
        if all(n in topics and topics[n].partitions and all(p.leader >= 0 for p in topics[n].partitions.values())
               for n in names):
            return
        time.sleep(0.3)
    raise AssertionError("created topics did not all show up in metadata")


@pytest.fixture
def registered_schemas(stack, created_topics):
    """A value schema with its own level on one topic, a key schema on another."""
    prefix, _ = created_topics
    subjects = {f"{prefix}.0.000-value": json.dumps(ORDER_SCHEMA), f"{prefix}.1.001-key": '"string"'}
    with RegistryClient(stack.registry_url) as client:
        for subject, schema in subjects.items():
            client.register(subject, schema)
        client.set_subject_config(f"{prefix}.0.000-value", "FULL")
        try:
            yield subjects
        finally:
            for subject in subjects:
                client.delete_subject(subject)
                client.delete_subject(subject, permanent=True)


def write_input_cluster(path: Path, stack) -> Path:
    """A cluster file as a team would start with: connection, production policy, defaults."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({
        "name": "imported",
        "kafka": {"bootstrap_servers": stack.bootstrap_servers,
                  "properties": {"client.id": "${KGITOPS_IT_CLIENT:-it}"}},
        "schema_registry": {"url": stack.registry_url},
        "policy": {"min_replication_factor": 3, "min_insync_replicas": 2},
        "defaults": {"partitions": 3, "replication_factor": 3, "config": {"min.insync.replicas": 2}},
    }, sort_keys=False))
    return path


def test_import_then_plan_shows_no_changes(stack, created_topics, registered_schemas, tmp_path, capsys):
    prefix, specs = created_topics
    out = tmp_path / "imported"
    started = time.monotonic()
    imported = run_cli(capsys, "import", "-c", str(write_input_cluster(tmp_path / "in" / "c.yaml", stack)),
                       "--out", str(out))
    import_seconds = time.monotonic() - started
    assert imported.code == 0, imported.text
    assert "Imported" in imported.out and "cluster_id pinned" in imported.out

    ours = imported_entries(out, prefix)
    assert sorted(ours) == sorted(specs)
    assert_written_as_created(ours, specs)
    assert_schemas_written(out, ours, prefix, registered_schemas)
    assert_policy_debt_recorded(out, specs)

    planned = run_cli(capsys, "plan", "-c", str(out / "imported.yaml"), "--format", "json", "--detailed-exitcode")
    plan = json.loads(planned.out)
    assert planned.code in (0, 2, 3), planned.text

    about_ours = [a for a in plan["actions"] if a["resource"].startswith(prefix)]
    refusals_about_ours = [r for r in plan["refusals"] if prefix in r["message"]]
    assert about_ours == [] and refusals_about_ours == [], planned.out
    unexplained = unexplained_findings(plan, imported.err, out, tmp_path / "again", prefix)
    assert unexplained == [], f"plan shows changes the import caused: {unexplained}"
    if not plan["actions"] and not plan["refusals"]:
        assert planned.code == 0
    assert import_seconds < 30, f"import took {import_seconds:.1f} s"


# ---------------------------------------------------------------------------
# What the files say
# ---------------------------------------------------------------------------


def imported_entries(out: Path, prefix: str | None = None) -> dict[str, dict]:
    entries = {}
    for file in sorted((out / "topics").glob("*.yaml")):
        for entry in (yaml.safe_load(file.read_text()) or {}).get("topics") or []:
            if prefix is None or entry["name"].startswith(prefix):
                entries[entry["name"]] = {**entry, "_file": file.name}
    return entries


def assert_written_as_created(ours: dict[str, dict], specs: dict[str, NewTopic]) -> None:
    prefix = next(iter(ours)).split(".")[0]
    assert {e["_file"] for e in ours.values()} == {f"{prefix}.yaml"}  # one prefix, one file
    for name, entry in ours.items():
        spec = specs[name]
        assert entry["partitions"] == spec.num_partitions and entry["replication_factor"] == spec.replication_factor
        assert set(entry.get("config") or {}) == set(spec.config), name  # exactly the topic's own overrides
    sample = {k: v for e in ours.values() for k, v in (e.get("config") or {}).items()}
    assert ours[f"{prefix}.0.000"]["config"]["retention.ms"] == "7d"
    assert ours[f"{prefix}.1.001"]["config"]["segment.bytes"] == "64MiB"
    assert ours[f"{prefix}.2.002"]["config"]["cleanup.policy"] == ["compact", "delete"]
    assert ours[f"{prefix}.5.005"]["config"]["retention.ms"] == 1500
    assert sample["max.message.bytes"] == "2MiB"


def assert_schemas_written(out: Path, ours: dict[str, dict], prefix: str, registered: dict[str, str]) -> None:
    value = ours[f"{prefix}.0.000"]["schemas"]["value"]
    assert value == {"file": f"../schemas/{prefix}.0.000-value.avsc", "compatibility": "FULL"}
    key = ours[f"{prefix}.1.001"]["schemas"]["key"]
    assert key == {"file": f"../schemas/{prefix}.1.001-key.avsc"}  # level unset: the global one applies
    text = (out / "schemas" / f"{prefix}.0.000-value.avsc").read_text()
    assert json.loads(text) == ORDER_SCHEMA and text.startswith("{\n  ")  # pretty, for reviews
    assert sum(1 for e in ours.values() if e.get("schemas")) == len(registered)


def assert_policy_debt_recorded(out: Path, specs: dict[str, NewTopic]) -> None:
    cluster = yaml.safe_load((out / "imported.yaml").read_text())
    assert cluster["cluster_id"] and cluster["include"] == ["topics/*.yaml"]
    assert cluster["kafka"]["properties"]["client.id"] == "${KGITOPS_IT_CLIENT:-it}"  # placeholders stay
    assert "config" not in cluster["defaults"]  # some topics set no min.insync.replicas: a default would change them
    exceptions = {e["topic"]: e for e in cluster["policy"]["exceptions"] if e["reason"] == IMPORT_REASON}
    below = {name for name, t in specs.items()
             if t.replication_factor < 3 or t.config.get("min.insync.replicas") == "1"}
    assert below <= set(exceptions)
    for name in below:
        if specs[name].replication_factor == 2:
            assert exceptions[name]["min_replication_factor"] == 2


# ---------------------------------------------------------------------------
# Other tests' topics
# ---------------------------------------------------------------------------


def unexplained_findings(plan: dict, import_stderr: str, out: Path, again: Path, prefix: str) -> list[str]:
    """Plan actions and refusals for other tests' topics that no concurrent change explains:
    the topic's entry differs between this import and a second one, or the import itself
    warned that plan would refuse it (RF 1 from a replication test, say)."""
    if not plan["actions"] and not plan["refusals"]:
        return []
    import_cluster(str(out / "imported.yaml"), str(again))
    first, second = imported_entries(out), imported_entries(again)
    schemas_first, schemas_second = schema_texts(out), schema_texts(again)

    def changed(topic: str) -> bool:
        entry = first.get(topic)
        if entry is None or entry != second.get(topic):
            return True
        refs = [r["file"].rsplit("/", 1)[-1] for r in (entry.get("schemas") or {}).values()]
        return any(schemas_first.get(r) != schemas_second.get(r) for r in refs)

    unexplained = []
    for action in plan["actions"]:
        topic = action.get("topic") or subject_topic(action["resource"])
        if not changed(topic):
            unexplained.append(f"{action['kind']} {action['resource']}")
    for refusal in plan["refusals"]:
        named = [t for t in set(first) | set(second) if t in refusal["message"]]
        if refusal["message"] not in import_stderr and not any(changed(t) for t in named):
            unexplained.append(refusal["message"])
    return unexplained


def schema_texts(out: Path) -> dict[str, str]:
    directory = out / "schemas"
    return {p.name: p.read_text() for p in directory.glob("*.avsc")} if directory.is_dir() else {}


def subject_topic(subject: str) -> str:
    for suffix in ("-value", "-key"):
        if subject.endswith(suffix):
            return subject[: -len(suffix)]
    return subject

"""Protobuf and JSON Schema subjects with references, through the command line against the
real registry: registered referenced subjects first, no changes after apply, a
reference-only change planned and applied, an incompatible change of each type refused
with exit 3 and a reason, an equal schema with equal references never registered again,
and subject modes."""
from __future__ import annotations

import json
from pathlib import Path

import yaml

from kgitops.live.registry_client import RegistryClient
from tests.integration.kgitops_helpers import registry_section, run_cli

ADDRESS_PROTO = 'syntax = "proto3";\npackage {pkg};\nmessage Address {{\n  string street = 1;\n}}\n'
ORDER_PROTO = ('syntax = "proto3";\npackage {pkg};\nimport "address.proto";\n'
               'message Order {{\n  string id = 1;\n  Address address = 2;\n}}\n')
ADDRESS_JSON = {"type": "object", "properties": {"street": {"type": "string"}}}
CUSTOMER_JSON = {"type": "object", "properties": {"address": {"$ref": "address.json"}, "name": {"type": "string"}}}


class Repo:
    def __init__(self, root: Path, stack, name: str):
        self.root, self.stack, self.name = root, stack, name
        self.pkg = "kg." + name.replace("-", "_")
        self.subjects = {k: f"{name}.{k}" for k in ("Address", "Order", "JAddress", "Customer")}
        self.files(address_proto=ADDRESS_PROTO.format(pkg=self.pkg), order_proto=ORDER_PROTO.format(pkg=self.pkg),
                   address_json=json.dumps(ADDRESS_JSON, indent=2), customer_json=json.dumps(CUSTOMER_JSON, indent=2))
        self.write()

    def files(self, **texts: str) -> None:
        for name, text in texts.items():
            (self.root / name.replace("_", ".")).write_text(text)

    def write(self, mode: str | None = None) -> Path:
        s = self.subjects
        address_json = {"subject": s["JAddress"], "file": "address.json", **({"mode": mode} if mode else {})}
        doc = {"name": "it", "kafka": {"bootstrap_servers": self.stack.bootstrap_servers},
               "schema_registry": registry_section(self.stack),
               "subjects": [
                   {"subject": s["Order"], "file": "order.proto", "compatibility": "BACKWARD",
                    "references": [{"name": "address.proto", "subject": s["Address"]}]},
                   {"subject": s["Address"], "file": "address.proto", "compatibility": "BACKWARD"},
                   {"subject": s["Customer"], "file": "customer.json", "compatibility": "BACKWARD",
                    "references": [{"name": "address.json", "subject": s["JAddress"], "version": "latest"}]},
                   address_json]}
        path = self.root / "c.yaml"
        path.write_text(yaml.safe_dump(doc, sort_keys=False))
        return path


def versions(stack, subject: str) -> list[int]:
    with RegistryClient(stack.registry_url, timeout=10) as client:
        return client.list_versions(subject)


def test_protobuf_and_json_schema_subjects_with_references(stack, unique_name, tmp_path, capsys):
    repo = Repo(tmp_path, stack, unique_name)
    cluster = str(repo.write())
    s = repo.subjects

    applied = run_cli(capsys, "apply", "-c", cluster, "--auto-approve")
    assert applied.code == 0, applied.text
    lines = [line for line in applied.out.splitlines() if "register schema" in line]
    order = [next(k for k, v in s.items() if line.rstrip().endswith(v)) for line in lines]
    assert order.index("Address") < order.index("Order") and order.index("JAddress") < order.index("Customer")
    with RegistryClient(stack.registry_url, timeout=10) as client:
        registered = client.get_version(s["Order"])
        assert registered.schema_type == "PROTOBUF"
        assert [dict(r) for r in registered.references] == [
            {"name": "address.proto", "subject": s["Address"], "version": 1}]
        assert client.get_version(s["Customer"]).schema_type == "JSON"

    again = run_cli(capsys, "plan", "-c", cluster, "--detailed-exitcode")
    assert again.code == 0 and "No changes" in again.out, again.text

    # A layout-only edit of the .proto is the same schema: nothing to register.
    repo.files(address_proto="// the address\n" + ADDRESS_PROTO.format(pkg=repo.pkg).replace("\n  ", "\n      "))
    assert run_cli(capsys, "plan", "-c", cluster, "--detailed-exitcode").code == 0

    # A compatible change of the referenced subject: its referrer's reference moves with it.
    repo.files(address_proto=ADDRESS_PROTO.format(pkg=repo.pkg).replace(
        "string street = 1;", "string street = 1;\n  string city = 2;"))
    planned = run_cli(capsys, "plan", "-c", cluster, "--detailed-exitcode")
    assert planned.code == 2, planned.text
    assert "+ field city = 2 (string)" in planned.out
    assert f"~ reference address.proto: {s['Address']} v1 -> {s['Address']} (its new version)" in planned.out
    assert run_cli(capsys, "apply", "-c", cluster, "--auto-approve").code == 0
    assert versions(stack, s["Address"]) == [1, 2] and versions(stack, s["Order"]) == [1, 2]
    with RegistryClient(stack.registry_url, timeout=10) as client:
        assert client.get_version(s["Order"]).references[0]["version"] == 2
    assert run_cli(capsys, "plan", "-c", cluster, "--detailed-exitcode").code == 0

    # Incompatible changes, one of each type: refused at plan time with exit 3 and the reason.
    repo.files(address_proto=ADDRESS_PROTO.format(pkg=repo.pkg).replace(
        "string street = 1;", "string street = 1;\n  int32 city = 2;"))
    refused = run_cli(capsys, "plan", "-c", cluster)
    assert refused.code == 3, refused.text
    assert f"{repo.pkg}.Address.city: field city = 2: string -> int32" in refused.out
    repo.files(address_proto=ADDRESS_PROTO.format(pkg=repo.pkg).replace(
        "string street = 1;", "string street = 1;\n  string city = 2;"))
    repo.files(address_json=json.dumps({"type": "object", "properties": {"street": {"type": "integer"}}}))
    refused = run_cli(capsys, "apply", "-c", cluster, "--auto-approve")
    assert refused.code == 3, refused.text
    assert "the schema registry says the new schema is not BACKWARD compatible" in refused.out
    assert "#/properties/street type string -> integer" in refused.out
    assert versions(stack, s["JAddress"]) == [1]
    repo.files(address_json=json.dumps(ADDRESS_JSON, indent=2))
    assert run_cli(capsys, "plan", "-c", cluster, "--detailed-exitcode").code == 0

    # The subjects with references too: the registry cannot be asked before registering
    # (Apicurio's endpoint does not resolve references), the local checker decides.
    repo.files(order_proto=ORDER_PROTO.format(pkg=repo.pkg).replace("string id = 1;", "int64 id = 1;"))
    refused = run_cli(capsys, "apply", "-c", cluster, "--auto-approve")
    assert refused.code == 3, refused.text
    assert f"{repo.pkg}.Order.id: field id = 1: string -> int64" in refused.out
    repo.files(order_proto=ORDER_PROTO.format(pkg=repo.pkg),
               customer_json=json.dumps({**CUSTOMER_JSON, "required": ["name"]}))
    refused = run_cli(capsys, "apply", "-c", cluster, "--auto-approve")
    assert refused.code == 3, refused.text
    assert "# required name" in refused.out
    assert versions(stack, s["Order"]) == [1, 2] and versions(stack, s["Customer"]) == [1]

    # A change only the registry can judge (a field removed without reserving it): the plan
    # says so, and the registry refuses it when applying, with its reasons (exit 3).
    repo.files(customer_json=json.dumps(CUSTOMER_JSON, indent=2),
               order_proto=ORDER_PROTO.format(pkg=repo.pkg).replace("  string id = 1;\n", ""))
    planned = run_cli(capsys, "plan", "-c", cluster)
    assert planned.code == 0 and "checked by the registry only" in planned.out, planned.text
    failed = run_cli(capsys, "apply", "-c", cluster, "--auto-approve")
    assert failed.code == 3, failed.text
    assert "refused the schema" in failed.err and "Incompatible artifact" in failed.err, failed.err
    assert versions(stack, s["Order"]) == [1, 2]


def test_a_reference_only_change_is_planned_and_applied(stack, unique_name, tmp_path, capsys):
    repo = Repo(tmp_path, stack, unique_name)
    cluster = str(repo.write())
    assert run_cli(capsys, "apply", "-c", cluster, "--auto-approve").code == 0
    # A second version of the referenced JSON subject, registered outside this repo's Customer.
    with RegistryClient(stack.registry_url, timeout=10) as client:
        client.register(repo.subjects["JAddress"], json.dumps(
            {"type": "object", "properties": {"street": {"type": "string"}}, "description": "v2"}), "JSON")
    repo.files(address_json=json.dumps(
        {"type": "object", "properties": {"street": {"type": "string"}}, "description": "v2"}))
    planned = run_cli(capsys, "plan", "-c", cluster, "--detailed-exitcode")
    assert planned.code == 2, planned.text
    customer = repo.subjects["Customer"]
    assert f"~ subject {customer}" in planned.out
    assert f"~ reference address.json: {repo.subjects['JAddress']} v1 -> {repo.subjects['JAddress']} v2" in planned.out
    assert run_cli(capsys, "apply", "-c", cluster, "--auto-approve").code == 0
    assert versions(stack, customer) == [1, 2]
    assert run_cli(capsys, "plan", "-c", cluster, "--detailed-exitcode").code == 0


def test_a_subject_mode_is_set_and_then_left_alone(stack, unique_name, tmp_path, capsys):
    repo = Repo(tmp_path, stack, unique_name)
    cluster = str(repo.write(mode="READONLY"))
    applied = run_cli(capsys, "apply", "-c", cluster, "--auto-approve")
    assert applied.code == 0, applied.text
    assert "mode: READWRITE -> READONLY" in applied.out
    with RegistryClient(stack.registry_url, timeout=10) as client:
        assert client.get_mode(repo.subjects["JAddress"]) == "READONLY"
    assert run_cli(capsys, "plan", "-c", cluster, "--detailed-exitcode").code == 0
    repo.write(mode="READWRITE")
    assert run_cli(capsys, "apply", "-c", cluster, "--auto-approve").code == 0
    with RegistryClient(stack.registry_url, timeout=10) as client:
        assert client.get_mode(repo.subjects["JAddress"]) == "READWRITE"


def test_import_writes_proto_and_json_files_with_their_references(stack, unique_name, tmp_path, capsys):
    from confluent_kafka.admin import AdminClient, NewTopic

    from tests.integration.test_import import wait_until_visible, write_input_cluster

    topic, other = f"{unique_name}-p", f"{unique_name}-j"
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    for future in admin.create_topics([NewTopic(t, 1, 3) for t in (topic, other)], operation_timeout=60).values():
        future.result(timeout=90)
    wait_until_visible(admin, [topic, other])
    pkg = "kg." + unique_name.replace("-", "_")
    address, jaddress = f"{unique_name}.Address", f"{unique_name}.JAddress"
    try:
        with RegistryClient(stack.registry_url, timeout=10) as client:
            client.register(address, ADDRESS_PROTO.format(pkg=pkg), "PROTOBUF")
            client.register(f"{topic}-value", ORDER_PROTO.format(pkg=pkg), "PROTOBUF", (("address.proto", address, 1),))
            client.register(jaddress, json.dumps(ADDRESS_JSON), "JSON")
            client.register(f"{other}-value", json.dumps(CUSTOMER_JSON), "JSON", (("address.json", jaddress, 1),))
        out = tmp_path / "imported"
        imported = run_cli(capsys, "import", "-c", str(write_input_cluster(tmp_path / "in" / "c.yaml", stack)),
                           "--out", str(out))
        assert imported.code == 0, imported.text
        assert (out / "schemas" / f"{topic}-value.proto").read_text() == ORDER_PROTO.format(pkg=pkg)
        assert (out / "schemas" / f"{address}.proto").read_text() == ADDRESS_PROTO.format(pkg=pkg)
        assert json.loads((out / "schemas" / f"{other}-value.json").read_text()) == CUSTOMER_JSON
        entries = {e["name"]: e for f in (out / "topics").glob("*.yaml")
                   for e in (yaml.safe_load(f.read_text()) or {}).get("topics") or []}
        assert entries[topic]["schemas"]["value"]["references"] == [
            {"name": "address.proto", "subject": address, "version": 1}]
        standalone = {s["subject"]: s for f in (out / "topics").glob("*.yaml")
                      for s in (yaml.safe_load(f.read_text()) or {}).get("subjects") or []}
        assert standalone[address]["file"].endswith(f"{address}.proto") and jaddress in standalone
        planned = run_cli(capsys, "plan", "-c", str(out / "imported.yaml"), "--format", "json")
        plan = json.loads(planned.out)
        assert [a for a in plan["actions"] if unique_name in a["resource"]] == [], planned.out
        assert [r for r in plan["refusals"] if unique_name in r["message"]] == [], planned.out
    finally:
        for future in admin.delete_topics([topic, other], operation_timeout=60).values():
            future.result(timeout=90)


def test_the_global_mode_is_set_with_the_registrations_and_then_left_alone(stack, unique_name, tmp_path, capsys):
    repo = Repo(tmp_path, stack, unique_name)
    path = repo.write()
    doc = yaml.safe_load(path.read_text())
    doc["schema_registry"]["mode"] = "READONLY"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    try:
        applied = run_cli(capsys, "apply", "-c", str(path), "--auto-approve")
        assert applied.code == 0, applied.text
        assert "mode: READWRITE -> READONLY (the registry's global mode)" in applied.out
        steps = [line for line in applied.out.splitlines() if line.startswith("  [")]
        assert "(global mode)" in steps[-1]  # after every registration
        assert sum("register schema" in line for line in steps[:-1]) == 4
        with RegistryClient(stack.registry_url, timeout=10) as client:
            assert client.get_mode() == "READONLY"
        assert run_cli(capsys, "plan", "-c", str(path), "--detailed-exitcode").code == 0
    finally:
        with RegistryClient(stack.registry_url, timeout=10) as client:
            client.set_mode("READWRITE")


def test_an_avro_subject_with_a_reference(stack, unique_name, tmp_path, capsys):
    address = {"type": "record", "name": "Address", "namespace": "kg.avro",
               "fields": [{"name": "street", "type": "string"}]}
    order = {"type": "record", "name": "Order", "namespace": "kg.avro",
             "fields": [{"name": "id", "type": "string"}, {"name": "address", "type": "kg.avro.Address"}]}
    (tmp_path / "address.avsc").write_text(json.dumps(address))
    (tmp_path / "order.avsc").write_text(json.dumps(order))
    doc = {"name": "it", "kafka": {"bootstrap_servers": stack.bootstrap_servers},
           "schema_registry": registry_section(stack),
           "subjects": [{"subject": f"{unique_name}.Order", "file": "order.avsc", "compatibility": "BACKWARD",
                         "references": [{"name": "kg.avro.Address", "subject": f"{unique_name}.Address"}]},
                        {"subject": f"{unique_name}.Address", "file": "address.avsc"}]}
    cluster = tmp_path / "c.yaml"
    cluster.write_text(yaml.safe_dump(doc, sort_keys=False))
    applied = run_cli(capsys, "apply", "-c", str(cluster), "--auto-approve")
    assert applied.code == 0, applied.text
    with RegistryClient(stack.registry_url, timeout=10) as client:
        assert [dict(r) for r in client.get_version(f"{unique_name}.Order").references] == [
            {"name": "kg.avro.Address", "subject": f"{unique_name}.Address", "version": 1}]
    assert run_cli(capsys, "plan", "-c", str(cluster), "--detailed-exitcode").code == 0
    order["fields"][0]["type"] = "int"
    (tmp_path / "order.avsc").write_text(json.dumps(order))
    refused = run_cli(capsys, "plan", "-c", str(cluster))
    assert refused.code == 3 and "Order.id: writer type string cannot be read as int" in refused.out, refused.text

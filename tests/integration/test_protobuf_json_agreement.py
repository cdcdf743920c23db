"""The local Protobuf and JSON Schema checkers agree with a real registry on every case of
tests/protobuf_cases.py and tests/json_schema_cases.py where they give a verdict.

Per case: register the old schema under a fresh subject, set the case's level, and ask the
registry's compatibility endpoint about the new one. The recorded verdicts (APICURIO in
each table, which the unit tests use offline) must still be the registry's, and the local
checker, wherever it decides, must give the registry's verdict; where it cannot decide it
says "checked by the registry only". How many cases it decides is asserted too, so a
checker that decided nothing would not pass.
"""
from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from kgitops.json_schema import compatibility as json_compat
from kgitops.live.registry_client import RegistryClient
from kgitops.protobuf import compatibility as proto_compat
from kgitops.protobuf.compile import compile_proto
from tests import json_schema_cases, protobuf_cases


def _text(schema) -> str:
    return schema if isinstance(schema, str) else json.dumps(schema)


def _ask(client: RegistryClient, subject: str, case, schema_type: str) -> bool:
    client.set_subject_config(subject, case.level)
    client.register(subject, _text(case.old), schema_type)
    compatible, _ = client.test_compatibility(subject, _text(case.new), version="latest", schema_type=schema_type)
    return compatible


@pytest.fixture(scope="module")
def verdicts(stack) -> dict[tuple[str, str], bool]:
    run = uuid.uuid4().hex[:8]
    work = [("PROTOBUF", c) for c in protobuf_cases.CASES] + [("JSON", c) for c in json_schema_cases.CASES]
    with RegistryClient(stack.registry_url, timeout=20, max_connections=8) as client:
        with ThreadPoolExecutor(max_workers=6, thread_name_prefix="agreement") as pool:
            answers = pool.map(lambda w: _ask(client, f"t-agree-{run}-{w[0]}-{w[1].name}", w[1], w[0]), work)
            return {(kind, case.name): answer for (kind, case), answer in zip(work, answers)}


def _local_protobuf(case) -> str:
    return proto_compat.check(compile_proto(case.new, "new").descriptor, [compile_proto(case.old, "old").descriptor],
                              case.level).outcome


def _local_json(case) -> str:
    return json_compat.check(case.new, [case.old], case.level).outcome


TABLES = {"PROTOBUF": (protobuf_cases, _local_protobuf, proto_compat.REGISTRY_ONLY, proto_compat.COMPATIBLE),
          "JSON": (json_schema_cases, _local_json, json_compat.REGISTRY_ONLY, json_compat.COMPATIBLE)}


@pytest.mark.parametrize(("schema_type", "case"),
                         [(kind, case) for kind, table in TABLES.items() for case in table[0].CASES],
                         ids=lambda x: x if isinstance(x, str) else x.name)
def test_the_local_verdict_agrees_with_the_registry(verdicts, schema_type, case):
    cases, local_verdict, registry_only, compatible = TABLES[schema_type]
    registry = verdicts[(schema_type, case.name)]
    assert cases.APICURIO[case.name] == registry, "the recorded verdict no longer holds"
    local = local_verdict(case)
    if local != registry_only:
        assert (local == compatible) == registry


def test_the_tables_are_large_enough_and_mostly_decided_locally(verdicts):
    protobuf_decided = [c for c in protobuf_cases.CASES if _local_protobuf(c) != proto_compat.REGISTRY_ONLY]
    json_decided = [c for c in json_schema_cases.CASES if _local_json(c) != json_compat.REGISTRY_ONLY]
    assert len(protobuf_cases.CASES) >= 40 and len(json_schema_cases.CASES) >= 40
    assert len(protobuf_decided) >= 35 and len(json_decided) >= 50
    assert all((_local_protobuf(c) == proto_compat.COMPATIBLE) == verdicts[("PROTOBUF", c.name)]
               for c in protobuf_decided)

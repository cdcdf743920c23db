"""The local checker and a real registry agree on every case of tests/avro_cases.py.

Per case: register the previous versions under a fresh subject (at level NONE: a history
need not satisfy the level it is later checked at), set the case's level, and ask the
registry's compatibility endpoint (the latest version for plain levels, every version for
_TRANSITIVE ones: the endpoints that apply exactly the level's rule on Confluent and on
Apicurio). All cases run once, concurrently over one client; each case is then its own test.

The table's verdict is Confluent Schema Registry's. The local checker must give it; so must
the registry running here, except for the cases in REGISTRY_VERDICT_DIFFERENCES, which are
recorded in docs/compatibility.md ("Registry differences") and asserted to still differ so
the record stays true.
"""
from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest

from kgitops.avro.compatibility import check
from kgitops.live.registry_client import RegistryClient, RegistryError, is_transitive
from tests.avro_cases import CASES


# case id -> how the registry here (Apicurio 3.3.3) differs from Confluent. Empty: on every
# case the verdicts agree (how they are reported can differ; see docs/compatibility.md).
REGISTRY_VERDICT_DIFFERENCES: dict[str, str] = {}


@dataclass(frozen=True)
class RegistryVerdict:
    compatible: bool | None  # None: the registry would not answer (see error)
    messages: tuple[str, ...] = ()
    versions_registered: int = 0
    error: str | None = None


def ask_registry(client: RegistryClient, subject: str, case) -> RegistryVerdict:
    try:
        client.set_subject_config(subject, "NONE")
        for text in case.previous_texts():
            client.register(subject, text)
        registered = len(client.list_versions(subject))
        client.set_subject_config(subject, case.level)
        against = None if is_transitive(case.level) else "latest"
        compatible, messages = client.test_compatibility(subject, case.new_text(), version=against)
    except RegistryError as err:
        return RegistryVerdict(None, error=err.message)
    return RegistryVerdict(compatible, tuple(messages), registered)


@pytest.fixture(scope="module")
def registry_verdicts(stack) -> dict[str, RegistryVerdict]:
    run = uuid.uuid4().hex[:8]
    with RegistryClient(stack.registry_url, timeout=20, max_connections=8) as client:
        with ThreadPoolExecutor(max_workers=6, thread_name_prefix="agreement") as pool:
            verdicts = pool.map(lambda case: ask_registry(client, f"t-agree-{run}-{case.id}", case), CASES)
            return {case.id: verdict for case, verdict in zip(CASES, verdicts)}


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_local_checker_gives_confluents_verdict(case):
    result = check(case.new_text(), case.previous_texts(), case.level)
    assert result.compatible is case.compatible, (case.why, result.incompatibilities)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_registry_gives_the_same_verdict(case, registry_verdicts):
    verdict = registry_verdicts[case.id]
    assert verdict.error is None, verdict.error
    # A history with two equal versions would register once and test something else.
    assert verdict.versions_registered == len(case.previous)
    if case.id in REGISTRY_VERDICT_DIFFERENCES:
        assert verdict.compatible is not case.compatible, (
            f"{case.id} now agrees with Confluent: drop it from REGISTRY_VERDICT_DIFFERENCES and docs/compatibility.md")
    else:
        assert verdict.compatible is case.compatible, (case.why, verdict.messages)

"""Whatever is in a cluster file, `kgitops validate` answers with an exit code and a
message, never a traceback."""
from __future__ import annotations

import contextlib
import io
import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgitops.cli import main
from tests.fuzzing.harness import load_corpus, run_case

# Keys the format knows, so random documents reach deep into the loader. `include` is
# left out on purpose: a random glob such as `/**` would walk the whole filesystem.
KNOWN_KEYS = [
    "name", "kafka", "bootstrap_servers", "properties", "schema_registry", "url", "auth", "basic", "bearer",
    "username", "password", "token", "policy", "min_replication_factor", "min_insync_replicas", "exceptions",
    "topic", "reason", "defaults", "partitions", "replication_factor", "config", "overrides", "owned_prefixes",
    "topics", "subjects", "subject", "file", "compatibility", "schemas", "key", "value", "cluster_id",
    "retention.ms", "cleanup.policy", "segment.bytes", "min.insync.replicas", "max_partitions_per_cluster",
]

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["7d", "1GiB", "compact,delete", "${X}", "${Y:-z}", "..", "a.b", "a_b", "BACKWARD", "x" * 250]),
)
keys = st.one_of(st.sampled_from(KNOWN_KEYS), st.text(max_size=12)).filter(lambda k: k != "include")
documents = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(keys, children, max_size=6)),
    max_leaves=30,
)
cluster_like = st.fixed_dictionaries(
    {"name": scalars, "kafka": st.fixed_dictionaries({"bootstrap_servers": scalars})},
    optional={
        "policy": st.dictionaries(keys, documents, max_size=4),
        "defaults": st.dictionaries(keys, documents, max_size=4),
        "topics": st.lists(st.dictionaries(keys, documents, max_size=6), max_size=4),
        "subjects": st.lists(st.dictionaries(keys, documents, max_size=4), max_size=2),
        "overrides": st.dictionaries(st.text(max_size=8), st.dictionaries(keys, documents, max_size=3), max_size=2),
    },
)


def as_yaml(document: object) -> bytes:
    return yaml.safe_dump(document, allow_unicode=True).encode("utf-8")


files = st.one_of(
    documents.map(as_yaml),
    cluster_like.map(as_yaml),
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", errors="surrogatepass")),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=files)
def test_validate_never_crashes(content: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cluster.yaml"
        path.write_bytes(content)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["validate", "-c", str(path)])
    output = out.getvalue() + err.getvalue()
    assert "internal error" not in output, output
    assert "Traceback" not in output
    assert code in (0, 1, 3)
    assert output.strip(), "validate must always say something"
    if code != 0:
        assert "error" in output


# ---------------------------------------------------------------------------
# The seed corpus: every input that ever failed (by hand, by the property test above or by
# benchmarks/fuzz.py), replayed on every run. A new failure found by the fuzz script is
# saved there with `benchmarks/fuzz.py --save-failures tests/fuzzing/corpus`.
# ---------------------------------------------------------------------------

CORPUS_DIR = Path(__file__).resolve().parents[1] / "fuzzing" / "corpus"
CORPUS = load_corpus(CORPUS_DIR)


def test_the_corpus_holds_every_finding_of_issue_15() -> None:
    assert len(CORPUS) >= 60, "the seed corpus went missing"


@pytest.mark.parametrize("case", CORPUS, ids=[case["id"] for case in CORPUS])
def test_corpus_input_is_answered_cleanly(case: dict) -> None:
    outcome = run_case(case, timeout=30)
    assert outcome.ok, f"{outcome.findings}\n--- stdout\n{outcome.out[:2000]}\n--- stderr\n{outcome.err[:2000]}"

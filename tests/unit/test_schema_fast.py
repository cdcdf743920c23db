"""The compiled schema check in front of jsonschema (kgitops.desired.schema_fast): it may
refuse more than jsonschema (the document then goes to jsonschema, which words the errors),
never less, and never changes the document."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from kgitops.desired.schema_errors import CLUSTER_SCHEMA, TOPICS_SCHEMA, fast_check_for, inlined_schema
from kgitops.desired.schema_fast import NotCompilable, compiled_check, to_draft7
from kgitops.kinds import KINDS

REPO = Path(__file__).resolve().parents[2]
SECTIONS = tuple(sorted((key, json.dumps(schema, sort_keys=True)) for kind in KINDS
                        for key, schema in kind.desired_sections.items()))

# Values shaped like the format's, and odd ones: each key of the schemas, scalars of every
# YAML type, nested lists and mappings.
KEYS = st.sampled_from(["name", "partitions", "replication_factor", "config", "topics", "subjects", "schemas",
                        "key", "value", "file", "subject", "compatibility", "kafka", "bootstrap_servers",
                        "defaults", "policy", "overrides", "include", "schema_registry", "url", "acls", "users",
                        "principal", "operations", "resource", "type", "pattern", "permission", "owned_prefixes",
                        "retention.ms", "exceptions", "topic", "reason", "cluster_id", "expected_brokers", "x"])
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-3, 5), st.floats(allow_nan=False, width=32),
                    st.sampled_from(["", "a", "orders", "BACKWARD", "backward", "1d", "ALLOW", "User:x", "3"]),
                    st.text(max_size=5))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(KEYS, inner, max_size=4)), max_leaves=12)
DOCUMENTS = st.dictionaries(KEYS, VALUES, max_size=5)


def jsonschema_valid(name: str, document: object) -> bool:
    return not list(Draft202012Validator(inlined_schema(name, SECTIONS)).iter_errors(document))


@pytest.mark.parametrize("name", [CLUSTER_SCHEMA, TOPICS_SCHEMA])
@settings(max_examples=400, deadline=None)
@given(document=DOCUMENTS)
def test_the_compiled_check_never_accepts_what_jsonschema_refuses(name, document):
    fast = fast_check_for(name, SECTIONS)
    assert fast is not None, "the shipped schemas compile"
    if fast(document):
        assert jsonschema_valid(name, document)


@pytest.mark.parametrize("name", [CLUSTER_SCHEMA, TOPICS_SCHEMA])
def test_a_near_valid_document_with_one_mistake_is_refused_by_both(name):
    fast = fast_check_for(name, SECTIONS)
    if name == TOPICS_SCHEMA:
        good = {"topics": [{"name": "orders", "partitions": 3, "config": {"retention.ms": "7d"}}]}
        bad = [{"topics": [{"name": "orders", "partitions": True}]},  # a boolean is no integer
               {"topics": [{"name": "orders", "partitions": 0}]},
               {"topics": [{"name": "orders", "partitions": 3, "unknown": 1}]},
               {"topics": [{"name": "orders", "partitions": 3, "schemas": {"value": {"file": "x.avsc",
                                                                                     "compatibility": "SOME"}}}]}]
    else:
        good = {"name": "c", "kafka": {"bootstrap_servers": "localhost:9092"}}
        bad = [{"name": "c"}, {"name": "c", "kafka": {"bootstrap_servers": 9092}},
               {"name": "c", "kafka": {"bootstrap_servers": "h:1"}, "schema_registry": {"url": "u", "auth": {}}}]
    assert fast(good) and jsonschema_valid(name, good)
    for document in bad:
        assert not jsonschema_valid(name, document), document
        assert not fast(document), document


def test_the_repository_examples_pass_the_compiled_check():
    fast_cluster, fast_topics = fast_check_for(CLUSTER_SCHEMA, SECTIONS), fast_check_for(TOPICS_SCHEMA, SECTIONS)
    cluster_files = sorted((REPO / "clusters").glob("*.yaml"))
    topic_files = sorted((REPO / "clusters" / "topics").rglob("*.yaml"))
    assert cluster_files and topic_files
    for path in cluster_files:
        assert fast_cluster(yaml.safe_load(path.read_text())), path
    for path in topic_files:
        data = yaml.safe_load(path.read_text())
        if data is not None:
            assert fast_topics(data), path


def test_the_check_writes_no_defaults_into_the_document():
    check = compiled_check(json.dumps({"type": "object", "properties": {"a": {"type": "integer", "default": 1}}}))
    document = {"b": 2}
    before = copy.deepcopy(document)
    assert check(document)
    assert document == before


@pytest.mark.parametrize("schema", [
    {"type": "string", "format": "email"},  # jsonschema does not check formats by default
    {"type": "object", "patternProperties": {"^a": {"type": "integer"}}},
    {"type": "array", "items": [{"type": "string"}]},  # a tuple of items: another meaning in 2020-12
    {"enum": [1, 2]},  # `True in [1]` is true in Python
    {"type": "object", "unevaluatedProperties": False},
])
def test_a_keyword_read_differently_is_never_compiled(schema):
    with pytest.raises(NotCompilable):
        to_draft7(schema)
    assert compiled_check(json.dumps(schema)) is None


def test_dependent_required_is_kept_as_draft7_dependencies():
    check = compiled_check(json.dumps({"type": "object", "dependentRequired": {"a": ["b"]}}))
    assert check({"a": 1, "b": 2}) and check({"b": 2})
    assert not check({"a": 1})

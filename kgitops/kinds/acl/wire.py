"""ACLs to and from confluent-kafka's types, and the batched admin requests: one
DescribeAcls (match-any filter), one CreateAcls, one DeleteAcls per apply."""
from __future__ import annotations

from typing import Sequence

from confluent_kafka.admin import (AclBinding, AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType,
                                   ResourceType)

from kgitops.errors import ConnectionFailed
from kgitops.kinds.acl.actions import Binding
from kgitops.kinds.base import Outcome, Report
from kgitops.live.kafka_errors import kafka_error_text
from kgitops.plan import Action

_TYPES = {"topic": ResourceType.TOPIC, "group": ResourceType.GROUP, "cluster": ResourceType.BROKER,
          "transactional_id": ResourceType.TRANSACTIONAL_ID}
_NAMES = {v: k for k, v in _TYPES.items()}
_PATTERNS = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}


class NoAuthorizer(ConnectionFailed):
    """The cluster has no authorizer configured: ACLs cannot be read or changed."""


def to_kafka(b: Binding) -> AclBinding:
    return AclBinding(_TYPES[b.resource_type], b.resource_name, _PATTERNS[b.pattern], b.principal, b.host,
                      AclOperation[b.operation], AclPermissionType[b.permission])


def exact_filter(b: Binding) -> AclBindingFilter:
    return AclBindingFilter(_TYPES[b.resource_type], b.resource_name, _PATTERNS[b.pattern], b.principal, b.host,
                            AclOperation[b.operation], AclPermissionType[b.permission])


def from_kafka(acl: AclBinding) -> Binding | None:
    kind = _NAMES.get(acl.restype)
    pattern = {ResourcePatternType.LITERAL: "literal", ResourcePatternType.PREFIXED: "prefixed"}.get(
        acl.resource_pattern_type)
    if kind is None or pattern is None:
        return None  # a type kgitops does not manage (delegation tokens, say)
    return Binding(acl.principal, kind, acl.name, pattern, acl.operation.name, acl.permission_type.name, acl.host)


def read_all(admin, timeout: float) -> list[Binding]:
    match_any = AclBindingFilter(ResourceType.ANY, None, ResourcePatternType.ANY, None, None, AclOperation.ANY,
                                 AclPermissionType.ANY)
    try:
        found = admin.describe_acls(match_any, request_timeout=timeout).result(timeout=timeout + 5)
    except Exception as err:  # confluent-kafka raises KafkaException with the broker's error
        text = kafka_error_text(err)
        if "SECURITY_DISABLED" in text:
            raise NoAuthorizer("the cluster has no authorizer (SECURITY_DISABLED), so ACLs cannot be managed: "
                               "configure authorizer.class.name on the brokers, or remove the acls: sections") from err
        raise ConnectionFailed(f"reading the cluster's ACLs (DescribeAcls) failed: {text}") from err
    return [b for b in (from_kafka(a) for a in found) if b is not None]


def create(admin, actions: Sequence[Action], timeout: float, report: Report) -> list[Outcome]:
    bindings = {b: a for a in actions for b in a.bindings}
    futures = admin.create_acls([to_kafka(b) for b in bindings], request_timeout=timeout) if bindings else {}
    errors = _errors(futures, timeout, key=from_kafka)
    return _outcomes(actions, errors, report)


def delete(admin, actions: Sequence[Action], timeout: float, report: Report) -> list[Outcome]:
    bindings = [b for a in actions for b in a.bindings]
    futures = admin.delete_acls([exact_filter(b) for b in bindings], request_timeout=timeout) if bindings else {}
    errors = _errors(futures, timeout, key=lambda f: Binding(f.principal, _NAMES[f.restype], f.name,
                                                             "literal" if f.resource_pattern_type ==
                                                             ResourcePatternType.LITERAL else "prefixed",
                                                             f.operation.name, f.permission_type.name, f.host))
    return _outcomes(actions, errors, report)


def _errors(futures: dict, timeout: float, key) -> dict[Binding, str]:
    errors: dict[Binding, str] = {}
    for item, future in futures.items():
        try:
            future.result(timeout=timeout + 5)
        except Exception as err:  # each binding's own error is its action's outcome
            errors[key(item)] = kafka_error_text(err)
    return errors


def _outcomes(actions: Sequence[Action], errors: dict[Binding, str], report: Report) -> list[Outcome]:
    outcomes = []
    for action in actions:
        failed = [f"{b.describe()}: {errors[b]}" for b in action.bindings if b in errors]
        outcome = Outcome(action, ok=not failed, error="; ".join(failed) or None)
        report(outcome)
        outcomes.append(outcome)
    return outcomes

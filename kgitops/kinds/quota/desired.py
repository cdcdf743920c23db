"""The quota kind's desired form: `quotas:` entries of cluster and topic files, values
parsed (`10MiB` -> 10485760 bytes/s), and the policy bounds that catch unit mistakes."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Mapping, Sequence

from kgitops.desired.topic_configs import parse_size_bytes
from kgitops.errors import Problem
from kgitops.kinds.quota.model import BYTE_RATES, CLIENT_KEYS, DEFAULT, ENTITY_TYPES, IP_KEYS, Entity
from kgitops.model import Location

_NAME = {"type": "string", "minLength": 1}
_RATE = {"type": ["string", "integer"]}
_NUMBER = {"type": "number", "exclusiveMinimum": 0}
SECTIONS: Mapping[str, Mapping[str, object]] = {"quotas": {"type": "array", "items": {
    "type": "object", "additionalProperties": False, "required": ["entity"],
    "properties": {
        "entity": {"type": "object", "additionalProperties": False, "minProperties": 1,
                   "properties": {key: _NAME for key in ENTITY_TYPES}},
        "producer_byte_rate": _RATE, "consumer_byte_rate": _RATE,
        "request_percentage": _NUMBER, "controller_mutation_rate": _NUMBER, "connection_creation_rate": _NUMBER,
        "reason": {"type": "string", "minLength": 1},
    }}}}

# Below these a quota stops its clients rather than limits them: almost always a unit
# mistake (`1024` meant as KiB), so it needs a written reason.
MIN_BYTE_RATE = 1024
MIN_PERCENTAGE = 1.0
MIN_MUTATION_RATE = 1.0


@dataclass(frozen=True)
class QuotaSpec:
    entity: Entity
    values: Mapping[str, float]
    location: Location
    reason: str | None = None


@dataclass(frozen=True)
class DesiredQuotas:
    quotas: tuple[QuotaSpec, ...] = ()

    @functools.cached_property
    def _entities(self) -> frozenset[Entity]:
        return frozenset(q.entity for q in self.quotas)

    def declared(self, entity: Entity) -> bool:
        return entity in self._entities


def entity_of(data: Mapping[str, str]) -> Entity:
    return Entity.of((ENTITY_TYPES[k], None if v == DEFAULT else v) for k, v in data.items())


def load(sections: Sequence) -> tuple[DesiredQuotas, list[Problem]]:
    quotas: list[QuotaSpec] = []
    problems: list[Problem] = []
    seen: dict[Entity, Location] = {}
    for section in sections:
        for index, entry in enumerate(section.data if isinstance(section.data, list) else []):
            if not isinstance(entry, dict) or not isinstance(entry.get("entity"), dict):
                continue
            location = section.document.value_location((section.key, index))
            entity = entity_of(entry["entity"])
            spec, entry_problems = _spec(entry, entity, location, index)
            problems += entry_problems
            if spec is None:
                continue
            if entity in seen:
                problems.append(_at(location, f"quotas[{index}]: quota entity {entity.describe()} is declared twice "
                                              f"(first at {seen[entity]})"))
                continue
            seen[entity] = location
            quotas.append(spec)
    return DesiredQuotas(tuple(quotas)), problems


def _spec(entry: Mapping, entity: Entity, location: Location, index: int) -> tuple[QuotaSpec | None, list[Problem]]:
    types = {t for t, _ in entity.parts}
    allowed = IP_KEYS if types == {"ip"} else CLIENT_KEYS
    if "ip" in types and types != {"ip"}:
        return None, [_at(location, f"quotas[{index}]: an ip entity stands alone (Kafka has no ip quota per user "
                                    f"or client id)")]
    problems = []
    values: dict[str, float] = {}
    for key in (*CLIENT_KEYS, *IP_KEYS):
        if key not in entry:
            continue
        if key not in allowed:
            problems.append(_at(location, f"quotas[{index}]: {key} applies to "
                                          f"{'ip entities' if key in IP_KEYS else 'user and client-id entities'} only"))
            continue
        try:
            values[key] = float(parse_size_bytes(str(entry[key]))) if key in BYTE_RATES else float(entry[key])
        except ValueError as err:
            problems.append(_at(location, f"quotas[{index}].{key}: {err}"))
    if not values and not problems:
        problems.append(_at(location, f"quotas[{index}]: entity {entity.describe()} declares no quota value "
                                      f"(one of {', '.join(allowed)})"))
    if problems:
        return None, problems
    return QuotaSpec(entity, values, location, entry.get("reason")), []


def check_bounds(desired: DesiredQuotas) -> list[Problem]:
    """Values that stop clients instead of limiting them need a `reason`."""
    problems = []
    for spec in desired.quotas:
        if spec.reason:
            continue
        for key, value in sorted(spec.values.items()):
            low = (key in BYTE_RATES and value < MIN_BYTE_RATE) or (key == "request_percentage" and value < MIN_PERCENTAGE) \
                or (key.endswith("_rate") and key not in BYTE_RATES and value < MIN_MUTATION_RATE)
            if low:
                unit = "bytes/s (did you mean KiB or MiB?)" if key in BYTE_RATES else "is below 1"
                loc = spec.location
                problems.append(Problem(f"quota {spec.entity.describe()}: {key} {value:g} {unit}: its clients "
                                        f"would all but stop; add a `reason` if this is meant", loc.file, loc.line,
                                        loc.column, kind="policy", resource=f"quota {spec.entity.describe()}"))
    return problems


def _at(location: Location, message: str) -> Problem:
    return Problem(message, location.file, location.line, location.column)

"""Kafka topic-level configs, per Kafka release line: what each key accepts and its one
canonical string form.

Two entry points:

- `parse_config_value(key, yaml_value, version)` is strict: it turns a value written in
  YAML (`7d`, `1GiB`, `[compact, delete]`, `true`...) into Kafka's canonical string, or
  raises `ValueError` saying why the value is not acceptable to that Kafka version (unknown
  or removed key, type, range, choices).
- `canonical_value(key, value)` is lenient: it maps any representation of a valid value,
  from YAML or from the live broker (`"604800000"`, `"[compact, delete]"`,
  `"delete,compact"`, `"TRUE"`), to the same canonical string, so desired and live values
  compare equal when they mean the same thing. It never raises on a string: a value it
  cannot read comes back stripped but otherwise unchanged, so comparing it still works.

The catalogue of each line (3.0 ... 4.4) is `LogConfig`'s ConfigDef of that release (type,
default, range, valid values), read from the real jars by scripts/topic_configs/generate.py
into kafka_topic_configs.json, which is loaded on first use. Lines differ: 4.0 removed
message.format.version, message.downconversion.enable and
message.timestamp.difference.max.ms; segment.bytes' minimum is 14 bytes up to 4.0 and 1 MiB
from 4.1 (KIP-1030); 3.6 added remote storage and message.timestamp.before/after.max.ms.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache
from typing import Mapping

INT_MAX = 2**31 - 1
LONG_MAX = 2**63 - 1

# Kafka ConfigDef types used by topic configs ("class" is listed for completeness: no
# topic-level config uses it in 4.x).
CONFIG_TYPES = ("long", "int", "double", "boolean", "string", "list", "class")


@dataclass(frozen=True)
class TopicConfigDef:
    """One topic-level config as Kafka defines it."""

    name: str
    type: str  # one of CONFIG_TYPES
    default: str | None  # Kafka's default, canonical form ("" for an empty list)
    minimum: int | float | None = None
    maximum: int | float | None = None
    also_allowed: tuple[int, ...] = ()  # values outside [minimum, maximum] Kafka accepts
    choices: tuple[str, ...] = ()  # string enum values, or the allowed items of a list
    managed: bool = True  # False: set by partition reassignments, never by kgitops
    since: str = "4.0"  # first Kafka version with this key (for messages only)

    @property
    def unit(self) -> str | None:
        """"ms" for durations and "bytes" for sizes, which accept human notations."""
        if self.type in ("long", "int") and self.name.endswith(".ms"):
            return "ms"
        if self.type in ("long", "int") and self.name.endswith(".bytes"):
            return "bytes"
        return None


# Why a key people still write was removed, shown with "is not a topic config in Kafka X".
REMOVAL_HINTS: Mapping[str, str] = {
    "message.format.version": "the message format is always v2",
    "message.timestamp.difference.max.ms": "use message.timestamp.before.max.ms and message.timestamp.after.max.ms",
    "message.downconversion.enable": "down-conversion for old consumers is gone",
}
# Where kgitops is stricter than Kafka: a negative retention.bytes below -1 means the same
# as -1, so only -1 is accepted (one way to say "unlimited" keeps plans comparable).
_STRICTER: Mapping[str, Mapping[str, int]] = {"retention.bytes": {"min": -1}}
# Set by partition reassignments (replication throttling), never by kgitops.
_UNMANAGED = frozenset({"leader.replication.throttled.replicas", "follower.replication.throttled.replicas"})
_DATA_FILE = "kafka_topic_configs.json"
ANY_VERSION = "any"  # parse_config_value: accepted by at least one known Kafka line


@dataclass(frozen=True)
class KafkaConfigCatalogue:
    """The topic configs of one Kafka release line ("3.9"), from its LogConfig."""

    version: str
    configs: Mapping[str, TopicConfigDef]

    def get(self, key: str) -> TopicConfigDef | None:
        return self.configs.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.configs


@lru_cache(maxsize=1)
def _data() -> dict:
    """The generated data file (scripts/topic_configs/generate.py), read on first use."""
    import json
    import os

    # A plain path, not importlib.resources (which alone costs more than reading the file);
    # the package ships the file beside this module (pyproject package-data).
    with open(os.path.join(os.path.dirname(__file__), _DATA_FILE), encoding="utf-8") as data:
        return json.load(data)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


@lru_cache(maxsize=1)
def supported_versions() -> tuple[str, ...]:
    """Kafka release lines kgitops knows, oldest first ("3.0" ... "4.4")."""
    return tuple(sorted(_data()["lines"], key=_version_key))


def newest_version() -> str:
    return supported_versions()[-1]


def release_line(version: str) -> str | None:
    """"3.9.1", "3.9", "3.9-IV0" -> "3.9" when kgitops knows that line, else None."""
    match = re.match(r"\s*(\d+)\.(\d+)", str(version))
    if not match:
        return None
    line = f"{int(match.group(1))}.{int(match.group(2))}"
    return line if line in _data()["lines"] else None


def _definition(name: str, raw: Mapping[str, object], since: str) -> TopicConfigDef:
    kind = str(raw["type"])
    limits = {**raw, **_STRICTER.get(name, {})}
    low, high = limits.get("min"), limits.get("max")
    if high is None and kind in ("int", "long") and low is not None:
        high = INT_MAX if kind == "int" else LONG_MAX
    return TopicConfigDef(
        name=name,
        type=kind,
        default=raw.get("default"),  # type: ignore[arg-type]
        minimum=low,  # type: ignore[arg-type]
        maximum=high,  # type: ignore[arg-type]
        also_allowed=tuple(raw.get("also", ())),  # type: ignore[arg-type]
        choices=tuple(raw.get("choices", ())),  # type: ignore[arg-type]
        managed=name not in _UNMANAGED,
        since=since,
    )


@lru_cache(maxsize=None)
def catalogue(version: str | None = None) -> KafkaConfigCatalogue:
    """The catalogue of Kafka `version` ("3.9", "3.9.1"); None: the newest line kgitops knows.
    ValueError for a line it does not know."""
    line = newest_version() if version is None else release_line(version)
    if line is None:
        raise ValueError(f"kgitops knows the topic configs of Kafka {supported_versions()[0]} to "
                         f"{newest_version()}, not {version}")
    lines = _data()["lines"]
    first_seen = _first_seen()
    configs = {name: _definition(name, raw, first_seen[name]) for name, raw in sorted(lines[line].items())}
    return KafkaConfigCatalogue(line, configs)


@lru_cache(maxsize=1)
def _first_seen() -> dict[str, str]:
    seen: dict[str, str] = {}
    for line in supported_versions():
        for name in _data()["lines"][line]:
            seen.setdefault(name, line)
    return seen


@lru_cache(maxsize=None)
def _any_version_definition(key: str) -> TopicConfigDef | None:
    """The newest definition of `key` in any known line: how to read a live value of a key
    the newest line dropped (message.format.version on a 3.9 broker)."""
    for line in reversed(supported_versions()):
        definition = catalogue(line).get(key)
        if definition is not None:
            return definition
    return None


def broker_synonyms(key: str) -> list[tuple[str, int]]:
    """The broker configs `key` falls back to without a topic override, in Kafka's order of
    precedence, each with the factor from its unit to the topic's (log.retention.hours:
    3600000); from LogConfig's synonyms table."""
    return [(name, int(factor)) for name, factor in _data().get("broker_synonyms", {}).get(key, ())]


def any_version_config(key: str) -> TopicConfigDef | None:
    """The newest definition of `key` in any Kafka line kgitops knows (None if none has it)."""
    return _any_version_definition(key)


def key_history(key: str, version: str) -> str:
    """Why `key` is missing from `version`'s line: "removed in 4.0", "added in 3.6", ""."""
    lines = supported_versions()
    present = [line for line in lines if key in _data()["lines"][line]]
    if not present:
        return ""
    target = _version_key(catalogue(version).version)
    if _version_key(present[0]) > target:
        return f"added in Kafka {present[0]}"
    later = [line for line in lines if _version_key(line) > _version_key(present[-1])]
    if _version_key(present[-1]) < target and later:
        return f"removed in Kafka {later[0]}"
    return f"only in Kafka {', '.join(present)}"


def __getattr__(name: str) -> object:
    # TOPIC_CONFIGS is the newest line's catalogue, built on first use (importing this
    # module reads no data file).
    if name == "TOPIC_CONFIGS":
        return catalogue().configs
    raise AttributeError(name)


_DURATION_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
# ASCII digits only: "٧d" or a full-width "１h" is not a duration (Python's \d would take them).
_DURATION_PART = re.compile(r"([0-9]+(?:\.[0-9]+)?)(ms|min|s|m|h|d|w)")
_DURATION = re.compile(r"(?:[0-9]+(?:\.[0-9]+)?(?:ms|min|s|m|h|d|w))+")

_SIZE_UNITS = {
    "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_SIZE = re.compile(r"([0-9]+(?:\.[0-9]+)?) *([a-z]+)")
_INTEGER = re.compile(r"[-+]?[0-9]+")
_DOUBLE = re.compile(r"[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")
# Far beyond any 64-bit setting, short enough that a message can show the number.
MAX_NUMBER_CHARACTERS = 40


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def known_config(key: str, version: str | None = None) -> TopicConfigDef | None:
    return catalogue(version).get(key)


def unknown_config_message(key: str, version: str | None = None) -> str:
    """Why `key` is not a topic config of Kafka `version` (None: the newest), naming the
    version, with when it was added or removed, or a did-you-mean when one is close."""
    known = catalogue(version)
    history = key_history(key, known.version)
    if history:
        hint = REMOVAL_HINTS.get(key) if history.startswith("removed") else None
        why = f"{history}: {hint}" if hint else history
        return f"'{key}' is not a topic config in Kafka {known.version} ({why})"
    message = f"unknown topic config '{key}'"
    if key.startswith("log.") and key[4:] in known:
        return f"{message}: '{key}' is the broker-wide default; the topic-level key is '{key[4:]}'"
    suggestion = difflib.get_close_matches(key, list(known.configs), n=1, cutoff=0.6)
    return f"{message} (did you mean '{suggestion[0]}'?)" if suggestion else message


def parse_config_value(key: str, yaml_value: object, version: str | None = None) -> str:
    """The canonical string for a value written in YAML; ValueError says why it is invalid.

    Checked against Kafka `version`'s catalogue (None: the newest line). Unknown keys raise
    too (see unknown_config_message). YAML gives ints, floats, bools, strings or lists; each
    config type accepts the ones that make sense for it.
    """
    if version == ANY_VERSION:
        return _parse_for_any_version(key, yaml_value)
    definition = catalogue(version).get(key)
    if definition is None:
        raise ValueError(unknown_config_message(key, version))
    if not definition.managed:
        raise ValueError(
            f"{key} is set by partition reassignments (replication throttling) and is never managed by kgitops"
        )
    if yaml_value is None:
        raise ValueError("no value given; remove the key to inherit the broker default")
    if isinstance(yaml_value, str) and "${" in yaml_value:
        raise ValueError("environment placeholders are only allowed in connection settings (kafka.*, schema_registry.*)")
    if isinstance(yaml_value, (str, int, float)):
        # The type is part of the key: 1, 1.0 and True are equal (and hash alike) in Python.
        return _parse_scalar(catalogue(version).version, key, type(yaml_value), yaml_value)
    return _STRICT_PARSERS[definition.type](definition, yaml_value)


@lru_cache(maxsize=4096)
def _lines_knowing(key: str) -> tuple[str, ...]:
    """The Kafka lines whose catalogue has `key`, newest first (asked for every config of
    every topic a plan loads)."""
    return tuple(line for line in reversed(supported_versions()) if key in catalogue(line))


def _parse_for_any_version(key: str, yaml_value: object) -> str:
    """Accepted by some Kafka line (the newest first): how a plan reads files before it knows
    which Kafka the cluster runs; the live version is checked once it does."""
    lines = _lines_knowing(key)
    if not lines:
        # No Kafka line kgitops knows has it (a vendor's config, or a typo): the live
        # cluster decides, so it is kept as written.
        if isinstance(yaml_value, bool):
            return "true" if yaml_value else "false"
        if isinstance(yaml_value, (str, int, float)) and str(yaml_value).strip():
            return str(yaml_value).strip()
        raise ValueError(f"{unknown_config_message(key)}; a config kgitops does not know takes a plain value")
    first_error: ValueError | None = None
    for line in lines:
        try:
            return parse_config_value(key, yaml_value, line)
        except ValueError as err:
            first_error = first_error or err
    raise first_error  # type: ignore[misc]


def lines_accepting(key: str, yaml_value: object) -> list[str]:
    """The Kafka lines that accept `key: yaml_value`, oldest first (for a hint when the
    newest refuses it)."""
    accepted = []
    for line in supported_versions():
        if key in catalogue(line):
            try:
                parse_config_value(key, yaml_value, line)
            except ValueError:
                continue
            accepted.append(line)
    return accepted


@lru_cache(maxsize=8192)
def _parse_scalar(line: str, key: str, value_type: type, value: str | int | float) -> str:
    """parse_config_value for scalars, memoised: large repositories repeat a few values
    (`7d`, `1GiB`, `delete`) thousands of times. Errors are raised, never cached."""
    definition = catalogue(line).configs[key]
    return _STRICT_PARSERS[definition.type](definition, value)


def canonical_value(key: str, value: str) -> str:
    """Kafka's canonical string for any representation of `value` (YAML or live broker).

    Lenient by design: range checks are parse_config_value's job, an unknown key or an
    unreadable value comes back stripped, never an exception (for a string input).
    """
    text = str(value).strip()
    definition = _any_version_definition(key)
    if definition is None:
        return text
    try:
        return _CANONICALISERS[definition.type](definition, text)
    except ValueError:
        return text


def default_value(key: str, version: str | None = None) -> str | None:
    """Kafka `version`'s built-in default for `key` (before any broker-level override)."""
    definition = catalogue(version).get(key)
    return definition.default if definition else None


# ---------------------------------------------------------------------------
# Numbers: durations, sizes, plain integers
# ---------------------------------------------------------------------------


def parse_duration_ms(text: str) -> int:
    """`7d`, `12h`, `30m`, `45s`, `500ms`, `1w`, `1h30m`, `1.5h`, plain integers -> ms."""
    compact = text.strip().lower().replace(" ", "")
    _check_length(text)
    if _INTEGER.fullmatch(compact):
        return int(compact)
    if not _DURATION.fullmatch(compact):
        raise ValueError(
            f"expected a duration such as 7d, 12h, 30m, 45s, 500ms, 1w or a number of milliseconds, got {_quote(text)}"
        )
    total = Fraction(0)  # exact: a float would overflow (or round) on long numbers
    for number, unit in _DURATION_PART.findall(compact):
        total += Fraction(number) * _DURATION_UNITS_MS[unit]
    if total.denominator != 1:
        raise ValueError(f"{_quote(text)} is not a whole number of milliseconds")
    return int(total)


def parse_size_bytes(text: str) -> int:
    """`1GiB`, `512MiB`, `1GB` (decimal), `100KB`, `10B`, plain integers, `-1` -> bytes."""
    compact = text.strip()
    _check_length(text)
    if _INTEGER.fullmatch(compact):
        return int(compact)
    match = _SIZE.fullmatch(compact.lower())
    if not match or match.group(2) not in _SIZE_UNITS:
        raise ValueError(
            f"expected a size such as 1GiB, 512MiB, 1GB (decimal), 100KB or a number of bytes, got {_quote(text)}"
        )
    total = Fraction(match.group(1)) * _SIZE_UNITS[match.group(2)]
    if total.denominator != 1:
        raise ValueError(f"{_quote(text)} is not a whole number of bytes")
    return int(total)


def _check_length(text: str) -> None:
    if len(text.strip()) > MAX_NUMBER_CHARACTERS:
        raise ValueError(f"a number of {len(text.strip())} characters is far out of range, got {_quote(text)}")


def _integer_from_yaml(definition: TopicConfigDef, value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected {_expected(definition)}, got {_describe(value)}")
    if isinstance(value, int):
        if len(str(value)) > MAX_NUMBER_CHARACTERS:
            raise ValueError(f"a number of {len(str(value))} digits is far out of range")
        return value
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            raise ValueError(f"expected a whole number, got {value}")
        if value.is_integer():
            return int(value)
        raise ValueError(f"expected a whole number, got {value}")
    if isinstance(value, str):
        return _integer_from_text(definition, value)
    raise ValueError(f"expected {_expected(definition)}, got {_describe(value)}")


def _integer_from_text(definition: TopicConfigDef, text: str) -> int:
    if definition.unit == "ms":
        return parse_duration_ms(text)
    if definition.unit == "bytes":
        return parse_size_bytes(text)
    _check_length(text)
    if _INTEGER.fullmatch(text.strip()):
        return int(text.strip())
    raise ValueError(f"expected {_expected(definition)}, got {_quote(text)}")


def _check_range(definition: TopicConfigDef, number: int | float) -> None:
    if number in definition.also_allowed:
        return
    low, high = definition.minimum, definition.maximum
    type_limit = high in (INT_MAX, LONG_MAX) and definition.type in ("int", "long")
    extra = "".join(f" or {v}" for v in definition.also_allowed)
    got = _format_number(definition, number)
    bounded_both = low is not None and high is not None and not type_limit
    if bounded_both and not low <= number <= high:  # type: ignore[operator]
        raise ValueError(
            f"must be between {_format_number(definition, low)} and {_format_number(definition, high)}{extra}, got {got}"  # type: ignore[arg-type]
        )
    if low is not None and number < low:
        raise ValueError(f"must be at least {_format_number(definition, low)}{extra}, got {got}")
    if high is not None and number > high:
        bits = 32 if definition.type == "int" else 64
        raise ValueError(
            f"must be at most {high} (Kafka stores {definition.name} as a {bits}-bit integer), got {got}"
        )


def _parse_integer(definition: TopicConfigDef, value: object) -> str:
    number = _integer_from_yaml(definition, value)
    _check_range(definition, number)
    return str(number)


def _canonical_integer(definition: TopicConfigDef, text: str) -> str:
    return str(_integer_from_text(definition, text))


# ---------------------------------------------------------------------------
# Doubles (min.cleanable.dirty.ratio), printed the way Java's Double.toString does
# ---------------------------------------------------------------------------


def java_double_string(number: float) -> str:
    """Double.toString: `0.5`, `1.0`, `1.0E-4`; the form the broker reports."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "-0.0" if math.copysign(1.0, number) < 0 else "0.0"
    if 1e-3 <= abs(number) < 1e7:
        return repr(number)  # Python's repr is positional with a '.' in this range
    # Outside it Java switches to d.dddE<n>, with the same shortest digits as repr.
    sign, digit_tuple, exponent = Decimal(repr(number)).as_tuple()
    digits = "".join(map(str, digit_tuple)).rstrip("0") or "0"
    scientific_exponent = int(exponent) + len(digit_tuple) - 1
    mantissa = digits[0] + "." + (digits[1:] or "0")
    return f"{'-' if sign else ''}{mantissa}E{scientific_exponent}"


def _double_from_text(text: str) -> float:
    # Python's float() also takes "1_0", "inf" and non-ASCII digits; Java's parser does not.
    if len(text.strip()) > MAX_NUMBER_CHARACTERS or not _DOUBLE.fullmatch(text.strip()):
        raise ValueError(f"expected a number, got {_quote(text)}")
    number = float(text.strip())
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"expected a finite number, got {_quote(text)}")
    return number


def _parse_double(definition: TopicConfigDef, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected {_expected(definition)}, got {_describe(value)}")
    if isinstance(value, int) and len(str(value)) > MAX_NUMBER_CHARACTERS:
        raise ValueError(f"a number of {len(str(value))} digits is far out of range")
    number = _double_from_text(value) if isinstance(value, str) else float(value)
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"expected a finite number, got {value}")
    _check_range(definition, number)
    return java_double_string(number)


def _canonical_double(definition: TopicConfigDef, text: str) -> str:
    return java_double_string(_double_from_text(text))


# ---------------------------------------------------------------------------
# Booleans, strings, lists
# ---------------------------------------------------------------------------


def _boolean_from_text(text: str) -> str:
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered
    raise ValueError(f"expected true or false, got {_quote(text)}")


def _parse_boolean(definition: TopicConfigDef, value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _boolean_from_text(value)
    raise ValueError(f"expected true or false, got {_describe(value)}")


def _canonical_boolean(definition: TopicConfigDef, text: str) -> str:
    return _boolean_from_text(text)


def _choice_from_text(definition: TopicConfigDef, text: str) -> str:
    choice = next((c for c in definition.choices if c.lower() == text.strip().lower()), None)
    if choice is None:
        raise ValueError(f"expected one of {', '.join(definition.choices)}, got {_quote(text)}{_did_you_mean(text, definition.choices)}")
    return choice


def _parse_string(definition: TopicConfigDef, value: object) -> str:
    if not isinstance(value, str):
        raise ValueError(f"expected {_expected(definition)}, got {_describe(value)}")
    return _choice_from_text(definition, value) if definition.choices else value


def _canonical_string(definition: TopicConfigDef, text: str) -> str:
    return _choice_from_text(definition, text) if definition.choices else text


def _list_items(text: str) -> list[str]:
    """`compact,delete`, `[compact, delete]`, ` delete ` -> items, order kept."""
    inner = text.strip()
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1]
    return [item.strip() for item in inner.split(",") if item.strip()]


def _canonical_list_from_items(definition: TopicConfigDef, items: list[str]) -> str:
    # Kafka treats these lists as sets: `compact,delete` and `delete,compact` are the same.
    if definition.choices:
        items = [_choice_from_text(definition, item) for item in items]
    return ",".join(sorted(set(items)))


def _parse_list(definition: TopicConfigDef, value: object) -> str:
    if isinstance(value, str):
        items = _list_items(value)
    elif isinstance(value, list) and all(isinstance(item, str) for item in value):
        items = [item.strip() for item in value]
    else:
        raise ValueError(f"expected {_expected(definition)}, got {_describe(value)}")
    if definition.choices and not items:
        raise ValueError(f"expected one or more of {', '.join(definition.choices)}, got an empty list")
    return _canonical_list_from_items(definition, items)


def _canonical_list(definition: TopicConfigDef, text: str) -> str:
    return _canonical_list_from_items(definition, _list_items(text))


def _parse_class(definition: TopicConfigDef, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"expected a Java class name, got {_describe(value)}")
    return value.strip()


def _canonical_class(definition: TopicConfigDef, text: str) -> str:
    return text


_STRICT_PARSERS = {
    "long": _parse_integer,
    "int": _parse_integer,
    "double": _parse_double,
    "boolean": _parse_boolean,
    "string": _parse_string,
    "list": _parse_list,
    "class": _parse_class,
}

_CANONICALISERS = {
    "long": _canonical_integer,
    "int": _canonical_integer,
    "double": _canonical_double,
    "boolean": _canonical_boolean,
    "string": _canonical_string,
    "list": _canonical_list,
    "class": _canonical_class,
}


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------


def _quote(text: str) -> str:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return '"' + shown.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _describe(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _quote(value)
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "nothing"
    return type(value).__name__


def _expected(definition: TopicConfigDef) -> str:
    if definition.unit == "ms":
        return "a duration (7d, 12h, 30m, 45s, 500ms) or a number of milliseconds"
    if definition.unit == "bytes":
        return "a size (1GiB, 512MiB, 1GB) or a number of bytes"
    if definition.type in ("long", "int"):
        return "an integer"
    if definition.type == "double":
        return "a number"
    if definition.type == "boolean":
        return "true or false"
    if definition.type == "list" and definition.choices:
        return f"a list of {', '.join(definition.choices)} (YAML list or comma-separated)"
    if definition.type == "list":
        return "a list (YAML list or comma-separated)"
    if definition.choices:
        return f"one of {', '.join(definition.choices)}"
    return "a string"


def _format_number(definition: TopicConfigDef, number: int | float) -> str:
    if isinstance(number, float) or definition.type == "double":
        return java_double_string(float(number))
    readable = human_quantity(definition.unit, int(number)) if abs(number) >= 1000 else ""
    return f"{number} ({spaced(readable)})" if readable else str(number)


# Written forms, largest first. Sizes use binary units only: `1MB` (10^6) beside `1MiB`
# invites misreading. Durations stop at days: Kafka people think of retention in days.
_BYTE_UNITS = (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
_MS_UNITS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))


def human_quantity(unit: str | None, number: int) -> str:
    """The inverse of parse_config_value for durations and sizes: 604800000 ms -> `7d`,
    1073741824 bytes -> `1GiB`; "" when no unit divides `number` exactly, or for 0 and
    negative numbers (-1 is "unlimited" and reads best as a number)."""
    if number <= 0:
        return ""
    units = _MS_UNITS if unit == "ms" else _BYTE_UNITS if unit == "bytes" else ()
    return next((f"{number // size}{name}" for name, size in units if number % size == 0), "")


def spaced(quantity: str) -> str:
    """`1GiB` -> `1 GiB` in messages and plans (durations stay `7d`)."""
    return quantity[:-3] + " " + quantity[-3:] if quantity.endswith("iB") else quantity


def human(key: str, value: str | None) -> str:
    """A config value as people read it in a plan: `604800000 (7d)`, `1073741824 (1 GiB)`."""
    if value is None:
        return "(unset)"
    definition = any_version_config(key)  # 3.x-only keys read as well
    if definition is None or definition.unit is None:
        return value
    try:
        number = int(value)
    except ValueError:
        return value
    if number < 0:
        return f"{value} (unlimited)" if key.startswith(("retention", "local.retention")) else value
    readable = human_quantity(definition.unit, number)
    return f"{value} ({spaced(readable)})" if readable else value


def _did_you_mean(text: str, choices: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(text, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""

"""Kafka 4.x topic-level configs: what each key accepts and its one canonical string form.

Two entry points:

- `parse_config_value(key, yaml_value)` is strict: it turns a value written in YAML
  (`7d`, `1GiB`, `[compact, delete]`, `true`...) into Kafka's canonical string, or raises
  `ValueError` saying why the value is not acceptable (type, range, choices).
- `canonical_value(key, value)` is lenient: it maps any representation of a valid value,
  from YAML or from the live broker (`"604800000"`, `"[compact, delete]"`,
  `"delete,compact"`, `"TRUE"`), to the same canonical string, so desired and live values
  compare equal when they mean the same thing. It never raises on a string: a value it
  cannot read comes back stripped but otherwise unchanged, so comparing it still works.

The catalogue mirrors `LogConfig` in Apache Kafka 4.x (storage module): type, range and
valid values. Keys removed in 4.0 (message.format.version,
message.timestamp.difference.max.ms) and message.downconversion.enable (a no-op in 4.x)
are not listed, so declaring them is an error.
"""
from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from decimal import Decimal
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


def _long(name: str, default: int, minimum: int | None = None, **kw: object) -> TopicConfigDef:
    return TopicConfigDef(name, "long", str(default), minimum, LONG_MAX, **kw)  # type: ignore[arg-type]


def _int(name: str, default: int, minimum: int | None = None, maximum: int = INT_MAX, **kw: object) -> TopicConfigDef:
    return TopicConfigDef(name, "int", str(default), minimum, maximum, **kw)  # type: ignore[arg-type]


def _bool(name: str, default: bool, **kw: object) -> TopicConfigDef:
    return TopicConfigDef(name, "boolean", "true" if default else "false", **kw)  # type: ignore[arg-type]


_CATALOGUE: tuple[TopicConfigDef, ...] = (
    TopicConfigDef("cleanup.policy", "list", "delete", choices=("compact", "delete")),
    _int("compression.gzip.level", -1, 1, 9, also_allowed=(-1,)),
    _int("compression.lz4.level", 9, 1, 17),
    TopicConfigDef(
        "compression.type", "string", "producer",
        choices=("uncompressed", "zstd", "lz4", "snappy", "gzip", "producer"),
    ),
    _int("compression.zstd.level", 3, -131072, 22),
    _long("delete.retention.ms", 86400000, 0),
    _long("file.delete.delay.ms", 60000, 0),
    _long("flush.messages", LONG_MAX, 1),
    _long("flush.ms", LONG_MAX, 0),
    TopicConfigDef("follower.replication.throttled.replicas", "list", "", managed=False),
    _int("index.interval.bytes", 4096, 0),
    TopicConfigDef("leader.replication.throttled.replicas", "list", "", managed=False),
    _long("local.retention.bytes", -2, -2),
    _long("local.retention.ms", -2, -2),
    _long("max.compaction.lag.ms", LONG_MAX, 1),
    _int("max.message.bytes", 1048588, 0),
    _long("message.timestamp.after.max.ms", 3600000, 0),
    _long("message.timestamp.before.max.ms", LONG_MAX, 0),
    TopicConfigDef("message.timestamp.type", "string", "CreateTime", choices=("CreateTime", "LogAppendTime")),
    TopicConfigDef("min.cleanable.dirty.ratio", "double", "0.5", 0.0, 1.0),
    _long("min.compaction.lag.ms", 0, 0),
    _int("min.insync.replicas", 1, 1),
    _bool("preallocate", False),
    _bool("remote.log.copy.disable", False, since="3.9"),
    _bool("remote.log.delete.on.disable", False, since="3.9"),
    _bool("remote.storage.enable", False),
    # Kafka itself accepts any long here; anything below -1 means the same as -1.
    _long("retention.bytes", -1, -1),
    _long("retention.ms", 604800000, -1),
    _int("segment.bytes", 1073741824, 1048576),  # at least 1 MiB since Kafka 4.0 (KIP-1030)
    _int("segment.index.bytes", 10485760, 4),
    _long("segment.jitter.ms", 0, 0),
    _long("segment.ms", 604800000, 1),
    _bool("unclean.leader.election.enable", False),
)

TOPIC_CONFIGS: Mapping[str, TopicConfigDef] = {c.name: c for c in _CATALOGUE}

# Keys people still write from older Kafka versions, with why they are refused.
REMOVED_CONFIGS: Mapping[str, str] = {
    "message.format.version": "removed in Kafka 4.0 (the message format is always v2)",
    "message.timestamp.difference.max.ms": "removed in Kafka 4.0: use message.timestamp.before.max.ms "
    "and message.timestamp.after.max.ms",
    "message.downconversion.enable": "a no-op since Kafka 4.0 (down-conversion is gone)",
}

_DURATION_UNITS_MS = {"ms": 1, "s": 1000, "m": 60_000, "min": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000}
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|min|s|m|h|d|w)")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|min|s|m|h|d|w))+")

_SIZE_UNITS = {
    "b": 1,
    "kb": 1000, "mb": 1000**2, "gb": 1000**3, "tb": 1000**4,
    "kib": 1024, "mib": 1024**2, "gib": 1024**3, "tib": 1024**4,
}
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]+)")
_INTEGER = re.compile(r"[-+]?\d+")


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------


def known_config(key: str) -> TopicConfigDef | None:
    return TOPIC_CONFIGS.get(key)


def unknown_config_message(key: str) -> str:
    """Why `key` is not a topic config, with a did-you-mean when one is close."""
    if key in REMOVED_CONFIGS:
        return f"'{key}' is not a topic config in Kafka 4.x: {REMOVED_CONFIGS[key]}"
    message = f"unknown topic config '{key}'"
    if key.startswith("log.") and key[4:] in TOPIC_CONFIGS:
        return f"{message}: '{key}' is the broker-wide default; the topic-level key is '{key[4:]}'"
    suggestion = difflib.get_close_matches(key, list(TOPIC_CONFIGS), n=1, cutoff=0.6)
    return f"{message} (did you mean '{suggestion[0]}'?)" if suggestion else message


def parse_config_value(key: str, yaml_value: object) -> str:
    """The canonical string for a value written in YAML; ValueError says why it is invalid.

    Unknown keys raise too (see unknown_config_message). YAML gives ints, floats, bools,
    strings or lists; each config type accepts the ones that make sense for it.
    """
    definition = TOPIC_CONFIGS.get(key)
    if definition is None:
        raise ValueError(unknown_config_message(key))
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
        return _parse_scalar(key, type(yaml_value), yaml_value)
    return _STRICT_PARSERS[definition.type](definition, yaml_value)


@lru_cache(maxsize=8192)
def _parse_scalar(key: str, value_type: type, value: str | int | float) -> str:
    """parse_config_value for scalars, memoised: large repositories repeat a few values
    (`7d`, `1GiB`, `delete`) thousands of times. Errors are raised, never cached."""
    definition = TOPIC_CONFIGS[key]
    return _STRICT_PARSERS[definition.type](definition, value)


def canonical_value(key: str, value: str) -> str:
    """Kafka's canonical string for any representation of `value` (YAML or live broker).

    Lenient by design: range checks are parse_config_value's job, an unknown key or an
    unreadable value comes back stripped, never an exception (for a string input).
    """
    text = str(value).strip()
    definition = TOPIC_CONFIGS.get(key)
    if definition is None:
        return text
    try:
        return _CANONICALISERS[definition.type](definition, text)
    except ValueError:
        return text


def default_value(key: str) -> str | None:
    """Kafka's built-in default for `key` (before any broker-level override)."""
    definition = TOPIC_CONFIGS.get(key)
    return definition.default if definition else None


# ---------------------------------------------------------------------------
# Numbers: durations, sizes, plain integers
# ---------------------------------------------------------------------------


def parse_duration_ms(text: str) -> int:
    """`7d`, `12h`, `30m`, `45s`, `500ms`, `1w`, `1h30m`, `1.5h`, plain integers -> ms."""
    compact = text.strip().lower().replace(" ", "")
    if _INTEGER.fullmatch(compact):
        return int(compact)
    if not _DURATION.fullmatch(compact):
        raise ValueError(
            f"expected a duration such as 7d, 12h, 30m, 45s, 500ms, 1w or a number of milliseconds, got {_quote(text)}"
        )
    total = 0.0
    for number, unit in _DURATION_PART.findall(compact):
        total += float(number) * _DURATION_UNITS_MS[unit]
    if total != int(total):
        raise ValueError(f"{_quote(text)} is not a whole number of milliseconds")
    return int(total)


def parse_size_bytes(text: str) -> int:
    """`1GiB`, `512MiB`, `1GB` (decimal), `100KB`, `10B`, plain integers, `-1` -> bytes."""
    compact = text.strip()
    if _INTEGER.fullmatch(compact):
        return int(compact)
    match = _SIZE.fullmatch(compact.lower())
    if not match or match.group(2) not in _SIZE_UNITS:
        raise ValueError(
            f"expected a size such as 1GiB, 512MiB, 1GB (decimal), 100KB or a number of bytes, got {_quote(text)}"
        )
    total = float(match.group(1)) * _SIZE_UNITS[match.group(2)]
    if total != int(total):
        raise ValueError(f"{_quote(text)} is not a whole number of bytes")
    return int(total)


def _integer_from_yaml(definition: TopicConfigDef, value: object) -> int:
    if isinstance(value, bool):
        raise ValueError(f"expected {_expected(definition)}, got {_describe(value)}")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
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
    try:
        number = float(text.strip())
    except ValueError:
        raise ValueError(f"expected a number, got {_quote(text)}") from None
    if math.isnan(number) or math.isinf(number):
        raise ValueError(f"expected a finite number, got {_quote(text)}")
    return number


def _parse_double(definition: TopicConfigDef, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"expected {_expected(definition)}, got {_describe(value)}")
    number = _double_from_text(value) if isinstance(value, str) else float(value)
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
    return f"{number} ({_spaced(readable)})" if readable else str(number)


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


def _spaced(quantity: str) -> str:
    """`1GiB` -> `1 GiB` in messages and plans (durations stay `7d`)."""
    return quantity[:-3] + " " + quantity[-3:] if quantity.endswith("iB") else quantity


def human(key: str, value: str | None) -> str:
    """A config value as people read it in a plan: `604800000 (7d)`, `1073741824 (1 GiB)`."""
    if value is None:
        return "(unset)"
    definition = known_config(key)
    if definition is None or definition.unit is None:
        return value
    try:
        number = int(value)
    except ValueError:
        return value
    if number < 0:
        return f"{value} (unlimited)" if key.startswith(("retention", "local.retention")) else value
    readable = human_quantity(definition.unit, number)
    return f"{value} ({_spaced(readable)})" if readable else value


def _did_you_mean(text: str, choices: tuple[str, ...]) -> str:
    match = difflib.get_close_matches(text, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{match[0]}'?)" if match else ""

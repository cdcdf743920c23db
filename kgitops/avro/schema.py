"""Avro schema texts parsed into a small typed tree, and their normalised form.

fastavro resolves names (namespaces, references, redefinitions, unknown types). Around it
come the checks Avro Java's parser makes and fastavro does not, or not with a useful
message: the JSON shape first (records without fields, a non-string "type", fixed sizes),
then, while the tree is built from fastavro's output, names, duplicate fields and symbols,
nested or duplicate union branches, field order and field defaults. So a schema the
registry would refuse is refused here first, with a reason a person can act on.

Named types are defined where they first appear and referenced by full name afterwards,
exactly as in the text, so recursive schemas are finite trees.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Mapping, Union

from fastavro.schema import UnknownType
from fastavro.schema import parse_schema as fastavro_parse_schema

from kgitops.collector import collector_paused
from kgitops.avro.json_text import JsonPath, JsonProblem, find_string, load_json, locate
from kgitops.errors import InputError, Problem

PRIMITIVE_TYPES = ("null", "boolean", "int", "long", "float", "double", "bytes", "string")
FIELD_ORDERS = ("ascending", "descending", "ignore")

# Attributes that carry no meaning for reading or registering data (the Avro spec lets
# "doc" be dropped) or that the tree holds in typed form.
_DOC = "doc"
_STRUCTURAL_KEYS = {
    "record": {"type", "name", "namespace", "aliases", "fields", _DOC},
    "error": {"type", "name", "namespace", "aliases", "fields", _DOC},
    "enum": {"type", "name", "namespace", "aliases", "symbols", "default", _DOC},
    "fixed": {"type", "name", "namespace", "aliases", "size", _DOC},
    "array": {"type", "items", _DOC},
    "map": {"type", "values", _DOC},
}
_FIELD_KEYS = {"name", "type", "default", "aliases", "order", _DOC}

Properties = tuple[tuple[str, Any], ...]  # extra attributes (logicalType, precision, custom), sorted


class _NoDefault:
    """Marks a field without a default (None is a valid default: JSON null)."""

    def __repr__(self) -> str:
        return "NO_DEFAULT"


NO_DEFAULT: Any = _NoDefault()


@dataclass(frozen=True)
class PrimitiveType:
    type: str
    properties: Properties = ()


@dataclass(frozen=True)
class ArrayType:
    items: "Node"
    properties: Properties = ()


@dataclass(frozen=True)
class MapType:
    values: "Node"
    properties: Properties = ()


@dataclass(frozen=True)
class UnionType:
    branches: tuple["Node", ...]


@dataclass(frozen=True)
class NameReference:
    """A later use of a named type defined elsewhere in the same schema."""

    fullname: str


@dataclass(frozen=True)
class Field:
    name: str
    type: "Node"
    default: Any = NO_DEFAULT
    aliases: tuple[str, ...] = ()
    order: str = "ascending"
    properties: Properties = ()

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT


@dataclass(frozen=True)
class _Named:
    fullname: str
    aliases: tuple[str, ...]  # as Avro Java qualifies them, see _qualify_alias

    @property
    def name(self) -> str:
        return self.fullname.rpartition(".")[2]

    @property
    def namespace(self) -> str | None:
        return self.fullname.rpartition(".")[0] or None


@dataclass(frozen=True)
class RecordType(_Named):
    fields: tuple[Field, ...]
    is_error: bool = False  # an Avro "error" is a record; kept apart only for the normalised form
    properties: Properties = ()


@dataclass(frozen=True)
class EnumType(_Named):
    symbols: tuple[str, ...]
    default: str | None = None
    properties: Properties = ()


@dataclass(frozen=True)
class FixedType(_Named):
    size: int
    properties: Properties = ()


NamedType = Union[RecordType, EnumType, FixedType]
_PRIMITIVE_NODES = {name: PrimitiveType(name) for name in PRIMITIVE_TYPES}  # immutable, so shared
Node = Union[PrimitiveType, ArrayType, MapType, UnionType, NameReference, RecordType, EnumType, FixedType]


@dataclass(frozen=True)
class AvroSchema:
    """A parsed schema: its root node and every named type it defines, by full name."""

    root: Node
    named: Mapping[str, NamedType]
    source: str

    def resolve(self, node: Node) -> Node:
        """The definition behind a name reference; any other node as it is."""
        if isinstance(node, NameReference):
            return self.named[node.fullname]
        return node


# Where a node is, as (parent link, key) pairs: one small tuple per step, flattened into a
# JSON path only for a message (building full paths for every field would cost more than
# the parse on a large record).
PathLink = tuple


def _at(path: PathLink, *keys: str | int) -> PathLink:
    for key in keys:
        path = (path, key)
    return path


def _flatten(path: PathLink) -> JsonPath:
    parts: list[str | int] = []
    while path:
        path, key = path
        parts.append(key)
    return tuple(reversed(parts))


class _InvalidSchema(Exception):
    """A reason the schema is not valid Avro, and the JSON path of the node it is about;
    becomes an InputError naming the file, line and column."""

    def __init__(self, message: str, path: PathLink = ()):
        super().__init__(message)
        self.path = _flatten(path)


# ---------------------------------------------------------------------------
# Parsing
# ---------------------------------------------------------------------------


def parse(text: str, source: str, validate_defaults: bool = True) -> AvroSchema:
    """Parse an Avro schema text; InputError names `source`, the line of the offending
    node and the reason if it is invalid.

    validate_defaults=False accepts field defaults that do not match their type, as the
    registry does for versions it already holds (it validates only schemas being registered).
    """
    try:
        document = load_json(text)
    except JsonProblem as err:
        problem = Problem(f"invalid JSON: {err.message}", file=source, line=err.line, column=err.column)
        raise InputError(str(problem), [problem]) from None
    try:
        with collector_paused():
            return _build(document, source, validate_defaults)
    except _UnknownName as err:
        line, column = find_string(text, err.name)
        problem = Problem(f"invalid Avro schema: {err}", file=source, line=line, column=column)
        raise InputError(str(problem), [problem]) from None
    except _InvalidSchema as err:
        line, column = locate(text, err.path)
        problem = Problem(f"invalid Avro schema: {err}", file=source, line=line, column=column)
        raise InputError(str(problem), [problem]) from None


class _UnknownName(_InvalidSchema):
    def __init__(self, message: str, name: str):
        super().__init__(message)
        self.name = name


def _build(document: Any, source: str, validate_defaults: bool) -> AvroSchema:
    _check_shape(document, ())
    try:
        # Defaults are checked by the tree builder, which names the field and follows Java.
        parsed = fastavro_parse_schema(document, _write_hint=False, _force=True, _ignore_default_error=True)
    except UnknownType as err:
        raise _UnknownName(
            f"unknown type {_r(err.name)}", err.name
        ) from err
    except KeyError as err:
        raise _InvalidSchema(f"missing attribute {err}") from err
    except Exception as err:  # fastavro raises several types; each is a reason, not a bug
        raise _InvalidSchema(_shorten(str(err)) or type(err).__name__) from err
    builder = _TreeBuilder(validate_defaults)
    root = builder.node(parsed, ())
    return AvroSchema(root=root, named=dict(builder.named), source=source)


def _check_shape(schema: Any, path: PathLink) -> None:
    """The JSON shape Avro Java insists on, checked before fastavro (whose errors on a
    malformed document are Python internals such as "unhashable type: 'dict'")."""
    if isinstance(schema, str):
        return
    if isinstance(schema, list):
        for index, branch in enumerate(schema):
            _check_shape(branch, (path, index))
        return
    if not isinstance(schema, dict):
        raise _InvalidSchema(f"a schema must be a type name, an object or a union list, not {_brief(schema)}", path)
    kind = schema.get("type")
    if not isinstance(kind, str):
        raise _InvalidSchema(f'"type" must be a string, not {_brief(kind)}', (path, "type"))
    if kind in ("record", "error", "enum", "fixed") and not isinstance(schema.get("name"), str):
        raise _InvalidSchema(f'a {kind} needs a "name" string: {_brief(schema)}', path)
    if kind in ("record", "error"):
        _check_fields_shape(schema, path)
    elif kind == "enum" and not isinstance(schema.get("symbols"), list):
        raise _InvalidSchema(f'enum {schema["name"]!r} needs a "symbols" list', path)
    elif kind == "fixed":
        size = schema.get("size")
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise _InvalidSchema(
                f"fixed {schema['name']!r} needs a non-negative integer size, not {_r(size)}", (path, "size")
            )
    elif kind in ("array", "map"):
        child = "items" if kind == "array" else "values"
        if child not in schema:
            raise _InvalidSchema(f'{"an array" if kind == "array" else "a map"} needs "{child}": {_brief(schema)}', path)
        _check_shape(schema[child], (path, child))


def _check_fields_shape(record: dict, path: PathLink) -> None:
    fields = record.get("fields")
    if not isinstance(fields, list):
        # fastavro would quietly read a missing list as no fields; Avro Java refuses it.
        raise _InvalidSchema(f'record {record["name"]!r} has no "fields" list', path)
    for index, field in enumerate(fields):
        field_path = _at(path, "fields", index)
        if not isinstance(field, dict) or not isinstance(field.get("name"), str) or "type" not in field:
            raise _InvalidSchema(
                f'each field of record {record["name"]!r} needs a "name" and a "type": {_brief(field)}', field_path
            )
        _check_shape(field["type"], (field_path, "type"))


class _TreeBuilder:
    """Turns fastavro's parsed form (full names everywhere, the same JSON structure as the
    text) into the typed tree; `path` is where a node is in that structure, for messages."""

    def __init__(self, validate_defaults: bool = True) -> None:
        self.named: dict[str, NamedType] = {}
        self.validate_defaults = validate_defaults

    def node(self, schema: Any, path: PathLink) -> Node:
        if isinstance(schema, str):
            primitive = _PRIMITIVE_NODES.get(schema)
            if primitive is not None:
                return primitive
            if schema not in self.named:
                raise _InvalidSchema(f"unknown type {schema!r}", path)
            return NameReference(schema)
        if isinstance(schema, list):
            return self.union(schema, path)
        if isinstance(schema, dict):
            return self.complex(schema, path)
        raise _InvalidSchema(f"a schema must be a type name, an object or a union list, not {_brief(schema)}", path)

    def union(self, schema: list, path: PathLink) -> UnionType:
        branches = tuple(self.node(branch, (path, index)) for index, branch in enumerate(schema))
        seen: set[str] = set()
        for index, branch in enumerate(branches):
            if isinstance(branch, UnionType):
                raise _InvalidSchema("a union cannot contain another union directly", (path, index))
            key = self.union_key(branch)
            if key in seen:
                raise _InvalidSchema(f"union contains {key} twice", (path, index))
            seen.add(key)
        return UnionType(branches)

    def union_key(self, branch: Node) -> str:
        # Avro allows one branch per unnamed type and one per full name.
        if isinstance(branch, NameReference):
            return branch.fullname
        if isinstance(branch, (RecordType, EnumType, FixedType)):
            return branch.fullname
        if isinstance(branch, PrimitiveType):
            return branch.type
        return "array" if isinstance(branch, ArrayType) else "map"

    def complex(self, schema: dict, path: PathLink) -> Node:
        kind = schema.get("type")
        if not isinstance(kind, str):
            raise _InvalidSchema(f'"type" must be a string, not {_brief(kind)}', (path, "type"))
        if kind in PRIMITIVE_TYPES:
            return PrimitiveType(kind, _properties(schema, {"type", _DOC}))
        if kind == "array":
            items = self.node(schema["items"], (path, "items"))
            return ArrayType(items, _properties(schema, _STRUCTURAL_KEYS["array"]))
        if kind == "map":
            values = self.node(schema["values"], (path, "values"))
            return MapType(values, _properties(schema, _STRUCTURAL_KEYS["map"]))
        if kind in ("record", "error"):
            return self.record(schema, path, is_error=kind == "error")
        if kind == "enum":
            return self.enum(schema, path)
        if kind == "fixed":
            return self.fixed(schema, path)
        raise _InvalidSchema(f"unknown type {kind!r}", (path, "type"))

    def define(self, named: NamedType, path: PathLink) -> NamedType:
        if named.name in PRIMITIVE_TYPES:
            raise _InvalidSchema(f"a named type cannot be called {named.name!r}", (path, "name"))
        self.named[named.fullname] = named
        return named

    def record(self, schema: dict, path: PathLink, is_error: bool) -> RecordType:
        fullname = _fullname(schema, path)
        aliases = _named_aliases(schema, fullname, path)
        properties = _properties(schema, _STRUCTURAL_KEYS["record"])
        # Registered before its fields are built so they can refer to it (recursion).
        self.named[fullname] = RecordType(fullname, aliases, (), is_error, properties)
        fields_path = (path, "fields")
        seen: set[str] = set()
        fields = []
        for index, field in enumerate(schema["fields"]):
            built = self.field(field, fullname, (fields_path, index))
            if built.name in seen:
                raise _InvalidSchema(
                    f"duplicate field name in record {fullname}: {built.name!r}", _at(fields_path, index, "name")
                )
            seen.add(built.name)
            fields.append(built)
        return self.define(RecordType(fullname, aliases, tuple(fields), is_error, properties), path)  # type: ignore[return-value]

    def field(self, field: dict, record: str, path: PathLink) -> Field:
        name = field.get("name")
        _require_name(name, f"field name in record {record}", (path, "name"))
        aliases = (
            _string_list(field["aliases"], f"aliases of field {record}.{name}", (path, "aliases"))
            if "aliases" in field else ()
        )
        order = field.get("order", "ascending")
        if order not in FIELD_ORDERS:
            raise _InvalidSchema(
                f"field {record}.{name} has order {_r(order)}; expected one of {', '.join(FIELD_ORDERS)}",
                (path, "order"),
            )
        field_type = self.node(field["type"], (path, "type"))
        default = field.get("default", NO_DEFAULT)
        if self.validate_defaults and default is not NO_DEFAULT and not _is_valid_default(field_type, default, self.named):
            raise _InvalidSchema(
                f"default {_json(default)} of field {record}.{name} does not match its type", (path, "default")
            )
        properties = _properties(field, _FIELD_KEYS) if len(field) > 2 else ()  # name and type only: none
        return Field(name, field_type, default, tuple(aliases), order, properties)

    def enum(self, schema: dict, path: PathLink) -> EnumType:
        fullname = _fullname(schema, path)
        symbols_path = (path, "symbols")
        symbols = _string_list(schema.get("symbols"), f"symbols of enum {fullname}", symbols_path)
        seen: set[str] = set()
        for index, symbol in enumerate(symbols):
            _require_name(symbol, f"symbol of enum {fullname}", (symbols_path, index))
            if symbol in seen:
                raise _InvalidSchema(f"duplicate symbol in enum {fullname}: {symbol!r}", (symbols_path, index))
            seen.add(symbol)
        default = schema.get("default")
        if default is not None and default not in symbols:
            raise _InvalidSchema(f"default {_r(default)} of enum {fullname} is not one of its symbols", (path, "default"))
        return self.define(EnumType(  # type: ignore[return-value]
            fullname, _named_aliases(schema, fullname, path), tuple(symbols), default,
            _properties(schema, _STRUCTURAL_KEYS["enum"]),
        ), path)

    def fixed(self, schema: dict, path: PathLink) -> FixedType:
        fullname = _fullname(schema, path)
        return self.define(FixedType(  # type: ignore[return-value]
            fullname, _named_aliases(schema, fullname, path), schema["size"],
            _properties(schema, _STRUCTURAL_KEYS["fixed"]),
        ), path)


def _is_valid_default(node: Node, value: Any, named: Mapping[str, NamedType]) -> bool:
    """Avro Java's rules for a field default (a union default may match any branch, as in
    Avro 1.12 and the current specification; Avro 1.11 wanted the first branch)."""
    node = named[node.fullname] if isinstance(node, NameReference) else node
    if isinstance(node, UnionType):
        return any(_is_valid_default(branch, value, named) for branch in node.branches)
    if isinstance(node, (EnumType, FixedType)):
        return isinstance(value, str)
    if isinstance(node, ArrayType):
        return isinstance(value, list) and all(_is_valid_default(node.items, v, named) for v in value)
    if isinstance(node, MapType):
        return isinstance(value, dict) and all(_is_valid_default(node.values, v, named) for v in value.values())
    if isinstance(node, RecordType):
        return isinstance(value, dict) and all(
            _is_valid_default(f.type, value[f.name], named) if f.name in value
            else f.has_default and _is_valid_default(f.type, f.default, named)
            for f in node.fields
        )
    assert isinstance(node, PrimitiveType)
    return _is_valid_primitive(node.type, value)


def _is_valid_primitive(kind: str, value: Any) -> bool:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind in ("string", "bytes"):
        return isinstance(value, str)
    if kind == "int":
        return is_number and isinstance(value, int) and -(2**31) <= value < 2**31
    if kind == "long":
        return is_number and isinstance(value, int) and -(2**63) <= value < 2**63
    if kind in ("float", "double"):
        return is_number
    if kind == "boolean":
        return isinstance(value, bool)
    return value is None  # null


def _fullname(schema: dict, path: PathLink) -> str:
    fullname = schema.get("name")
    if not isinstance(fullname, str):
        raise _InvalidSchema(f"a {schema.get('type')} needs a \"name\" string: {_brief(schema)}", path)
    _require_name(fullname.rpartition(".")[2], f"{schema.get('type')} name", (path, "name"))
    return fullname


def _named_aliases(schema: dict, fullname: str, path: PathLink) -> tuple[str, ...]:
    aliases = _string_list(schema.get("aliases", []), f"aliases of {fullname}", (path, "aliases"))
    namespace = fullname.rpartition(".")[0] or None
    return tuple(_qualify_alias(alias, namespace) for alias in aliases)


def _qualify_alias(alias: str, namespace: str | None) -> str:
    """A named type's alias as Avro Java compares it with a writer's full name: an
    unqualified alias takes the type's own namespace; ".Name" (explicitly no namespace)
    inside a namespaced type comes out as ".Name", which matches no full name."""
    space, dot, name = alias.rpartition(".")
    if not dot:
        return f"{namespace}.{alias}" if namespace else alias
    if not space:
        return f".{name}" if namespace else name
    return alias


_ASCII_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")  # the common case, checked fast


def _require_name(name: Any, what: str, path: PathLink) -> None:
    if type(name) is str and _ASCII_NAME.fullmatch(name):
        return
    if not isinstance(name, str) or not name or not _is_java_name(name):
        raise _InvalidSchema(f"invalid {what}: {_r(name)} (a letter or _, then letters, digits or _)", path)


def _is_java_name(name: str) -> bool:
    # Avro Java's default validator: a letter or "_", then letters, digits or "_".
    return (name[0].isalpha() or name[0] == "_") and all(c.isalnum() or c == "_" for c in name[1:])


def _string_list(value: Any, what: str, path: PathLink) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _InvalidSchema(f"{what} must be a list of strings, not {_r(value)}", path)
    return value


def _properties(schema: dict, structural: set[str]) -> Properties:
    return tuple(sorted(
        (key, value) for key, value in schema.items()
        if key not in structural and not key.startswith("__fastavro")
    ))


def _brief(value: Any) -> str:
    """A value quoted in a message, at most 80 characters (a schema may be megabytes)."""
    try:
        text = json.dumps(value, sort_keys=True, default=str)
    except (ValueError, RecursionError):
        text = type(value).__name__
    return text if len(text) <= 80 else text[:77] + "..."


def _r(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _json(value: Any) -> str:
    text = json.dumps(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _shorten(message: str) -> str:
    # fastavro appends the whole offending schema to some messages.
    message = message.split(": {", 1)[0]
    return message if len(message) <= 200 else message[:197] + "..."


# ---------------------------------------------------------------------------
# Normalised form
# ---------------------------------------------------------------------------


def normalised(text: str, source: str = "schema") -> str:
    """A deterministic JSON text of everything that matters when registering a schema:
    full names, fields and their order, types, defaults, aliases, enum symbols and default,
    fixed size, logical types and other custom attributes, field order. Whitespace, key
    order, "namespace" spelling (folded into full names) and docs do not count, so two
    texts with equal normalised forms are the same schema."""
    return normalised_schema(parse(text, source))


def normalised_schema(schema: AvroSchema) -> str:
    rendered = _NormalForm(schema).render(schema.root)
    return json.dumps(rendered, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


class _NormalForm:
    def __init__(self, schema: AvroSchema) -> None:
        self.schema = schema
        self.defined: set[str] = set()

    def render(self, node: Node) -> Any:
        if isinstance(node, NameReference):
            return node.fullname
        if isinstance(node, PrimitiveType):
            return {"type": node.type, **dict(node.properties)} if node.properties else node.type
        if isinstance(node, UnionType):
            return [self.render(branch) for branch in node.branches]
        if isinstance(node, ArrayType):
            return {**dict(node.properties), "type": "array", "items": self.render(node.items)}
        if isinstance(node, MapType):
            return {**dict(node.properties), "type": "map", "values": self.render(node.values)}
        if node.fullname in self.defined:  # defensive: a second definition renders as a reference
            return node.fullname
        self.defined.add(node.fullname)
        rendered: dict[str, Any] = {**dict(node.properties), "name": node.fullname}
        if node.aliases:
            rendered["aliases"] = sorted(node.aliases)
        if isinstance(node, RecordType):
            rendered["type"] = "error" if node.is_error else "record"
            rendered["fields"] = [self.field(field) for field in node.fields]
        elif isinstance(node, EnumType):
            rendered.update(type="enum", symbols=list(node.symbols))
            if node.default is not None:
                rendered["default"] = node.default
        else:
            rendered.update(type="fixed", size=node.size)
        return rendered

    def field(self, field: Field) -> dict[str, Any]:
        rendered: dict[str, Any] = {**dict(field.properties), "name": field.name, "type": self.render(field.type)}
        if field.has_default:
            rendered["default"] = self.default(field.type, field.default)
        if field.aliases:
            rendered["aliases"] = sorted(field.aliases)
        if field.order != "ascending":  # ascending is what an absent order means
            rendered["order"] = field.order
        return rendered

    def default(self, node: Node, value: Any) -> Any:
        """The default in one spelling per value: 1 and 1.0 are the same double."""
        node = self.schema.resolve(node)
        if isinstance(node, UnionType):
            for branch in node.branches:
                if _is_valid_default(branch, value, self.schema.named):
                    return self.default(branch, value)
            return value
        if not _is_valid_default(node, value, self.schema.named):
            return value  # kept as written (parsed with validate_defaults=False)
        if isinstance(node, PrimitiveType) and node.type in ("float", "double"):
            return float(value)
        if isinstance(node, ArrayType):
            return [self.default(node.items, v) for v in value]
        if isinstance(node, MapType):
            return {k: self.default(node.values, v) for k, v in value.items()}
        if isinstance(node, RecordType):
            by_name = {f.name: f for f in node.fields}
            return {k: self.default(by_name[k].type, v) if k in by_name else v for k, v in value.items()}
        return value

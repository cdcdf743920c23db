"""Avro schema resolution: can a reader schema read every datum written with a writer schema?

The rules are the Avro specification's, with the choices Avro Java's SchemaCompatibility
makes where the specification leaves room or Java differs from it, because Confluent Schema
Registry decides with that class:

- records, enums and fixed match on their *unqualified* names, or when one of the reader's
  aliases (qualified with the reader's namespace) is the writer's full name;
- a reader field is found in the writer by its name and by each of its aliases; finding
  more than one writer field is an error: Java throws, which ends the whole check and the
  registry reports incompatible, even when the pair was only one union branch being tried
  or two records whose names already differ (so those fields are visited here too);
- a reader field the writer lacks needs a field default; an enum default on the field's
  type does not count;
- a writer enum symbol the reader lacks is fine only when the reader enum has a default;
- every branch of a writer union must be readable; a reader union reads a writer type when
  any of its branches can;
- logical types are ignored: only the underlying Avro types are compared;
- recursive schemas terminate: a (reader, writer) pair of named types already being checked
  is assumed compatible, and finished pairs are remembered.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from kgitops.avro.schema import (
    ArrayType,
    AvroSchema,
    EnumType,
    Field,
    FixedType,
    MapType,
    NamedType,
    Node,
    PrimitiveType,
    RecordType,
    UnionType,
)

# Writer type -> reader types it is promoted to (Avro specification, "Schema Resolution").
PROMOTIONS: dict[str, frozenset[str]] = {
    "int": frozenset({"long", "float", "double"}),
    "long": frozenset({"float", "double"}),
    "float": frozenset({"double"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}


@dataclass(frozen=True)
class Mismatch:
    """One place where the reader cannot read what the writer may have written."""

    path: str  # e.g. "Order.items[].price", in the reader's names
    reason: str  # e.g. "writer type double cannot be read as string"


def mismatches(reader: AvroSchema, writer: AvroSchema) -> list[Mismatch]:
    """Everything that stops `reader` reading data written with `writer`; empty if it can."""
    root = _root_label(reader.resolve(reader.root))
    findings = _Resolver(reader, writer).check(reader.root, writer.root)
    return [Mismatch(root + "".join(f.segments), f.reason) for f in findings]


@dataclass(frozen=True)
class _Finding:
    """A mismatch found under some node; segments lead from that node to it."""

    reason: str
    segments: tuple[str, ...] = ()
    # Ends Avro Java's whole check (it throws): never hidden by a union branch that reads
    # the data after all, nor by a record name mismatch reported instead of field details.
    fatal: bool = False

    def under(self, segment: str) -> "_Finding":
        return _Finding(self.reason, (segment, *self.segments), self.fatal)


_IN_PROGRESS: list[_Finding] = []  # identity marks a pair being checked higher up the stack


@dataclass
class _Resolver:
    reader: AvroSchema
    writer: AvroSchema
    # (reader full name, writer full name) -> findings relative to that pair, or _IN_PROGRESS
    named_pairs: dict[tuple[str, str], list[_Finding]] = field(default_factory=dict)

    def check(self, reader_node: Node, writer_node: Node) -> list[_Finding]:
        reader = self.reader.resolve(reader_node)
        writer = self.writer.resolve(writer_node)
        if _is_named(reader) and _is_named(writer):
            return self.check_named_pair(reader, writer)
        return self.compare(reader, writer)

    def check_named_pair(self, reader: NamedType, writer: NamedType) -> list[_Finding]:
        key = (reader.fullname, writer.fullname)
        known = self.named_pairs.get(key)
        if known is _IN_PROGRESS:
            # Recursion: the pair is being checked further up; it is compatible unless that
            # check proves otherwise (what Avro Java does, and what makes the check finish).
            return []
        if known is not None:
            return known
        self.named_pairs[key] = _IN_PROGRESS
        findings = self.compare(reader, writer)
        self.named_pairs[key] = findings
        return findings

    def compare(self, reader: Node, writer: Node) -> list[_Finding]:
        if isinstance(writer, UnionType):
            # Any writer branch may have been written: each must be readable.
            return [f for branch in writer.branches for f in self.read_writer_branch(reader, branch)]
        if isinstance(reader, UnionType):
            return self.read_with_union(reader, writer)
        if isinstance(reader, PrimitiveType) and isinstance(writer, PrimitiveType):
            return self.compare_primitives(reader, writer)
        if isinstance(reader, ArrayType) and isinstance(writer, ArrayType):
            return [f.under("[]") for f in self.check(reader.items, writer.items)]
        if isinstance(reader, MapType) and isinstance(writer, MapType):
            return [f.under("{}") for f in self.check(reader.values, writer.values)]
        if isinstance(reader, RecordType) and isinstance(writer, RecordType):
            name_findings = self.names(reader, writer)
            field_findings = self.fields(reader, writer)  # visited even then, as Java does
            if name_findings:
                return name_findings + [f for f in field_findings if f.fatal]
            return field_findings
        if isinstance(reader, EnumType) and isinstance(writer, EnumType):
            return self.names(reader, writer) + self.symbols(reader, writer)
        if isinstance(reader, FixedType) and isinstance(writer, FixedType):
            return self.names(reader, writer) + self.size(reader, writer)
        return [_type_mismatch(reader, writer)]

    def read_writer_branch(self, reader: Node, branch: Node) -> list[_Finding]:
        branch = self.writer.resolve(branch)
        if not isinstance(reader, UnionType):
            return self.check(reader, branch)
        return self.read_with_union(reader, branch)

    def read_with_union(self, reader: UnionType, writer: Node) -> list[_Finding]:
        # Branches are tried in order, as Java tries them, up to the first that reads.
        fatal: list[_Finding] = []
        for branch in reader.branches:
            findings = self.check(branch, writer)
            if not findings:
                return fatal
            fatal += [f for f in findings if f.fatal]
        if fatal:
            return fatal
        # No branch reads it. Explain through the branch of the same kind, if there is one:
        # "Order.customer.name: writer type int cannot be read as string" says more than
        # "the union has no branch for record Customer".
        for branch in reader.branches:
            if _same_kind(self.reader.resolve(branch), writer):
                return self.check(branch, writer)
        return [_Finding(
            f"writer type {_describe(writer)} cannot be read by any branch of the reader union "
            f"{_describe(reader, self.reader)}"
        )]

    def compare_primitives(self, reader: PrimitiveType, writer: PrimitiveType) -> list[_Finding]:
        if reader.type == writer.type or reader.type in PROMOTIONS.get(writer.type, ()):
            return []
        return [_type_mismatch(reader, writer)]

    def names(self, reader: NamedType, writer: NamedType) -> list[_Finding]:
        # Avro Java compares unqualified names, so moving a type to another namespace is
        # compatible; a reader alias must name the writer's full name.
        if reader.name == writer.name or writer.fullname in reader.aliases:
            return []
        kind = _kind(reader)
        return [_Finding(
            f"writer {kind} {writer.fullname} cannot be read as {kind} {reader.fullname}: "
            f"the names differ and no alias of the reader names {writer.fullname}"
        )]

    def fields(self, reader: RecordType, writer: RecordType) -> list[_Finding]:
        findings: list[_Finding] = []
        writer_fields = {f.name: f for f in writer.fields}
        for reader_field in reader.fields:
            segment = f".{reader_field.name}"
            # Java looks the name up, then each alias, and keeps every hit (even repeats).
            matches = [writer_fields[n] for n in (reader_field.name, *reader_field.aliases) if n in writer_fields]
            if len(matches) > 1:
                names = ", ".join(f.name for f in matches)
                findings.append(_Finding(
                    f"reader field {reader_field.name} of record {reader.fullname} matches more than one "
                    f"field ({names}) of writer record {writer.fullname} by its name and aliases; "
                    "Avro Java stops the check with an error here, which the registry reports as incompatible",
                    (segment,), fatal=True,
                ))
            elif matches:
                findings += [f.under(segment) for f in self.check(reader_field.type, matches[0].type)]
            elif not reader_field.has_default:
                findings.append(_Finding(_missing_field_reason(reader_field), (segment,)))
        return findings

    def symbols(self, reader: EnumType, writer: EnumType) -> list[_Finding]:
        missing = sorted(set(writer.symbols) - set(reader.symbols))
        if not missing or reader.default is not None:
            return []
        return [_Finding(
            f"writer enum symbols {', '.join(missing)} are not in the reader enum {reader.fullname}, "
            "which has no default symbol"
        )]

    def size(self, reader: FixedType, writer: FixedType) -> list[_Finding]:
        if reader.size == writer.size:
            return []
        return [_Finding(f"writer fixed {writer.fullname} has size {writer.size}, the reader's has size {reader.size}")]


def _missing_field_reason(field: Field) -> str:
    names = " or ".join((field.name, *field.aliases))
    return f"the writer has no field {names} and the reader field has no default"


def _type_mismatch(reader: Node, writer: Node) -> _Finding:
    return _Finding(f"writer type {_describe(writer)} cannot be read as {_describe(reader)}")


def _is_named(node: Node) -> bool:
    return isinstance(node, (RecordType, EnumType, FixedType))


def _kind(node: Node) -> str:
    if isinstance(node, PrimitiveType):
        return node.type
    if isinstance(node, RecordType):
        return "record"
    if isinstance(node, EnumType):
        return "enum"
    if isinstance(node, FixedType):
        return "fixed"
    if isinstance(node, ArrayType):
        return "array"
    if isinstance(node, MapType):
        return "map"
    return "union"


def _same_kind(reader: Node, writer: Node) -> bool:
    if _kind(reader) != _kind(writer):
        return False
    return not _is_named(reader) or reader.name == writer.name  # type: ignore[union-attr]


def _describe(node: Node, schema: Union[AvroSchema, None] = None) -> str:
    if _is_named(node):
        return f"{_kind(node)} {node.fullname}"  # type: ignore[union-attr]
    if isinstance(node, UnionType) and schema is not None:
        return "[" + ", ".join(_describe(schema.resolve(b)) for b in node.branches) + "]"
    return _kind(node)


def _root_label(node: Node) -> str:
    return node.name if _is_named(node) else _kind(node)  # type: ignore[union-attr]

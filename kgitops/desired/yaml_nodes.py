"""YAML text -> plain data (dicts, lists, scalars), remembering where everything was written.

The C loader composes a node tree (each node carries its start mark); we turn it into
plain data ourselves, which lets us refuse what `yaml.safe_load` silently accepts
(duplicate keys, unsupported tags, alias bombs) and answer "where is `topics[3].config`?"
later, only when a message needs it, by walking the same nodes.

Lines and columns in every Location are 1-based.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Sequence

import yaml
from yaml.constructor import ConstructorError, SafeConstructor

from kgitops.desired.files import UnreadableFile, read_bounded
from kgitops.errors import Problem
from kgitops.model import Location

# libyaml's composer is C; the pure-Python one gives the same nodes, only slower.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# The plain resolver (no path resolvers) gives the safe loader's tags; sharing one lets the
# tag of a scalar be cached without holding on to a loader (and the text it reads).
_RESOLVER = yaml.resolver.Resolver()


@lru_cache(maxsize=100_000)  # bounded: unique values (names) do not pile up
def _resolved_tag(kind: type, value: object, implicit: object) -> str:
    return _RESOLVER.resolve(kind, value, implicit)


class _Loader(SAFE_LOADER):  # type: ignore[misc, valid-type]
    """The safe loader with its tag resolution memoised: even the C loader calls back into
    Python regular expressions for every scalar, and most scalars repeat (keys, `7d`, `3`).
    The cache is functools' C one, called straight from libyaml's composer: a repeated
    scalar costs no Python frame at all."""

    resolve = staticmethod(_resolved_tag)


MAX_DEPTH = 64  # the format needs about 6 levels; deeper is a mistake or an attack
MAX_EXPANDED_NODES = 1_000_000  # nodes visited, aliases counted each time they are used

MAX_INTEGER_DIGITS = 100  # no setting needs more; Python refuses to convert past 4,300 digits

_TAG = "tag:yaml.org,2002:"
_BOOLEANS = {"true": True, "false": False, "yes": True, "no": False, "on": True, "off": False}
# YAML 1.2 core schema numbers, ASCII digits only.
_YAML12_INT = re.compile(r"([-+]?)(?:([0-9]+)|0o([0-7]+)|0x([0-9a-fA-F]+))")
_YAML12_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)")
# What PyYAML's YAML 1.1 resolver also tags as numbers: sexagesimal, underscores, binary.
_YAML11_ONLY_INT = re.compile(r"[-+]?(?:0b[0-1_]+|[0-9][0-9_]*(?::[0-5]?[0-9])+|[0-9][0-9_]*|0x[0-9a-fA-F_]+|0[0-7_]+)")
_YAML11_ONLY_FLOAT = re.compile(r"[-+]?(?:[0-9][0-9_]*)?\.[0-9_]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*")
_MERGE_TAG = _TAG + "merge"
_PLAIN_SCALAR_TAGS = {_TAG + "str", _TAG + "int", _TAG + "float", _TAG + "bool", _TAG + "null", _TAG + "timestamp"}

PathPart = str | int
# Mappings up to this many keys are scanned for a key rather than indexed (the index of
# each of 10,000 topic entries cost more than the few comparisons it saves).
SCANNED_MAPPING_SIZE = 8


@dataclass
class YamlDocument:
    """One parsed file: its plain data and the nodes that say where each part came from."""

    file: str  # the path as shown in messages
    data: object
    root: yaml.Node | None
    _mapping_index: dict[int, dict[str, tuple[yaml.Node, yaml.Node]]] = field(default_factory=dict, repr=False)

    def value_location(self, path: Sequence[PathPart]) -> Location:
        """Where the value at `path` starts (or the deepest part of it that exists)."""
        _, value_node = self._walk(path)
        return self._location(value_node)

    def key_location(self, path: Sequence[PathPart]) -> Location:
        """Where the key naming the value at `path` starts (the value for list items)."""
        key_node, value_node = self._walk(path)
        return self._location(key_node if key_node is not None else value_node)

    def key_locations(self, path: Sequence[PathPart]) -> dict[str, Location]:
        """Where each key of the mapping at `path` is written, in one walk."""
        _, node = self._walk(path)
        if not isinstance(node, yaml.MappingNode):
            return {}
        return {key.value: self._location(key) for key, _ in node.value if isinstance(key, yaml.ScalarNode)}

    def _location(self, node: yaml.Node | None) -> Location:
        if node is None:
            return Location(self.file, 1, 1)
        return Location(self.file, node.start_mark.line + 1, node.start_mark.column + 1)

    def _walk(self, path: Sequence[PathPart]) -> tuple[yaml.Node | None, yaml.Node | None]:
        key_node: yaml.Node | None = None
        node = self.root
        for part in path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                pair = self._pair(node, part)
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                pair = (None, node.value[part])
            else:
                pair = None
            if pair is None:
                break  # the deepest node that exists is the best place to point at
            key_node, node = pair
        return key_node, node

    def _pair(self, node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
        if len(node.value) <= SCANNED_MAPPING_SIZE:  # a topic entry: scanning beats building an index
            for pair in reversed(node.value):  # the last one, as in the index (own keys follow merged ones)
                if isinstance(pair[0], yaml.ScalarNode) and pair[0].value == key:
                    return pair
            return None
        return self._pairs(node).get(key)

    def _pairs(self, node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
        index = self._mapping_index.get(id(node))
        if index is None:
            index = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
            self._mapping_index[id(node)] = index
        return index


# ---------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------


def read_yaml_file(path: str, display: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Read and parse one file; problems (never exceptions) for unreadable or invalid input."""
    try:
        raw = read_bounded(path)
    except FileNotFoundError:
        return None, [Problem("file not found", file=display)]
    except IsADirectoryError:
        return None, [Problem("is a directory, not a YAML file", file=display)]
    except UnreadableFile as err:
        return None, [Problem(err.reason, file=display)]
    text, problem = decode_text(raw, display)
    if problem is not None:
        return None, [problem]
    return parse_yaml_text(text, display)


def decode_text(raw: bytes, display: str) -> tuple[str, Problem | None]:
    """UTF-8 text (a BOM is fine); binary or mis-encoded input is a located problem."""
    if b"\x00" in raw:
        line, column = _byte_position(raw, raw.index(b"\x00"))
        return "", Problem("binary file (contains NUL bytes), expected UTF-8 YAML text", display, line, column)
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as err:
        line, column = _byte_position(raw, err.start)
        byte = raw[err.start]
        return "", Problem(f"not UTF-8 text (invalid byte 0x{byte:02x}); save the file as UTF-8", display, line, column)


def parse_yaml_text(text: str, display: str) -> tuple[YamlDocument | None, list[Problem]]:
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as err:
        return None, [_marked_error_problem(err, text, display)]
    except yaml.reader.ReaderError as err:
        return None, [_reader_error_problem(err, text, display)]
    except yaml.YAMLError as err:  # anything else libyaml may raise, still one line
        return None, [Problem(f"invalid YAML: {str(err).splitlines()[0]}", file=display)]
    converter = _Converter(display)
    try:
        data = converter.convert(root, 0) if root is not None else None
    except _TooLarge:
        return None, [
            Problem(f"document expands to more than {MAX_EXPANDED_NODES} values through aliases", display, 1, 1)
        ]
    if converter.problems:
        return None, converter.problems
    return YamlDocument(display, data, root), []


def _marked_error_problem(err: yaml.MarkedYAMLError, text: str, display: str) -> Problem:
    mark = err.problem_mark or err.context_mark
    if err.context and err.context.startswith("expected a single document"):
        message = "invalid YAML: a second document starts here; a kgitops file holds one document (remove '---')"
    else:
        message = f"invalid YAML: {(err.problem or err.context or 'syntax error').strip()}"
        context_mark = err.context_mark
        same_place = context_mark is not None and mark is not None and (
            (context_mark.line, context_mark.column) == (mark.line, mark.column)
        )
        if err.context and err.problem and not same_place:
            where = f" at line {context_mark.line + 1}, column {context_mark.column + 1}" if context_mark else ""
            message += f" ({err.context}{where})"
    if mark is None:
        return Problem(message, file=display)
    if _character_at(text, mark.line, mark.column) == "\t":
        message += "; YAML cannot indent with tabs, use spaces"
    return Problem(message, display, mark.line + 1, mark.column + 1)


def _character_at(text: str, line: int, column: int) -> str:
    lines = text.split("\n")
    if 0 <= line < len(lines) and 0 <= column < len(lines[line]):
        return lines[line][column]
    return ""


def _reader_error_problem(err: yaml.reader.ReaderError, text: str, display: str) -> Problem:
    # libyaml reports a byte offset into the UTF-8 encoding of the text.
    offset = err.position if SAFE_LOADER is not yaml.SafeLoader else len(text[: err.position].encode("utf-8"))
    line, column = _byte_position(text.encode("utf-8"), offset)
    character = err.character if isinstance(err.character, int) else ord(str(err.character)[:1] or "?")
    return Problem(f"invalid YAML: character U+{character:04X} is not allowed ({err.reason})", display, line, column)


def _byte_position(raw: bytes, offset: int) -> tuple[int, int]:
    before = raw[:offset]
    line_start = before.rfind(b"\n") + 1
    column = len(before[line_start:].decode("utf-8", errors="replace")) + 1
    return before.count(b"\n") + 1, column


# ---------------------------------------------------------------------------
# Nodes -> plain data
# ---------------------------------------------------------------------------


def _token(text: str) -> str:
    """A scalar quoted in a message, shortened: an error never echoes a whole value."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    return '"' + shown + '"'


class _TooLarge(Exception):
    pass


class _Converter:
    """Builds plain data from nodes, collecting every problem instead of stopping at one."""

    def __init__(self, display: str):
        self.display = display
        self.problems: list[Problem] = []
        self.constructor = SafeConstructor()
        self.visited = 0
        self.in_progress: set[int] = set()  # nodes on the current path: an alias back to one is a cycle
        self.merged_pairs: dict[int, int] = {}  # mapping node -> how many of its pairs came from `<<`

    def convert(self, node: yaml.Node, depth: int) -> object:
        self.visited += 1
        if self.visited > MAX_EXPANDED_NODES:
            raise _TooLarge()
        if depth > MAX_DEPTH:
            self._problem(node, f"nested more than {MAX_DEPTH} levels deep")
            return None
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if id(node) in self.in_progress:
            self._problem(node, "an alias refers to a node that contains it (recursive structure)")
            return None
        self.in_progress.add(id(node))
        try:
            if isinstance(node, yaml.SequenceNode):
                return self._sequence(node, depth)
            return self._mapping(node, depth)
        finally:
            self.in_progress.discard(id(node))

    def _scalar(self, node: yaml.ScalarNode) -> object:
        tag = node.tag
        if tag == _TAG + "str":
            return node.value
        if tag not in _PLAIN_SCALAR_TAGS:
            self._problem(node, f"unsupported YAML tag {tag.replace(_TAG, '!!')}")
            return node.value
        if tag == _TAG + "timestamp":
            return node.value  # keep dates as written: nothing in the format is a date
        if tag == _TAG + "null":
            return None
        if tag == _TAG + "bool":
            value = _BOOLEANS.get(node.value.lower())
            if value is None:
                self._problem(node, f"!!bool {_token(node.value)} is not true or false")
            return value
        if tag == _TAG + "int":
            return self._integer(node)
        return self._float(node)

    def _integer(self, node: yaml.ScalarNode) -> object:
        """Integers as YAML 1.2 reads them (decimal, 0x hex). What only YAML 1.1 calls an
        integer (`1:30`, `1_000`, `0b101`) is text, as in YAML 1.2; `010` (octal 8 in YAML
        1.1, 10 in YAML 1.2) is refused rather than guessed."""
        text = node.value
        match = _YAML12_INT.fullmatch(text)
        if match is None:
            if not node.style and _YAML11_ONLY_INT.fullmatch(text):
                return text
            self._problem(node, f"not an integer: {_token(text)}")
            return None
        sign, digits, octal, hexadecimal = match.groups()
        if len(text) > MAX_INTEGER_DIGITS:
            self._problem(node, f"integer with {len(text)} characters is too long (at most {MAX_INTEGER_DIGITS})")
            return None
        if digits is not None and len(digits) > 1 and digits.startswith("0"):
            self._problem(
                node,
                f"ambiguous integer {text}: YAML 1.1 reads a leading 0 as octal, YAML 1.2 as decimal; "
                f"write it without the leading 0",
            )
            return None
        number = int(digits) if digits is not None else int(octal, 8) if octal is not None else int(hexadecimal, 16)
        return -number if sign == "-" else number

    def _float(self, node: yaml.ScalarNode) -> object:
        text = node.value
        if _YAML12_FLOAT.fullmatch(text) is None or len(text) > MAX_INTEGER_DIGITS:
            if not node.style and _YAML11_ONLY_FLOAT.fullmatch(text):
                return text
            self._problem(node, f"not a number: {_token(text)}")
            return None
        return self.constructor.construct_yaml_float(node)

    def _sequence(self, node: yaml.SequenceNode, depth: int) -> list[object]:
        if node.tag != _TAG + "seq":
            self._problem(node, f"unsupported YAML tag {node.tag.replace(_TAG, '!!')}")
        return [self.convert(item, depth + 1) for item in node.value]

    def _mapping(self, node: yaml.MappingNode, depth: int) -> dict[str, object]:
        if node.tag != _TAG + "map":
            self._problem(node, f"unsupported YAML tag {node.tag.replace(_TAG, '!!')}")
        merged = self._apply_merge_keys(node)
        result: dict[str, object] = {}
        first_seen: dict[str, yaml.Node] = {}
        for position, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem(key_node, "a key must be plain text, not a list or mapping")
                continue
            key = key_node.value  # keys as written: `123:` names topic "123", not an int
            own = position >= merged
            if own and key in first_seen:
                first = first_seen[key].start_mark
                self._problem(
                    key_node, f"duplicate key '{key}' (first at line {first.line + 1}, column {first.column + 1})"
                )
            if own:
                first_seen[key] = key_node
            result[key] = self.convert(value_node, depth + 1)
        return result

    def _apply_merge_keys(self, node: yaml.MappingNode) -> int:
        """Resolve `<<: *anchor` in place; returns how many leading pairs were merged in."""
        if id(node) in self.merged_pairs:
            return self.merged_pairs[id(node)]
        merge_keys = sum(1 for key, _ in node.value if key.tag == _MERGE_TAG)
        own_pairs = len(node.value) - merge_keys
        if merge_keys:
            try:
                self.constructor.flatten_mapping(node)
            except ConstructorError as err:
                mark = err.problem_mark
                self.problems.append(
                    Problem(f"invalid merge key: {err.problem}", self.display, mark.line + 1, mark.column + 1)
                )
                node.value = [(k, v) for k, v in node.value if k.tag != _MERGE_TAG]
        merged = len(node.value) - own_pairs
        self.merged_pairs[id(node)] = merged
        return merged

    def _problem(self, node: yaml.Node, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(message, self.display, mark.line + 1, mark.column + 1))

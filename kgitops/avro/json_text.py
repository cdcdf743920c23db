"""Schema texts as JSON: read strictly and within bounds, and located on error.

`load_json` is Python's C parser with the limits Avro Java's parser (Jackson) keeps or a
schema never needs: no NaN or Infinity, numbers of at most MAX_NUMBER_CHARACTERS
characters, nesting of at most MAX_DEPTH levels (every later step walks the schema
recursively). `locate` finds where the value at a JSON path starts, so a problem found
in the parsed document is reported at its own line; it runs only when there is a
problem, so a valid schema costs nothing more than json.loads.
"""
from __future__ import annotations

import json
import re
from typing import Any, Sequence

MAX_DEPTH = 128  # JSON levels; a record nested in a record costs 3
MAX_NUMBER_CHARACTERS = 100

JsonPath = Sequence[str | int]

_DECODER = json.JSONDecoder()
_WHITESPACE = " \t\n\r"


class JsonProblem(ValueError):
    """Not acceptable JSON; line and column are 1-based."""

    def __init__(self, message: str, line: int, column: int):
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column


class _Refused(ValueError):
    def __init__(self, message: str, token: str):
        super().__init__(message)
        self.token = token


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"{name} is not a JSON value", name)


def _bounded_int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise _Refused(f"a number of {len(text)} digits is too long (at most {MAX_NUMBER_CHARACTERS})", text)
    return int(text)


def _bounded_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARACTERS:
        raise _Refused(f"a number of {len(text)} characters is too long (at most {MAX_NUMBER_CHARACTERS})", text)
    return float(text)


def load_json(text: str) -> Any:
    """The document, or JsonProblem saying what is wrong and where."""
    if _deeper_than(text, MAX_DEPTH):
        line, column = position(text, _deep_offset(text))
        raise JsonProblem(f"nested more than {MAX_DEPTH} levels deep", line, column)
    try:
        document = json.loads(
            text, parse_constant=_refuse_constant, parse_int=_bounded_int, parse_float=_bounded_float
        )
    except json.JSONDecodeError as err:
        raise JsonProblem(err.msg, err.lineno, err.colno) from None
    except RecursionError:  # not reached after the depth check; kept so it can never escape
        raise JsonProblem(f"nested more than {MAX_DEPTH} levels deep", 1, 1) from None
    except _Refused as err:
        line, column = _find_token(text, err.token)
        raise JsonProblem(str(err), line, column) from None
    return document


_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
_DROP_ASCII_NON_BRACKETS = str.maketrans("", "", "".join(chr(c) for c in range(128) if chr(c) not in "[]{}"))


def _deeper_than(text: str, limit: int) -> bool:
    """Does the text nest brackets more than `limit` deep? Everything but brackets is
    dropped, then each pass removes the innermost pairs (one level); all in C, so a flat
    megabyte costs milliseconds. Brackets inside strings only make the first answer too
    deep, never too shallow; then it is asked again with the strings dropped first.
    Unbalanced text is left to the parser to report."""
    return _brackets_deeper_than(_brackets(text), limit) and _brackets_deeper_than(
        _brackets(_STRING.sub("", text)), limit
    )


def _brackets(text: str) -> str:
    brackets = text.translate(_DROP_ASCII_NON_BRACKETS)
    return brackets if brackets.isascii() else _NOT_BRACKET.sub("", brackets)


def _brackets_deeper_than(brackets: str, limit: int) -> bool:
    for removed in range(limit + 1):
        if not brackets:
            return False
        shorter = _INNERMOST.sub("", brackets)
        if shorter == brackets:  # unbalanced ("[[[["): no pair left to remove
            return removed + _max_depth(brackets) > limit
        brackets = shorter
    return True


def _max_depth(brackets: str) -> int:
    depth = deepest = 0
    for char in brackets:
        depth = depth + 1 if char in "[{" else max(depth - 1, 0)
        deepest = max(deepest, depth)
    return deepest


def _deep_offset(text: str) -> int:
    """Offset of the first bracket opening level MAX_DEPTH + 1 (strings skipped)."""
    depth, index, in_string = 0, 0, False
    while index < len(text):
        char = text[index]
        if in_string:
            if char == "\\":
                index += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return index
        elif char in "]}":
            depth -= 1
        index += 1
    return 0


def position(text: str, offset: int) -> tuple[int, int]:
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1


def _find_token(text: str, token: str) -> tuple[int, int]:
    offset = text.find(token)
    return position(text, offset) if offset >= 0 else (1, 1)


def find_string(text: str, value: str) -> tuple[int, int]:
    """Line and column of the first JSON string equal to `value` (1:1 if not found)."""
    offset = text.find(json.dumps(value))
    if offset < 0:
        offset = text.find(f'"{value}"')
    return position(text, offset) if offset >= 0 else (1, 1)


def locate(text: str, path: JsonPath) -> tuple[int, int]:
    """Line and column where the value at `path` starts in a valid JSON `text`; the
    deepest part of the path that exists when the rest does not. For a key written
    twice, the last one counts, as in the parsed document."""
    offset = _skip_whitespace(text, 0)
    for part in path:
        found = _child_offset(text, offset, part)
        if found is None:
            break
        offset = found
    return position(text, offset)


def _child_offset(text: str, start: int, part: str | int) -> int | None:
    opening = text[start:start + 1]
    if opening not in ("{", "["):
        return None
    index = _skip_whitespace(text, start + 1)
    found: int | None = None
    position_in_list = 0
    while index < len(text) and text[index] not in "]}":
        if opening == "{":
            key, index = _DECODER.raw_decode(text, index)
            index = _skip_whitespace(text, index) + 1  # the ':'
            index = _skip_whitespace(text, index)
            if key == part:
                found = index
        else:
            if position_in_list == part:
                return index
            position_in_list += 1
        _, index = _DECODER.raw_decode(text, index)
        index = _skip_whitespace(text, index)
        if text[index:index + 1] == ",":
            index = _skip_whitespace(text, index + 1)
    return found


def _skip_whitespace(text: str, index: int) -> int:
    while index < len(text) and text[index] in _WHITESPACE:
        index += 1
    return index

"""Text from files, clusters and registries made safe to print on a terminal.

A topic or subject name, a file path or a server's error message may hold control
characters: ESC starts terminal sequences (colours, cursor moves, window titles), a newline
or carriage return forges a line of output (`shop.x\\ntopics/t.yaml:1:1: all good`), and
bidirectional overrides reorder what a reader sees. Every text and markdown output passes
such values through `escape_control`, which writes each of them as a visible escape
(`\\x1b`, `\\n`, `\\u202e`); JSON output escapes them by itself.
"""
from __future__ import annotations

import re

# C0 controls (newline and tab included), DEL, C1 controls, and the Unicode characters
# that change how the text around them is laid out: line/paragraph separators, bidi
# embeddings, overrides and isolates, and the zero-width marks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}.get(char)
    if named:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def escape_control(text: object) -> str:
    """`text` (any value, as str) with every unsafe character written as an escape."""
    value = text if isinstance(text, str) else str(text)
    return _UNSAFE.sub(_visible, value) if _UNSAFE.search(value) else value


def escape_lines(text: str) -> str:
    """A message of several lines: the line breaks kept, everything else escaped (a
    carriage return too, which would let a line overwrite the one before)."""
    return "\n".join(escape_control(line) for line in text.split("\n"))

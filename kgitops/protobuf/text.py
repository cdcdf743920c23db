"""The form two .proto texts are compared in: their tokens, comments and layout dropped.

Pure Python and cheap (no protoc), so comparing an unchanged subject with what the
registry holds never imports the compiler. Two texts with equal tokens are the same
schema; different tokens may still be the same schema (reordered declarations), which the
registry's lookup then decides.
"""
from __future__ import annotations

import re

_TOKEN = re.compile(
    r'''\s+|//[^\n]*|/\*.*?\*/|("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')|([A-Za-z_][A-Za-z0-9_.]*|[0-9][0-9A-Za-z_.+-]*|.)''',
    re.DOTALL,
)


def tokens(text: str) -> list[str]:
    return [m.group(1) or m.group(2) for m in _TOKEN.finditer(text) if m.group(1) or m.group(2)]


def canonical(text: str) -> str:
    return " ".join(tokens(text))


_IMPORT = re.compile(r'^\s*import\s+(?:public\s+|weak\s+)?"([^"]+)"\s*;', re.MULTILINE)


def imports(text: str) -> list[tuple[str, int]]:
    """(import path, line) of every import statement."""
    stripped = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.DOTALL)
    stripped = re.sub(r"//[^\n]*", "", stripped)
    return [(m.group(1), stripped.count("\n", 0, m.start(1)) + 1) for m in _IMPORT.finditer(stripped)]

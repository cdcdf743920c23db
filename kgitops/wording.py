"""Small helpers for messages people read."""
from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`1 topic`, `3 topics`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"

"""Small helpers for messages people read."""
from __future__ import annotations


def plural(count: int, word: str) -> str:
    """`1 topic`, `3 topics`."""
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


_SIZES = (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
_DURATIONS = (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000))


def approx_size(n: int) -> str:
    """`1.5 MiB`, `812 bytes`: a size rounded for reading (exact values go in JSON)."""
    for name, unit in _SIZES:
        if n >= unit:
            return f"{n / unit:.1f} {name}"
    return f"{n} bytes"


def approx_duration(ms: int) -> str:
    """`3d 2h`, `2h`, `45s`, `0.3s`: the two largest units of a duration in milliseconds."""
    if ms < 1000:
        return f"{max(ms, 0) / 1000:.1f}s"
    parts = []
    rest = ms
    for name, unit in _DURATIONS:
        if rest >= unit or parts:
            parts.append((rest // unit, name))
            rest %= unit
        if len(parts) == 2:
            break
    return " ".join(f"{n}{name}" for n, name in parts if n or (n, name) == parts[0])

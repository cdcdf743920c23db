"""Reading input files within bounds: a regular file of at most MAX_FILE_BYTES.

`-c /dev/zero` would read until memory runs out and a FIFO would block forever, so
anything that is not a regular file is refused before a byte is read (the file is opened
non-blocking, then checked on the open descriptor, so a swap in between changes nothing),
and a file is never read past the limit.
"""
from __future__ import annotations

import os
import stat

MAX_FILE_BYTES = 16 * 1024 * 1024  # a cluster file, topic file or schema; 10,000 topics take about 1 MiB


class UnreadableFile(OSError):
    """Why a file is refused; `reason` reads well after `path: `."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def read_bounded(path: str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The file's bytes. FileNotFoundError and IsADirectoryError pass through (callers word
    them); anything else that stops the read is an UnreadableFile."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (FileNotFoundError, IsADirectoryError):
        raise
    except OSError as err:
        raise UnreadableFile(f"cannot read file: {err.strerror or err}") from None
    try:
        mode = os.fstat(descriptor).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(path)
        if not stat.S_ISREG(mode):
            raise UnreadableFile(f"not a regular file ({_kind(mode)}); give a file")
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(descriptor, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise UnreadableFile(f"file is larger than {limit // (1024 * 1024)} MiB, the most kgitops reads")
        return b"".join(chunks)
    except OSError as err:
        if isinstance(err, (UnreadableFile, IsADirectoryError)):
            raise
        raise UnreadableFile(f"cannot read file: {err.strerror or err}") from None
    finally:
        os.close(descriptor)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"

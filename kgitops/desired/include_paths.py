"""Where a cluster file's includes may point, and include globs expanded safely.

Python's `glob("topics/**/*.yaml", recursive=True)` follows directory symlinks without
remembering where it has been: `topics/d -> .` makes it read the same files about 40 times
(until the kernel's ELOOP), and two such links make it run for minutes. `expand` follows
each real directory once and returns each real file once.

Includes and schema files stay inside the **include root**: the git work tree holding the
cluster file (the nearest parent directory with a `.git`), or the cluster file's own
directory when it is in no git work tree. `KGITOPS_INCLUDE_ROOT=DIR` sets another root, for
repositories that share files with a sibling checkout.
"""
from __future__ import annotations

import fnmatch
import glob
import os
from typing import Mapping

INCLUDE_ROOT_ENV = "KGITOPS_INCLUDE_ROOT"


def include_root(cluster_file: str, env: Mapping[str, str] | None = None) -> str:
    """The real path of the directory everything a cluster file reads must be under."""
    env = os.environ if env is None else env
    override = env.get(INCLUDE_ROOT_ENV)
    if override:
        return os.path.realpath(override)
    directory = os.path.dirname(os.path.realpath(cluster_file))
    candidate = directory
    while True:
        if os.path.exists(os.path.join(candidate, ".git")):
            return candidate
        parent = os.path.dirname(candidate)
        if parent == candidate:
            return directory
        candidate = parent


def is_inside(path: str, root: str) -> bool:
    """Is the real path of `path` (symlinks resolved) `root` or under it?"""
    real = os.path.realpath(path)
    return real == root or real.startswith(root.rstrip(os.sep) + os.sep)


def expand(pattern: str) -> list[str]:
    """Regular files matching an absolute glob pattern (`*`, `?`, `[...]`, `**` for any
    depth, hidden entries only when the pattern part starts with '.', as in glob), sorted,
    each real file once (the first path in sorted order names it)."""
    anchor, parts = _split(pattern)
    directories = [anchor]
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        if part == "**":
            directories = _walk_once(directories)
            if last:
                return _unique_files(_children(directories, "*", files=True))
            continue
        if last:
            if glob.has_magic(part):
                return _unique_files(_children(directories, part, files=True))
            return _unique_files(os.path.join(d, part) for d in directories if os.path.isfile(os.path.join(d, part)))
        if glob.has_magic(part):
            directories = _children(directories, part, files=False)
        else:
            directories = [os.path.join(d, part) for d in directories if os.path.isdir(os.path.join(d, part))]
    return []


def _split(pattern: str) -> tuple[str, list[str]]:
    drive, rest = os.path.splitdrive(os.path.normpath(pattern))
    anchor = drive + os.sep
    return anchor, [part for part in rest.split(os.sep) if part]


def _walk_once(directories: list[str]) -> list[str]:
    """The directories and every directory below them, each real directory once."""
    seen: set[str] = set()
    result: list[str] = []
    stack = list(reversed(directories))
    while stack:
        directory = stack.pop()
        real = os.path.realpath(directory)
        if real in seen:
            continue
        seen.add(real)
        result.append(directory)
        stack.extend(reversed(_children([directory], "*", files=False)))
    return result


def _children(directories: list[str], part: str, *, files: bool) -> list[str]:
    found: list[str] = []
    for directory in directories:
        try:
            with os.scandir(directory) as entries:
                names = sorted(entry.name for entry in entries)
        except OSError:
            continue
        for name in names:
            if name.startswith(".") and not part.startswith("."):
                continue
            if not fnmatch.fnmatchcase(name, part):
                continue
            path = os.path.join(directory, name)
            if (os.path.isfile(path) if files else os.path.isdir(path)):
                found.append(path)
    return found


def _unique_files(paths: object) -> list[str]:
    seen: set[str] = set()
    unique: list[str] = []
    for path in sorted(os.path.abspath(p) for p in paths):  # type: ignore[attr-defined]
        real = os.path.realpath(path)
        if real not in seen:
            seen.add(real)
            unique.append(path)
    return unique

"""Starting, tracking and stopping the stack's JVMs.

Each process gets a pid file. Before signalling a pid we check that its command line still
names our state directory, so a pid reused by the system is never killed by mistake.
"""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path


def start(command: list[str], *, log_file: Path, pid_file: Path, cwd: Path, env: dict[str, str] | None = None) -> int:
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with open(log_file, "ab") as log:
        proc = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                start_new_session=True, env=env)
    pid_file.write_text(str(proc.pid))
    return proc.pid


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def _is_zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1].startswith("Z")
    except (OSError, IndexError):
        return False


MARKER_PROPERTY = "-Dkgitops.dev="  # every JVM of a stack gets -Dkgitops.dev=<its state directory>


def marker_argument(marker: str) -> str:
    return f"{MARKER_PROPERTY}{marker}"


def running_pid(pid_file: Path, marker: str, *, token: str | None = None) -> int | None:
    """The pid in `pid_file` if that process is alive and its command line has the argument
    marker_argument(marker), whole: the 3.9 stack's directory `dev-kafka3.9` starts with
    the 4.4 stack's `dev`, and a reused pid must never pass for the other stack's. A
    program that takes no marker argument (nginx) is recognised by `token` instead, one
    whole word of its command line (its own directory)."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    expected = token if token is not None else marker_argument(marker)
    if f" {expected} " not in f" {_cmdline(pid)} " or _is_zombie(pid):
        return None
    return pid


def stop(pid_file: Path, marker: str, *, timeout: float = 30.0, token: str | None = None) -> bool:
    """SIGTERM, wait for a clean shutdown, then SIGKILL. True if a process was stopped."""
    pid = running_pid(pid_file, marker, token=token)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return False
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and running_pid(pid_file, marker, token=token) is not None:
        _reap(pid)
        time.sleep(0.2)
    if running_pid(pid_file, marker, token=token) is not None:
        os.kill(pid, signal.SIGKILL)
        for _ in range(50):
            _reap(pid)
            if running_pid(pid_file, marker) is None:
                break
            time.sleep(0.1)
    pid_file.unlink(missing_ok=True)
    return True


def stop_together(pid_files: dict[str, Path], marker: str, *, timeout: float = 30.0) -> list[str]:
    """SIGTERM every process first, so they shut down together (a lone last node would wait
    for peers that are already gone), then wait for each. The labels of those stopped."""
    pids = {label: running_pid(pid_file, marker) for label, pid_file in pid_files.items()}
    for pid in pids.values():
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    return [label for label, pid_file in pid_files.items()
            if stop(pid_file, marker, timeout=timeout) or pids[label]]


def _reap(pid: int) -> None:
    """Collect the exit status when the stack was started by this very process."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def log_tail(log_file: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log_file.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log written)"

"""Run one hostile input through kgitops in-process and say what went wrong, if anything.

A case is plain JSON (so a failing input can be kept in tests/fuzzing/corpus/ and replayed
by the suite):

    {"id": "...", "argv": ["validate", "-c", "{dir}/cluster.yaml", "--format", "json"],
     "files": {"cluster.yaml": "text", "topics/a.yaml": {"base64": "..."}},
     "links": {"topics/d": "."}, "fifos": ["fifo.yaml"], "env": {"X": "value"},
     "expect": {"code": 1, "says": ["topics/a.yaml:3:17:"], "never": ["root:x:0"]}}

`{dir}` in arguments stands for the case's scratch directory. argv[0] may also be
"plan-offline": what `kgitops plan` does before it contacts anything (load, policy,
connection settings resolved, registry client built).

Findings: traceback, internal error, hang (per-input timeout), an exit code outside 0-3,
the canary secret in the output, `--format json` output that is not one JSON document,
and no output at all.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import io
import json
import os
import shutil
import signal
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CANARY_ENV = "KGITOPS_FUZZ_CANARY"
CANARY = "canary-7f3a9c1e-pa55w0rd"  # what ${KGITOPS_FUZZ_CANARY} resolves to
KINDS = ("traceback", "internal error", "hang", "exit code", "secret echo", "bad json", "silent")


@dataclass
class Outcome:
    case_id: str
    code: int | None
    out: str
    err: str
    findings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings


class _Hang(BaseException):
    """Raised by the timer; a BaseException so no `except Exception` in kgitops eats it."""


def _on_alarm(signum: int, frame: object) -> None:
    raise _Hang()


def materialise(case: dict[str, Any], directory: Path) -> None:
    for name, content in case.get("files", {}).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, dict):
            path.write_bytes(base64.b64decode(content["base64"]))
        else:
            path.write_bytes(content.encode("utf-8", errors="surrogatepass"))
    for name, target in case.get("links", {}).items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.symlink(target, path)
    for name in case.get("fifos", []):
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)


@functools.lru_cache(maxsize=1)
def _main() -> Any:
    """kgitops.cli.main with its argument parser built once: building it costs more than
    validating a small file, and parsing never changes a parser."""
    from kgitops import cli

    cli.build_parser = functools.lru_cache(maxsize=1)(cli.build_parser)  # type: ignore[assignment]
    return cli.main


# Scratch directories in memory when the machine has it: thousands are made and removed.
_SCRATCH = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None


def run_case(case: dict[str, Any], timeout: float = 10.0) -> Outcome:
    main = _main()
    directory = Path(tempfile.mkdtemp(prefix="kgitops-fuzz-", dir=_SCRATCH))
    saved_env = {name: os.environ.get(name) for name in [CANARY_ENV, *case.get("env", {})]}
    old_cwd = os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    code: int | None = None
    findings: list[str] = []
    previous_handler = signal.signal(signal.SIGALRM, _on_alarm)
    try:
        materialise(case, directory)
        os.environ[CANARY_ENV] = CANARY
        os.environ.update(case.get("env", {}))
        os.chdir(directory)
        argv = [arg.replace("{dir}", str(directory)) for arg in case["argv"]]
        signal.setitimer(signal.ITIMER_REAL, timeout)
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                code = _plan_offline(argv[1:]) if argv[0] == "plan-offline" else main(argv)
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        except _Hang:
            findings.append("hang")
        except Exception as error:  # escaped main(): a traceback for a user
            findings.append(f"traceback: {type(error).__name__}: {str(error)[:200]}")
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
    finally:
        signal.signal(signal.SIGALRM, previous_handler)
        os.chdir(old_cwd)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(directory, ignore_errors=True)
    outcome = Outcome(case.get("id", "?"), code, out.getvalue(), err.getvalue(), findings)
    outcome.findings += _judge(outcome, case)
    return outcome


def _judge(outcome: Outcome, case: dict[str, Any]) -> list[str]:
    if "hang" in outcome.findings or any(f.startswith("traceback") for f in outcome.findings):
        return []
    text = outcome.out + outcome.err
    found = []
    if "Traceback (most recent call last)" in text:
        found.append("traceback")
    if "internal error" in text:
        found.append("internal error: " + next(line for line in text.splitlines() if "internal error" in line)[:200])
    if outcome.code not in (0, 1, 2, 3):
        found.append(f"exit code {outcome.code}")
    if CANARY in text or CANARY[::-1] in text:
        found.append("secret echo")
    if "--format" in case["argv"] and "json" in case["argv"] and outcome.code in (0, 1, 3) and outcome.out.strip():
        try:
            json.loads(outcome.out)
        except ValueError:
            found.append("bad json")
    if "--format" in case["argv"] and "json" in case["argv"] and not outcome.out.strip() and outcome.code != 2:
        if case["argv"][0] in ("validate", "compat") and "-h" not in case["argv"] and "--help" not in case["argv"]:
            found.append("bad json: nothing on stdout")
    if not text.strip():
        found.append("silent")
    expect = case.get("expect", {})
    if "code" in expect and outcome.code != expect["code"]:
        found.append(f"expected exit code {expect['code']}, got {outcome.code}")
    found += [f"output lacks {fragment!r}" for fragment in expect.get("says", []) if fragment not in text]
    found += [f"output holds {fragment!r}" for fragment in expect.get("never", []) if fragment in text]
    return found


def _plan_offline(argv: list[str]) -> int:
    """`plan` up to the first connection: load, desired policy, client settings resolved."""
    from kgitops.desired.loader import load_cluster
    from kgitops.errors import KgitopsError
    from kgitops.live.connect import kafka_client_config
    from kgitops.live.registry_client import RegistryClient
    from kgitops.policy.desired import check_desired
    from kgitops.render.escape import escape_lines

    try:
        loaded = load_cluster(argv[argv.index("-c") + 1])
        problems = check_desired(loaded.cluster)
        kafka_client_config(loaded.cluster)
        if loaded.cluster.schema_registry is not None:
            RegistryClient.from_connection(loaded.cluster.schema_registry, loaded.cluster.source_file).close()
    except KgitopsError as error:
        print(f"Error: {escape_lines(error.message)}")
        return error.exit_code
    print(f"offline plan parts ok: {len(loaded.cluster.topics)} topics, {len(problems)} policy problems")
    return 3 if any(p.severity != "warning" for p in problems) else 0


def load_corpus(directory: Path) -> list[dict[str, Any]]:
    return [json.loads(path.read_text(encoding="utf-8")) for path in sorted(directory.glob("*.json"))]


def save_case(case: dict[str, Any], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{case['id']}.json"
    path.write_text(json.dumps(case, indent=1, ensure_ascii=True) + "\n", encoding="utf-8")
    return path

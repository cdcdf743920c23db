"""A .proto text compiled by protoc (grpcio-tools ships it as a Python extension) into its
FileDescriptorProto, or its errors at file:line:column.

The schema and the schemas it references are written under their reference names into a
private temporary directory, so imports resolve exactly as the registry resolves them (a
reference's name is the import path) and nothing else on disk is seen. protoc writes its
errors to file descriptor 2; they are captured there for the duration of the call, which
is why calls are serialised.
"""
from __future__ import annotations

import importlib.util
import os
import re
import tempfile
import threading
from dataclasses import dataclass
from typing import Mapping

from kgitops.errors import InputError, Problem
from kgitops.protobuf.text import imports

WELL_KNOWN_PREFIX = "google/protobuf/"
MAIN_NAME = "__kgitops_subject__.proto"
_LOCK = threading.Lock()
_ERROR_LINE = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<column>\d+): (?P<message>.*)$")


@dataclass(frozen=True)
class Compiled:
    descriptor: object  # google.protobuf.descriptor_pb2.FileDescriptorProto of the schema itself


def well_known_include() -> str:
    spec = importlib.util.find_spec("grpc_tools")
    assert spec is not None and spec.submodule_search_locations
    return os.path.join(list(spec.submodule_search_locations)[0], "_proto")


def missing_imports(text: str, display: str, referenced: set[str]) -> list[Problem]:
    """Imports that no reference names: the registry could not resolve them."""
    return [Problem(f'imports "{path}", which no reference of the subject names; add references: '
                    f'[{{name: {path}, subject: <the subject holding it>}}]', display, line)
            for path, line in imports(text) if not path.startswith(WELL_KNOWN_PREFIX) and path not in referenced]


def compile_proto(text: str, display: str, dependencies: Mapping[str, tuple[str, str]] | None = None) -> Compiled:
    """The descriptor of `text`; `dependencies` maps an import path to (text, display) of
    the schema it names. Raises InputError with every protoc error located."""
    from grpc_tools import _protoc_compiler
    from google.protobuf import descriptor_pb2

    with tempfile.TemporaryDirectory(prefix="kgitops-proto-") as root:
        displays = {MAIN_NAME: display}
        _write(root, MAIN_NAME, text)
        for name, (dep_text, dep_display) in (dependencies or {}).items():
            _write(root, name, dep_text)
            displays[name] = dep_display
        out = os.path.join(root, "descriptor.pb")
        args = [b"protoc", f"-I{root}".encode(), f"-I{well_known_include()}".encode(),
                f"--descriptor_set_out={out}".encode(), MAIN_NAME.encode()]
        with _LOCK:
            code, stderr = _run_capturing_stderr(lambda: _protoc_compiler.run_main(args))
        if code != 0:
            raise InputError(f"{display} is not a valid Protobuf schema",
                             problems=_problems(stderr, root, displays, display))
        descriptor_set = descriptor_pb2.FileDescriptorSet()
        with open(out, "rb") as handle:
            descriptor_set.ParseFromString(handle.read())
    return Compiled(descriptor_set.file[0])


def _write(root: str, name: str, text: str) -> None:
    path = os.path.normpath(os.path.join(root, name))
    if not path.startswith(root + os.sep):
        raise InputError(f"reference name {name!r} is not a relative import path")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _run_capturing_stderr(run) -> tuple[int, str]:
    with tempfile.TemporaryFile() as captured:
        saved = os.dup(2)
        try:
            os.dup2(captured.fileno(), 2)
            code = run()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        return int(code), captured.read().decode("utf-8", "replace")


def _problems(stderr: str, root: str, displays: Mapping[str, str], display: str) -> list[Problem]:
    problems: list[Problem] = []
    for raw in stderr.splitlines():
        line = raw.strip()
        if not line or "warning:" in line:
            continue
        match = _ERROR_LINE.match(line)
        if match is None:
            problems.append(Problem(line.replace(root + os.sep, ""), display))
            continue
        name = os.path.relpath(match["file"], root) if os.path.isabs(match["file"]) else match["file"]
        problems.append(Problem(match["message"], displays.get(name, name), int(match["line"]), int(match["column"])))
    return problems or [Problem("protoc refused the schema without saying why", display)]

"""Finding Java runtimes: the default one for Kafka (17+), a 21+ one for the registry."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kgitops.errors import KgitopsError

JVM_DIRS = (Path("/usr/lib/jvm"), Path("/usr/java"), Path("/opt/java"), Path("/Library/Java/JavaVirtualMachines"))


@dataclass(frozen=True)
class JavaRuntime:
    executable: str
    major: int


def java_major(executable: str) -> int | None:
    """The feature version (17, 21, 25...) of a `java` executable, None if it does not run."""
    try:
        out = subprocess.run([executable, "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major  # "1.8" is Java 8


def _candidates_from_jvm_dirs() -> list[str]:
    found = []
    for root in JVM_DIRS:
        if root.is_dir():
            for home in sorted(root.iterdir()):
                for rel in ("bin/java", "Contents/Home/bin/java"):
                    if (home / rel).is_file():
                        found.append(str(home / rel))
    return found


def find_java(min_major: int, *, explicit_env: str | None, purpose: str) -> JavaRuntime:
    """An explicit setting first, then JAVA_HOME, then `java` on PATH, then the system's JVM
    directories; the first with at least `min_major` wins."""
    candidates: list[str] = []
    if explicit_env and os.environ.get(explicit_env):
        value = os.environ[explicit_env]
        candidates.append(str(Path(value) / "bin" / "java") if Path(value).is_dir() else value)
    if os.environ.get("JAVA_HOME"):
        candidates.append(str(Path(os.environ["JAVA_HOME"]) / "bin" / "java"))
    on_path = shutil.which("java")
    if on_path:
        candidates.append(on_path)
    candidates.extend(_candidates_from_jvm_dirs())
    seen: set[str] = set()
    for candidate in candidates:
        if candidate in seen:
            continue
        seen.add(candidate)
        major = java_major(candidate)
        if major is not None and major >= min_major:
            return JavaRuntime(candidate, major)
    hint = f" or set {explicit_env} to its home" if explicit_env else ""
    raise KgitopsError(
        f"{purpose} needs Java {min_major} or newer and none was found (looked at "
        f"{', '.join(candidates) or 'PATH, JAVA_HOME and /usr/lib/jvm'}). Install a JDK {min_major}+ "
        f"(for example `apt-get install openjdk-{max(min_major, 21)}-jdk-headless` or Eclipse Temurin){hint}."
    )


def find_maven() -> str:
    mvn = shutil.which("mvn")
    if not mvn:
        raise KgitopsError(
            "Maven (`mvn`) is needed to download the Kafka and registry jars from Maven Central and "
            "was not found on PATH. Install it (for example `apt-get install maven`) and run again."
        )
    return mvn

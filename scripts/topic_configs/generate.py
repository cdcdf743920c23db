#!/usr/bin/env python3
"""Regenerate kgitops/desired/kafka_topic_configs.json from the real Kafka jars.

For each Kafka release line, Maven resolves org.apache.kafka:kafka_2.13 (its tree holds
LogConfig: in the core module up to 3.5, in kafka-storage from 3.6), DumpLogConfig.java
prints LogConfig's ConfigDef, and this script turns each validator into the range/choices
kgitops checks. Not run by the test suite; run it when a new Kafka line comes out:

    python3 scripts/topic_configs/generate.py            # needs mvn, javac, java 17+

Work files (poms, classpaths, the compiled class) go to ~/.cache/kgitops/topic-config-dump.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

# The newest patch release of each line (Maven Central).
VERSIONS = (
    "3.0.2", "3.1.2", "3.2.3", "3.3.2", "3.4.1", "3.5.2", "3.6.2", "3.7.2", "3.8.1", "3.9.1",
    "4.0.2", "4.1.2", "4.2.2", "4.3.1", "4.4.0",
)
HERE = Path(__file__).resolve().parent
OUTPUT = HERE.parent.parent / "kgitops" / "desired" / "kafka_topic_configs.json"
WORK = Path.home() / ".cache" / "kgitops" / "topic-config-dump"

POM = """<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.kgitops</groupId><artifactId>topic-config-dump</artifactId><version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{version}</version></dependency>
  </dependencies>
</project>
"""
DEPENDENCY_PLUGIN = "org.apache.maven.plugins:maven-dependency-plugin:3.8.1"

# Validator texts, as ConfigDef's validators print themselves.
_RANGE = re.compile(r"\[(-?[\d.E]+)?,\.\.\.(?:,(-?[\d.E]+))?\](?: or (-?\d+))?")
_ITEMS = re.compile(r"\[(.*)\]")


def classpath(version: str) -> str:
    directory = WORK / version
    directory.mkdir(parents=True, exist_ok=True)
    out = directory / "classpath.txt"
    if not out.exists():
        (directory / "pom.xml").write_text(POM.format(version=version))
        subprocess.run(["mvn", "-B", "-q", "--no-transfer-progress", f"{DEPENDENCY_PLUGIN}:build-classpath",
                        f"-Dmdep.outputFile={out}", "-DincludeScope=runtime"], cwd=directory, check=True)
    return out.read_text().strip()


def compiled_dumper(cp: str) -> Path:
    classes = WORK / "classes"
    classes.mkdir(parents=True, exist_ok=True)
    subprocess.run(["javac", "--release", "11", "-d", str(classes), "-cp", cp, str(HERE / "DumpLogConfig.java")],
                   check=True)
    return classes


def dump(version: str, classes: Path, *args: str) -> list[list[str]]:
    cp = classpath(version)
    out = subprocess.run(["java", "-cp", f"{classes}:{cp}", "DumpLogConfig", *args], check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True).stdout
    return [line.split("\t") for line in out.splitlines() if line.strip()]


def _unescape(text: str) -> str:
    return text.replace("\\t", "\t").replace("\\n", "\n").replace("\\\\", "\\")


def _number(text: str, kind: str) -> int | float:
    return float(text) if kind == "double" else int(text)


def entry(row: list[str]) -> dict:
    """One config as kgitops' catalogue stores it: type, default, and what it accepts."""
    name, kind, default, validator_class, validator_text, _internal = row
    kind = kind.lower()
    result: dict = {"type": kind, "default": None if default == "\\N" else _unescape(default)}
    text = _unescape(validator_text)
    # `kafka.api.ApiVersionValidator$` (a Scala object) -> ApiVersionValidator
    simple = validator_class.rsplit(".", 1)[-1].strip("$").rsplit("$", 1)[-1]
    range_match = _RANGE.fullmatch(text) if text else None
    if range_match and kind in ("int", "long", "double", "short"):
        low, high, extra = range_match.groups()
        if low is not None:
            result["min"] = _number(low, kind)
        if high is not None:
            result["max"] = _number(high, kind)
        if extra is not None:
            result["also"] = [int(extra)]
    elif text and simple in ("ValidString", "CaseInsensitiveValidString", "ValidList"):
        items = _ITEMS.fullmatch(text)
        result["choices"] = [item.strip() for item in items.group(1).split(",") if item.strip()] if items else []
        if simple == "ValidList" and "empty" in text.lower():
            result["empty_ok"] = True
    elif text:
        # Kept for review only; kgitops checks the type. message.format.version's validator
        # lists the known versions but also accepts prefixes such as "2.8".
        result["validator"] = f"{simple}: {text}"
    return result


def main() -> int:
    first_cp = classpath(VERSIONS[0])
    classes = compiled_dumper(first_cp)
    lines: dict[str, dict[str, dict]] = {}
    for version in VERSIONS:
        line = ".".join(version.split(".")[:2])
        rows = dump(version, classes)
        lines[line] = {row[0]: entry(row) for row in rows if row[5] != "true"}
        print(f"{version}: {len(lines[line])} topic configs", file=sys.stderr)
    # Broker configs a topic config falls back to: topic key -> [[broker key, factor to the
    # topic's unit], ...]. The table is stable across lines, so the last 3.x line (for the
    # keys 4.0 removed) and the newest line serve all.
    synonyms: dict[str, list[list[object]]] = {}
    for version in ("3.9.1", VERSIONS[-1]):
        table: dict[str, list[list[object]]] = {}
        for topic_key, broker_key, one in dump(version, classes, "synonyms"):
            table.setdefault(topic_key, []).append([broker_key, int(one)])
        synonyms.update(table)
    document = {
        "about": "Topic-level configs of each Kafka release line (LogConfig's ConfigDef), generated by "
                 "scripts/topic_configs/generate.py from the jars of these releases.",
        "releases": {".".join(v.split(".")[:2]): v for v in VERSIONS},
        "lines": lines,
        "broker_synonyms": synonyms,
    }
    OUTPUT.write_text(json.dumps(document, indent=None, separators=(",", ":"), sort_keys=True) + "\n")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

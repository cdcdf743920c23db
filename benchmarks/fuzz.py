"""Hostile inputs, generated: cluster and topic YAML files, .avsc files and argument vectors
run through validate, plan (its offline part: load, policy, connection settings, registry
client) and compat, in-process, each with a time limit. Not part of `make test` (about
20,000 inputs take a few minutes); what it finds goes into tests/fuzzing/corpus/, which the
suite replays.

Reports tracebacks, internal errors, hangs, exit codes outside 0-3, secret echoes (every
generated cluster file hands ${KGITOPS_FUZZ_CANARY} to some connection setting, and the
output is scanned for its value), `--format json` output that is not JSON, silence.

    .venv/bin/python benchmarks/fuzz.py [--count 20000] [--seed 1] [--timeout 10]
                                       [--save-failures tests/fuzzing/corpus] [--subprocess 50]
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import random
import string
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fuzzing.harness import CANARY, CANARY_ENV, KINDS, materialise, run_case, save_case  # noqa: E402

# ---------------------------------------------------------------------------
# Hostile pieces
# ---------------------------------------------------------------------------

CONTROL = ["\x1b[31m", "\n", "\r", "\x07", "\x1b]0;title\x07", "\u202e", "\x00", "\t", "\x9b"]
NUMBERS = [
    "0", "1", "-1", "3", "12", "010", "0x10", "0o17", "1:30", "1_000", "0b101", "+5", "1e3", "1.5", ".inf", "-.inf",
    ".nan", "9" * 30, "9" * 400, "9" * 5000, "1" + "0" * 400, "2147483648", "9223372036854775808", "-0",
    "!!int three", "!!float x", "!!bool maybe", "!!int 0x", "!!str 5", "~", "null", "yes", "no", "on",
    '"\u0667"', '"\uff11"', '"\u0661\u0662"', "1.0", "3.0", "1e400", "-1e400",
]
DURATIONS = ["7d", "12h", "1h30m", "1.5h", "500ms", "1w", "-1", "9" * 400 + "d", "\u0667d", "\uff11h", "1.5ms",
             "7 dayz", "0.1s", "1" + "0" * 50 + "w", "99999999999999999999999999999h", "1e3ms", "inf", "nan", "٣m"]
SIZES = ["1GiB", "512MiB", "1GB", "100KB", "10B", "-1", "9" * 400 + "GiB", "1.5B", "\uff11MiB", "1e9", "1 GiB",
         "0.5KiB", "999999999999999999999TiB", "GiB", "-5MiB"]
RATIOS = ["0.5", "1", "0", "1" + "0" * 400, "1e-4", "-0.1", "1.1", "NaN", "inf", "1_0.5", "\u0665", "0x1", ".5"]
TEXT = ["", " ", "a", "shop.orders", "a" * 249, "a" * 250, "a" * 300, "..", ".", "__consumer_offsets", "_schemas",
        "a.b", "a_b", "ü", "名前", "a b", "a/b", "${X}", "${UNSET:-${X}}", "${KGITOPS_FUZZ_CANARY}", "${",
        "${X", "$${X}", "${1X}", "${X:-}", "'", '"', "\\", "%s%n", "{{x}}", "*", "**", "?", "[", "-", "--help"]
PLACEHOLDERS = ["${KGITOPS_FUZZ_CANARY}", "x${KGITOPS_FUZZ_CANARY}y", "${UNSET_VAR:-${KGITOPS_FUZZ_CANARY}}",
                "${UNSET_VAR:-${KGITOPS_FUZZ_CANARY}", "${KGITOPS_FUZZ_CANARY:-d}", "${KGITOPS_FUZZ_CANARY",
                "http://127.0.0.1:${KGITOPS_FUZZ_CANARY}", "http://${KGITOPS_FUZZ_CANARY}:8081",
                "${KGITOPS_FUZZ_CANARY}://x", "${UNSET_VAR}", "${UNSET_VAR:-127.0.0.1:1}"]
CONFIG_KEYS = ["retention.ms", "segment.bytes", "min.cleanable.dirty.ratio", "cleanup.policy", "compression.type",
               "min.insync.replicas", "max.message.bytes", "preallocate", "message.timestamp.type",
               "segment.ms", "retention.bytes", "log.retention.ms", "unknown.key", "flush.messages",
               "leader.replication.throttled.replicas", "message.format.version"]
INCLUDES = ["topics/*.yaml", "topics/**/*.yaml", "topics/a.yaml", "cluster.yaml", "*.yaml", "../x.yaml",
            "../../../../../../etc/passwd", "/etc/*", "/dev/zero", "fifo.yaml", "topics", "topics/", "nope.yaml",
            "[", "**", "~/x.yaml", "topics/d/*.yaml", "topics/**/d/**/*.yaml", "schemas/*.avsc"]


def pick(rng: random.Random, items: list[Any]) -> Any:
    return items[rng.randrange(len(items))]


def hostile_text(rng: random.Random) -> str:
    value = pick(rng, TEXT)
    if rng.random() < 0.3:
        cut = rng.randrange(len(value) + 1)
        value = value[:cut] + pick(rng, CONTROL) + value[cut:]
    if rng.random() < 0.1:
        value = "".join(rng.choice(string.printable) for _ in range(rng.randrange(1, 30)))
    return value


def yaml_quote(text: str) -> str:
    return json.dumps(text)  # a JSON string is a YAML double-quoted scalar


def scalar(rng: random.Random, kind: str) -> str:
    """A YAML scalar as written in a file: raw hostile numbers and tags, or quoted text."""
    table = {"number": NUMBERS, "duration": DURATIONS, "size": SIZES, "ratio": RATIOS}
    if kind in table and rng.random() < 0.85:
        if rng.random() < 0.6:  # mostly plausible values, so inputs get past the first check
            return pick(rng, {"number": ["3", "6", "12"], "duration": ["7d", "12h", "500ms"],
                              "size": ["1GiB", "512MiB"], "ratio": ["0.5"]}[kind])
        value = pick(rng, table[kind])
        return value if rng.random() < 0.7 or value.startswith(("!!", '"')) else yaml_quote(value)
    return yaml_quote(hostile_text(rng))


# ---------------------------------------------------------------------------
# Generators: each returns a case for tests.fuzzing.harness
# ---------------------------------------------------------------------------


def placeholder(rng: random.Random) -> str:
    return "${KGITOPS_FUZZ_CANARY}" if rng.random() < 0.75 else pick(rng, PLACEHOLDERS)


def cluster_yaml(rng: random.Random, includes: list[str]) -> str:
    name = "fuzz" if rng.random() < 0.9 else hostile_text(rng)
    lines = [f"name: {yaml_quote(name)}", "kafka:"]
    lines.append(f"  bootstrap_servers: {yaml_quote(pick(rng, PLACEHOLDERS) if rng.random() < 0.1 else '127.0.0.1:1')}")
    lines.append("  properties:")
    for key in rng.sample(["sasl.password", "security.protocol", "sasl.mechanism", "sasl.username",
                           "ssl.key.password", "client.id", "sasl.jaas.config"], rng.randrange(1, 4)):
        lines.append(f"    {key}: {yaml_quote(placeholder(rng))}")
    if rng.random() < 0.7:
        url = pick(rng, PLACEHOLDERS) if rng.random() < 0.3 else "http://127.0.0.1:1"
        lines += ["schema_registry:", f"  url: {yaml_quote(url)}"]
        if rng.random() < 0.5:
            lines.append(f"  auth: {{basic: {{username: {yaml_quote(placeholder(rng))}, "
                         f"password: {yaml_quote(placeholder(rng))}}}}}")
    if rng.random() < 0.5:
        lines += ["policy:", f"  min_replication_factor: {scalar(rng, 'number')}",
                  f"  max_partitions_per_cluster: {scalar(rng, 'number')}"]
    lines += ["defaults:", f"  partitions: {scalar(rng, 'number') if rng.random() < 0.3 else '3'}",
              "  config:", "    min.insync.replicas: 2"]
    if rng.random() < 0.3:
        lines += ["overrides:", f"  {yaml_quote(hostile_text(rng))}:", f"    partitions: {scalar(rng, 'number')}"]
    if includes:
        lines.append("include: [" + ", ".join(yaml_quote(i) for i in includes) + "]")
    if rng.random() < 0.05:
        lines.append(pick(rng, ["---", "x: &a [*a]", "\t- bad", "dup: 1\ndup: 2", "!!python/object:os.system x"]))
    return "\n".join(lines) + "\n"


def topics_yaml(rng: random.Random, schema_files: list[str]) -> str:
    lines = ["topics:"]
    for index in range(rng.randrange(0, 4)):
        name = f"shop.t{index}" if rng.random() < 0.8 else hostile_text(rng)
        lines.append(f"  - name: {yaml_quote(name)}")
        if rng.random() < 0.7:
            lines.append(f"    partitions: {scalar(rng, 'number')}")
        if rng.random() < 0.3:
            lines.append(f"    replication_factor: {scalar(rng, 'number')}")
        if rng.random() < 0.7:
            lines.append("    config:")
            for key in rng.sample(CONFIG_KEYS, rng.randrange(1, 4)):
                kind = ("duration" if key.endswith(".ms") else "size" if key.endswith(".bytes")
                        else "ratio" if "ratio" in key else "text")
                if kind == "text" and rng.random() < 0.6:
                    lines.append(f"      {key}: {pick(rng, ['delete', 'compact,delete', 'zstd', '2', 'true', 'CreateTime'])}")
                    continue
                lines.append(f"      {key}: {scalar(rng, kind)}")
        if schema_files and rng.random() < 0.5:
            lines.append(f"    schemas: {{value: {{file: {yaml_quote(pick(rng, schema_files))}, compatibility: FULL}}}}")
    if schema_files and rng.random() < 0.3:
        lines += ["subjects:", f"  - subject: {yaml_quote(hostile_text(rng))}", f"    file: {yaml_quote(pick(rng, schema_files))}"]
    if rng.random() < 0.05:
        return rng.choice(["root:x:0:0:root:/root:/bin/bash\n", "- a\n- b\n", "", "# only a comment\n", "\x00\x01",
                           "topics: [\n", "kafka: {bootstrap_servers: x}\n"])
    return "\n".join(lines) + "\n"


def avro_node(rng: random.Random, depth: int, names: list[str]) -> Any:
    roll = rng.random()
    if depth > 4 or roll < 0.3:
        return pick(rng, ["int", "long", "string", "double", "boolean", "null", "bytes", "float", "strng", 5, None,
                          *names] if rng.random() < 0.1 else ["int", "long", "string", "double", "null", *names])
    if roll < 0.55:
        name = (pick(rng, ["1X", "a-b", "", "int", "é"]) if rng.random() < 0.1
                else pick(rng, ["R", "S", "Order", "ns.R", "_ok"])) + str(len(names))
        names.append(name)
        fields = []
        for _ in range(rng.randrange(0, 4)):
            field_name = pick(rng, ["a-b", "1", ""]) if rng.random() < 0.05 else f"f{len(fields)}"
            if rng.random() < 0.05 and fields:
                field_name = fields[0]["name"]
            field: dict[str, Any] = {"name": field_name,
                                     "type": avro_node(rng, depth + 1, names)}
            if rng.random() < 0.3:
                field["default"] = pick(rng, [0, "x", None, 1.5, [], {}, True, 10 ** 30])
                if rng.random() < 0.5:
                    del field["default"]
            if rng.random() < 0.1:
                field["aliases"] = pick(rng, [["b"], "b", [1]])
            if rng.random() < 0.05:
                field["order"] = pick(rng, ["ascending", "up"])
            fields.append(field)
        record: dict[str, Any] = {"type": "record", "name": name, "fields": fields}
        if rng.random() < 0.02:
            del record["fields"]
        return record
    if roll < 0.7:
        return [avro_node(rng, depth + 1, names) for _ in range(rng.randrange(0, 4))]
    if roll < 0.8:
        return {"type": "array", "items": avro_node(rng, depth + 1, names)}
    if roll < 0.88:
        return {"type": "map", "values": avro_node(rng, depth + 1, names)}
    if roll < 0.94:
        name = f"E{len(names)}"
        names.append(name)
        return {"type": "enum", "name": name, "symbols": pick(rng, [["A", "B"], ["A", "A"], [], ["1"], "A"])}
    name = f"F{len(names)}"
    names.append(name)
    return {"type": "fixed", "name": name, "size": pick(rng, [16, -1, 0, 1.5, "8", 10 ** 30])}


def avsc_text(rng: random.Random) -> str:
    text = json.dumps(avro_node(rng, 0, []), indent=rng.choice([None, 1, 2]))
    roll = rng.random()
    if roll > 0.16:
        return text
    if roll < 0.05:
        depth = rng.choice([127, 128, 129, 200, 3000])
        return '{"type":"array","items":' * depth + '"int"' + "}" * depth
    if roll < 0.08:
        return text.replace("0", "9" * rng.choice([50, 101, 5000]), 1)
    if roll < 0.11:
        return text.replace("null", pick(rng, ["NaN", "Infinity", "-Infinity"]), 1)
    if roll < 0.14:
        cut = rng.randrange(len(text) + 1)
        return text[:cut]
    if roll < 0.16:
        return "[" * rng.choice([100, 1000, 5000])
    return text


def argv_case(rng: random.Random) -> list[str]:
    command = pick(rng, ["validate", "plan", "compat", "apply", "import", "history", "force-unlock", "dev", "bogus"])
    paths = ["cluster.yaml", "/dev/zero", "fifo.yaml", "topics", "nope.yaml", "", "-", "/dev/null", "s.avsc"]
    vector = [command]
    for _ in range(rng.randrange(0, 5)):
        vector.append(pick(rng, ["-c", "--format", "json", "markdown", "--offline", "--detailed-exitcode", "--bogus",
                                 "--level", "FULL", "NOPE", "--new", "--previous", "--limit", "-5", "abc",
                                 "--out", "--throttle", "0", "-1MiB", "--help", "--version", *paths]))
    if rng.random() < 0.2:
        vector.insert(0, "--debug")
    return vector


def make_case(rng: random.Random, index: int) -> dict[str, Any]:
    kind = rng.choices(["cluster", "topics", "avsc", "compat", "argv", "plan-offline"], [3, 4, 3, 2, 1, 2])[0]
    schema = avsc_text(rng)
    files: dict[str, Any] = {"s.avsc": schema, "schemas/t.avsc": avsc_text(rng) if rng.random() < 0.3 else schema}
    links: dict[str, str] = {}
    fifos: list[str] = []
    includes = ["topics/*.yaml"] if rng.random() < 0.8 else rng.sample(INCLUDES, rng.randrange(1, 3))
    if rng.random() < 0.1:
        links["topics/d"] = "."
        if rng.random() < 0.5:
            links["topics/e"] = "."
    if rng.random() < 0.05:
        links["topics/outside.yaml"] = "/etc/passwd"
    if any("fifo" in i for i in includes) or rng.random() < 0.02:
        fifos.append("fifo.yaml")
    files["cluster.yaml"] = cluster_yaml(rng, includes)
    schema_refs = ["../s.avsc", "../schemas/t.avsc", "../../../../etc/passwd", "../nope.avsc", "..", "/dev/zero"]
    files["topics/a.yaml"] = topics_yaml(rng, schema_refs if rng.random() < 0.9 else [])
    if rng.random() < 0.5:
        files["topics/b.yaml"] = topics_yaml(rng, schema_refs)
    fmt = ["--format", "json"] if rng.random() < 0.4 else []
    if kind == "argv":
        argv = argv_case(rng)
    elif kind == "compat":
        argv = ["compat", "--level", pick(rng, ["FULL", "BACKWARD", "FULL_TRANSITIVE", "NONE", "forward", "x"]),
                "--new", "s.avsc", "--previous", "schemas/t.avsc", "s.avsc", *fmt]
    elif kind == "plan-offline":
        argv = ["plan-offline", "-c", "cluster.yaml"]
    else:  # online now and then: the registry check then runs (against a closed port)
        argv = ["validate", "-c", "cluster.yaml", *(["--offline"] if rng.random() < 0.8 else []), *fmt]
    return {"id": f"gen-{index:06d}", "argv": argv, "files": files, "links": links, "fifos": fifos}


# ---------------------------------------------------------------------------
# The run
# ---------------------------------------------------------------------------


def category(finding: str) -> str:
    for kind in KINDS:
        if finding.startswith(kind):
            return kind
    return finding


def run_subprocess(case: dict[str, Any], timeout: float) -> list[str]:
    """The same case through the installed `kgitops` command: real exit codes and streams."""
    import tempfile

    if case["argv"][0] == "plan-offline":
        return []
    with tempfile.TemporaryDirectory(prefix="kgitops-fuzz-") as tmp:
        materialise(case, Path(tmp))
        env = {**os.environ, CANARY_ENV: CANARY}
        try:
            done = subprocess.run([sys.executable, "-m", "kgitops", *case["argv"]], cwd=tmp, env=env,
                                  capture_output=True, text=True, timeout=timeout, errors="replace")
        except subprocess.TimeoutExpired:
            return ["hang"]
    text = done.stdout + done.stderr
    found = []
    if "Traceback (most recent call last)" in text:
        found.append("traceback")
    if "internal error" in text:
        found.append("internal error")
    if done.returncode not in (0, 1, 2, 3):
        found.append(f"exit code {done.returncode}")
    if CANARY in text:
        found.append("secret echo")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per input before it counts as a hang")
    parser.add_argument("--subprocess", type=int, default=50, help="also run this many inputs as real processes")
    parser.add_argument("--save-failures", type=Path, help="write each failing input there (e.g. tests/fuzzing/corpus)")
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    counts: collections.Counter[str] = collections.Counter()
    kinds: collections.Counter[str] = collections.Counter()
    exit_codes: collections.Counter[int | None] = collections.Counter()
    examples: dict[str, str] = {}
    slowest = (0.0, "")
    started = time.monotonic()
    for index in range(args.count):
        case = make_case(rng, index)
        kinds[case["argv"][0] if case["argv"][0] != "--debug" else case["argv"][1]] += 1
        begun = time.monotonic()
        outcome = run_case(case, timeout=args.timeout)
        took = time.monotonic() - begun
        slowest = max(slowest, (took, case["id"]))
        exit_codes[outcome.code] += 1
        for finding in outcome.findings:
            counts[category(finding)] += 1
            examples.setdefault(category(finding), f"{case['id']}: {finding}")
        if outcome.findings and args.save_failures:
            save_case({**case, "id": f"fuzz-seed{args.seed}-{index:06d}"}, args.save_failures)
        if (index + 1) % 2000 == 0:
            print(f"  {index + 1} inputs, {sum(counts.values())} findings, {time.monotonic() - started:.0f} s",
                  file=sys.stderr, flush=True)
    in_process = time.monotonic() - started
    sub_findings: collections.Counter[str] = collections.Counter()
    sub_rng = random.Random(args.seed + 1)
    for index in range(args.subprocess):
        for finding in run_subprocess(make_case(sub_rng, index), args.timeout):
            sub_findings[category(finding)] += 1
    total = time.monotonic() - started

    print(f"kgitops fuzz: {args.count} generated inputs (seed {args.seed}) in {in_process:.1f} s in-process, "
          f"+ {args.subprocess} as real processes; {total:.1f} s in all")
    print("  inputs by command: " + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())))
    print("  exit codes: " + ", ".join(f"{k}: {v}" for k, v in sorted(exit_codes.items(), key=lambda kv: str(kv[0]))))
    print(f"  slowest input: {slowest[0]:.2f} s ({slowest[1]})")
    for kind in KINDS:
        print(f"  {kind + 's' if not kind.endswith('s') else kind}: {counts.get(kind, 0)}"
              + (f" (subprocess: {sub_findings[kind]})" if sub_findings.get(kind) else ""))
    other = {k: v for k, v in counts.items() if k not in KINDS}
    if other:
        print("  other findings: " + ", ".join(f"{k}: {v}" for k, v in other.items()))
    for kind, example in examples.items():
        print(f"  e.g. {example[:300]}")
    return 1 if counts or sub_findings else 0


if __name__ == "__main__":
    sys.exit(main())

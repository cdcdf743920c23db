"""Compare Avro Java's verdicts (AvroJavaVerdicts output) with kgitops' checker and, where a
case carries one, with its expected verdict.

    python tests/tools/avro_java/compare.py CASES.jsonl VERDICTS.tsv LABEL
"""
from __future__ import annotations

import json
import sys

from kgitops.avro.compatibility import check_schemas
from kgitops.avro.schema import parse
from kgitops.errors import InputError


def kgitops_verdict(case: dict) -> str:
    try:
        new = parse(case["new"], "new schema")
        previous = [parse(t, f"previous version {i + 1}", validate_defaults=False)
                    for i, t in enumerate(case["previous"])]
    except InputError as err:
        return f"invalid: {err.message}"
    return str(check_schemas(new, previous, case["level"]).compatible).lower()


def same(one: str, other: str) -> bool:
    # Both refusing the schema is agreement, whatever the wording.
    return one == other or (one.startswith("invalid") and other.startswith("invalid"))


def main(cases_path: str, verdicts_path: str, label: str) -> int:
    java = dict(line.rstrip("\n").split("\t", 1) for line in open(verdicts_path, encoding="utf-8"))
    cases = [json.loads(line) for line in open(cases_path, encoding="utf-8")]
    differences = 0
    for case in cases:
        theirs = java.get(case["id"], "missing")
        ours = kgitops_verdict(case)
        expected = str(case["compatible"]).lower() if "compatible" in case else None
        if not same(ours, theirs) or (expected is not None and not same(expected, theirs)):
            differences += 1
            print(f"{case['id']} ({case['level']}): {label} says {theirs[:200]}; kgitops says {ours[:200]}"
                  + (f"; the table says {expected}" if expected is not None else ""))
    print(f"{len(cases) - differences} of {len(cases)} cases agree with {label}")
    return 1 if differences else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))

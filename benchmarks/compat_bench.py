"""How long `kgitops compat --level FULL` takes on one large record checked against itself,
at several sizes, to show the checker is linear in the schema size (time per field stays
flat as the record grows).

    .venv/bin/python benchmarks/compat_bench.py [--fields 50000,100000,200000] [--runs 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from kgitops.cli import main as kgitops_main


def record_text(fields: int) -> str:
    return json.dumps({
        "type": "record", "name": "Wide", "namespace": "bench",
        "fields": [{"name": f"f{i}", "type": ["null", "long"] if i % 3 == 0 else "string", **({"default": None}
                   if i % 3 == 0 else {})} for i in range(fields)],
    })


def time_compat(path: str) -> tuple[float, float]:
    """(wall, CPU) seconds; CPU time stays meaningful on a machine busy with other work."""
    started, cpu = time.perf_counter(), time.process_time()
    code = kgitops_main(["compat", "--level", "FULL", "--new", path, "--previous", path])
    took, cpu_took = time.perf_counter() - started, time.process_time() - cpu
    if code != 0:
        raise SystemExit(f"compat said {code} for a schema against itself")
    return took, cpu_took


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fields", default="50000,100000,200000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for fields in (int(n) for n in args.fields.split(",")):
            path = Path(tmp) / f"wide-{fields}.avsc"
            path.write_text(record_text(fields))
            times = [time_compat(str(path)) for _ in range(args.runs)]
            wall = statistics.median(t[0] for t in times)
            cpu = statistics.median(t[1] for t in times)
            rows.append((fields, path.stat().st_size, wall, cpu))
    print(f"{'fields':>8} {'bytes':>10} {'wall':>8} {'CPU':>8} {'CPU per field':>14}", file=sys.stderr)
    for fields, size, wall, cpu in rows:
        print(f"{fields:>8} {size:>10} {wall:>7.2f}s {cpu:>7.2f}s {cpu / fields * 1e6:>12.1f}us", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

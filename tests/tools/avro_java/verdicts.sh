#!/usr/bin/env bash
# Avro Java's own verdicts on tests/avro_cases.py, compared with the table's.
#   tests/tools/avro_java/verdicts.sh [AVRO_VERSION]   (default 1.12.0; Maven and a JDK needed)
# Prints the cases where Avro Java disagrees with the table; exit 1 if there are any.
set -euo pipefail
version="${1:-1.12.0}"
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
work="${TMPDIR:-/tmp}/kgitops-avro-java-$version"
mkdir -p "$work/classes"
cat > "$work/pom.xml" <<POM
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
  <groupId>kgitops.tools</groupId><artifactId>avro-java-verdicts</artifactId><version>1</version>
  <dependencies><dependency>
    <groupId>org.apache.avro</groupId><artifactId>avro</artifactId><version>$version</version>
  </dependency></dependencies>
</project>
POM
mvn -q -B -f "$work/pom.xml" dependency:build-classpath -Dmdep.outputFile="$work/classpath.txt" >&2
classpath="$(cat "$work/classpath.txt")"
javac -nowarn -cp "$classpath" -d "$work/classes" "$here/AvroJavaVerdicts.java"
cd "$repo"
python="${PYTHON:-$repo/.venv/bin/python}"
"$python" -m tests.avro_cases > "$work/cases.jsonl"
java -cp "$work/classes:$classpath" AvroJavaVerdicts < "$work/cases.jsonl" 2>/dev/null > "$work/verdicts.tsv"
"$python" - "$work/cases.jsonl" "$work/verdicts.tsv" "$version" <<'PY'
import json, sys
expected = {c["id"]: str(c["compatible"]).lower() for c in map(json.loads, open(sys.argv[1]))}
java = dict(line.rstrip("\n").split("\t", 1) for line in open(sys.argv[2]))
differ = [(i, expected[i], java.get(i)) for i in expected if java.get(i) != expected[i]]
for case_id, table, avro_java in differ:
    print(f"{case_id}: table says {table}, Avro Java {sys.argv[3]} says {avro_java}")
print(f"{len(expected) - len(differ)} of {len(expected)} cases agree with Avro Java {sys.argv[3]}")
sys.exit(1 if differ else 0)
PY

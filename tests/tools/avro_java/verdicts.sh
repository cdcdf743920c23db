#!/usr/bin/env bash
# Avro Java's own verdicts, compared with kgitops' checker and with the expected verdicts.
#   tests/tools/avro_java/verdicts.sh [AVRO_VERSION] [CASES.jsonl]
# AVRO_VERSION defaults to 1.12.0 (Maven and a JDK needed); CASES.jsonl defaults to the
# table in tests/avro_cases.py (random_pairs.py writes others). Prints every disagreement;
# exit 1 if there is any.
set -euo pipefail
version="${1:-1.12.0}"
cases="${2:-}"
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
mvn -q -B -Dstyle.color=never -f "$work/pom.xml" dependency:build-classpath -Dmdep.outputFile="$work/classpath.txt" >&2
classpath="$(cat "$work/classpath.txt")"
javac -nowarn -cp "$classpath" -d "$work/classes" "$here/AvroJavaVerdicts.java"
cd "$repo"
python="${PYTHON:-$repo/.venv/bin/python}"
if [ -n "$cases" ]; then cp "$cases" "$work/cases.jsonl"; else "$python" -m tests.avro_cases > "$work/cases.jsonl"; fi
java -cp "$work/classes:$classpath" AvroJavaVerdicts < "$work/cases.jsonl" 2>/dev/null > "$work/verdicts.tsv"
"$python" "$here/compare.py" "$work/cases.jsonl" "$work/verdicts.tsv" "Avro Java $version"

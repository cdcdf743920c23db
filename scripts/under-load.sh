#!/usr/bin/env bash
# Run a command (the test suite) beside a bounded CPU hog: one busy loop per core, at most
# two, killed when the command ends (also when it fails or is interrupted), and ended by
# `timeout` after HOG_MAX_S in any case. Shows the flaky tests a busy CI machine would.
set -u
cores=$(nproc 2>/dev/null || echo 2)
hogs=$(( cores < 2 ? cores : 2 ))
max_s=${HOG_MAX_S:-3600}
pids=()
stop_hogs() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; done; wait "${pids[@]}" 2>/dev/null; }
trap stop_hogs EXIT
trap 'exit 130' INT TERM
for _ in $(seq "$hogs"); do
  timeout "$max_s" sh -c 'while :; do :; done' &
  pids+=("$!")
done
echo "under load: ${hogs} busy loop(s) (pids ${pids[*]}) beside: $*" >&2
started=$(date +%s)
"$@"
status=$?
echo "under load: finished with exit ${status} in $(( $(date +%s) - started )) s" >&2
exit "$status"

#!/usr/bin/env bash
# The main job on the local real stack: start it, validate the example cluster, plan,
# apply, then plan again to show that nothing is left to change.
set -euo pipefail
cd "$(dirname "$0")/.."
CLUSTER=clusters/dev.yaml

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "kgitops dev up"
kgitops dev up

step "kgitops validate -c $CLUSTER"
kgitops validate -c "$CLUSTER"

step "kgitops plan -c $CLUSTER"
kgitops plan -c "$CLUSTER"

step "kgitops apply -c $CLUSTER --auto-approve"
kgitops apply -c "$CLUSTER" --auto-approve

step "kgitops plan -c $CLUSTER --detailed-exitcode (expect: no changes, exit 0)"
kgitops plan -c "$CLUSTER" --detailed-exitcode

step "done: the stack keeps running; stop it with 'kgitops dev down' (or 'make stack-down')"

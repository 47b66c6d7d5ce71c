#!/usr/bin/env bash
# CI step of a firewall change review: plan a proposal against the host's export, without root.
#   plan-change.sh BASE_EXPORT PROPOSAL OUT_DIR
# Writes OUT_DIR/plan.json (the artifact the host applies) and OUT_DIR/plan.md (the PR comment).
# Exit status: 0 nothing changes, 2 changes with nothing blocking (ready for review), 5 a blocking
# finding (e.g. a lockout): fail the merge; anything else: the plan could not be made.
set -uo pipefail
if [ $# -ne 3 ]; then echo "usage: $0 BASE_EXPORT PROPOSAL OUT_DIR" >&2; exit 64; fi
base=$1 proposal=$2 out=$3
fwsafe=${FWSAFE:-fwsafe}

mkdir -p -- "$out"
"$fwsafe" plan "$proposal" --against "$base" --out "$out/plan.json" --markdown --detailed-exitcode > "$out/plan.md"
status=$?
case $status in
  0) echo "fwsafe: the proposal changes nothing." ;;
  2) echo "fwsafe: the proposal has changes and no blocking finding: see $out/plan.md." ;;
  5) echo "fwsafe: the proposal has a BLOCKING finding (e.g. a lockout): see $out/plan.md." >&2 ;;
  *) echo "fwsafe: the plan could not be made (exit $status)." >&2 ;;
esac
exit "$status"

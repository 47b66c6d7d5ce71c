#!/usr/bin/env bash
# Host step after review: apply exactly the reviewed plan, under the dead-man switch.
#   apply-on-host.sh PLAN_JSON [TIMEOUT_SECONDS]
# fwsafe re-checks the plan on the host (its hash, the live ruleset against the export it was planned
# against: exit 8 on drift) before anything is applied; then confirm from a NEW SSH session.
set -euo pipefail
if [ $# -lt 1 ]; then echo "usage: $0 PLAN_JSON [TIMEOUT_SECONDS]" >&2; exit 64; fi
fwsafe=${FWSAFE:-fwsafe}
exec "$fwsafe" apply --plan "$1" --no-wait --timeout "${2:-300}"

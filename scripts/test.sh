#!/usr/bin/env bash
# The test command of the README: builds, runs unit + integration + e2e tests, prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/root-owned.sh
refuse_unless_root_owned

if [ "$(id -u)" = 0 ]; then bash scripts/system-deps.sh; fi
if [ ! -d node_modules ]; then echo "==> npm ci"; npm ci --no-audit --no-fund; fi
echo "==> build"
npm run --silent build

if [ "$(id -u)" != 0 ]; then
  echo "Note: not root: integration and e2e tests need root (network namespaces) and will be skipped." >&2
fi

report=$(mktemp)
trap 'rm -f "$report"' EXIT
set +e
npx vitest run --reporter=default --reporter=json --outputFile.json="$report" "$@"
status=$?
set -e
node -e '
const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed` + (skipped ? `, ${skipped} skipped` : ""));
' "$report" || echo "0 passed, 1 failed"
exit $status

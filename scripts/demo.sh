#!/usr/bin/env bash
# `npm run demo`: from a root-owned clone (docs/security.md), as root, install what is missing, build,
# and run the lab demo.
# Everything the demo changes lives in two throwaway network namespaces and a temp state dir.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/root-owned.sh
refuse_unless_root_owned

if [ "$(id -u)" != 0 ]; then
  echo "The demo creates network namespaces and firewall rules inside them: run it as root (sudo npm run demo)." >&2
  exit 7
fi

missing=()
for bin in nft iptables ip sshd ssh ssh-keygen ss nsenter conntrack; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$bin")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> Installing system packages (missing: ${missing[*]}): nftables iptables iproute2 openssh-server openssh-client conntrack util-linux"
  # Installing openssh-server must not start an sshd on this host (scripts/no-service-starts.sh).
  . scripts/no-service-starts.sh
  install_packages() {
    apt-get update -qq &&
      apt-get install -y -qq --no-install-recommends \
        nftables iptables iproute2 openssh-server openssh-client conntrack util-linux >/dev/null
  }
  export DEBIAN_FRONTEND=noninteractive
  status=0
  without_service_starts /usr/sbin/policy-rc.d install_packages || status=$?
  if [ "$status" != 0 ]; then echo "apt-get failed (exit $status)." >&2; exit "$status"; fi
fi
if [ ! -d node_modules ]; then
  echo "==> npm ci (installing the Node dependencies into ./node_modules)"
  npm ci --no-audit --no-fund
fi
echo "==> Building (npm run build)"
build_log=$(mktemp /tmp/fwsafe-build-XXXXXX.log)
if ! npm run --silent build >"$build_log" 2>&1; then
  # tsc still emits JavaScript on type errors; go on if the demo was built, say so either way.
  echo "    the build reported errors (see $build_log)" >&2
  [ -f dist/commands/lab/demo.js ] || { cat "$build_log" >&2; exit 1; }
else
  rm -f "$build_log"
fi

state=$(mktemp -d /tmp/fwsafe-demo-XXXXXX)
# A name of its own: `lab down` at the end must never meet a lab (or namespaces) someone else made.
lab="fwdemo-$$"
# Whatever happens (failure, Ctrl-C), the lab goes and the temp state with it.
cleanup() {
  node bin/run.js lab down "$lab" --state-dir "$state" >/dev/null 2>&1 || true
  rm -rf "$state"
}
trap cleanup EXIT
echo "==> Running the demo: node bin/run.js lab demo (state in $state)"
echo
node bin/run.js lab demo "$lab" --state-dir "$state" "$@"

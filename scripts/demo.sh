#!/usr/bin/env bash
# `npm run demo`: from a fresh clone, as root, set up what is missing and run the lab demo.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" != 0 ]; then
  echo "The demo creates network namespaces and firewall rules inside them: run it as root (sudo npm run demo)." >&2
  exit 7
fi

missing=()
for bin in nft iptables ip sshd ssh ssh-keygen ss nsenter conntrack; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$bin")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> Installing system packages (missing: ${missing[*]}): nftables iptables iproute2 openssh-server openssh-client conntrack"
  # Installing openssh-server must not start a service on this host: policy-rc.d says no.
  if [ ! -e /usr/sbin/policy-rc.d ]; then printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends nftables iptables iproute2 openssh-server openssh-client conntrack util-linux >/dev/null
fi
if [ ! -d node_modules ]; then
  echo "==> npm ci (installing the Node dependencies)"
  npm ci --no-audit --no-fund
fi
echo "==> Building"
npm run --silent build >/dev/null

state=$(mktemp -d /tmp/fwsafe-demo-XXXXXX)
trap 'rm -rf "$state"' EXIT
echo "==> Running the demo (state in $state; everything happens inside two throwaway network namespaces)"
echo
node bin/run.js lab demo --state-dir "$state" "$@"

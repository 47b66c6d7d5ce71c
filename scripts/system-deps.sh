#!/usr/bin/env bash
# Installs the system packages fwsafe's tests and lab need, when any is missing (Debian/apt).
# `--always` installs them unconditionally (CI on a fresh machine). Services are never started.
set -euo pipefail
PACKAGES=(nftables iptables iproute2 conntrack firewalld dbus openssh-server openssh-client procps iputils-ping util-linux coreutils socat ansible-core ipset)
NEEDED=(nft iptables-nft iptables-legacy ip ss conntrack firewalld firewall-cmd dbus-daemon sshd ssh ssh-keygen nsenter setpriv stdbuf ping socat ansible-playbook ipset)

missing=()
for bin in "${NEEDED[@]}"; do
  command -v "$bin" >/dev/null 2>&1 || [ -x "/usr/sbin/$bin" ] || missing+=("$bin")
done
if [ "${1:-}" != "--always" ] && [ ${#missing[@]} -eq 0 ]; then exit 0; fi
if [ "$(id -u)" != 0 ]; then
  echo "Missing system programs (${missing[*]}); run as root to install them: sudo $0" >&2
  exit 7
fi
echo "==> apt-get install ${PACKAGES[*]}${missing[*]:+ (missing: ${missing[*]})}"
# Installing firewalld/sshd/dbus must not start services on this host: a policy-rc.d that says no,
# removed again afterwards when we put it there.
created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  created_policy=1
fi
trap '[ "$created_policy" = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

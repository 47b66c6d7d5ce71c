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
# Installing firewalld/sshd/dbus must not start services on this host (scripts/no-service-starts.sh).
. "$(dirname "$0")/no-service-starts.sh"
install_packages() {
  apt-get update -qq &&
    apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
}
export DEBIAN_FRONTEND=noninteractive
without_service_starts /usr/sbin/policy-rc.d install_packages

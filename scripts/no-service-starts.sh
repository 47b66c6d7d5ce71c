# Sourced by demo.sh and system-deps.sh. Installing openssh-server, firewalld or dbus must not start a
# service on this host: while CMD runs, a policy-rc.d that says no is in place (unless one already is),
# and the one put there is removed on any exit — success, failure, or an interrupt (INT, TERM).
# No path is ever pasted into a trap string: the traps read it from a variable.
#   without_service_starts POLICY_PATH CMD [ARGS...]   (POLICY_PATH: /usr/sbin/policy-rc.d; tests pass a temp path)
_fwsafe_own_policy=
_fwsafe_remove_policy() {
  if [ -n "$_fwsafe_own_policy" ]; then
    rm -f -- "$_fwsafe_own_policy"
    _fwsafe_own_policy=
  fi
}
without_service_starts() {
  local policy=$1 status=0
  shift
  if [ ! -e "$policy" ]; then
    # The traps first: an interrupt right after the file appears must still remove it.
    trap _fwsafe_remove_policy EXIT
    trap '_fwsafe_remove_policy; exit 130' INT
    trap '_fwsafe_remove_policy; exit 143' TERM
    _fwsafe_own_policy=$policy
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod +x "$policy"
  fi
  "$@" || status=$?
  _fwsafe_remove_policy
  trap - EXIT INT TERM
  return "$status"
}

# Sourced by test.sh and demo.sh: as root, they run this checkout's code, so it must be root's alone
# (docs/security.md). Exit 14, as fwsafe itself does, when another user owns or can write any of it.
refuse_unless_root_owned() {
  [ "$(id -u)" = 0 ] || return 0
  local bad
  bad=$(find -L . -path ./.git -prune -o \( ! -uid 0 -o -perm /022 \) ! -type l -print 2>/dev/null | head -3)
  if [ -n "$bad" ]; then
    echo "Refusing to run this checkout as root: another user owns or can write" >&2
    echo "$bad" | sed 's/^/  /' >&2
    echo "Clone it as root (sudo git clone ...), or: chown -R root:root . && chmod -R go-w . (see docs/security.md)" >&2
    exit 14
  fi
}

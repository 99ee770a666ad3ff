#!/bin/sh
# Installs what `make bench-compare` needs beyond Byline's own packages:
# python3-xapian and sqlite3, only those missing. apt-get install first; an
# apt-get update only if that fails (stale package lists). As root, else
# through sudo, else it prints the command and fails.
set -e
PKGS="python3-xapian sqlite3"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" = 0 ]; then
  as_root=""
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  as_root="sudo"
else
  echo "bench-compare: missing packages:$missing" >&2
  echo "run as root:  apt-get install -y$missing" >&2
  exit 1
fi
# Another apt-get may hold the lock for a while: wait for it, not fail.
install="$as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends$missing"
$install || { $as_root apt-get -o DPkg::Lock::Timeout=300 update -q && $install; }

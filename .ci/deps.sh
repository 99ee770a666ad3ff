#!/bin/sh
# Installs the Debian packages Byline needs, only those missing.
# As root it runs apt-get; otherwise through sudo; otherwise it prints the command and fails.
set -e
PKGS="build-essential pkg-config zlib1g-dev libxxhash-dev libcriterion-dev libutf8proc-dev libstemmer-dev libjansson-dev libcsv-dev"
# The baselines of byline-bench --json, linked into it alone; without them
# the bench still builds and leaves their rows out.
PKGS="$PKGS libstreamvbyte-dev libroaring-dev"
missing=""
for p in $PKGS; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
cmd="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" = 0 ]; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive $cmd
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo apt-get update -q && sudo DEBIAN_FRONTEND=noninteractive $cmd
else
  echo "byline: missing packages:$missing" >&2
  echo "run as root:  apt-get update && $cmd" >&2
  exit 1
fi

#!/usr/bin/env bash
# Installs Debian packages for the repository's setup scripts: `apt-install.sh <who> <package>...`.
# Quiet (apt's output goes to a log shown only on failure), through sudo when not root, with one
# retry. Prints "<who>: installed <packages>" on success; on failure says why, prefixed with <who>.
set -euo pipefail
who=$1
shift
(($# > 0)) || exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "$who: missing $*, and no apt-get here; install them by hand" >&2
  exit 1
fi
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null 2>&1 || {
    echo "$who: missing $*; run as root (or install sudo)" >&2
    exit 1
  }
  sudo=(sudo)
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_install() {
  "${sudo[@]}" apt-get update -qq >>"$log" 2>&1 &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends "$@" >>"$log" 2>&1
}
# One retry: a fresh machine's first apt-get update sometimes races a mirror sync.
if ! apt_install "$@" && ! { sleep 5 && apt_install "$@"; }; then
  echo "$who: apt-get failed to install $*:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
echo "$who: installed $*"

#!/usr/bin/env bash
# Installs what the janitor tests (test/janitor.e2e.spec.ts) need on a Debian machine:
#   bash, curl, jq      the janitor's own tools (dtzar/helm-kubectl has them too)
#   busybox             its applets come first on the tests' PATH, as in the Alpine image
#   ShellCheck          the suite lints janitor.sh (package shellcheck)
# Idempotent and silent when everything is already there; prints one line when it installs.
set -euo pipefail

# command -> Debian package
declare -A PACKAGE=([bash]=bash [curl]=curl [jq]=jq [busybox]=busybox [shellcheck]=shellcheck)

missing=()
for cmd in bash curl jq busybox shellcheck; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${PACKAGE[$cmd]}")
done
((${#missing[@]} == 0)) && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "janitor-deps: missing ${missing[*]} and no apt-get here; install them by hand" >&2
  exit 1
fi
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null 2>&1 || {
    echo "janitor-deps: missing ${missing[*]}; run as root (or install sudo)" >&2
    exit 1
  }
  sudo=(sudo)
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
export DEBIAN_FRONTEND=noninteractive
apt_install() {
  "${sudo[@]}" apt-get update -qq >>"$log" 2>&1 &&
    "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$log" 2>&1
}
# One retry: a fresh machine's first apt-get update sometimes races a mirror sync.
if ! apt_install && ! { sleep 5 && apt_install; }; then
  echo "janitor-deps: apt-get failed to install ${missing[*]}:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
echo "janitor-deps: installed ${missing[*]}"

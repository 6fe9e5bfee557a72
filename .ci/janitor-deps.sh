#!/usr/bin/env bash
# Installs what the janitor tests (npm run test:janitor, test/janitor.contract.ts) need on a Debian machine:
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

bash "$(dirname "${BASH_SOURCE[0]}")/../scripts/apt-install.sh" janitor-deps "${missing[@]}"

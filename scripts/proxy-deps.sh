#!/usr/bin/env bash
# Installs what the janitor's proxy and private-CA tests (test/support/janitor-proxy-cases.ts)
# need on a Debian machine:
#   tinyproxy   a real HTTP CONNECT proxy; the tests start their own as a non-root user, with their
#               own configuration in a temp folder, on a free loopback port (never the package's
#               service)
#   openssl     makes the test CA and the fake SaaS's certificate
# Idempotent and silent when both are already there; prints one line when it installs.
set -euo pipefail

# command -> Debian package
declare -A PACKAGE=([tinyproxy]=tinyproxy [openssl]=openssl)

missing=()
for cmd in tinyproxy openssl; do
  command -v "$cmd" >/dev/null 2>&1 || [[ -x /usr/bin/$cmd || -x /usr/sbin/$cmd ]] || missing+=("${PACKAGE[$cmd]}")
done
((${#missing[@]} == 0)) && exit 0

bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" proxy-deps "${missing[@]}"

#!/usr/bin/env bash
# Installs Debian's PostgreSQL server and client (package `postgresql`), which the team-backend
# tests (test/e2e/backend.e2e.ts) run as Pulumi's `postgres://` state backend. The tests start
# their own throw-away server (test/support/postgres.ts: initdb + postgres as the `postgres` user,
# in a temp folder, on a free loopback port); they never use a cluster the package may set up.
# Idempotent and silent when the binaries are already there; prints one line when it installs.
set -euo pipefail

# What the tests run, all from the server's own bin folder (/usr/lib/postgresql/<major>/bin).
need=(initdb postgres psql pg_dump pg_restore)

have_all() {
  local dir tool
  for dir in /usr/lib/postgresql/*/bin; do
    for tool in "${need[@]}"; do
      [[ -x "$dir/$tool" ]] || continue 2
    done
    id -u postgres >/dev/null 2>&1 && return 0
  done
  return 1
}
have_all && exit 0

bash "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh" postgres-deps postgresql
have_all || {
  echo "postgres-deps: installed postgresql, but found no /usr/lib/postgresql/*/bin with ${need[*]}" >&2
  exit 1
}

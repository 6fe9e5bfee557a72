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

if ! command -v apt-get >/dev/null 2>&1; then
  echo "postgres-deps: no PostgreSQL server (${need[*]}) and no apt-get here; install PostgreSQL by hand" \
    "and point PG_BIN_DIR at its bin folder" >&2
  exit 1
fi
sudo=()
if ((EUID != 0)); then
  command -v sudo >/dev/null 2>&1 || {
    echo "postgres-deps: PostgreSQL is missing; run as root (or install sudo)" >&2
    exit 1
  }
  sudo=(sudo)
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
apt_install() {
  "${sudo[@]}" apt-get update -qq >>"$log" 2>&1 &&
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -qq --no-install-recommends postgresql >>"$log" 2>&1
}
# One retry: a fresh machine's first apt-get update sometimes races a mirror sync.
if ! apt_install && ! { sleep 5 && apt_install; }; then
  echo "postgres-deps: apt-get failed to install postgresql:" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
have_all || {
  echo "postgres-deps: installed postgresql, but found no /usr/lib/postgresql/*/bin with ${need[*]}" >&2
  exit 1
}
dirs=(/usr/lib/postgresql/*/bin)
echo "postgres-deps: installed postgresql (${dirs[*]})"

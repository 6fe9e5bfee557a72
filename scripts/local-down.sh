#!/usr/bin/env bash
# npm run local:down — stops every process `npm run local:up` started (by the PIDs it recorded),
# waits until they are gone, and keeps the cluster's data and the stack's state in .cache/local/
# for the next local:up. `npm run local:down -- --purge` also deletes .cache/local/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export BACKLINE_LOCAL_DIR="${BACKLINE_LOCAL_DIR:-$ROOT/.cache/local}"
case "${1:-}" in
  "" | --purge) ;;
  *) echo "usage: npm run local:down [-- --purge]" >&2; exit 2 ;;
esac
cd "$ROOT"
npx ts-node --transpile-only scripts/local/cluster.ts down "$@"

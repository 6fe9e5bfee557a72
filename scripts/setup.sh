#!/usr/bin/env bash
# Sets up a fresh checkout: the Debian packages the janitor's tests run the script with (and the
# proxy and CA its enterprise-site tests use: tinyproxy, openssl), PostgreSQL
# (the team-backend tests' state server), then the exact npm dependencies from package-lock.json, the
# program's and the policy pack's (policy/ is a package of its own, so customers can run it without
# this repository's dependencies), the pack compiled to JavaScript (policy/analyzer starts that
# copy; it would compile on its first start otherwise), and the Python environment of the Python
# programs (scripts/python-env.sh: the `pulumi` SDK from PyPI in .cache/python).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash .ci/janitor-deps.sh
bash scripts/proxy-deps.sh
bash scripts/postgres-deps.sh
# Chromium: the documentation site's browser test (test/docs/site.docs.ts) drives Debian's build.
command -v chromium >/dev/null 2>&1 || bash scripts/apt-install.sh docs-deps chromium
npm ci --no-audit --no-fund
npm ci --no-audit --no-fund --prefix policy
policy/analyzer --compile >/dev/null
bash scripts/python-env.sh

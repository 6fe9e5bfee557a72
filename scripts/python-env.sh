#!/usr/bin/env bash
# The Python environment of this repository's Python programs (examples/python, test/e2e/languages.e2e.ts):
# a virtual environment in .cache/python (or $BACKLINE_PYTHON_ENV) with exactly the packages of
# examples/python/requirements.txt, from PyPI: the `pulumi` SDK and its dependencies. The generated
# `backline` SDK is not in it: a program adds it the way a user does (docs/embed/languages.md).
#
# The language host that runs the programs is pulumi-language-python of sdk/v3 v3.68.0
# (scripts/build-engine.sh); it starts `python3` from PATH (`source .cache/python/bin/activate`) and runs
# the program with its pulumi-language-python-exec script, which calls what every SDK release since
# has kept (runtime.Settings, configure, run_in_stack, set_all_config). The SDK talks to the
# engine itself, so it is pinned to the release of the npm SDK the TypeScript program uses.
#
# Idempotent: when the environment was made from the same requirements and Python, it prints
# "up to date" and exits.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
venv="${BACKLINE_PYTHON_ENV:-$root/.cache/python}"
requirements="$root/examples/python/requirements.txt"

command -v python3 >/dev/null || { echo "python-env: error: python3 is not on PATH (3.9 or newer)" >&2; exit 1; }
python3 -c 'import sys; sys.exit(sys.version_info < (3, 9))' ||
  { echo "python-env: error: $(python3 --version) is too old; the pulumi SDK needs Python 3.9 or newer" >&2; exit 1; }

stamp="$( { python3 --version; sha256sum "$requirements" "${BASH_SOURCE[0]}"; } | sha256sum | cut -c1-16)"
if [[ -f "$venv/.stamp" && "$(cat "$venv/.stamp")" == "$stamp" && -x "$venv/bin/python" ]]; then
  echo "python-env: up to date ($venv)"
  exit 0
fi

start=$SECONDS
rm -rf "$venv"
python3 -m venv "$venv"
# Exactly the listed packages: anything unlisted that pulumi needed would fail the import below.
"$venv/bin/pip" install --quiet --no-input --disable-pip-version-check --no-deps -r "$requirements"
"$venv/bin/python" -c 'import pulumi, pulumi.runtime' ||
  { echo "python-env: error: the pulumi SDK does not import; is examples/python/requirements.txt complete?" >&2; exit 1; }
echo "$stamp" >"$venv/.stamp"
echo "python-env: $venv made in $((SECONDS - start)) s ($("$venv/bin/python" --version), pulumi $("$venv/bin/pip" show pulumi 2>/dev/null | sed -n 's/^Version: //p'))"

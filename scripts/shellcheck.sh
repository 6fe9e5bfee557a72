#!/usr/bin/env bash
# Every shell script the repository tracks passes shellcheck (part of `npm run lint`): files named
# *.sh and files whose first line is a shell shebang (the janitor, the policy pack's launcher, the
# dynamic-provider plugin, .ci/run, the kubectl stand-in).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v shellcheck >/dev/null; then
    echo "error: shellcheck is not installed; bash scripts/setup.sh installs it" >&2
    exit 1
fi

files=()
while IFS= read -r -d '' file; do
    [[ -f $file ]] || continue
    if [[ $file == *.sh ]] || head -n 1 "$file" | grep -qE '^#!.*(/bash|/sh|env bash|env sh)\b'; then
        files+=("$file")
    fi
done < <(git ls-files -z)

shellcheck --external-sources "${files[@]}"
echo "shellcheck: ${#files[@]} scripts, no findings"

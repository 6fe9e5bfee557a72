#!/usr/bin/env bash
# Installs the Debian packages that the test control plane needs (idempotent).
#
# Keys, tokens and the kubeconfig are generated with Node's crypto and the serving
# certificate by kube-apiserver itself (--cert-dir), so no openssl/cfssl is needed.
# What remains are base tools, present on almost every Debian system:
#   bash, sha256sum/find/xargs (coreutils, findutils) for scripts/build-kube.sh,
#   flock (util-linux) to serialize concurrent builds.
# Go itself (see tools/kube/go.mod for the version) is not installed from Debian:
# Debian's golang is older than the Kubernetes release needs.
set -euo pipefail

declare -A need=(
  [bash]=bash
  [sha256sum]=coreutils
  [find]=findutils
  [xargs]=findutils
  [flock]=util-linux
)

missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || missing+=("${need[$cmd]}")
done

if [[ ${#missing[@]} -eq 0 ]]; then
  echo "kube-deps: nothing to install"
else
  mapfile -t pkgs < <(printf '%s\n' "${missing[@]}" | sort -u)
  echo "kube-deps: installing ${pkgs[*]}"
  sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${pkgs[@]}"
fi

if ! command -v go >/dev/null 2>&1; then
  echo "kube-deps: warning: 'go' is not on PATH; scripts/build-kube.sh needs Go $(sed -n 's/^go //p' "$(dirname "$0")/../tools/kube/go.mod") or newer" >&2
fi

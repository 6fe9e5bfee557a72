#!/usr/bin/env bash
# Builds the Helm CLI the tests use from Go modules only:
#   .cache/helm/bin/helm   (helm.sh/helm/v3/cmd/helm, the `tool` line of tools/helm/go.mod)
#
# The Backline chart's installed base runs Helm 3; tools/helm pins the newest 3.x the Go module
# proxy serves. The version ldflags are the ones Helm's own Makefile sets, so `helm version`
# reports the release and `.Capabilities.KubeVersion` (used by `helm template` and `helm lint`)
# follows the client-go Helm is built with instead of the source default v1.20.
#
# Needs only Go (the version named in tools/helm/go.mod) and the Go module proxy. Reuses Go's
# module and build caches. When nothing changed since the last successful build (hash of
# go.mod/go.sum, this script and the Go version) it does nothing and prints "up to date".
#
# Usage: scripts/build-helm.sh [--force]
# Env:   HELM_BIN_DIR   output directory (default: <repo>/.cache/helm/bin)
set -euo pipefail

usage() {
  cat <<EOF
usage: $0 [--force]

Builds helm (helm.sh/helm/v3, version pinned in tools/helm/go.mod) into \$HELM_BIN_DIR
(default: .cache/helm/bin). A no-op that prints "up to date" when its inputs did not change.
  --force   build even when up to date
  --help    show this help
EOF
}

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
HELM_MOD="$ROOT/tools/helm"
BIN_DIR="${HELM_BIN_DIR:-$ROOT/.cache/helm/bin}"
STATE_DIR="$(dirname "$BIN_DIR")"
STAMP="$STATE_DIR/build.stamp"
HELM_PKG=helm.sh/helm/v3

force=0
case "${1:-}" in
  --force) force=1 ;;
  --help | -h) usage; exit 0 ;;
  "") ;;
  *) usage >&2; exit 2 ;;
esac
command -v go >/dev/null 2>&1 || { echo "build-helm: 'go' is not on PATH" >&2; exit 1; }
mkdir -p "$BIN_DIR"

# Parallel test runs may all call this script: one build at a time (flock is in util-linux,
# which scripts/kube-deps.sh installs).
exec 9>"$STATE_DIR/build.lock"
! command -v flock >/dev/null 2>&1 || flock 9

# The stamp: whatever decides the binary (Go, target, output folder, the module pins, this script).
hash="$(
  cd "$ROOT"
  { go env GOVERSION GOOS GOARCH; echo "$BIN_DIR"; sha256sum tools/helm/go.mod tools/helm/go.sum scripts/build-helm.sh; } \
    | sha256sum | cut -d' ' -f1
)"
if ((force == 0)) && [[ -x $BIN_DIR/helm && "$(cat "$STAMP" 2>/dev/null)" == "$hash" ]]; then
  echo "build-helm: up to date ($BIN_DIR)"
  exit 0
fi

start=$SECONDS
rm -f "$STAMP"

mod_version() { (cd "$HELM_MOD" && go list -m -f '{{.Version}}' "$1"); }

echo "build-helm: downloading modules"
(cd "$HELM_MOD" && go mod download)

helm_version="$(mod_version "$HELM_PKG")" # e.g. v3.22.0
client_go="$(mod_version k8s.io/client-go)" # e.g. v0.37.0, i.e. Kubernetes 1.37
if [[ ! $helm_version =~ ^v3\. ]]; then
  echo "build-helm: tools/helm/go.mod pins $HELM_PKG $helm_version; expected a 3.x release" >&2
  exit 1
fi
if [[ ! $client_go =~ ^v0\.([0-9]+)\.[0-9]+$ ]]; then
  echo "build-helm: unexpected k8s.io/client-go version '$client_go'" >&2
  exit 1
fi
k8s_minor="${BASH_REMATCH[1]}"

# As Helm's Makefile (LDFLAGS, K8S_MODULES_MAJOR_VER/MINOR_VER) sets them. No git commit: the
# module zip has none, and an invented one would be worse than the empty field.
ldflags="-s -w"
ldflags+=" -X $HELM_PKG/internal/version.version=$helm_version"
ldflags+=" -X $HELM_PKG/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X $HELM_PKG/$pkg.k8sVersionMajor=1 -X $HELM_PKG/$pkg.k8sVersionMinor=$k8s_minor"
done

# Build into a temporary directory and move into place, so an interrupted build never leaves a
# half-written binary that the stamp check would accept.
tmp="$(mktemp -d "$STATE_DIR/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

echo "build-helm: building helm $helm_version"
(cd "$HELM_MOD" && CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$tmp/helm" \
  "$HELM_PKG/cmd/helm")
"$tmp/helm" version --short >/dev/null # a binary that cannot even print its version is no build

mv -f "$tmp/helm" "$BIN_DIR/helm"
echo "$hash" >"$STAMP"
echo "build-helm: built helm $helm_version into $BIN_DIR in $((SECONDS - start))s"

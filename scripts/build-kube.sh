#!/usr/bin/env bash
# Builds the binaries of the test Kubernetes control plane from Go modules only:
#   .cache/kube/bin/kube-apiserver           (k8s.io/kubernetes/cmd/kube-apiserver,          tools/kube)
#   .cache/kube/bin/kube-controller-manager  (k8s.io/kubernetes/cmd/kube-controller-manager, tools/kube)
#   .cache/kube/bin/kube-scheduler           (k8s.io/kubernetes/cmd/kube-scheduler,          tools/kube)
#   .cache/kube/bin/kubectl                  (k8s.io/kubernetes/cmd/kubectl,                 tools/kube)
#   .cache/kube/bin/etcd                     (go.etcd.io/etcd/server/v3/etcdmain,           tools/etcd)
#   .cache/kube/bin/kwok                     (sigs.k8s.io/kwok/cmd/kwok,                     tools/kwok)
#
# Needs only Go (the version named in tools/*/go.mod) and the Go module proxy.
# Reuses Go's module and build caches. When nothing changed since the last
# successful build (hash of go.mod/go.sum/sources/this script/Go version) it does
# nothing and prints "up to date".
#
# With a MINOR (e.g. 1.30: the oldest minor Backline supports, module tools/kube-1.30) it builds
# only kube-apiserver, kube-controller-manager, kube-scheduler and kubectl of that release, into
# .cache/kube-MINOR/bin with its own stamp; the test control plane takes etcd and kwok from the
# default build, which serve every supported minor.
#
# Usage: scripts/build-kube.sh [--force] [MINOR]
# Env:   KUBE_BIN_DIR         output directory of the default build (default: <repo>/.cache/kube/bin)
#        KUBE_BIN_DIR_<M>_<m> output directory of MINOR M.m, e.g. KUBE_BIN_DIR_1_30
#                             (default: <repo>/.cache/kube-M.m/bin)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
usage() { echo "usage: $0 [--force] [MINOR]   (MINOR: one of tools/kube-*, e.g. 1.30)" >&2; exit 2; }

force=0
minor=""
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    1.[0-9]*)
      [[ -z $minor && -f "$ROOT/tools/kube-$arg/go.mod" ]] || usage
      minor="$arg"
      ;;
    *) usage ;;
  esac
done

if [[ -z $minor ]]; then
  KUBE_MOD="$ROOT/tools/kube"
  ETCD_MOD="$ROOT/tools/etcd"
  KWOK_MOD="$ROOT/tools/kwok"
  MODULES=(tools/kube tools/etcd tools/kwok)
  BIN_DIR="${KUBE_BIN_DIR:-$ROOT/.cache/kube/bin}"
  BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok)
else
  KUBE_MOD="$ROOT/tools/kube-$minor"
  MODULES=("tools/kube-$minor")
  bin_var="KUBE_BIN_DIR_${minor//./_}"
  BIN_DIR="${!bin_var:-$ROOT/.cache/kube-$minor/bin}"
  BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
fi
STATE_DIR="$(dirname "$BIN_DIR")"
STAMP="$STATE_DIR/build.stamp"

command -v go >/dev/null 2>&1 || { echo "build-kube: 'go' is not on PATH" >&2; exit 1; }
mkdir -p "$BIN_DIR"

# One build at a time (parallel test runs may all call this script).
exec 9>"$STATE_DIR/build.lock"
if command -v flock >/dev/null 2>&1; then
  flock 9
fi

inputs_hash() {
  {
    go env GOVERSION GOOS GOARCH
    printf '%s\n' "$BIN_DIR"
    (
      cd "$ROOT"
      find "${MODULES[@]}" -type f \( -name 'go.mod' -o -name 'go.sum' -o -name '*.go' \) -print0 \
        | LC_ALL=C sort -z | xargs -0 sha256sum
      sha256sum scripts/build-kube.sh
    )
  } | sha256sum | cut -d' ' -f1
}

hash="$(inputs_hash)"
if [[ $force -eq 0 && -f "$STAMP" && "$(cat "$STAMP")" == "$hash" ]]; then
  missing=0
  for b in "${BINARIES[@]}"; do
    [[ -x "$BIN_DIR/$b" ]] || missing=1
  done
  if [[ $missing -eq 0 ]]; then
    echo "build-kube: up to date ($BIN_DIR)"
    exit 0
  fi
fi

start=$SECONDS
rm -f "$STAMP"

# version -ldflags as Kubernetes' hack/lib/version.sh sets them; without them the
# binaries report v0.0.0-master and kubectl warns about version skew.
mod_version() { (cd "$1" && go list -m -f '{{.Version}}' "$2"); }
mod_time() { (cd "$1" && go list -m -f '{{with .Time}}{{.UTC.Format "2006-01-02T15:04:05Z"}}{{end}}' "$2"); }

echo "build-kube: downloading modules"
for mod in "${MODULES[@]}"; do
  (cd "$ROOT/$mod" && go mod download)
done

kube_version="$(mod_version "$KUBE_MOD" k8s.io/kubernetes)"   # e.g. v1.37.2
kube_date="$(mod_time "$KUBE_MOD" k8s.io/kubernetes)"
[[ -n $kube_date ]] || kube_date="1970-01-01T00:00:00Z"
if [[ ! $kube_version =~ ^v([0-9]+)\.([0-9]+)\.[0-9]+$ ]]; then
  echo "build-kube: unexpected k8s.io/kubernetes version '$kube_version'" >&2
  exit 1
fi
kube_major="${BASH_REMATCH[1]}"
kube_minor="${BASH_REMATCH[2]}"
if [[ -n $minor && "$kube_major.$kube_minor" != "$minor" ]]; then
  echo "build-kube: tools/kube-$minor requires k8s.io/kubernetes $kube_version, not a $minor release" >&2
  exit 1
fi

kube_ldflags="-s -w"
for pkg in k8s.io/client-go/pkg/version k8s.io/component-base/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$kube_version"
  kube_ldflags+=" -X $pkg.gitMajor=$kube_major"
  kube_ldflags+=" -X $pkg.gitMinor=$kube_minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean"
  kube_ldflags+=" -X $pkg.buildDate=$kube_date"
done

# Build into a temporary directory and move into place, so an interrupted build
# never leaves a half-written binary that the stamp check would accept.
tmp="$(mktemp -d "$STATE_DIR/build.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

export CGO_ENABLED=0
echo "build-kube: building kube-apiserver, kube-controller-manager, kube-scheduler and kubectl $kube_version"
(cd "$KUBE_MOD" && go build -trimpath -buildvcs=false -ldflags "$kube_ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl)
if [[ -z $minor ]]; then
  etcd_version="$(mod_version "$ETCD_MOD" go.etcd.io/etcd/server/v3)"
  echo "build-kube: building etcd $etcd_version"
  (cd "$ETCD_MOD" && go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=module-$etcd_version" -o "$tmp/etcd" ./cmd/etcd)
  # kwok's version is a constant of its module (sigs.k8s.io/kwok/pkg/consts.Version), right as published.
  kwok_version="$(mod_version "$KWOK_MOD" sigs.k8s.io/kwok)"
  echo "build-kube: building kwok $kwok_version"
  (cd "$KWOK_MOD" && go build -trimpath -buildvcs=false -ldflags "-s -w" -o "$tmp/kwok" sigs.k8s.io/kwok/cmd/kwok)
fi

for b in "${BINARIES[@]}"; do
  mv -f "$tmp/$b" "$BIN_DIR/$b"
done
echo "$hash" >"$STAMP"
echo "build-kube: built ${BINARIES[*]} into $BIN_DIR in $((SECONDS - start))s"

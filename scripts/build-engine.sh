#!/usr/bin/env bash
# Builds the Pulumi engine from Go modules (no prebuilt binaries are downloaded) and installs it the
# way a Pulumi distribution is laid out, so that no run warns about plugins found on $PATH:
#
#   .cache/engine/bin/pulumi                       github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
#   .cache/engine/bin/pulumi-language-nodejs       tools/pulumi-engine/langhost: the host inside
#                                                  github.com/pulumi/pulumi/sdk/v3 v3.68.0 (its own newer
#                                                  module is not served by the Go module proxy; see docs/engine.md)
#   .cache/engine/bin/pulumi-language-python       tools/pulumi-engine/langhost too (the same sdk/v3 v3.68.0), with
#   .cache/engine/bin/pulumi-language-python-exec  the script that host runs programs with (copied from that module)
#   .cache/engine/bin/pulumi-language-yaml         tools/pulumi-engine/yaml: github.com/pulumi/pulumi-yaml v1.25.0
#                                                  (against pkg/v3 v3.215.0, as the kubernetes provider)
#   .cache/engine/bin/pulumi-resource-pulumi-nodejs scripts/pulumi-resource-pulumi-nodejs: the plugin that
#                                                  runs Node.js dynamic providers (a script, copied; no build)
#   .cache/engine/libexec/gen-sdk-python          tools/pulumi-engine/gen-sdk-python: the Python SDK of a package
#                                                  schema, with the CLI's pkg/v3 codegen (what `pulumi package
#                                                  gen-sdk --language python` asks of a Python host newer than ours)
#   .cache/engine/libexec/pulumi-resource-kubernetes
#                                                  tools/pulumi-engine/kubernetes/cmd/pulumi-resource-kubernetes
#                                                  (serves github.com/pulumi/pulumi-kubernetes/provider/v4)
#
# bin/ is what goes on PATH: `pulumi` and the plugins a distribution bundles next to it. The
# kubernetes plugin is a resource plugin, which a standard install keeps in the plugin cache of
# PULUMI_HOME at the version programs ask for: scripts/engine-plugins.sh puts it into the engine's
# plugin store (.cache/engine/plugins/resource-kubernetes-v<the @pulumi/kubernetes version of
# package.json>) and links the store into ${PULUMI_HOME:-~/.pulumi}/plugins (docs/engine.md, "Where
# the engine finds its plugins"). Both run on every call, up to date or not.
#
# The versions are pinned by tools/pulumi-engine/go.mod and go.sum (the CLI),
# tools/pulumi-engine/kubernetes/go.mod and go.sum (the provider),
# tools/pulumi-engine/langhost/go.mod and go.sum (the Node.js and Python language hosts) and
# tools/pulumi-engine/yaml/go.mod and go.sum (the YAML language host). Go's module
# and build caches are reused; when nothing changed since the last successful
# build (stamp file holding a hash of the inputs) it prints "up to date" and exits.
#
# Usage: scripts/build-engine.sh [--force]
# Env:   PULUMI_ENGINE_DIR  output folder (default: <repo>/.cache/engine)
#        PULUMI_HOME        the home whose plugin cache gets the plugins (default: ~/.pulumi)
set -euo pipefail

die() {
  echo "build-engine: error: $*" >&2
  exit 1
}

log() {
  echo "build-engine: $*" >&2
}

force=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    -h | --help)
      sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument: $arg (usage: scripts/build-engine.sh [--force])" ;;
  esac
done

script_path="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
repo_root="$(cd "$(dirname "$script_path")/.." && pwd)"
mod_dir="$repo_root/tools/pulumi-engine"
k8s_mod_dir="$mod_dir/kubernetes"
out_dir="${PULUMI_ENGINE_DIR:-$repo_root/.cache/engine}"
bin_dir="$out_dir/bin"
libexec_dir="$out_dir/libexec"
stamp_file="$out_dir/stamp"

# Version reported by the kubernetes plugin. The provider module has no release
# tag, only the pseudo-version below (commit f47bc2d6f199 of 2026-01-15, between
# the v4.24.1 and v4.25.0 releases), so it is reported as a 4.25.0 pre-release in
# the form upstream uses for untagged builds: <next>-alpha.<commit unix time>+<commit>.
k8s_module="github.com/pulumi/pulumi-kubernetes/provider/v4"
k8s_module_version="v4.0.0-20260115033456-f47bc2d6f199"
k8s_plugin_version="4.25.0-alpha.1768448096+f47bc2d6f199"
langhost_mod_dir="$mod_dir/langhost"
langhost_pkg="github.com/pulumi/pulumi/sdk/v3/nodejs/cmd/pulumi-language-nodejs"
python_pkg="github.com/pulumi/pulumi/sdk/v3/python/cmd/pulumi-language-python"
yaml_mod_dir="$mod_dir/yaml"
yaml_module="github.com/pulumi/pulumi-yaml"

[[ -f "$mod_dir/go.mod" ]] || die "$mod_dir/go.mod not found"
[[ -f "$k8s_mod_dir/go.mod" ]] || die "$k8s_mod_dir/go.mod not found"
[[ -f "$langhost_mod_dir/go.mod" ]] || die "$langhost_mod_dir/go.mod not found"
[[ -f "$yaml_mod_dir/go.mod" ]] || die "$yaml_mod_dir/go.mod not found"
command -v go >/dev/null 2>&1 || die "go is not on PATH; Go 1.26.6 or newer is needed (pulumi v3.274.1 requires it)"

cd "$mod_dir"
# Never let the build edit go.mod/go.sum: they are the pin.
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=readonly"

# Hash of everything that determines the binaries.
inputs_hash() {
  {
    go env GOVERSION GOOS GOARCH
    echo "k8s=$k8s_plugin_version out=$out_dir"
    sha256sum "$script_path"
    find . \( -name '*.go' -o -name go.mod -o -name go.sum \) -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
  } | sha256sum | cut -d' ' -f1
}

# Built binaries and where they go: bin/ (on PATH) or libexec/ (plugins found through the plugin cache).
targets=(pulumi pulumi-language-nodejs pulumi-language-python pulumi-language-python-exec pulumi-language-yaml
  gen-sdk-python pulumi-resource-kubernetes)
target_path() {
  case "$1" in
    pulumi-resource-kubernetes | gen-sdk-python) echo "$libexec_dir/$1" ;;
    *) echo "$bin_dir/$1" ;;
  esac
}
# Not built, so not part of the stamp: copied on every run, up to date or not.
dynamic_provider=pulumi-resource-pulumi-nodejs

# The version of the kubernetes plugin that programs ask for: that of the npm SDK, @pulumi/kubernetes
# (exact pin in package.json). The engine picks a cached plugin by exact version, so the plugin built
# here (reporting $k8s_plugin_version) is installed under that one (docs/engine.md).
k8s_sdk_version() {
  local v
  v="$(sed -n 's/^ *"@pulumi\/kubernetes": *"\([0-9][^"]*\)".*/\1/p' "$repo_root/package.json" | head -n 1)"
  [[ -n "$v" ]] || die "no exact \"@pulumi/kubernetes\" version in $repo_root/package.json"
  echo "$v"
}

print_result() {
  echo "Pulumi engine in $bin_dir:"
  local t
  for t in pulumi pulumi-language-nodejs pulumi-language-python pulumi-language-yaml "$dynamic_provider"; do
    echo "  $bin_dir/$t"
  done
  echo "Plugins (installed into ${PULUMI_HOME:-$HOME/.pulumi}/plugins; scripts/engine-plugins.sh link PULUMI_HOME for another home):"
  PULUMI_ENGINE_DIR="$out_dir" bash "$repo_root/scripts/engine-plugins.sh" list | sed 's/^/  /'
  echo "Use them with: source scripts/engine-env.sh"
}

# On every run, up to date or not: the files that are not built, and the plugin cache.
install_plugins() {
  # The engine looks for it next to `pulumi` (a bundled plugin) when a program registers a
  # pulumi.dynamic.Resource; the adoption of a Helm release uses two (docs/helm-adoption.md).
  install -m 0755 "$repo_root/scripts/$dynamic_provider" "$bin_dir/$dynamic_provider"
  # Earlier builds put the kubernetes plugin in bin/, where the engine finds it on PATH and warns.
  rm -f "$bin_dir/pulumi-resource-kubernetes"
  local plugins="$repo_root/scripts/engine-plugins.sh"
  PULUMI_ENGINE_DIR="$out_dir" bash "$plugins" add resource kubernetes "$(k8s_sdk_version)" \
    "$libexec_dir/pulumi-resource-kubernetes"
  PULUMI_ENGINE_DIR="$out_dir" bash "$plugins" link
}

mkdir -p "$bin_dir" "$libexec_dir"
# One build at a time (parallel test runs may call this script together).
if command -v flock >/dev/null 2>&1; then
  exec 9>"$out_dir/.lock"
  flock 9
fi

hash="$(inputs_hash)"
up_to_date=true
[[ "$force" == true ]] && up_to_date=false
[[ -f "$stamp_file" && "$(cat "$stamp_file")" == "$hash" ]] || up_to_date=false
for t in "${targets[@]}"; do
  [[ -x "$(target_path "$t")" ]] || up_to_date=false
done
if [[ "$up_to_date" == true ]]; then
  install_plugins
  echo "build-engine: up to date"
  print_result
  exit 0
fi

start=$SECONDS
pulumi_version="$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3)" ||
  die "cannot resolve github.com/pulumi/pulumi/pkg/v3 from go.mod (is the Go module proxy reachable?)"
sdk_version="$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)" ||
  die "cannot resolve github.com/pulumi/pulumi/sdk/v3 from go.mod"
[[ "$pulumi_version" == "$sdk_version" ]] ||
  die "go.mod pins pkg/v3 $pulumi_version but sdk/v3 $sdk_version; they must be the same release"
got_k8s="$(cd "$k8s_mod_dir" && go list -m -f '{{.Version}}' "$k8s_module")" ||
  die "cannot resolve $k8s_module from kubernetes/go.mod"
[[ "$got_k8s" == "$k8s_module_version" ]] ||
  die "kubernetes/go.mod pins $k8s_module $got_k8s but this script expects $k8s_module_version; update k8s_plugin_version here"

tmp_bin="$(mktemp -d "$out_dir/bin.tmp.XXXXXX")"
trap 'rm -rf "$tmp_bin"' EXIT

# The CLI.
log "building the pulumi CLI at $pulumi_version; the first build takes a while"
go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$pulumi_version" \
  -o "$tmp_bin/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ||
  die "go build of the pulumi CLI failed (see the errors above)"
# The Python SDK generator: the CLI's module and packages, so it costs a link.
go build -trimpath -ldflags "-s -w" -o "$tmp_bin/" ./gen-sdk-python ||
  die "go build of gen-sdk-python failed (see the errors above)"

# The Node.js language host, in its own module (the newest sdk/v3 that still contains it).
cd "$langhost_mod_dir"
langhost_version="$(go list -m -f '{{.Version}}' github.com/pulumi/pulumi/sdk/v3)" ||
  die "cannot resolve github.com/pulumi/pulumi/sdk/v3 from langhost/go.mod"
log "building pulumi-language-nodejs and pulumi-language-python from sdk/v3 $langhost_version"
go build -trimpath \
  -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$langhost_version" \
  -o "$tmp_bin/" "$langhost_pkg" "$python_pkg" ||
  die "go build of pulumi-language-nodejs and pulumi-language-python failed (see the errors above)"
# The Python host runs programs through this script, which it looks for next to itself.
python_exec="$(go list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3)/python/cmd/pulumi-language-python-exec"
[[ -f "$python_exec" ]] || die "pulumi-language-python-exec not found in sdk/v3 $langhost_version"
install -m 0755 "$python_exec" "$tmp_bin/pulumi-language-python-exec"

# The YAML language host, in its own module (against pkg/v3 v3.215.0, as the kubernetes provider: it
# does not compile against the CLI's; yaml/go.mod).
cd "$yaml_mod_dir"
yaml_version="$(go list -m -f '{{.Version}}' "$yaml_module")" ||
  die "cannot resolve $yaml_module from yaml/go.mod"
log "building pulumi-language-yaml $yaml_version"
go build -trimpath \
  -ldflags "-s -w -X $yaml_module/pkg/version.Version=$yaml_version" \
  -o "$tmp_bin/" "$yaml_module/cmd/pulumi-language-yaml" ||
  die "go build of pulumi-language-yaml failed (see the errors above)"

# The kubernetes provider, in its own module (built against the Pulumi SDK its go.mod requires).
cd "$k8s_mod_dir"
log "downloading $k8s_module@$k8s_module_version"
go mod download "$k8s_module" || die "go mod download $k8s_module@$k8s_module_version failed"
k8s_dir="$(go list -m -f '{{.Dir}}' "$k8s_module")"
[[ -n "$k8s_dir" && -f "$k8s_dir/cmd/pulumi-resource-kubernetes/schema.json" ]] ||
  die "schema.json not found in $k8s_module@$k8s_module_version (dir: '$k8s_dir')"
log "generating the kubernetes provider schema (version $k8s_plugin_version)"
go run ./cmd/gen-kubernetes-schema \
  -src "$k8s_dir/cmd/pulumi-resource-kubernetes" \
  -out ./cmd/pulumi-resource-kubernetes \
  -version "$k8s_plugin_version" ||
  die "generating the kubernetes provider schema failed"
log "building pulumi-resource-kubernetes $k8s_plugin_version; the first build takes a while"
go build -trimpath \
  -ldflags "-s -w -X $k8s_module/pkg/version.Version=$k8s_plugin_version" \
  -o "$tmp_bin/" ./cmd/pulumi-resource-kubernetes ||
  die "go build of pulumi-resource-kubernetes failed (see the errors above)"

for t in "${targets[@]}"; do
  [[ -x "$tmp_bin/$t" ]] || die "go build did not produce $t"
done
"$tmp_bin/pulumi" version >/dev/null 2>&1 || die "the built pulumi does not run"
for t in "${targets[@]}"; do
  mv -f "$tmp_bin/$t" "$(target_path "$t")"
done
echo "$hash" >"$stamp_file"
install_plugins

log "built in $((SECONDS - start))s"
print_result

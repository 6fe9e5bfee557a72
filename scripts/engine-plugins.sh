#!/usr/bin/env bash
# Resource plugins of the engine this repository builds, installed the way a standard Pulumi install
# has them: in the plugin cache of a PULUMI_HOME, `<home>/plugins/<kind>-<name>-v<version>/pulumi-<kind>-<name>`,
# where the engine looks for a plugin at the version a program asks for (docs/engine.md, "Where the
# engine finds its plugins"). Bundled plugins (the language host, pulumi-nodejs) are not handled
# here: they sit next to `pulumi` (scripts/build-engine.sh).
#
# The engine's folder ($PULUMI_ENGINE_DIR, default <repo>/.cache/engine) holds a store in the same
# layout, `plugins/`, whose entries link to the executables; every PULUMI_HOME the engine runs with
# gets links to the store's entries (scripts/build-engine.sh: the default home; scripts/engine-env.sh:
# the shell's; test/e2e/support/engine.ts: each test's own).
#
#   scripts/engine-plugins.sh add KIND NAME VERSION EXECUTABLE
#       puts EXECUTABLE into the store as plugin NAME at VERSION (replacing any other version of it)
#   scripts/engine-plugins.sh link [PULUMI_HOME]
#       installs every stored plugin into PULUMI_HOME (default: $PULUMI_HOME, else ~/.pulumi); a plugin
#       the home already has and that runs is left alone, as `pulumi plugin install` leaves it
#   scripts/engine-plugins.sh list
#       the store's entries, one `KIND NAME VERSION EXECUTABLE` a line
set -euo pipefail

die() {
  echo "engine-plugins: error: $*" >&2
  exit 1
}

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
engine_dir="${PULUMI_ENGINE_DIR:-$repo_root/.cache/engine}"
[[ "$engine_dir" == /* ]] || engine_dir="$PWD/$engine_dir"
# Absolute: homes link to it, and stale links are recognised by this prefix.
store="$engine_dir/plugins"

# Replaces `dst` by a symlink to `target` in one rename, so that a concurrent start never sees it missing.
link_atomically() {
  local target="$1" dst="$2"
  ln -sfn "$target" "$dst.tmp.$$"
  mv -Tf "$dst.tmp.$$" "$dst"
}

add() {
  [[ $# -eq 4 ]] || die "usage: engine-plugins.sh add KIND NAME VERSION EXECUTABLE"
  local kind="$1" name="$2" version="${3#v}" exe="$4"
  [[ "$kind" =~ ^(resource|analyzer|converter|tool)$ ]] ||
    die "kind must be resource, analyzer, converter or tool (language hosts are bundled next to pulumi); got '$kind'"
  [[ "$name" =~ ^[a-z0-9][a-z0-9-]*[a-z0-9]$ ]] || die "plugin name must be lower-case letters, digits and dashes; got '$name'"
  [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.+-]+)?$ ]] || die "version must be semver (1.2.3); got '$3'"
  [[ -f "$exe" && -x "$exe" ]] || die "$exe is not an executable file"
  exe="$(cd "$(dirname "$exe")" && pwd)/$(basename "$exe")"
  mkdir -p "$store"
  local entry="$kind-$name-v$version" old
  for old in "$store/$kind-$name-v"*; do
    [[ -e "$old" || -L "$old" ]] || continue
    [[ "$(basename "$old")" == "$entry" ]] || rm -rf "$old"
  done
  mkdir -p "$store/$entry"
  link_atomically "$exe" "$store/$entry/pulumi-$kind-$name"
}

link() {
  [[ $# -le 1 ]] || die "usage: engine-plugins.sh link [PULUMI_HOME]"
  local home="${1:-${PULUMI_HOME:-$HOME/.pulumi}}" entry name exe dst
  [[ -d "$store" ]] || return 0
  mkdir -p "$home/plugins"
  for entry in "$store"/*/; do
    [[ -d "$entry" ]] || continue
    name="$(basename "$entry")"
    for exe in "$entry"pulumi-*; do
      [[ -e "$exe" ]] || continue
      dst="$home/plugins/$name/$(basename "$exe")"
      # -x follows the link: a plugin that runs stays; a missing or dangling one is (re)linked.
      [[ -x "$dst" ]] && continue
      mkdir -p "$home/plugins/$name"
      link_atomically "$store/$name/$(basename "$exe")" "$dst"
    done
  done
  # Entries of this store removed since (an older version): their links in the home would dangle.
  for dst in "$home/plugins"/*/pulumi-*; do
    if [[ -L "$dst" && ! -e "$dst" && "$(readlink "$dst")" == "$store/"* ]]; then
      rm -rf "$(dirname "$dst")"
    fi
  done
}

list() {
  local entry exe base
  [[ -d "$store" ]] || return 0
  for entry in "$store"/*/; do
    [[ -d "$entry" ]] || continue
    base="$(basename "$entry")"
    for exe in "$entry"pulumi-*; do
      [[ -e "$exe" ]] || continue
      # <kind>-<name>-v<version>: the kind has no dash, the version starts after the last "-v".
      printf '%s %s %s %s\n' "${base%%-*}" "$(sed -E 's/^[a-z]+-(.*)-v[0-9].*$/\1/' <<<"$base")" \
        "${base##*-v}" "$(readlink -f "$exe")"
    done
  done
}

command="${1:-}"
[[ $# -gt 0 ]] && shift
case "$command" in
  add) add "$@" ;;
  link) link "$@" ;;
  list) list "$@" ;;
  *) die "usage: engine-plugins.sh add KIND NAME VERSION EXECUTABLE | link [PULUMI_HOME] | list" ;;
esac

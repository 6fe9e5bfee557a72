# shellcheck shell=bash
# Source this file (bash) to use the Pulumi engine offline:
#
#   source scripts/engine-env.sh
#
# - `pulumi`: a pulumi already on PATH wins (the user's own install, with its
#   bundled language hosts); otherwise <repo>/.cache/engine/bin (built by
#   scripts/build-engine.sh; $PULUMI_ENGINE_DIR/bin if that is set) is put
#   first on PATH.
# - The plugins of the engine built here (the kubernetes provider, at the version
#   @pulumi/kubernetes asks for) are installed into the plugin cache of
#   $PULUMI_HOME (default ~/.pulumi), where a standard install keeps them
#   (scripts/engine-plugins.sh link; a plugin the home already has is kept). Not
#   on PATH: the engine warns about every plugin it takes from PATH.
# - PULUMI_SKIP_UPDATE_CHECK=true: no version check against the Pulumi service.
# - PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true: a missing plugin is an
#   error, never a download.
# - PULUMI_IGNORE_AMBIENT_PLUGINS is unset, as in a standard install.
# - PULUMI_ENGINE_BIN_DIR: the folder of the pulumi that is used.
# - PULUMI_ENGINE_SOURCE: "path" (user's own) or "cache" (built here).
#
# Returns non-zero (without exiting the shell) when no pulumi can be found.

_engine_env_script="${BASH_SOURCE[0]}"
_engine_env_root="$(cd "$(dirname "$_engine_env_script")/.." && pwd)"
_engine_env_dir="${PULUMI_ENGINE_DIR:-$_engine_env_root/.cache/engine}"
_engine_env_cache_bin="$_engine_env_dir/bin"

export PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true
unset PULUMI_IGNORE_AMBIENT_PLUGINS

_engine_env_status=0
if _engine_env_pulumi="$(command -v pulumi 2>/dev/null)" && [ -n "$_engine_env_pulumi" ] &&
  [ "$(dirname "$_engine_env_pulumi")" != "$_engine_env_cache_bin" ]; then
  PULUMI_ENGINE_BIN_DIR="$(dirname "$_engine_env_pulumi")"
  export PULUMI_ENGINE_BIN_DIR
  export PULUMI_ENGINE_SOURCE=path
elif [ -x "$_engine_env_cache_bin/pulumi" ]; then
  export PULUMI_ENGINE_BIN_DIR="$_engine_env_cache_bin"
  export PULUMI_ENGINE_SOURCE=cache
  case ":$PATH:" in
    "$_engine_env_cache_bin:"*) ;;
    *) export PATH="$_engine_env_cache_bin:$PATH" ;;
  esac
else
  echo "engine-env: no pulumi on PATH and $_engine_env_cache_bin/pulumi does not exist;" \
    "run scripts/build-engine.sh first" >&2
  _engine_env_status=1
fi

if [ "$_engine_env_status" -eq 0 ] && ! command -v pulumi-language-nodejs >/dev/null 2>&1; then
  echo "engine-env: warning: pulumi-language-nodejs is not on PATH: \`pulumi up\` of a Node.js project" \
    "will fail (Automation API inline programs still work); run scripts/build-engine.sh" >&2
fi

if [ -d "$_engine_env_dir/plugins" ] &&
  ! PULUMI_ENGINE_DIR="$_engine_env_dir" bash "$_engine_env_root/scripts/engine-plugins.sh" link; then
  echo "engine-env: warning: could not install the engine's plugins into ${PULUMI_HOME:-$HOME/.pulumi}/plugins" >&2
fi

unset _engine_env_script _engine_env_root _engine_env_dir _engine_env_cache_bin _engine_env_pulumi
# shellcheck disable=SC2317 # `return` works when sourced, `exit` is the fallback if executed
return "$_engine_env_status" 2>/dev/null || exit "$_engine_env_status"

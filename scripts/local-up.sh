#!/usr/bin/env bash
# npm run local:up — try the stack with no cluster: builds (or reuses) the Pulumi engine and the
# Kubernetes control plane, starts etcd, kube-apiserver, kube-controller-manager, kube-scheduler and
# kwok on 127.0.0.1 (state in .cache/local/), then deploys the `dev` stack into it with `pulumi up`
# and pulumi-kubernetes' real awaits.
#
# Pods are SIMULATED: kwok marks them Running/Ready and the janitor's Jobs Succeeded; no container
# runs and no image is pulled (the janitor's real behaviour is proven by its own test suites).
#
# Safe to run again: a healthy cluster is reused, the program is copied afresh and `pulumi up`
# applies what changed. The repository is never written: the project is deployed from a copy in
# .cache/local/project, with a local file backend (.cache/local/state), PULUMI_HOME
# .cache/local/pulumi-home and the dev stack's documented passphrase `backline-dev`.
# Stop with `npm run local:down` (add `-- --purge` to delete .cache/local too).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL="${BACKLINE_LOCAL_DIR:-$ROOT/.cache/local}"
export BACKLINE_LOCAL_DIR="$LOCAL"
PROJECT="$LOCAL/project"
NS=backline

step() { printf '\n== %s\n' "$*"; }

cd "$ROOT"
[[ -d node_modules ]] || { echo "local:up: run 'bash scripts/setup.sh' (or npm ci) first" >&2; exit 1; }

step "engine and control plane (a no-op when up to date; the first build takes long, see docs/get-started/local-cluster.md)"
bash scripts/build-engine.sh
bash scripts/build-kube.sh

step "local cluster (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok)"
npx ts-node --transpile-only scripts/local/cluster.ts up
KUBECONFIG_FILE="$LOCAL/cluster/kubeconfig"

step "the program, copied to $PROJECT"
mkdir -p "$PROJECT"
# Copied afresh every run (so edits in the checkout are deployed); only the copy's stack file gets
# the local kubeconfig below.
for f in index.ts components janitor Pulumi.yaml Pulumi.dev.yaml package.json tsconfig.json; do
  rm -rf "${PROJECT:?}/$f"
  cp -R "$ROOT/$f" "$PROJECT/$f"
done
ln -sfn "$ROOT/node_modules" "$PROJECT/node_modules"

cat >"$LOCAL/env.sh" <<ENV
# Source this file (bash) to use kubectl and pulumi against the local cluster and its dev stack.
export KUBECONFIG="$KUBECONFIG_FILE"
export PULUMI_HOME="$LOCAL/pulumi-home"
export PULUMI_BACKEND_URL="file://$LOCAL/state"
export PULUMI_CONFIG_PASSPHRASE=backline-dev
export PULUMI_DIY_BACKEND_NO_LEGACY_WARNING=true
source "$ROOT/scripts/engine-env.sh"
export PATH="$ROOT/.cache/kube/bin:\$PATH"
ENV
# shellcheck source=/dev/null
source "$LOCAL/env.sh"
mkdir -p "$PULUMI_HOME" "$LOCAL/state"

step "pulumi up (stack dev, real awaits)"
cd "$PROJECT"
pulumi stack select dev --non-interactive 2>/dev/null || pulumi stack init dev --non-interactive
pulumi config set --path kubernetes.kubeconfig "$KUBECONFIG_FILE" --non-interactive
pulumi up --yes --skip-preview --non-interactive

rel() { printf '%s' "${1#"$ROOT"/}"; }
cat <<NEXT

The dev stack runs on a local cluster with ONE SIMULATED NODE (kwok): its Pods show Running and
Ready, its Jobs Complete, but no container runs and no image is pulled.

Next steps (from $(rel "$ROOT")):
  $(rel "$ROOT/.cache/kube/bin/kubectl") --kubeconfig $(rel "$KUBECONFIG_FILE") get all -n $NS
  source $(rel "$LOCAL/env.sh")              # then plain kubectl / pulumi:
  kubectl get all -n $NS
  pulumi -C $(rel "$PROJECT") stack output
  npm run local:up                     # again after a change: redeploys what changed
  npm run local:down                   # stop everything (-- --purge also deletes $(rel "$LOCAL"))
NEXT

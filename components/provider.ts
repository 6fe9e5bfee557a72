import type * as k8s from "@pulumi/kubernetes";
import type { KubernetesConfig } from "./model";

/**
 * Arguments of the explicit Kubernetes provider the program uses.
 *
 * - Server-side apply, so Pulumi only claims the fields it sets and the janitor's writes are
 *   visible as another field manager.
 * - ConfigMaps updated in place: the collector configuration and the janitor script keep their
 *   names (`kubectl` users and pods refer to them), so a replacement would briefly delete them.
 *   https://www.pulumi.com/registry/packages/kubernetes/api-docs/provider/#enableconfigmapmutable_nodejs
 * - Render mode writes manifests to a folder and talks to no cluster.
 */
export function kubernetesProviderArgs(k: KubernetesConfig): k8s.ProviderArgs {
    return {
        kubeconfig: k.kubeconfig,
        context: k.context,
        renderYamlToDirectory: k.renderYamlToDirectory,
        enableServerSideApply: true,
        enableConfigMapMutable: true,
    };
}

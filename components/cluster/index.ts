/**
 * Reaching a cluster: one kubeconfig resolver (`kubeconfig.ts`) and its credentials
 * (`credentials.ts`), with a synchronous transport for the preflight (`sync.ts`), an asynchronous one
 * for the fleet's health gate (`client.ts`) and kubectl for the Helm adoption (`kubectl.ts`, which
 * the adoption imports directly: its dynamic providers are serialized with what they import).
 */
export { expandHome } from "./home";
export { KubeconfigError, isInlineKubeconfig, resolveKubeconfig } from "./kubeconfig";
export type {
    ExecPlugin,
    Impersonation,
    KubeAccess,
    KubeUser,
    KubeconfigDocument,
    KubeconfigSource,
    ResolveOptions,
} from "./kubeconfig";
export { credentialsFor, credentialsSync, defaultExecTimeoutMs, resolveKubeAccess, restAccess } from "./credentials";
export type { CredentialOptions, Credentials } from "./credentials";
export { connectionFor, requestsSync } from "./sync";
export type { ClusterConnection, ConnectionResult, JsonAnswer, JsonRequest } from "./sync";
export { KubeClient, KubeRequestError } from "./client";

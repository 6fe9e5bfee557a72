/**
 * The whole resolved configuration, as `BacklineStack` takes it. `config/` makes it from the stack
 * configuration (`parseBacklineConfig`, `loadBacklineConfig`); an embedder may build one by hand.
 * `test/model-types.spec.ts` keeps it and the schema's output the same, key for key.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { JanitorConfig, WorkerConfig } from "./config-workloads";
import type { CommonMetadata, JobAdmissionConfig, NetworkPolicyConfig, SiteConfig } from "./config-site";
import type { ObservabilityConfig, StorageConfig } from "./config-storage";

/** Where to deploy: the program's Kubernetes provider (`kubernetes.*`). */
export interface KubernetesConfig {
    /** Path or contents of a kubeconfig. @default `$KUBECONFIG` / `~/.kube/config` */
    readonly kubeconfig?: string;
    /** Context to use. @default the current context */
    readonly context?: string;
    /** Write manifests to this folder instead of applying them; talks to no cluster. @default none */
    readonly renderYamlToDirectory?: string;
    /** Do not wait for workloads to become ready (test clusters without nodes). @default false */
    readonly skipAwait: boolean;
}

/** A live Helm release of the Backline chart to take over (`adopt.*` with `helmRelease`). */
export interface AdoptionConfig {
    /** The release's name. */
    readonly release: string;
    /** Namespace of the release record. @default the stack's namespace */
    readonly releaseNamespace: string;
    /** Objects of the release to leave in place, as `Kind/name`. @default [] */
    readonly keep: readonly string[];
    /** Objects of the release to delete once the take-over has succeeded (copied first), as `Kind/name`. @default [] */
    readonly remove: readonly string[];
}

/** The resolved configuration `BacklineStack` takes. */
export interface BacklineConfig {
    /** The Backline SaaS endpoint, without a trailing `/`. */
    readonly baseUrl: string;
    /**
     * Access key for the Backline SaaS: a plain string or a secret Output (from a secrets manager);
     * `BacklineNamespace` makes it a secret.
     */
    readonly accessKey: pulumi.Input<string>;
    /** Namespace of every object (`namespaceOverride`). @default "backline" */
    readonly namespace: string;
    /** The janitor CronJob (`janitor.*`). */
    readonly janitor: JanitorConfig;
    /** The worker Deployment (`worker.*`). */
    readonly worker: WorkerConfig;
    /** The shared claim (`worker.storage.*`, `efs`). */
    readonly storage: StorageConfig;
    /** The `adot-collector` sidecar; `undefined` when `worker.otel.enabled` is false. */
    readonly observability: ObservabilityConfig | undefined;
    /** The program's Kubernetes provider (`kubernetes.*`). */
    readonly kubernetes: KubernetesConfig;
    /** `undefined` when `security.jobAdmissionPolicy` is false. @default on */
    readonly jobAdmission: JobAdmissionConfig | undefined;
    /** Proxy, CA bundle, registry mirror and pull secrets of every pod. */
    readonly site: SiteConfig;
    /** Labels and annotations of every object. */
    readonly commonMetadata: CommonMetadata;
    /** `undefined` when `networkPolicy.enabled` is false (the default): no NetworkPolicy. */
    readonly networkPolicy: NetworkPolicyConfig | undefined;
    /** `undefined` without `adopt.helmRelease` (the default). */
    readonly adoption: AdoptionConfig | undefined;
}

/** What `parseBacklineConfig` returns: the resolved configuration, the access key as given. */
export interface ResolvedConfig extends BacklineConfig {
    /** Access key for the Backline SaaS, as the stack configuration holds it. */
    readonly accessKey: string;
}

/**
 * What each core component takes, and the inputs of the pure builders (`specs/`) they are made
 * from. Outputs of other resources are `pulumi.Input`s; in tests they are plain strings.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { JanitorConfig, WorkerConfig } from "./config-workloads";
import type { NetworkPolicyConfig, SiteConfig } from "./config-site";
import type { CollectorConfig, ObservabilityConfig, StorageConfig } from "./config-storage";

/** `BacklineNamespace`: the namespace and the Secret that holds the access key. */
export interface BacklineNamespaceArgs {
    /** Namespace name (`namespaceOverride`). */
    readonly name: string;
    /**
     * The access key, plain or secret: it is made a secret here, the one place it is used, and
     * stored only in this Secret, which pods reference by `secretKeyRef`.
     */
    readonly accessKey: pulumi.Input<string>;
    /**
     * Keep the namespace when the stack is destroyed. Deleting a namespace deletes everything in
     * it, the worker's claim included, so this follows the data-retention choice.
     * @default true
     */
    readonly retainOnDelete?: boolean;
    /** Resources the namespace, and so everything in it, waits for (the job admission policy). @default none */
    readonly waitFor?: readonly pulumi.Resource[];
}

/** The class and access modes a claim is declared with instead of the configured ones. */
export interface ClaimOverride {
    /** The class. @default the configured class (none: the cluster default) */
    readonly storageClassName?: string;
    /** The access modes. */
    readonly accessModes: readonly string[];
}

/** `WorkerStorage`: the shared ReadWriteMany claim. */
export interface WorkerStorageArgs {
    /** The resolved storage choice (`worker.storage.*`, `efs`). */
    readonly storage: StorageConfig;
    /** Namespace of the claim; also names the EFS class and tags the AWS resources. */
    readonly namespace: pulumi.Input<string>;
    /** Do not wait for the claim to be bound (`kubernetes.skipAwait`). @default false */
    readonly skipAwait?: boolean;
    /**
     * Declare the claim with this class and these access modes: a bound claim never changes them,
     * so a claim that already exists with others keeps its own. @default the configured class, ReadWriteMany
     */
    readonly claimOverride?: ClaimOverride;
}

/** `Observability`: the collector's configuration and IAM role. */
export interface ObservabilityArgs {
    /** The resolved collector settings (`logging.*`, `worker.otel.collector.*`). */
    readonly observability: ObservabilityConfig;
    /** Namespace of the collector's ConfigMap (and the stack's name in the role's description). */
    readonly namespace: pulumi.Input<string>;
}

/** The `adot-collector` sidecar of the worker's pod: what `Observability` hands to `Worker`. */
export interface CollectorSidecar {
    /** Image and resources (`worker.otel.collector`). */
    readonly collector: CollectorConfig;
    /** AWS region of CloudWatch Logs and X-Ray (`logging.region`). */
    readonly region: string;
    /** The role the collector assumes. */
    readonly roleArn: pulumi.Input<string>;
    /** Hash of the collector configuration: a pod-template annotation, so a change rolls the pods. */
    readonly configHash: string;
}

/** What the worker's pod is built from. */
export interface WorkerPodInputs {
    /** The resolved `worker` section. */
    readonly worker: WorkerConfig;
    /** The Backline SaaS endpoint (`baseUrl`). */
    readonly baseUrl: string;
    /** The claim the worker and its Jobs mount (from `WorkerStorage`). */
    readonly claimName: pulumi.Input<string>;
    /** The `adot-collector` sidecar (from `Observability`). @default none: otel is disabled */
    readonly collector?: CollectorSidecar;
    /** Proxy, CA bundle, registry mirror, pull secrets (`proxy.*`, `caBundle.*`, …). @default none */
    readonly site?: SiteConfig;
    /** The uid of Secret `backline-proxy` when the proxy has credentials: a change rolls the pods. @default none */
    readonly proxySecretUid?: pulumi.Input<string>;
    /**
     * The pods' selector instead of the stack's. A Deployment's selector is immutable, so one that
     * exists with another selector keeps it: the pods get it on top of the stack's labels, and the
     * Service and the PodDisruptionBudget select it.
     * @default the stack's selector (`app.kubernetes.io/name`, `app.kubernetes.io/component`)
     */
    readonly selectorOverride?: Readonly<Record<string, string>>;
    /**
     * The worker container's image instead of `worker.image`, e.g. the one the janitor set on a
     * running Deployment while it owns the image (`worker.image.autoUpdate`).
     * @default `worker.image`
     */
    readonly imageOverride?: string;
}

/** What `Worker` and `Janitor` take besides their builders' inputs. */
export interface WorkloadArgs {
    /** Namespace of every object. */
    readonly namespace: pulumi.Input<string>;
    /**
     * Do not wait for the workload (`kubernetes.skipAwait`): the worker's Deployment and Service
     * to become ready, the janitor's install Job to finish. @default false
     */
    readonly skipAwait?: boolean;
    /**
     * Resources the workload waits for: the worker, the janitor's install Job (so that the pull
     * secret and the token exist before its first pod starts); the janitor's Jobs, the
     * access-key Secret they read. @default none
     */
    readonly waitFor?: readonly pulumi.Resource[];
}

/** `Worker`: the Deployment `worker`, its Service, RBAC and the Jobs' ServiceAccount. */
export interface WorkerArgs extends WorkerPodInputs, WorkloadArgs {}

/** What the janitor's Jobs are built from. */
export interface JanitorSpecInputs {
    /** The resolved `janitor` section. */
    readonly janitor: JanitorConfig;
    /** The Backline SaaS endpoint (`baseUrl`). */
    readonly baseUrl: string;
    /** Whether the janitor keeps the worker image fresh (`worker.image.autoUpdate`). */
    readonly updateWorkerImage: boolean;
    /** Proxy, CA bundle, registry mirror, pull secrets (`proxy.*`, `caBundle.*`, …). @default none */
    readonly site?: SiteConfig;
}

/** `Janitor`: the CronJob `janitor`, its RBAC, script and install Job. */
export interface JanitorArgs extends JanitorSpecInputs, WorkloadArgs {}

/** What the admission policy on the worker's Jobs is built from; all known from the configuration. */
export interface JobAdmissionInputs {
    /** The Backline namespace: the only one the policy looks at. */
    readonly namespace: string;
    /** The shared claim, the one PersistentVolumeClaim the Jobs may mount. */
    readonly claimName: string;
    /** `worker.jobs.allowedSecrets`: Secrets the Jobs may mount or read from `env`/`envFrom`. */
    readonly allowedSecrets: readonly string[];
    /**
     * The selector Deployment `worker` keeps instead of the stack's (`WorkerArgs.selectorOverride`,
     * an adopted Helm release's): the Jobs' pods may not carry it, nor the stack's own.
     * @default none: the worker uses the stack's selector (`app.kubernetes.io/name`, `app.kubernetes.io/component`)
     */
    readonly workerSelectorOverride?: Readonly<Record<string, string>>;
    /**
     * Secret `backline-proxy` when the stack has a proxy (`proxy.*`): the worker hands it to its Jobs
     * (`BACKLINE_PROXY_SECRET`, for `envFrom`), so they may read it like an allowed Secret.
     * @default none: no proxy
     */
    readonly proxySecret?: string;
    /**
     * The site's pull secrets (`imagePullSecrets`): the worker hands them to its Jobs beside
     * `dockerconfig` (`BACKLINE_IMAGE_PULL_SECRETS`), so they may pull with them (and only pull).
     * @default none
     */
    readonly imagePullSecrets?: readonly string[];
}

/** `JobAdmission`: the ValidatingAdmissionPolicy on the worker's Jobs and its binding. */
export type JobAdmissionArgs = JobAdmissionInputs;

/** `Outbound`: the proxy Secret and the inline CA bundle's ConfigMap. */
export interface OutboundArgs {
    /** The resolved site settings (`proxy.*`, `caBundle.*`). */
    readonly site: SiteConfig;
    /** Namespace of the Secret and the ConfigMap. */
    readonly namespace: pulumi.Input<string>;
}

/** `NetworkPolicies`: the namespace's NetworkPolicies. */
export interface NetworkPoliciesArgs {
    /** The resolved `networkPolicy` settings. */
    readonly networkPolicy: NetworkPolicyConfig;
    /** The worker's HTTP port (`worker.service.httpPort`), the one port other pods may reach. */
    readonly httpPort: number;
    /** The worker pods' selector. */
    readonly workerSelector: Record<string, string>;
    /** Namespace of the policies. */
    readonly namespace: pulumi.Input<string>;
}

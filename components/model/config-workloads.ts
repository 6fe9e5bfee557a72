/**
 * The resolved `worker` and `janitor` sections, as the components take them: every default applied,
 * every check passed (`config/` makes them from the stack configuration). Keys follow the Helm
 * chart's values; their reference is the README's configuration table.
 */

/** When the kubelet pulls an image. */
export type PullPolicy = "Always" | "IfNotPresent" | "Never";

/** A container image (`janitor.image.*`). */
export interface ImageConfig {
    /** Registry of the image, e.g. `docker.io`. */
    readonly registry: string;
    /** Repository within the registry, e.g. `dtzar/helm-kubectl`. */
    readonly name: string;
    /** Tag, or `sha256:<digest>`. */
    readonly tag: string;
    /** When the kubelet pulls the image. @default "IfNotPresent" */
    readonly pullPolicy: PullPolicy;
}

/** The worker's image (`worker.image.*`). */
export interface WorkerImageConfig extends ImageConfig {
    /**
     * Whether the janitor keeps the image at the latest release the SaaS announces; then the stack
     * sets the image only when it creates the Deployment.
     * @default true, or false once `registry`, `name` or `tag` is set
     */
    readonly autoUpdate: boolean;
}

/** CPU and memory, in Kubernetes' quantities. */
export interface ResourceAmounts {
    /** CPU, e.g. `500m`. */
    readonly cpu: string;
    /** Memory, e.g. `1Gi`. */
    readonly memory: string;
}

/** A container's requests and limits; no request is above its limit. */
export interface ResourcesConfig {
    readonly requests: ResourceAmounts;
    readonly limits: ResourceAmounts;
}

/**
 * A probe in Kubernetes' shape, merged over the default (an HTTP check of `/health` on port
 * `http`): exactly one handler.
 */
export interface ProbeConfig {
    /** HTTP check; port `http` (or none) is `worker.service.httpPort`. */
    readonly httpGet?: Readonly<Record<string, unknown>>;
    /** TCP check. */
    readonly tcpSocket?: Readonly<Record<string, unknown>>;
    /** Command check. */
    readonly exec?: Readonly<Record<string, unknown>>;
    /** gRPC health check. */
    readonly grpc?: Readonly<Record<string, unknown>>;
    /** @default Kubernetes' (0) */
    readonly initialDelaySeconds?: number;
    /** @default Kubernetes' (10) */
    readonly periodSeconds?: number;
    /** @default Kubernetes' (1) */
    readonly timeoutSeconds?: number;
    /** @default Kubernetes' (1) */
    readonly successThreshold?: number;
    /** @default Kubernetes' (3) */
    readonly failureThreshold?: number;
    /** @default the pod's */
    readonly terminationGracePeriodSeconds?: number;
}

/** An extra variable of the worker (`worker.env[]`): exactly one of `value` and `valueFrom`. */
export interface EnvVarConfig {
    /** Not one the program sets itself (`reservedWorkerEnvNames`, the proxy's and the CA bundle's). */
    readonly name: string;
    /** A literal value. */
    readonly value?: string;
    /** Exactly one source, in Kubernetes' shape. */
    readonly valueFrom?: {
        readonly secretKeyRef?: Readonly<Record<string, unknown>>;
        readonly configMapKeyRef?: Readonly<Record<string, unknown>>;
        readonly fieldRef?: Readonly<Record<string, unknown>>;
        readonly resourceFieldRef?: Readonly<Record<string, unknown>>;
    };
}

/** A toleration, in Kubernetes' shape. */
export interface TolerationConfig {
    /** The taint's key. @default any key (with `Exists`) */
    readonly key?: string;
    /** @default "Equal" */
    readonly operator?: "Exists" | "Equal";
    /** The taint's value; empty with `Exists`. */
    readonly value?: string;
    /** @default any effect */
    readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
    /** How long a `NoExecute` taint is tolerated. @default forever */
    readonly tolerationSeconds?: number;
}

/** Affinity, in Kubernetes' shape. */
export interface AffinityConfig {
    readonly nodeAffinity?: Readonly<Record<string, unknown>>;
    readonly podAffinity?: Readonly<Record<string, unknown>>;
    readonly podAntiAffinity?: Readonly<Record<string, unknown>>;
}

/** The uid/gid a pod runs as; `fsGroup` only where it owns volumes. */
export interface PodIdentity {
    /** Non-root uid. */
    readonly runAsUser: number;
    /** Non-root gid. */
    readonly runAsGroup: number;
    /** Group of the pod's volumes. @default none */
    readonly fsGroup?: number;
}

/** The worker's identity (`worker.securityContext.*`), also the owner of the EFS access points. */
export interface WorkerSecurityContext extends PodIdentity {
    /** @default 1000 */
    readonly runAsUser: number;
    /** @default 1000 */
    readonly runAsGroup: number;
    /** Group of the claim (the EFS access points' gid). @default 1000 */
    readonly fsGroup: number;
}

/** A label selector (`matchLabels`, `matchExpressions`), in Kubernetes' shape. */
export interface LabelSelectorConfig {
    readonly matchLabels?: Readonly<Record<string, string>>;
    readonly matchExpressions?: readonly {
        readonly key: string;
        readonly operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
        /** At least one with `In` and `NotIn`, none otherwise. */
        readonly values?: readonly string[];
    }[];
}

/**
 * An extra volume of the worker's pod (`worker.extraVolumes[]`): a name outside
 * `reservedWorkerVolumeNames` and exactly one source, of a type the "restricted" Pod Security
 * profile allows, in Kubernetes' shape.
 */
export interface ExtraVolumeConfig {
    /** A DNS-1123 label. */
    readonly name: string;
    readonly configMap?: Readonly<Record<string, unknown>>;
    readonly csi?: Readonly<Record<string, unknown>>;
    readonly downwardAPI?: Readonly<Record<string, unknown>>;
    readonly emptyDir?: Readonly<Record<string, unknown>>;
    readonly ephemeral?: Readonly<Record<string, unknown>>;
    readonly persistentVolumeClaim?: Readonly<Record<string, unknown>>;
    readonly projected?: Readonly<Record<string, unknown>>;
    readonly secret?: Readonly<Record<string, unknown>>;
}

/** A mount of an extra volume into the worker container (`worker.extraVolumeMounts[]`). */
export interface VolumeMountConfig {
    /** A volume of `worker.extraVolumes`. */
    readonly name: string;
    /** Absolute, and none of the program's own mount paths. */
    readonly mountPath: string;
    /** @default the volume's root */
    readonly subPath?: string;
    /** Instead of `subPath`. @default none */
    readonly subPathExpr?: string;
    /** @default false */
    readonly readOnly?: boolean;
}

/** How the worker's replicas spread (`worker.topologySpreadConstraints[]`), in Kubernetes' shape. */
export interface TopologySpreadConfig {
    readonly maxSkew: number;
    /** A node label, e.g. `topology.kubernetes.io/zone`. */
    readonly topologyKey: string;
    readonly whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
    /** Pods counted. @default the worker's own selector */
    readonly labelSelector?: LabelSelectorConfig;
    /** Only with `DoNotSchedule`. @default Kubernetes' (1) */
    readonly minDomains?: number;
    readonly matchLabelKeys?: readonly string[];
    readonly nodeAffinityPolicy?: "Honor" | "Ignore";
    readonly nodeTaintsPolicy?: "Honor" | "Ignore";
}

/**
 * The PodDisruptionBudget `worker` (`worker.podDisruptionBudget.*`): it keeps `minAvailable` or
 * allows `maxUnavailable`, pods or a percentage, and always allows at least one eviction.
 */
export type DisruptionBudgetConfig =
    { readonly minAvailable: number | string } | { readonly maxUnavailable: number | string };

/** A workload's ServiceAccount. */
export interface ServiceAccountConfig {
    /** Annotations, e.g. `eks.amazonaws.com/role-arn` for workload identity. @default {} */
    readonly annotations: Readonly<Record<string, string>>;
}

/** What the worker and the janitor add to their pods (the enterprise keys). */
export interface PodSettingsConfig {
    /** The workload's ServiceAccount. */
    readonly serviceAccount: ServiceAccountConfig;
    /** Extra labels of the pods, outside the program's prefixes (`app.kubernetes.io/`, `backline.ai/`). @default {} */
    readonly podLabels: Readonly<Record<string, string>>;
    /** Extra annotations of the pods, outside the program's prefixes. @default {} */
    readonly podAnnotations: Readonly<Record<string, string>>;
    /** An existing PriorityClass of the pods. @default none */
    readonly priorityClassName?: string;
}

/** The worker Deployment, its Service and pods (`worker.*`). */
export interface WorkerConfig extends PodSettingsConfig {
    /** @default 1 */
    readonly replicaCount: number;
    /** @default 580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker:2faf8c5-1757332651, kept fresh by the janitor */
    readonly image: WorkerImageConfig;
    readonly service: {
        /** Container and Service port; the probes use it. @default 8080 */
        readonly httpPort: number;
    };
    /** @default requests 500m / 1Gi, limits 2000m / 2Gi */
    readonly resources: ResourcesConfig;
    /** @default `/health` on port `http`, after 30 s, every 10 s, 5 s timeout, 3 failures */
    readonly livenessProbe: ProbeConfig;
    /** @default `/health` on port `http`, after 10 s, every 5 s, 3 s timeout, 3 failures */
    readonly readinessProbe: ProbeConfig;
    /** Extra variables, each name once. @default [] */
    readonly env: readonly EnvVarConfig[];
    /** @default {} */
    readonly nodeSelector: Readonly<Record<string, string>>;
    /** @default [] */
    readonly tolerations: readonly TolerationConfig[];
    /** @default {} */
    readonly affinity: AffinityConfig;
    /** The pod's uid and gids. */
    readonly securityContext: WorkerSecurityContext;
    /** Where the worker mounts the claim (`worker.storage.mountPath`, `BACKLINE_STORAGE_PATH`). @default "/data" */
    readonly mountPath: string;
    /** `undefined` when neither `minAvailable` nor `maxUnavailable` is set: no PodDisruptionBudget. */
    readonly disruptionBudget: DisruptionBudgetConfig | undefined;
    /** @default [] */
    readonly extraVolumes: readonly ExtraVolumeConfig[];
    /** @default [] */
    readonly extraVolumeMounts: readonly VolumeMountConfig[];
    /** @default [] */
    readonly topologySpreadConstraints: readonly TopologySpreadConfig[];
}

/** The janitor CronJob (`janitor.*`), which keeps the credentials and the worker image fresh. */
export interface JanitorConfig extends PodSettingsConfig {
    /** @default docker.io/dtzar/helm-kubectl:3.16.1 */
    readonly image: ImageConfig;
    /** Cron schedule (five fields, or a macro such as `@hourly`). @default "* * * * *" */
    readonly schedule: string;
    /** @default requests 100m / 128Mi, limits 200m / 256Mi */
    readonly resources: ResourcesConfig;
    /** Refresh a token or credential that expires within this many seconds. @default 900 */
    readonly refreshWindowSeconds: number;
    /** Whole-request timeout of each SaaS call. @default 10 */
    readonly httpTimeoutSeconds: number;
    /** Run the janitor once during `pulumi up` (Job `janitor-install-<hash>`). @default true */
    readonly runOnInstall: boolean;
    /** Skip a run that could not start within this time. @default 60 */
    readonly startingDeadlineSeconds: number;
    /** Kill a run that takes longer. @default 300 */
    readonly activeDeadlineSeconds: number;
    /** Retries of a failed run. @default 1 */
    readonly backoffLimit: number;
    /** Finished Jobs kept. @default 3 */
    readonly successfulJobsHistoryLimit: number;
    /** Failed Jobs kept (for `kubectl logs`). @default 3 */
    readonly failedJobsHistoryLimit: number;
}

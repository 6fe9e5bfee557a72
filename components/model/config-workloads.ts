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
    /** What the scheduler reserves. */
    readonly requests: ResourceAmounts;
    /** What the container may use at most (each at least its request). */
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
    /** Wait before the first check. @default Kubernetes' (0) */
    readonly initialDelaySeconds?: number;
    /** Between checks. @default Kubernetes' (10) */
    readonly periodSeconds?: number;
    /** Of each check. @default Kubernetes' (1) */
    readonly timeoutSeconds?: number;
    /** Successes in a row that count. @default Kubernetes' (1) */
    readonly successThreshold?: number;
    /** Failures in a row that count. @default Kubernetes' (3) */
    readonly failureThreshold?: number;
    /** Grace period of a pod the probe kills. @default the pod's */
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
        /** A key of a Secret of the namespace. */
        readonly secretKeyRef?: Readonly<Record<string, unknown>>;
        /** A key of a ConfigMap of the namespace. */
        readonly configMapKeyRef?: Readonly<Record<string, unknown>>;
        /** A field of the pod (downward API). */
        readonly fieldRef?: Readonly<Record<string, unknown>>;
        /** A request or limit of the container (downward API). */
        readonly resourceFieldRef?: Readonly<Record<string, unknown>>;
    };
}

/** A toleration, in Kubernetes' shape. */
export interface TolerationConfig {
    /** The taint's key. @default any key (with `Exists`) */
    readonly key?: string;
    /** How the taint's value is compared. @default "Equal" */
    readonly operator?: "Exists" | "Equal";
    /** The taint's value; empty with `Exists`. */
    readonly value?: string;
    /** The taint's effect. @default any effect */
    readonly effect?: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
    /** How long a `NoExecute` taint is tolerated. @default forever */
    readonly tolerationSeconds?: number;
}

/** Affinity, in Kubernetes' shape. */
export interface AffinityConfig {
    /** Which nodes the pods may or prefer to run on. @default none */
    readonly nodeAffinity?: Readonly<Record<string, unknown>>;
    /** Which pods they run next to. @default none */
    readonly podAffinity?: Readonly<Record<string, unknown>>;
    /** Which pods they keep away from. @default none */
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

/**
 * The worker's identity (`worker.securityContext.*`, each 1000 by default), also the owner of the
 * EFS access points.
 */
export interface WorkerSecurityContext extends PodIdentity {
    /** Group of the claim (the EFS access points' gid). @default 1000 */
    readonly fsGroup: number;
}

/** A label selector (`matchLabels`, `matchExpressions`), in Kubernetes' shape. */
export interface LabelSelectorConfig {
    /** Labels every selected pod has. @default none */
    readonly matchLabels?: Readonly<Record<string, string>>;
    /** Expressions every selected pod meets. @default none */
    readonly matchExpressions?: readonly {
        /** A label key. */
        readonly key: string;
        /** How the label's value is compared with `values`. */
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
    /** A ConfigMap of the namespace (`name`, `items`, `defaultMode`, `optional`). */
    readonly configMap?: Readonly<Record<string, unknown>>;
    /** A CSI driver's inline volume (`driver`, `volumeAttributes`, …). */
    readonly csi?: Readonly<Record<string, unknown>>;
    /** Fields of the pod as files. */
    readonly downwardAPI?: Readonly<Record<string, unknown>>;
    /** Scratch space (`medium`, `sizeLimit`). */
    readonly emptyDir?: Readonly<Record<string, unknown>>;
    /** A claim made and deleted with the pod (`volumeClaimTemplate`). */
    readonly ephemeral?: Readonly<Record<string, unknown>>;
    /** An existing claim (`claimName`, `readOnly`). */
    readonly persistentVolumeClaim?: Readonly<Record<string, unknown>>;
    /** Several sources in one folder (`sources`). */
    readonly projected?: Readonly<Record<string, unknown>>;
    /** A Secret of the namespace (`secretName`, `items`, `defaultMode`, `optional`). */
    readonly secret?: Readonly<Record<string, unknown>>;
}

/** A mount of an extra volume into the worker container (`worker.extraVolumeMounts[]`). */
export interface VolumeMountConfig {
    /** A volume of `worker.extraVolumes`. */
    readonly name: string;
    /** Absolute, and none of the program's own mount paths. */
    readonly mountPath: string;
    /** A path within the volume. @default the volume's root */
    readonly subPath?: string;
    /** Instead of `subPath`: one with `$(VAR)` references to the container's variables. @default none */
    readonly subPathExpr?: string;
    /** Mounted read-only. @default false */
    readonly readOnly?: boolean;
}

/** How the worker's replicas spread (`worker.topologySpreadConstraints[]`), in Kubernetes' shape. */
export interface TopologySpreadConfig {
    /** How many more pods one domain may have than another (at least 1). */
    readonly maxSkew: number;
    /** A node label, e.g. `topology.kubernetes.io/zone`. */
    readonly topologyKey: string;
    /** Whether a pod that would break `maxSkew` waits or is scheduled anyway. */
    readonly whenUnsatisfiable: "DoNotSchedule" | "ScheduleAnyway";
    /** Pods counted. @default the worker's own selector */
    readonly labelSelector?: LabelSelectorConfig;
    /** Only with `DoNotSchedule`. @default Kubernetes' (1) */
    readonly minDomains?: number;
    /** Label keys whose values the counted pods share with the new one (e.g. `pod-template-hash`). @default none */
    readonly matchLabelKeys?: readonly string[];
    /** Whether only nodes the pod's node affinity allows count. @default Kubernetes' ("Honor") */
    readonly nodeAffinityPolicy?: "Honor" | "Ignore";
    /** Whether tainted nodes the pod does not tolerate count. @default Kubernetes' ("Ignore") */
    readonly nodeTaintsPolicy?: "Honor" | "Ignore";
}

/**
 * The PodDisruptionBudget `worker` (`worker.podDisruptionBudget.*`): it keeps `minAvailable` or
 * allows `maxUnavailable`, pods or a percentage, and always allows at least one eviction.
 */
export type DisruptionBudgetConfig =
    | {
          /** Pods (`1`) or a percentage of them (`50%`, rounded up) kept available. */
          readonly minAvailable: number | string;
      }
    | {
          /** Pods (`1`) or a percentage of them (`50%`, rounded up) that may be evicted at once. */
          readonly maxUnavailable: number | string;
      };

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
    /** Replicas. @default 1 */
    readonly replicaCount: number;
    /** The worker's image. @default 580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker:2faf8c5-1757332651, kept fresh by the janitor */
    readonly image: WorkerImageConfig;
    /** The Service `worker`. */
    readonly service: {
        /** Container and Service port; the probes use it. @default 8080 */
        readonly httpPort: number;
    };
    /** The worker container's requests and limits. @default requests 500m / 1Gi, limits 2000m / 2Gi */
    readonly resources: ResourcesConfig;
    /** When the kubelet restarts the worker. @default `/health` on port `http`, after 30 s, every 10 s, 5 s timeout, 3 failures */
    readonly livenessProbe: ProbeConfig;
    /** When the worker gets traffic. @default `/health` on port `http`, after 10 s, every 5 s, 3 s timeout, 3 failures */
    readonly readinessProbe: ProbeConfig;
    /** Extra variables, each name once. @default [] */
    readonly env: readonly EnvVarConfig[];
    /** Node labels the pods need. @default {} */
    readonly nodeSelector: Readonly<Record<string, string>>;
    /** Taints the pods tolerate. @default [] */
    readonly tolerations: readonly TolerationConfig[];
    /** Node and pod affinity. @default {} */
    readonly affinity: AffinityConfig;
    /** The pod's uid and gids. @default 1000 each */
    readonly securityContext: WorkerSecurityContext;
    /** Where the worker mounts the claim (`worker.storage.mountPath`, `BACKLINE_STORAGE_PATH`). @default "/data" */
    readonly mountPath: string;
    /** `undefined` when neither `minAvailable` nor `maxUnavailable` is set: no PodDisruptionBudget. */
    readonly disruptionBudget: DisruptionBudgetConfig | undefined;
    /** Volumes of the pod besides the program's. @default [] */
    readonly extraVolumes: readonly ExtraVolumeConfig[];
    /** Mounts of `extraVolumes` into the worker container. @default [] */
    readonly extraVolumeMounts: readonly VolumeMountConfig[];
    /** How the replicas spread over zones or nodes. @default [] */
    readonly topologySpreadConstraints: readonly TopologySpreadConfig[];
}

/** The janitor CronJob (`janitor.*`), which keeps the credentials and the worker image fresh. */
export interface JanitorConfig extends PodSettingsConfig {
    /** The janitor's image (bash, curl, jq, kubectl). @default docker.io/dtzar/helm-kubectl:3.16.1 */
    readonly image: ImageConfig;
    /** Cron schedule (five fields, or a macro such as `@hourly`). @default "* * * * *" */
    readonly schedule: string;
    /** The janitor container's requests and limits. @default requests 100m / 128Mi, limits 200m / 256Mi */
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

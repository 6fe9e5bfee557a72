/**
 * The names the stack gives Kubernetes objects, containers, volumes and labels. Declared once here,
 * so the builders (`specs/`), the configuration's checks (`config/`) and the adoption of a Helm
 * release agree on them. Pure data.
 */

/**
 * Kubernetes object names. The ones the chart's README uses in its troubleshooting commands
 * (`deployment/worker`, `cronjob/janitor`, `pvc worker-storage`, the two secrets) must never change.
 */
export const names = {
    workerDeployment: "worker",
    workerContainer: "worker",
    workerService: "worker",
    /** The worker's ServiceAccount, Role and RoleBinding. */
    workerServiceAccount: "worker",
    collectorContainer: "adot-collector",
    collectorConfigMap: "adot-collector-config",
    jobsServiceAccount: "backline-jobs",
    janitorCronJob: "janitor",
    janitorContainer: "janitor",
    /** The janitor's ServiceAccount, Role and RoleBinding. */
    janitorServiceAccount: "janitor",
    janitorScriptConfigMap: "janitor-script",
    janitorInstallJobPrefix: "janitor-install",
    jwtSecret: "jwt-token",
    dockerconfigSecret: "dockerconfig",
    accessKeySecret: "backline-access-key",
    accessKeySecretKey: "accessKey",
} as const;

/** The objects the enterprise keys add (`proxy.*`, `caBundle.pem`). */
export const siteNames = {
    /** The proxy URLs, for `secretKeyRef` (credentials) and for the worker's Jobs (`envFrom`). */
    proxySecret: "backline-proxy",
    /** Made from `caBundle.pem`. */
    caBundleConfigMap: "backline-ca-bundle",
    /** The volume every pod mounts the bundle from. */
    caBundleVolume: "backline-ca-bundle",
} as const;

/** The namespace's NetworkPolicies (`networkPolicy.*`). */
export const networkPolicyNames = {
    denyIngress: "backline-deny-ingress",
    workerIngress: "backline-worker-ingress",
    egress: "backline-egress",
} as const;

/** The objects the janitor manages. Fixed by the program; a parameter of the builders so tests can vary them. */
export interface JanitorObjectNames {
    /** The Secret with the Backline JWT. */
    readonly jwtSecret: string;
    /** The registry credentials' Secret. */
    readonly dockerconfigSecret: string;
    /** The Deployment whose image the janitor keeps fresh. */
    readonly workerDeployment: string;
}

export const janitorObjectNames: JanitorObjectNames = {
    jwtSecret: names.jwtSecret,
    dockerconfigSecret: names.dockerconfigSecret,
    workerDeployment: names.workerDeployment,
};

/**
 * The Secrets the stack and the janitor hold. The worker's Jobs run code the worker was asked to
 * run (AI-generated code, dependency upgrades): handing them one of these would give them the
 * tenant's SaaS access key, the collector's AWS identity or the registry credentials.
 * `dockerconfig` stays usable as their image pull secret.
 */
export const stackSecrets: readonly string[] = [names.accessKeySecret, names.jwtSecret, names.dockerconfigSecret];

/** The volumes of the worker's pod the program declares itself. */
export const workerVolumeNames = {
    /** The shared claim, at `worker.storage.mountPath`. */
    storage: "storage",
    /** Scratch space: the root filesystem is read-only. */
    tmp: "tmp",
    /** The collector's configuration (ConfigMap `adot-collector-config`). */
    collectorConfig: "collector-config",
    /** The Backline JWT the collector presents as its web identity (Secret `jwt-token`). */
    jwtToken: "jwt-token",
    /** The collector's scratch space. */
    collectorTmp: "collector-tmp",
    /** The CA bundle (`caBundle.*`). */
    caBundle: siteNames.caBundleVolume,
} as const;

/** `worker.extraVolumes` may not use these names. */
export const reservedWorkerVolumeNames: readonly string[] = Object.values(workerVolumeNames);

/** Value of `app.kubernetes.io/name` and `app.kubernetes.io/part-of` on every object. */
export const partOf = "backline";

/** The recommended labels: https://kubernetes.io/docs/concepts/overview/working-with-objects/common-labels/ */
export const labelKeys = {
    name: "app.kubernetes.io/name",
    component: "app.kubernetes.io/component",
    partOf: "app.kubernetes.io/part-of",
    managedBy: "app.kubernetes.io/managed-by",
} as const;

/** Values of `app.kubernetes.io/component`. The worker's and the janitor's are part of their selectors. */
export const workerComponent = "worker";
export const janitorComponent = "janitor";
export const jobAdmissionComponent = "job-admission";
export const storageComponent = "storage";
/** The components of the stack's other objects. */
export const componentNames = {
    namespace: "namespace",
    accessKey: "access-key",
    jobs: "jobs",
    collector: "adot-collector",
    proxy: "proxy",
    caBundle: "ca-bundle",
    networkPolicy: "network-policy",
} as const;

/**
 * The worker's pod, Deployment, RBAC and Service, as pure functions of its configuration.
 */
import type * as k8s from "@pulumi/kubernetes";
import { names, workerComponent, workerVolumeNames, scratchDir } from "../model";
import type { ProbeConfig, WorkerConfig, WorkerEnvName, WorkerImageConfig, WorkerPodInputs } from "../model";
import {
    awaitAnnotations,
    imageReference,
    labelsFor,
    resourceRequirements,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
    selectorFor,
} from "./common";
import { buildCollectorContainer, collectorVolumes } from "./observability";
import { podTemplateMetadata, withWorkerPodSettings } from "./pod-settings";
import { siteWorkerEnv } from "./site";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Where the worker's OTLP SDK sends logs and traces: the sidecar, on the pod's loopback. */
export const otlpEndpoint = "http://127.0.0.1:4317";

/** The worker's selector: the stack's, or the one it is told to keep. */
export function workerSelector(selectorOverride: Readonly<Record<string, string>> | undefined): Record<string, string> {
    return { ...(selectorOverride ?? selectorFor(workerComponent)) };
}

type EnvSource = (i: WorkerPodInputs) => Omit<EnvVar, "name"> | undefined;

/**
 * The environment the program sets on the worker, by name: exactly the model's
 * `reservedWorkerEnvNames` (the type says so), in their order.
 */
const programEnv: Readonly<Record<WorkerEnvName, EnvSource>> = {
    BACKLINE_BASE_URL: (i: WorkerPodInputs) => ({ value: i.baseUrl }),
    BACKLINE_ACCESS_KEY: () => ({
        valueFrom: { secretKeyRef: { name: names.accessKeySecret, key: names.accessKeySecretKey } },
    }),
    BACKLINE_NAMESPACE: () => ({ valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } }),
    BACKLINE_PVC_NAME: (i: WorkerPodInputs) => ({ value: i.claimName }),
    BACKLINE_STORAGE_PATH: (i: WorkerPodInputs) => ({ value: i.worker.mountPath }),
    BACKLINE_IMAGE_PULL_SECRET: () => ({ value: names.dockerconfigSecret }),
    BACKLINE_JOB_SERVICE_ACCOUNT: () => ({ value: names.jobsServiceAccount }),
    OTEL_EXPORTER_OTLP_ENDPOINT: (i: WorkerPodInputs) => (i.collector ? { value: otlpEndpoint } : undefined),
    OTEL_SERVICE_NAME: (i: WorkerPodInputs) => (i.collector ? { value: "backline-worker" } : undefined),
    ...siteWorkerEnv,
};

export function buildWorkerEnv(i: WorkerPodInputs): EnvVar[] {
    const env: EnvVar[] = [];
    for (const [name, source] of Object.entries(programEnv)) {
        const value = source(i);
        if (value) env.push({ name, ...value });
    }
    for (const e of i.worker.env) {
        // `valueFrom` is passed through in Kubernetes' own shape; the API server checks it.
        const valueFrom = e.valueFrom as k8s.types.input.core.v1.EnvVarSource | undefined;
        env.push(valueFrom ? { name: e.name, valueFrom } : { name: e.name, value: e.value });
    }
    return env;
}

/** Probes aim at the worker's HTTP port unless the user points them elsewhere. */
export function resolveProbe(probe: ProbeConfig, httpPort: number): Record<string, unknown> {
    const httpGet = probe.httpGet;
    if (!httpGet) {
        return { ...probe };
    }
    const port = httpGet.port === undefined || httpGet.port === "http" ? httpPort : httpGet.port;
    return { ...probe, httpGet: { ...httpGet, port } };
}

export function buildWorkerPodSpec(i: WorkerPodInputs): PodSpec {
    const w = i.worker;
    const containers: k8s.types.input.core.v1.Container[] = [
        {
            name: names.workerContainer,
            image: i.imageOverride ?? imageReference(w.image),
            imagePullPolicy: w.image.pullPolicy,
            ports: [{ name: "http", containerPort: w.service.httpPort, protocol: "TCP" }],
            env: buildWorkerEnv(i),
            resources: resourceRequirements(w.resources),
            livenessProbe: resolveProbe(w.livenessProbe, w.service.httpPort),
            readinessProbe: resolveProbe(w.readinessProbe, w.service.httpPort),
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [
                { name: workerVolumeNames.storage, mountPath: w.mountPath },
                // The root filesystem is read-only; scratch space lives here.
                { name: workerVolumeNames.tmp, mountPath: scratchDir },
            ],
        },
    ];
    const volumes: k8s.types.input.core.v1.Volume[] = [
        { name: workerVolumeNames.storage, persistentVolumeClaim: { claimName: i.claimName } },
        { name: workerVolumeNames.tmp, emptyDir: {} },
    ];
    if (i.collector) {
        containers.push(buildCollectorContainer(i.collector));
        volumes.push(...collectorVolumes());
    }
    const spec: PodSpec = {
        serviceAccountName: names.workerServiceAccount,
        // The worker talks to the API server to run its Jobs.
        automountServiceAccountToken: true,
        // Written and refreshed by the janitor; see components/janitor.ts.
        imagePullSecrets: [{ name: names.dockerconfigSecret }],
        securityContext: restrictedPodSecurityContext(w.securityContext),
        containers,
        volumes,
        nodeSelector: Object.keys(w.nodeSelector).length > 0 ? { ...w.nodeSelector } : undefined,
        tolerations: w.tolerations.length > 0 ? w.tolerations.map((t) => ({ ...t })) : undefined,
        affinity: Object.keys(w.affinity).length > 0 ? (w.affinity as k8s.types.input.core.v1.Affinity) : undefined,
    };
    return withWorkerPodSettings(spec, w, i.site, workerSelector(i.selectorOverride));
}

/**
 * Who owns the worker image (docs/operate/ownership.md): with automatic updates on, the janitor
 * (Pulumi sets the image when it creates the Deployment and then ignores it, so the janitor's newer
 * image is never rolled back); with the image pinned, Pulumi (it forces its value over any earlier
 * janitor write with `pulumi.com/patchForce`).
 */
export type WorkerImageUpdates = "janitor" | "pinned";

export function workerImageUpdates(image: WorkerImageConfig): WorkerImageUpdates {
    return image.autoUpdate ? "janitor" : "pinned";
}

export const workerImagePath = "spec.template.spec.containers[0].image";

export function workerIgnoreChanges(image: WorkerImageConfig): string[] {
    return workerImageUpdates(image) === "janitor" ? [workerImagePath] : [];
}

/**
 * How `pulumi up` waits for the worker's rollout. pulumi-kubernetes' own wait for an apps/v1
 * Deployment reads revisions and conditions but never compares `status.observedGeneration` with the
 * new generation (provider v4, pkg/await/deployment.go), and was seen returning mid-rollout (3 pods,
 * 1 updated, 2 available) in test/e2e/cluster.e2e.ts on a loaded box. `pulumi.com/waitFor` JSONPath
 * conditions are checked only once the new generation is observed (pkg/await/condition/jsonpath.go)
 * and cannot hold mid-rollout: they are `kubectl rollout status`' rules, every replica updated and
 * available and none of the old ones left. With no replicas the status has none of these fields and
 * the provider's own wait has nothing to get wrong.
 */
export function workerRolloutWait(replicas: number, skipAwait: boolean | undefined): Record<string, string> {
    if (skipAwait) {
        return awaitAnnotations(true);
    }
    if (replicas === 0) {
        return {};
    }
    const conditions = ["updatedReplicas", "availableReplicas", "replicas"].map(
        (field) => `jsonpath={.status.${field}}=${replicas}`,
    );
    return { "pulumi.com/waitFor": JSON.stringify(conditions) };
}

export function buildWorkerDeploymentAnnotations(
    image: WorkerImageConfig,
    rolloutWait: Record<string, string>,
): Record<string, string> {
    const updates = workerImageUpdates(image);
    return {
        ...rolloutWait,
        "backline.ai/image-updates": updates,
        ...(updates === "pinned" ? { "pulumi.com/patchForce": "true" } : {}),
    };
}

export function buildWorkerDeploymentSpec(i: WorkerPodInputs): k8s.types.input.apps.v1.DeploymentSpec {
    // The collector's configuration is a file the pods read at start: its hash rolls them.
    const annotations: Record<string, string> = i.collector
        ? { "backline.ai/collector-config-sha256": i.collector.configHash }
        : {};
    const selector = workerSelector(i.selectorOverride);
    return {
        replicas: i.worker.replicaCount,
        revisionHistoryLimit: 5,
        // Never fewer ready pods than replicas while pods are replaced (the takeover of a Helm
        // release replaces them all): one extra pod at a time instead of the default 25 % down.
        strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
        selector: { matchLabels: selector },
        template: {
            metadata: podTemplateMetadata(
                { labels: { ...labelsFor(workerComponent), ...selector }, annotations },
                i.worker,
                i.site,
                i.proxySecretUid,
            ),
            spec: buildWorkerPodSpec(i),
        },
    };
}

/**
 * Exactly what the worker needs to run its Coder and Dependabot-upgrader Jobs in its own
 * namespace, and nothing cluster-wide. Re-checked against its env contract (`programEnv`: the
 * namespace, the claim, the pull secret and the Jobs' ServiceAccount; docs/job-admission.md),
 * verb by verb:
 *
 * - jobs `create`: start a run. What it may create is narrowed by the job admission policy
 *   (`specs/admission.ts`): RBAC cannot say "only as `backline-jobs`, only these Secrets".
 * - jobs `get`: read one run's status (succeeded, failed, active).
 * - jobs `list`, `watch`: follow runs without polling (an informer lists, then watches), and
 *   find its own runs again after a restart.
 * - jobs `delete`: remove a finished run. With `propagationPolicy: Background` (or a
 *   `ttlSecondsAfterFinished` on the Job) the garbage collector removes its pods, so the worker
 *   needs no `delete` on pods. Without it the API's default for Jobs orphans the pods.
 * - pods `get`, `list`, `watch`: find a run's pod (label `job-name`) and see why it waits
 *   (`ImagePullBackOff`, `Pending`); its pods are made by the Job controller, so no `create`.
 * - pods/log `get`: read a run's output.
 *
 * Not granted, because nothing in the contract needs it: `patch`/`update` on jobs, any verb on
 * cronjobs, `pods/exec`/`attach`, Secrets, ConfigMaps, ServiceAccounts and their tokens.
 */
export function buildWorkerRoleRules(): k8s.types.input.rbac.v1.PolicyRule[] {
    return [
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ];
}

export function buildWorkerServiceSpec(
    worker: WorkerConfig,
    selectorOverride?: Readonly<Record<string, string>>,
): k8s.types.input.core.v1.ServiceSpec {
    return {
        type: "ClusterIP",
        selector: workerSelector(selectorOverride),
        ports: [{ name: "http", port: worker.service.httpPort, targetPort: "http", protocol: "TCP" }],
    };
}

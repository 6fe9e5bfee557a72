/**
 * The worker's pod, Deployment, RBAC and Service, as pure functions of the configuration.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import type { BacklineConfig, ProbeConfig } from "../config";
import {
    imageReference,
    labelsFor,
    names,
    resourceRequirements,
    restrictedContainerSecurityContext,
    restrictedPodSecurityContext,
    selectorFor,
} from "./common";
import { buildCollectorContainer, collectorVolumes } from "./observability";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type EnvVar = k8s.types.input.core.v1.EnvVar;

export const workerComponent = "worker";

/** Where the worker's OTLP SDK sends logs and traces: the sidecar, on the pod's loopback. */
export const otlpEndpoint = "http://127.0.0.1:4317";

/** Values only known once other resources exist. Plain strings in tests. */
export interface WorkerRuntimeInputs {
    /** The claim the worker and its Jobs mount. */
    readonly claimName: pulumi.Input<string>;
    /** The role the collector assumes; required when otel is enabled. */
    readonly collectorRoleArn?: pulumi.Input<string>;
    /** Hash of the collector configuration, so a change rolls the pods. */
    readonly collectorConfigHash?: string;
}

/**
 * The environment the worker gets from the program. The Jobs it creates need the same namespace,
 * claim, pull secret and service account, so they are passed along rather than guessed.
 */
export function buildWorkerEnv(cfg: BacklineConfig, rt: WorkerRuntimeInputs): EnvVar[] {
    const env: EnvVar[] = [
        { name: "BACKLINE_BASE_URL", value: cfg.baseUrl },
        {
            name: "BACKLINE_ACCESS_KEY",
            valueFrom: { secretKeyRef: { name: names.accessKeySecret, key: names.accessKeySecretKey } },
        },
        { name: "BACKLINE_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
        { name: "BACKLINE_PVC_NAME", value: rt.claimName },
        { name: "BACKLINE_STORAGE_PATH", value: cfg.worker.storage.mountPath },
        { name: "BACKLINE_IMAGE_PULL_SECRET", value: names.dockerconfigSecret },
        { name: "BACKLINE_JOB_SERVICE_ACCOUNT", value: names.jobsServiceAccount },
    ];
    if (cfg.worker.otel.enabled) {
        env.push({ name: "OTEL_EXPORTER_OTLP_ENDPOINT", value: otlpEndpoint }, { name: "OTEL_SERVICE_NAME", value: "backline-worker" });
    }
    for (const e of cfg.worker.env) {
        env.push(e.valueFrom ? { name: e.name, valueFrom: e.valueFrom } : { name: e.name, value: e.value });
    }
    return env;
}

/** Probes aim at the worker's HTTP port unless the user points them elsewhere. */
export function resolveProbe(probe: ProbeConfig, httpPort: number): Record<string, unknown> {
    const httpGet = probe.httpGet as Record<string, unknown> | undefined;
    if (!httpGet) {
        return { ...probe };
    }
    const port = httpGet.port === undefined || httpGet.port === "http" ? httpPort : httpGet.port;
    return { ...probe, httpGet: { ...httpGet, port } };
}

export function buildWorkerPodSpec(cfg: BacklineConfig, rt: WorkerRuntimeInputs): PodSpec {
    const w = cfg.worker;
    const containers: k8s.types.input.core.v1.Container[] = [
        {
            name: names.workerContainer,
            image: imageReference(w.image),
            imagePullPolicy: w.image.pullPolicy,
            ports: [{ name: "http", containerPort: w.service.httpPort, protocol: "TCP" }],
            env: buildWorkerEnv(cfg, rt),
            resources: resourceRequirements(w.resources),
            livenessProbe: resolveProbe(w.livenessProbe, w.service.httpPort),
            readinessProbe: resolveProbe(w.readinessProbe, w.service.httpPort),
            securityContext: restrictedContainerSecurityContext(),
            volumeMounts: [
                { name: "storage", mountPath: w.storage.mountPath },
                // The root filesystem is read-only; scratch space lives here.
                { name: "tmp", mountPath: "/tmp" },
            ],
        },
    ];
    const volumes: k8s.types.input.core.v1.Volume[] = [
        { name: "storage", persistentVolumeClaim: { claimName: rt.claimName } },
        { name: "tmp", emptyDir: {} },
    ];
    if (w.otel.enabled) {
        if (rt.collectorRoleArn === undefined) {
            throw new Error("buildWorkerPodSpec: otel is enabled but no collector role ARN was given");
        }
        containers.push(buildCollectorContainer(cfg, rt.collectorRoleArn));
        volumes.push(...collectorVolumes());
    }
    return {
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
}

/**
 * How the program and the janitor share the worker image (see README "Who owns the worker image"):
 * with automatic updates on, Pulumi sets the image when it creates the Deployment and then ignores
 * it, so the janitor's newer image is never rolled back; with the image pinned, Pulumi owns it and
 * forces its value over any earlier janitor write (`pulumi.com/patchForce`).
 */
export const workerImagePath = "spec.template.spec.containers[0].image";

export function workerIgnoreChanges(cfg: BacklineConfig): string[] {
    return cfg.worker.image.autoUpdate ? [workerImagePath] : [];
}

export function buildWorkerDeploymentAnnotations(cfg: BacklineConfig, awaitAnnotations: Record<string, string>): Record<string, string> {
    return {
        ...awaitAnnotations,
        "backline.ai/image-updates": cfg.worker.image.autoUpdate ? "janitor" : "pinned",
        ...(cfg.worker.image.autoUpdate ? {} : { "pulumi.com/patchForce": "true" }),
    };
}

export function buildWorkerDeploymentSpec(cfg: BacklineConfig, rt: WorkerRuntimeInputs): k8s.types.input.apps.v1.DeploymentSpec {
    const annotations: Record<string, string> = {};
    if (rt.collectorConfigHash) {
        annotations["backline.ai/collector-config-sha256"] = rt.collectorConfigHash;
    }
    return {
        replicas: cfg.worker.replicaCount,
        revisionHistoryLimit: 5,
        selector: { matchLabels: selectorFor(workerComponent) },
        template: {
            metadata: { labels: labelsFor(workerComponent), annotations },
            spec: buildWorkerPodSpec(cfg, rt),
        },
    };
}

/**
 * Exactly what the worker needs to run its Coder and Dependabot-upgrader Jobs in its own
 * namespace, and nothing cluster-wide.
 */
export function buildWorkerRoleRules(): k8s.types.input.rbac.v1.PolicyRule[] {
    return [
        { apiGroups: ["batch"], resources: ["jobs"], verbs: ["create", "get", "list", "watch", "delete"] },
        { apiGroups: [""], resources: ["pods"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["pods/log"], verbs: ["get"] },
    ];
}

export function buildWorkerServiceSpec(cfg: BacklineConfig): k8s.types.input.core.v1.ServiceSpec {
    return {
        type: "ClusterIP",
        selector: selectorFor(workerComponent),
        ports: [{ name: "http", port: cfg.worker.service.httpPort, targetPort: "http", protocol: "TCP" }],
    };
}

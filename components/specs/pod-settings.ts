/**
 * The per-workload keys of enterprise clusters applied to the pods the worker and janitor builders make:
 * extra volumes and mounts, pod labels and annotations, priority class, topology spread, and the
 * site's proxy, CA bundle, mirror and pull secrets (`site.ts`) on every container. Pure; with the
 * keys unset each function returns what it was given.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { names } from "../model";
import type { DisruptionBudgetConfig, JanitorConfig, SiteConfig, WorkerConfig } from "../model";
import { siteContainer, sitePod, siteTemplateAnnotations } from "./site";

type Container = k8s.types.input.core.v1.Container;
type PodSpec = k8s.types.input.core.v1.PodSpec;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;

export interface PodTemplateMetadata {
    readonly labels: Record<string, string>;
    readonly annotations: Record<string, pulumi.Input<string>>;
}

/** The worker's pod: its own containers and volumes come first, the user's additions after. */
export function withWorkerPodSettings(
    spec: PodSpec,
    worker: WorkerConfig,
    site: SiteConfig | undefined,
    selector: Record<string, string>,
): PodSpec {
    const containers = (spec.containers as Container[]).map((c) => {
        if (c.name !== names.workerContainer) return siteContainer(c, site, "collector");
        const withSite = siteContainer(c, site, "worker");
        const mounts = worker.extraVolumeMounts.map((m) => ({ ...m }));
        return mounts.length > 0
            ? { ...withSite, volumeMounts: [...((withSite.volumeMounts ?? []) as VolumeMount[]), ...mounts] }
            : withSite;
    });
    const out: PodSpec = sitePod({ ...spec, containers }, site);
    if (worker.extraVolumes.length > 0) {
        out.volumes = [...((out.volumes ?? []) as Volume[]), ...(worker.extraVolumes as Volume[])];
    }
    if (worker.priorityClassName !== undefined) out.priorityClassName = worker.priorityClassName;
    if (worker.topologySpreadConstraints.length > 0) {
        out.topologySpreadConstraints = worker.topologySpreadConstraints.map((t) => ({
            ...t,
            matchLabelKeys: t.matchLabelKeys ? [...t.matchLabelKeys] : undefined,
            labelSelector: (t.labelSelector as k8s.types.input.meta.v1.LabelSelector | undefined) ?? {
                matchLabels: selector,
            },
        }));
    }
    return out;
}

/** The janitor's Job template (CronJob and install Job alike). */
export function withJanitorJobSettings(
    jobSpec: k8s.types.input.batch.v1.JobSpec,
    janitor: JanitorConfig,
    site: SiteConfig | undefined,
): k8s.types.input.batch.v1.JobSpec {
    const template = jobSpec.template as k8s.types.input.core.v1.PodTemplateSpec;
    const spec = template.spec as PodSpec;
    const containers = (spec.containers as Container[]).map((c) => siteContainer(c, site, "janitor"));
    const pod: PodSpec = sitePod({ ...spec, containers }, site);
    if (janitor.priorityClassName !== undefined) pod.priorityClassName = janitor.priorityClassName;
    return {
        ...jobSpec,
        template: { metadata: podTemplateMetadata(template.metadata as PodTemplateMetadata, janitor), spec: pod },
    };
}

/**
 * A pod template's labels and annotations: the user's `podLabels`/`podAnnotations` under the
 * program's own (validation keeps them apart), and what rolls the pods when the site's settings
 * change: the inline CA bundle's hash, and — for a proxy with credentials, which pods read from a
 * Secret — the Secret's uid (it is replaced whenever its data changes).
 */
export function podTemplateMetadata(
    own: PodTemplateMetadata,
    user: Pick<WorkerConfig, "podLabels" | "podAnnotations">,
    site?: SiteConfig,
    proxySecretUid?: pulumi.Input<string>,
): PodTemplateMetadata {
    return {
        labels: { ...user.podLabels, ...own.labels },
        annotations: {
            ...user.podAnnotations,
            ...siteTemplateAnnotations(site),
            ...(proxySecretUid !== undefined ? { "backline.ai/proxy-secret-uid": proxySecretUid } : {}),
            ...own.annotations,
        },
    };
}

/**
 * PodDisruptionBudget `worker`. Unhealthy pods may always be evicted, so a crash-looping worker
 * never blocks a node drain: https://kubernetes.io/docs/tasks/run-application/configure-pdb/#unhealthy-pod-eviction-policy
 */
export function buildPdbSpec(
    budget: DisruptionBudgetConfig,
    selector: Record<string, string>,
): k8s.types.input.policy.v1.PodDisruptionBudgetSpec {
    return {
        selector: { matchLabels: selector },
        ...budget,
        unhealthyPodEvictionPolicy: "AlwaysAllow",
    };
}

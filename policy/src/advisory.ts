/**
 * Advisory policies: good practice the preview reports without blocking it.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { containersOf, workloadPod } from "./pod-security";
import { describeObject, known, kubernetesKind } from "./resources";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

export const imagesPinnedByDigest: ResourceValidationPolicy = {
    name: "images-pinned-by-digest",
    description: "Every container image is pinned by digest (image@sha256:...).",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) => {
        const pod = workloadPod(args);
        if (!pod) return;
        for (const { container } of containersOf(pod.spec)) {
            const image = known(() => container?.image);
            if (typeof image === "string" && !/@sha256:[0-9a-f]{64}$/.test(image)) {
                reportViolation(
                    `${pod.what}: container ${container.name} runs ${image}, a tag that can ` +
                        "move; pin it by digest (<image>@sha256:<digest>; for the worker and the janitor set " +
                        "`worker.image.tag` / `janitor.image.tag` to sha256:<digest>).",
                );
            }
        }
    },
};

const resourceFields = ["requests.cpu", "requests.memory", "limits.cpu", "limits.memory"];

export const containerResources: ResourceValidationPolicy = {
    name: "container-resources",
    description: "Every container sets CPU and memory requests and limits.",
    enforcementLevel: "advisory",
    validateResource: (args, reportViolation) => {
        const pod = workloadPod(args);
        if (!pod) return;
        for (const { container } of containersOf(pod.spec)) {
            const missing = resourceFields.filter((f) => {
                const [kind, name] = f.split(".");
                return container?.resources?.[kind]?.[name] === undefined;
            });
            if (missing.length > 0) {
                reportViolation(
                    `${pod.what}: container ${container.name} sets no resources.${missing.join(", resources.")}; ` +
                        "set them so the scheduler places it and a runaway process cannot starve its node.",
                );
            }
        }
    },
};

/** Whether a label selector (matchLabels and matchExpressions) selects pods with these labels. */
export function selects(selector: any, labels: Record<string, string>): boolean {
    if (!selector) return false;
    const match = Object.entries((selector.matchLabels ?? {}) as Record<string, string>).every(
        ([k, v]) => labels[k] === v,
    );
    const expressions = ((selector.matchExpressions ?? []) as any[]).every((e) => {
        const has = Object.prototype.hasOwnProperty.call(labels, e.key);
        const values: string[] = e.values ?? [];
        switch (e.operator) {
            case "In":
                return has && values.includes(labels[e.key]);
            case "NotIn":
                return !has || !values.includes(labels[e.key]);
            case "Exists":
                return has;
            case "DoesNotExist":
                return !has;
            default:
                return false;
        }
    });
    // An empty selector selects every pod of its namespace (policy/v1).
    return match && expressions;
}

export const pdbForReplicatedWorkloads: StackValidationPolicy = {
    name: "pdb-for-replicated-workloads",
    description: "A Deployment or StatefulSet with more than one replica has a PodDisruptionBudget selecting its pods.",
    enforcementLevel: "advisory",
    url: "https://kubernetes.io/docs/tasks/run-application/configure-pdb/",
    validateStack: (args, reportViolation) => {
        const pdbs = args.resources.filter((r) => {
            const k = kubernetesKind(r.type);
            return k?.group === "policy" && k.kind === "PodDisruptionBudget";
        });
        for (const r of args.resources) {
            const k = kubernetesKind(r.type);
            if (!k || k.group !== "apps" || (k.kind !== "Deployment" && k.kind !== "StatefulSet")) continue;
            const replicas = known(() => r.props.spec?.replicas);
            if (typeof replicas !== "number" || replicas <= 1) continue;
            const labels = (known(() => r.props.spec?.template?.metadata?.labels) ?? {}) as Record<string, string>;
            const namespace = known(() => r.props.metadata?.namespace);
            const covered = pdbs.some((p) => {
                const ns = known(() => p.props.metadata?.namespace);
                const sameNamespace = ns === undefined || namespace === undefined || ns === namespace;
                return (
                    sameNamespace &&
                    selects(
                        known(() => p.props.spec?.selector),
                        labels,
                    )
                );
            });
            if (!covered) {
                reportViolation(
                    `${describeObject(k.kind, r.props, r.name)} runs ${replicas} replicas and no PodDisruptionBudget selects its pods, ` +
                        "so a node drain may evict them all at once; add a PodDisruptionBudget (minAvailable: 1) selecting " +
                        `${JSON.stringify(r.props.spec?.selector?.matchLabels ?? labels)}.`,
                    r.urn,
                );
            }
        }
    },
};

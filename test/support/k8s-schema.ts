/**
 * Validates recorded Kubernetes objects against the Kubernetes OpenAPI schema, using the
 * generated models of `kubernetes-models`.
 */
import { RecordedResource } from "./mocks";

type Model = { new (data: unknown): { validate(): void } };

// eslint-disable-next-line @typescript-eslint/no-require-imports
const load = (mod: string, kind: string): Model => require(`kubernetes-models/${mod}/${kind}`)[kind];

const models: Record<string, () => Model> = {
    "kubernetes:core/v1:Namespace": () => load("v1", "Namespace"),
    "kubernetes:core/v1:Secret": () => load("v1", "Secret"),
    "kubernetes:core/v1:ConfigMap": () => load("v1", "ConfigMap"),
    "kubernetes:core/v1:ServiceAccount": () => load("v1", "ServiceAccount"),
    "kubernetes:core/v1:Service": () => load("v1", "Service"),
    "kubernetes:core/v1:PersistentVolumeClaim": () => load("v1", "PersistentVolumeClaim"),
    "kubernetes:apps/v1:Deployment": () => load("apps/v1", "Deployment"),
    "kubernetes:batch/v1:CronJob": () => load("batch/v1", "CronJob"),
    "kubernetes:batch/v1:Job": () => load("batch/v1", "Job"),
    "kubernetes:rbac.authorization.k8s.io/v1:Role": () => load("rbac.authorization.k8s.io/v1", "Role"),
    "kubernetes:rbac.authorization.k8s.io/v1:RoleBinding": () => load("rbac.authorization.k8s.io/v1", "RoleBinding"),
    "kubernetes:storage.k8s.io/v1:StorageClass": () => load("storage.k8s.io/v1", "StorageClass"),
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy": () =>
        load("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),
    "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding": () =>
        load("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),
    "kubernetes:policy/v1:PodDisruptionBudget": () => load("policy/v1", "PodDisruptionBudget"),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": () => load("networking.k8s.io/v1", "NetworkPolicy"),
};

/** Replaces Pulumi's secret wrappers with their values, as the provider does before applying. */
export function unwrapSecrets(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unwrapSecrets(o.value);
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

/** Throws with the type and name when an object does not match its schema. */
export function validateKubernetesObject(r: RecordedResource): void {
    const model = models[r.type];
    if (!model) {
        throw new Error(`no schema model for ${r.type}; add it to test/support/k8s-schema.ts`);
    }
    try {
        new (model())(unwrapSecrets(r.inputs)).validate();
    } catch (err) {
        throw new Error(`${r.type} ${r.inputs?.metadata?.name}: ${(err as Error).message}`);
    }
}

/** Every pod template in a recorded object (Deployment, Job, CronJob). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function podSpecsOf(r: RecordedResource): any[] {
    const spec = r.inputs?.spec;
    switch (r.type) {
        case "kubernetes:apps/v1:Deployment":
        case "kubernetes:batch/v1:Job":
            return [spec.template.spec];
        case "kubernetes:batch/v1:CronJob":
            return [spec.jobTemplate.spec.template.spec];
        default:
            return [];
    }
}

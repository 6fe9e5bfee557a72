/**
 * Policies on what only the stack's own workloads may be. The worker's selector belongs to the
 * worker's pods: a pod of another workload that carries it (a Job, CronJob or Pod a wrapper program
 * declares, say) gets the worker Service's requests once Ready and counts toward the worker's
 * PodDisruptionBudget. And the worker's `delete jobs`, which it needs for its own runs, also reaches
 * the janitor's Jobs unless the stack's admission policy judges deletions: deleting them keeps
 * `jwt-token` and `dockerconfig` from being refreshed.
 */
import type { PolicyResource, StackValidationPolicy } from "@pulumi/policy";
import { selects } from "./advisory";
import { backlineNames } from "./names";
import { podKinds, podOf } from "./pod-security";
import { asList, describeObject, known, kubernetesKind, ofKubernetesKind } from "./resources";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

const admissionGroup = "admissionregistration.k8s.io";

/** `k=v, k2=v2` (matchLabels; matchExpressions as `key operator [values]`). */
function describeSelector(selector: any): string {
    const labels = Object.entries((selector?.matchLabels ?? {}) as Record<string, string>).map(([k, v]) => `${k}=${v}`);
    const expressions = ((selector?.matchExpressions ?? []) as any[]).map(
        (e) => `${e?.key} ${e?.operator}${asList(e?.values).length > 0 ? ` (${asList(e.values).join(", ")})` : ""}`,
    );
    return [...labels, ...expressions].join(", ");
}

export const workerSelectorExclusive: StackValidationPolicy = {
    name: "worker-selector-exclusive",
    description:
        'Only Deployment "worker" has pods that match its selector: no other Job, CronJob, Pod or workload of its namespace.',
    enforcementLevel: "mandatory",
    url: "https://kubernetes.io/docs/concepts/overview/working-with-objects/labels/#label-selectors",
    validateStack: (args, reportViolation) => {
        const worker = ofKubernetesKind(args.resources, "apps", "Deployment").find(
            (r) => known(() => r.props.metadata?.name) === backlineNames.workerDeployment,
        );
        const selector = worker && known(() => worker.props.spec?.selector);
        // An empty selector (or one not known yet) matches every pod: nothing to tell apart.
        if (!worker || !selector || describeSelector(selector) === "") return;
        const namespace = known(() => worker.props.metadata?.namespace);
        for (const r of args.resources as PolicyResource[]) {
            const k = kubernetesKind(r.type);
            if (r.urn === worker.urn || !k || !podKinds.includes(k.kind) || k.kind === "PodTemplate") continue;
            const ns = known(() => r.props.metadata?.namespace);
            if (ns !== undefined && namespace !== undefined && ns !== namespace) continue;
            const labels = known(() => podOf(k.kind, r.props)?.metadata?.labels);
            if (!labels || typeof labels !== "object" || !selects(selector, labels)) continue;
            reportViolation(
                `${describeObject(k.kind, r.props, r.name)}: its pods carry the selector of Deployment ` +
                    `"${backlineNames.workerDeployment}" (${describeSelector(selector)}), so Service ` +
                    `"${backlineNames.workerDeployment}" would send them the worker's requests and its PodDisruptionBudget ` +
                    "would count them as workers. Give them labels of their own (a part of that selector alone is fine).",
                r.urn,
            );
        }
    },
};

/** The resource rules of a policy's `matchConstraints` that cover `batch` Jobs for `operation`. */
function judgesJobs(policy: PolicyResource, operation: string): boolean {
    const rules = (known(() => policy.props.spec?.matchConstraints?.resourceRules) ?? []) as any[];
    return rules.some((rule) => {
        const groups = asList(rule?.apiGroups);
        const resources = asList(rule?.resources);
        const operations = asList(rule?.operations);
        return (
            (groups.includes("batch") || groups.includes("*")) &&
            (resources.includes("jobs") || resources.includes("*")) &&
            (operations.includes(operation) || operations.includes("*"))
        );
    });
}

export const workerJobsDeleteAdmission: StackValidationPolicy = {
    name: "worker-jobs-delete-admission",
    description:
        'When Role "worker" may delete Jobs and an admission policy of the stack checks the Jobs it creates, one also checks what it deletes.',
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        const worker = ofKubernetesKind(args.resources, "rbac.authorization.k8s.io", "Role").find(
            (r) => known(() => r.props.metadata?.name) === backlineNames.workerRole,
        );
        const deletes = ((worker && known(() => worker.props.rules)) ?? ([] as any[])).some((rule: any) => {
            const verbs = asList(rule?.verbs);
            return (
                (asList(rule?.apiGroups).includes("batch") || asList(rule?.apiGroups).includes("*")) &&
                (asList(rule?.resources).includes("jobs") || asList(rule?.resources).includes("*")) &&
                (verbs.includes("delete") || verbs.includes("deletecollection") || verbs.includes("*"))
            );
        });
        const policies = ofKubernetesKind(args.resources, admissionGroup, "ValidatingAdmissionPolicy");
        // Without a policy on what it creates, worker-jobs-admission warns; whether the policy is
        // bound with Deny is that policy's question too.
        if (!worker || !deletes || !policies.some((p) => judgesJobs(p, "CREATE"))) return;
        if (!policies.some((p) => judgesJobs(p, "DELETE"))) {
            reportViolation(
                'Role "worker" may delete Jobs and no admission policy of the stack checks what it deletes: the worker can ' +
                    "delete the janitor's Jobs (the CronJob's runs, the install Job) and so keep jwt-token and dockerconfig from " +
                    "being refreshed. Use the stack's job admission policy of this version (it judges DELETE of jobs), or add " +
                    "DELETE of batch jobs to a policy of your own.",
                worker.urn,
            );
        }
    },
};

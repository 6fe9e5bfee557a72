/**
 * Policies on the admission objects of a Backline stack: the job admission policy is
 * cluster-scoped — the pack's only cluster-scoped objects besides the Namespace and the EFS
 * StorageClass — so it must judge nothing outside the stack's namespace; and without it, the
 * worker's permission to create Jobs is a permission to become the janitor, which the pack says.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { backlineNames } from "./names";
import { asList, describeObject, known, kubernetesKind, ofKubernetesKind } from "./resources";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

const admissionGroup = "admissionregistration.k8s.io";
const nameLabel = "kubernetes.io/metadata.name";

/** The namespaces a selector names by `kubernetes.io/metadata.name`, or `undefined` if it does not. */
export function namedNamespaces(selector: any): string[] | undefined {
    const byLabel = selector?.matchLabels?.[nameLabel];
    if (typeof byLabel === "string") return [byLabel];
    const expression = ((selector?.matchExpressions ?? []) as any[]).find(
        (e) => e?.key === nameLabel && e?.operator === "In" && asList(e?.values).length > 0,
    );
    return expression ? asList(expression.values) : undefined;
}

export const admissionPolicyNamespaced: ResourceValidationPolicy = {
    name: "admission-policy-namespaced",
    description:
        "An admission policy or binding the stack creates (cluster-scoped) judges only named namespaces: a namespaceSelector on kubernetes.io/metadata.name.",
    enforcementLevel: "mandatory",
    url: "https://kubernetes.io/docs/reference/access-authn-authz/validating-admission-policy/#matching-requests-matchconstraints",
    validateResource: (args, reportViolation) => {
        const k = kubernetesKind(args.type);
        if (!k || k.group !== admissionGroup || !/^(Validating|Mutating)AdmissionPolicy(Binding)?$/.test(k.kind))
            return;
        const binding = k.kind.endsWith("Binding");
        const field = binding ? "matchResources" : "matchConstraints";
        if (namedNamespaces(args.props.spec?.[field]?.namespaceSelector) === undefined) {
            reportViolation(
                `${describeObject(k.kind, args.props, args.name)}: spec.${field}.namespaceSelector does not name the namespaces it ` +
                    "judges, so it reaches every namespace of the cluster; set it to " +
                    `{ matchLabels: { "${nameLabel}": <the Backline namespace> } }.`,
            );
        }
    },
};

/** Whether a rule of `matchConstraints.resourceRules` covers Jobs of `batch`. */
function coversJobs(rule: any): boolean {
    const groups = asList(rule?.apiGroups);
    const resources = asList(rule?.resources);
    return (
        (groups.includes("batch") || groups.includes("*")) && (resources.includes("jobs") || resources.includes("*"))
    );
}

function mayCreateJobs(rule: any): boolean {
    const verbs = asList(rule?.verbs);
    return coversJobs(rule) && (verbs.includes("create") || verbs.includes("*"));
}

export const workerJobsAdmission: StackValidationPolicy = {
    name: "worker-jobs-admission",
    description:
        'When Role "worker" may create Jobs, an admission policy of the stack (bound with Deny) checks the Jobs it creates.',
    enforcementLevel: "advisory",
    validateStack: (args, reportViolation) => {
        const ofKind = (group: string, kind: string) => ofKubernetesKind(args.resources, group, kind);
        const worker = ofKind("rbac.authorization.k8s.io", "Role").find(
            (r) => known(() => r.props.metadata?.name) === backlineNames.workerRole,
        );
        if (!worker || !((known(() => worker.props.rules) ?? []) as any[]).some(mayCreateJobs)) return;
        const policies = ofKind(admissionGroup, "ValidatingAdmissionPolicy").filter((p) =>
            ((known(() => p.props.spec?.matchConstraints?.resourceRules) ?? []) as any[]).some(coversJobs),
        );
        const names = policies.map((p) => known(() => p.props.metadata?.name));
        const enforced = ofKind(admissionGroup, "ValidatingAdmissionPolicyBinding").some((b) => {
            const policyName = known(() => b.props.spec?.policyName);
            // A name only known after `up` is one of the stack's own policies.
            const ours = policyName === undefined ? policies.length > 0 : names.includes(policyName);
            return ours && asList(known(() => b.props.spec?.validationActions)).includes("Deny");
        });
        if (!enforced) {
            reportViolation(
                'Role "worker" may create Jobs and no admission policy of the stack checks them: the worker can run a Job as any ' +
                    "ServiceAccount of its namespace (janitor included) and read any of its Secrets. Turn on " +
                    "`security.jobAdmissionPolicy` (Kubernetes 1.30+), or bind a policy of your own with validationActions [Deny].",
                worker.urn,
            );
        }
    },
};

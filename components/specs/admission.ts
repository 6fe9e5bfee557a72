/**
 * The admission policy that keeps the worker's Jobs to what they are for: a
 * ValidatingAdmissionPolicy (CEL, `admissionregistration.k8s.io/v1`, GA since Kubernetes 1.30) and
 * its binding, as pure functions of the namespace, the claim, `worker.jobs.allowedSecrets` and the
 * worker's selector. The rules about the stack's own workloads (labels, the janitor's Jobs) are in
 * `admission-workloads.ts`.
 *
 * Why: Kubernetes lets anyone who may create a pod pick any ServiceAccount of the namespace and
 * mount any Secret of it. The worker's Role lets it create Jobs (its Coder and Dependabot-upgrader
 * runs), so without this policy a compromised worker could start a Job as `janitor` (and write
 * `jwt-token`, `dockerconfig`, the worker Deployment) or read `backline-access-key` from `env`.
 * Neither RBAC nor the "restricted" Pod Security profile can say "only this ServiceAccount, only
 * these Secrets"; an admission policy can. Nor can it say "delete Jobs, but not the janitor's".
 *
 * The CEL keeps to the portable core (`has()`, macros, `in`, `join`): no optional types, so the
 * unit tests can evaluate the same expressions with a JavaScript CEL interpreter; the API server
 * in test/e2e/admission.e2e.ts is the real proof.
 */
import type * as k8s from "@pulumi/kubernetes";
import { names } from "../model";
import type { JobAdmissionInputs } from "../model";
import { buildJanitorDeleteValidation, buildWorkloadValidations, buildWorkloadVariables } from "./admission-workloads";
import type { Validation, Variable } from "./admission-workloads";
import { celList, celString } from "./cel";

/** The ServiceAccount whose requests the policy checks: the worker's, in its namespace. */
export function workerUsername(namespace: string): string {
    return `system:serviceaccount:${namespace}:${names.workerServiceAccount}`;
}

/**
 * Name of the policy and of its binding. Both are cluster-scoped, so the namespace keeps two stacks
 * in one cluster apart (as `backline-efs-<namespace>` does for the StorageClass).
 */
export function jobAdmissionName(namespace: string): string {
    return `backline-worker-jobs-${namespace}`;
}

/**
 * The volume sources the worker's Jobs may use, one line each: `when` is a CEL condition on the
 * volume `v` (default: any volume of that source), `says` is how the refusal message lists it.
 * Allowing one more source is one more line here (and a line in docs/job-admission.md). The CA-bundle
 * ConfigMap of the enterprise keys is a `configMap` volume, already allowed.
 */
export interface VolumeSourceRule {
    /** The field of `Volume` that names the source (`emptyDir`, `configMap`, …). */
    readonly source: string;
    readonly when?: (i: JobAdmissionInputs) => string;
    readonly says: (i: JobAdmissionInputs) => string;
}

/** Projected sources that carry no identity: anything else (serviceAccountToken, podCertificate, …) is refused. */
const projectedSourceOk =
    "has(p.configMap) || has(p.downwardAPI) || has(p.clusterTrustBundle) || (has(p.secret) && p.secret.name in variables.allowedSecrets)";

export const jobVolumeSources: readonly VolumeSourceRule[] = [
    {
        source: "persistentVolumeClaim",
        when: (i) => `v.persistentVolumeClaim.claimName == ${celString(i.claimName)}`,
        says: (i) => `the claim ${i.claimName}`,
    },
    { source: "emptyDir", says: () => "emptyDir" },
    { source: "configMap", says: () => "configMap" },
    {
        source: "projected",
        when: () => `!has(v.projected.sources) || v.projected.sources.all(p, ${projectedSourceOk})`,
        says: () => "projected (configMap, downwardAPI, clusterTrustBundle, allowed Secrets; no serviceAccountToken)",
    },
    {
        source: "secret",
        when: () => "v.secret.secretName in variables.allowedSecrets",
        says: () => "secret (only the allowed Secrets)",
    },
];

/** The CEL condition a volume `v` must meet. */
export function volumeAllowedExpression(i: JobAdmissionInputs): string {
    return jobVolumeSources
        .map((r) => (r.when ? `(has(v.${r.source}) && (${r.when(i)}))` : `has(v.${r.source})`))
        .join(" || ");
}

/** Where the pod spec is in each kind the policy matches. */
const podSpecPaths = {
    Pod: "spec",
    Job: "spec.template.spec",
    CronJob: "spec.jobTemplate.spec.template.spec",
} as const;

const containerLists = ["containers", "initContainers", "ephemeralContainers"] as const;

/**
 * Secret references from `env` and `envFrom` of one container list that the allowlist does not
 * cover, each as a short description (`container job env TOKEN: Secret jwt-token`). Each
 * container's findings are joined into one string so that the result is a flat list of strings
 * without `flatten()` (not in every API server's CEL).
 */
function secretRefsOf(list: (typeof containerLists)[number]): string {
    const env =
        "(has(c.env) ? c.env.filter(e, has(e.valueFrom) && has(e.valueFrom.secretKeyRef) && !(e.valueFrom.secretKeyRef.name in variables.allowedSecrets))" +
        ".map(e, 'container ' + c.name + ' env ' + e.name + ': Secret ' + e.valueFrom.secretKeyRef.name) : [])";
    const envFrom =
        "(has(c.envFrom) ? c.envFrom.filter(f, has(f.secretRef) && !(f.secretRef.name in variables.allowedSecrets))" +
        ".map(f, 'container ' + c.name + ' envFrom: Secret ' + f.secretRef.name) : [])";
    return `(has(variables.spec.${list}) ? variables.spec.${list}.map(c, (${env} + ${envFrom}).join(', ')).filter(s, s != '') : [])`;
}

export function buildJobAdmissionVariables(i: JobAdmissionInputs): Variable[] {
    const kindIs = (k: keyof typeof podSpecPaths) => `object.kind == ${celString(k)}`;
    const byKind = (pick: (k: keyof typeof podSpecPaths) => string) =>
        `${kindIs("Pod")} ? ${pick("Pod")} : ${kindIs("Job")} ? ${pick("Job")} : ${pick("CronJob")}`;
    return [
        { name: "spec", expression: byKind((k) => `object.${podSpecPaths[k]}`) },
        { name: "specPath", expression: byKind((k) => celString(podSpecPaths[k])) },
        // The proxy Secret and the site's pull secrets are the stack's own hand-overs to the Jobs
        // (docs/enterprise.md): allowed without being listed in `worker.jobs.allowedSecrets`.
        {
            name: "allowedSecrets",
            expression: celList([...i.allowedSecrets, ...(i.proxySecret ? [i.proxySecret] : [])]),
        },
        {
            name: "pullSecrets",
            expression: `${celList([names.dockerconfigSecret, ...(i.imagePullSecrets ?? [])])} + variables.allowedSecrets`,
        },
        { name: "secretRefs", expression: containerLists.map(secretRefsOf).join(" + ") },
        {
            name: "badVolumes",
            expression: `has(variables.spec.volumes) ? variables.spec.volumes.filter(v, !(${volumeAllowedExpression(i)})).map(v, v.name) : []`,
        },
        {
            name: "badPullSecrets",
            expression:
                "has(variables.spec.imagePullSecrets) ? variables.spec.imagePullSecrets.filter(s, has(s.name) && !(s.name in variables.pullSecrets)).map(s, s.name) : []",
        },
        ...buildWorkloadVariables(i),
    ];
}

/** `[]` or the allowlist, for messages. */
const allowedNow = "(size(variables.allowedSecrets) == 0 ? 'none' : variables.allowedSecrets.join(', '))";
const allowHint = 'add it with `pulumi config set --path "worker.jobs.allowedSecrets[0]" <name>`';

/**
 * The rules, each refusing with a message that names the rule, what was found and what to change.
 * `message` is the fallback the API server uses if a `messageExpression` cannot be evaluated.
 */
export function buildJobAdmissionValidations(i: JobAdmissionInputs): Validation[] {
    const sa = celString(names.jobsServiceAccount);
    const jobsSa = names.jobsServiceAccount;
    const volumesAllowed = jobVolumeSources.map((r) => r.says(i)).join(", ");
    return [
        {
            // The deprecated `serviceAccount` needs no rule: the API server sets it from
            // `serviceAccountName` (or the other way round when only it is given) before admission.
            expression: `has(variables.spec.serviceAccountName) && variables.spec.serviceAccountName == ${sa}`,
            messageExpression:
                `'service-account: the worker\\'s ' + object.kind + 's run as ServiceAccount ${jobsSa} only; ' + variables.specPath + '.serviceAccountName is ' + ` +
                `(has(variables.spec.serviceAccountName) ? variables.spec.serviceAccountName : 'unset') + '. Set it to ${jobsSa} (the worker gets the name in BACKLINE_JOB_SERVICE_ACCOUNT).'`,
            message: `service-account: the worker's Jobs run as ServiceAccount ${jobsSa} only; set serviceAccountName: ${jobsSa}.`,
        },
        {
            expression:
                "!has(variables.spec.automountServiceAccountToken) || variables.spec.automountServiceAccountToken == false",
            messageExpression: `'service-account-token: the worker\\'s ' + object.kind + 's get no API token; ' + variables.specPath + '.automountServiceAccountToken is true. Set it to false or leave it unset (ServiceAccount ${jobsSa} mounts none).'`,
            message: `service-account-token: the worker's Jobs get no API token; set automountServiceAccountToken: false or leave it unset.`,
        },
        {
            expression: "size(variables.secretRefs) == 0",
            messageExpression:
                `'secrets: the worker\\'s ' + object.kind + 's may read only the Secrets in worker.jobs.allowedSecrets (now: ' + ${allowedNow} + '); found ' + variables.secretRefs.join('; ') + '. ` +
                `Remove the reference, or if the Jobs must have that Secret, ${allowHint}.'`,
            message: `secrets: the worker's Jobs may read only the Secrets in worker.jobs.allowedSecrets; remove the env/envFrom reference or ${allowHint}.`,
        },
        {
            expression: "size(variables.badVolumes) == 0",
            messageExpression: `'volumes: the worker\\'s ' + object.kind + 's may not mount volume ' + variables.badVolumes.join(', ') + '. Allowed: ${volumesAllowed}; allowed Secrets now: ' + ${allowedNow} + '. Use one of those, or for a Secret volume ${allowHint}.'`,
            message: `volumes: the worker's Jobs may mount only ${volumesAllowed}; for a Secret volume ${allowHint}.`,
        },
        {
            expression: "size(variables.badPullSecrets) == 0",
            messageExpression: `'image-pull-secrets: the worker\\'s ' + object.kind + 's pull with ${names.dockerconfigSecret} or an allowed Secret; ' + variables.specPath + '.imagePullSecrets names ' + variables.badPullSecrets.join(', ') + '. Use ${names.dockerconfigSecret} (BACKLINE_IMAGE_PULL_SECRET), or ${allowHint}.'`,
            message: `image-pull-secrets: the worker's Jobs pull with ${names.dockerconfigSecret} or a Secret in worker.jobs.allowedSecrets.`,
        },
    ];
}

type PolicySpec = k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicySpec;
type BindingSpec = k8s.types.input.admissionregistration.v1.ValidatingAdmissionPolicyBindingSpec;

/**
 * Each rule judges one kind of request. On DELETE there is no `object` (only `oldObject`): the
 * rules on what is created are true at once, before they read anything (`||` in CEL is true when
 * either side is, even if the other fails), and the API server reads a variable only when an
 * expression needs it.
 */
function onCreateOrUpdate(v: Validation): Validation {
    return { ...v, expression: `request.operation == 'DELETE' || (${v.expression})` };
}

function onDelete(v: Validation): Validation {
    return { ...v, expression: `request.operation != 'DELETE' || (${v.expression})` };
}

/**
 * The policy: Jobs, Pods and CronJobs (CREATE and UPDATE) and the deletion of Jobs in the Backline
 * namespace, requested by the worker's ServiceAccount. Pulumi's own identity (the janitor's CronJob
 * and install Job) and the controllers (the Jobs' pods, the CronJob's Jobs, the garbage collector,
 * the CronJob's history limits) are other users and pass untouched. The worker's Role grants
 * neither Pods nor CronJobs; they are matched so that a Role widened later, or a CronJob whose Jobs
 * the CronJob controller would create, cannot go around the policy. A `deletecollection` of Jobs
 * (which the Role does not grant either) reaches admission as one DELETE per Job, each with its
 * `oldObject` (k8s.io/apiserver: `DeleteCollection` calls `Delete` per item with
 * `AdmissionToValidateObjectDeleteFunc`), so the DELETE rule covers it too.
 */
export function buildJobAdmissionPolicySpec(i: JobAdmissionInputs): PolicySpec {
    return {
        // A request the policy cannot evaluate is refused, not waved through.
        failurePolicy: "Fail",
        matchConstraints: {
            namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": i.namespace } },
            resourceRules: [
                {
                    apiGroups: ["batch"],
                    apiVersions: ["v1"],
                    operations: ["CREATE", "UPDATE"],
                    resources: ["jobs", "cronjobs"],
                },
                {
                    apiGroups: [""],
                    apiVersions: ["v1"],
                    operations: ["CREATE", "UPDATE"],
                    resources: ["pods", "pods/ephemeralcontainers"],
                },
                {
                    apiGroups: ["batch"],
                    apiVersions: ["v1"],
                    operations: ["DELETE"],
                    resources: ["jobs"],
                },
            ],
        },
        matchConditions: [
            {
                name: "worker-service-account",
                expression: `request.userInfo.username == ${celString(workerUsername(i.namespace))}`,
            },
        ],
        variables: buildJobAdmissionVariables(i),
        validations: [
            ...[...buildJobAdmissionValidations(i), ...buildWorkloadValidations(i)].map(onCreateOrUpdate),
            onDelete(buildJanitorDeleteValidation()),
        ],
    };
}

export function buildJobAdmissionBindingSpec(i: JobAdmissionInputs): BindingSpec {
    return {
        policyName: jobAdmissionName(i.namespace),
        validationActions: ["Deny"],
        // The policy's own matchConstraints already limit it to the namespace; said again here so
        // the binding alone shows whom it affects.
        matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": i.namespace } } },
    };
}

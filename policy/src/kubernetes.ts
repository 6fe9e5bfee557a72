/**
 * Mandatory policies on the Kubernetes objects of a Backline stack: Pod Security, RBAC, where the
 * access key may live, and that storage outlives its claim.
 */
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { backlineNames } from "./names";
import { containersOf, restrictedViolations, workloadPod } from "./pod-security";
import { asList, describeObject, known, kubernetesKind, ofKubernetesKind, visitStrings } from "./resources";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

const rbacGroup = "rbac.authorization.k8s.io";
const pssDocs = "https://kubernetes.io/docs/concepts/security/pod-security-standards/#restricted";

export const podSecurityRestricted: ResourceValidationPolicy = {
    name: "pod-security-restricted",
    description: 'Every pod template (Deployment, CronJob, Job, ...) meets the Pod Security "restricted" profile.',
    enforcementLevel: "mandatory",
    url: pssDocs,
    validateResource: (args, reportViolation) => {
        const pod = workloadPod(args);
        if (!pod) return;
        for (const v of restrictedViolations(pod.spec, pod.metadata?.annotations ?? {})) {
            reportViolation(`${pod.what}: ${v} (Pod Security "restricted", which the Backline namespace enforces).`);
        }
    },
};

export const namespaceEnforcesRestricted: ResourceValidationPolicy = {
    name: "namespace-enforces-restricted",
    description: 'Every namespace the stack creates enforces the Pod Security "restricted" profile.',
    enforcementLevel: "mandatory",
    url: "https://kubernetes.io/docs/concepts/security/pod-security-admission/",
    validateResource: (args, reportViolation) => {
        const k = kubernetesKind(args.type);
        if (!k || k.group !== "" || k.kind !== "Namespace") return;
        const label = "pod-security.kubernetes.io/enforce";
        const value = args.props.metadata?.labels?.[label];
        if (value !== "restricted") {
            const got = value === undefined ? "is not set" : `is "${value}"`;
            reportViolation(
                `${describeObject(k.kind, args.props, args.name)}: label ${label} ${got}; set it to "restricted" ` +
                    "so the API server refuses pods that escape the profile.",
            );
        }
    },
};

export const noClusterRbac: ResourceValidationPolicy = {
    name: "no-cluster-rbac",
    description: "The stack creates no ClusterRole or ClusterRoleBinding: Backline needs no cluster-wide permission.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const k = kubernetesKind(args.type);
        if (!k || k.group !== rbacGroup || !/^ClusterRole(Binding)?(Patch|List)?$/.test(k.kind)) return;
        reportViolation(
            `${describeObject(k.kind, args.props, args.name)}: cluster-wide RBAC is not allowed in a Backline stack; ` +
                "grant what is needed with a Role and a RoleBinding in the Backline namespace instead.",
        );
    },
};

const writeVerbs = ["create", "update", "patch", "delete", "deletecollection", "*"];

/** Whether a policy rule covers core Secrets. */
function coversSecrets(rule: any): boolean {
    const groups = asList(rule?.apiGroups);
    const resources = asList(rule?.resources);
    return (groups.includes("") || groups.includes("*")) && (resources.includes("secrets") || resources.includes("*"));
}

export const secretWritesNamed: ResourceValidationPolicy = {
    name: "secret-writes-named",
    description: "A Role that may write Secrets names them (resourceNames).",
    enforcementLevel: "mandatory",
    url: "https://kubernetes.io/docs/reference/access-authn-authz/rbac/#referring-to-resources",
    validateResource: (args, reportViolation) => {
        const k = kubernetesKind(args.type);
        if (!k || k.group !== rbacGroup || k.kind !== "Role") return;
        const what = describeObject(k.kind, args.props, args.name);
        ((args.props.rules ?? []) as any[]).forEach((rule, i) => {
            if (!coversSecrets(rule)) return;
            const verbs = asList(rule.verbs).filter((v) => writeVerbs.includes(v));
            if (verbs.length === 0) return;
            if (asList(rule.resourceNames).length === 0) {
                reportViolation(
                    `${what}: rules[${i}] lets it ${verbs.join(", ")} every Secret in the namespace; ` +
                        "list the Secrets it may write in resourceNames.",
                );
            } else if (verbs.some((v) => v === "deletecollection" || v === "*")) {
                reportViolation(
                    `${what}: rules[${i}] grants ${verbs.includes("*") ? '"*"' : "deletecollection"} on Secrets, which ` +
                        "resourceNames cannot limit; list the verbs it needs (get, create, patch).",
                );
            }
        });
    },
};

function ruleIs(rule: any, group: string, resource: string): boolean {
    return (
        asList(rule?.apiGroups).length === 1 &&
        asList(rule?.apiGroups)[0] === group &&
        asList(rule?.resources).length === 1 &&
        asList(rule?.resources)[0] === resource
    );
}

export const janitorRoleScope: StackValidationPolicy = {
    name: "janitor-role-scope",
    description:
        'Role "janitor" touches only Secrets jwt-token and dockerconfig and, unless the worker image is pinned, ' +
        'Deployment "worker".',
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const ofKind = (group: string, kind: string) => ofKubernetesKind(args.resources, group, kind);
        const worker = ofKind("apps", "Deployment").find(
            (d) => known(() => d.props.metadata?.name) === backlineNames.workerDeployment,
        );
        const updates =
            worker && known(() => worker.props.metadata?.annotations?.[backlineNames.imageUpdatesAnnotation]);
        const janitorUpdatesImage = updates === "janitor";
        const secrets: string[] = [backlineNames.jwtSecret, backlineNames.dockerconfigSecret];

        for (const role of ofKind(rbacGroup, "Role")) {
            if (known(() => role.props.metadata?.name) !== backlineNames.janitorRole) continue;
            ((role.props.rules ?? []) as any[]).forEach((rule, i) => {
                const names = asList(rule?.resourceNames);
                const at = `Role "janitor": rules[${i}]`;
                if (ruleIs(rule, "", "secrets")) {
                    const others = names.filter((n) => !secrets.includes(n));
                    if (names.length === 0 || others.length > 0) {
                        const got = names.length === 0 ? "every Secret" : `Secrets ${others.join(", ")}`;
                        reportViolation(
                            `${at} reaches ${got}; the janitor writes only ${secrets.join(" and ")}: set resourceNames to those.`,
                            role.urn,
                        );
                    }
                } else if (ruleIs(rule, "apps", "deployments")) {
                    if (!janitorUpdatesImage) {
                        const why = worker
                            ? `the worker image is pinned (annotation ${backlineNames.imageUpdatesAnnotation}: ${updates ?? "unset"})`
                            : 'the stack has no Deployment "worker"';
                        reportViolation(
                            `${at} lets the janitor change Deployments although ${why}; remove the rule.`,
                            role.urn,
                        );
                    } else if (names.length !== 1 || names[0] !== backlineNames.workerDeployment) {
                        reportViolation(
                            `${at} reaches ${names.length === 0 ? "every Deployment" : `Deployments ${names.join(", ")}`}; ` +
                                `the janitor updates only Deployment "worker": set resourceNames to [worker].`,
                            role.urn,
                        );
                    }
                } else {
                    const what = `${asList(rule?.resources).join(", ") || "(no resources)"} in API groups ${JSON.stringify(asList(rule?.apiGroups))}`;
                    reportViolation(
                        `${at} grants ${what}; the janitor needs only its two Secrets and Deployment "worker": remove the rule.`,
                        role.urn,
                    );
                }
            });
        }
    },
};

export const accessKeyFromSecretRef: ResourceValidationPolicy = {
    name: "access-key-from-secret-ref",
    description: `Containers get ${backlineNames.accessKeyEnv} from a Secret (valueFrom.secretKeyRef), never as a literal or from a ConfigMap.`,
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const pod = workloadPod(args);
        if (!pod) return;
        const fix = `reference Secret ${backlineNames.accessKeySecret} (key ${backlineNames.accessKeySecretKey}) with valueFrom.secretKeyRef`;
        for (const { container: c } of containersOf(pod.spec)) {
            for (const e of (c?.env ?? []) as any[]) {
                if (e?.name !== backlineNames.accessKeyEnv) continue;
                const at = `${pod.what}: container ${c.name}`;
                const from = e.valueFrom ?? {};
                if (e.value !== undefined) {
                    reportViolation(
                        `${at} sets ${e.name} as a literal value, readable by anyone who can read the object; ${fix}.`,
                    );
                } else if (from.configMapKeyRef !== undefined) {
                    reportViolation(`${at} reads ${e.name} from a ConfigMap, which is not meant for secrets; ${fix}.`);
                } else if (from.secretKeyRef === undefined) {
                    reportViolation(`${at} sets ${e.name} without a secretKeyRef; ${fix}.`);
                }
            }
        }
    },
};

/** The access key held by Secret `backline-access-key`, when the stack has it and it is known. */
function accessKeyOf(secret: any): string | undefined {
    const plain = known(() => secret.props.stringData?.[backlineNames.accessKeySecretKey]);
    if (typeof plain === "string") return plain;
    const encoded = known(() => secret.props.data?.[backlineNames.accessKeySecretKey]);
    return typeof encoded === "string" ? Buffer.from(encoded, "base64").toString("utf8") : undefined;
}

export const accessKeyOnlyInSecret: StackValidationPolicy = {
    name: "access-key-only-in-secret",
    description: `The access key appears in no Kubernetes object but Secret ${backlineNames.accessKeySecret} (no ConfigMap, annotation or literal env value).`,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const isSecret = (type: string) =>
            kubernetesKind(type)?.kind === "Secret" && kubernetesKind(type)?.group === "";
        const keys = args.resources
            .filter((r) => isSecret(r.type) && known(() => r.props.metadata?.name) === backlineNames.accessKeySecret)
            .map(accessKeyOf)
            // Too short a value would match ordinary text; the SaaS issues long keys.
            .filter((k): k is string => k !== undefined && k.length >= 8);
        if (keys.length === 0) return;
        const needles = keys.flatMap((k) => [k, Buffer.from(k).toString("base64")]);
        for (const r of args.resources) {
            const k = kubernetesKind(r.type);
            if (!k || isSecret(r.type)) continue;
            const paths: string[] = [];
            visitStrings(r.props, (text, path) => {
                if (needles.some((n) => text.includes(n))) paths.push(path);
            });
            if (paths.length > 0) {
                // The message names where the key is, never the key.
                reportViolation(
                    `${describeObject(k.kind, r.props, r.name)} holds the Backline access key (at ${paths.join(", ")}); keep it only in ` +
                        `Secret ${backlineNames.accessKeySecret} and reference it with valueFrom.secretKeyRef.`,
                    r.urn,
                );
            }
        }
    },
};

export const storageClassRetains: ResourceValidationPolicy = {
    name: "storage-class-retains-volumes",
    description: "A StorageClass the stack creates keeps volumes when their claim is deleted (reclaimPolicy Retain).",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        const k = kubernetesKind(args.type);
        if (!k || k.group !== "storage.k8s.io" || k.kind !== "StorageClass") return;
        const policy = args.props.reclaimPolicy;
        if (policy !== "Retain") {
            reportViolation(
                `${describeObject(k.kind, args.props, args.name)}: reclaimPolicy is ${policy ?? "unset (Delete)"}, so deleting the ` +
                    "claim (or its namespace) would delete the worker's data; set reclaimPolicy: Retain.",
            );
        }
    },
};

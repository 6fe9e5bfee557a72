/**
 * The policies on what only the stack's own workloads may be, on resources that pass and on ones
 * that fail: the worker's selector on other pods (mandatory), and the admission policy judging what
 * the worker deletes (advisory). Listed in kubernetes.ts and advisory.ts at the pack's positions.
 */
import type { TestResource } from "../harness";
import { unknownValue } from "../harness";
import { workerJobsDeleteAdmission, workerSelectorExclusive } from "../../src/stack-workloads";
import * as f from "../fixtures";
import type { PolicyCases } from "./case";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

/** The selector a Deployment made by the Helm chart keeps after the adoption. */
const adoptedSelector = { "app.kubernetes.io/name": "backline-worker", "app.kubernetes.io/instance": "backline" };

/** A Job of a wrapper program: its pods labelled `labels`. */
function job(labels: Record<string, string> | undefined, namespace = "backline"): TestResource {
    return {
        type: f.T.job,
        name: "coder-job",
        props: {
            metadata: { name: "coder", namespace },
            spec: {
                template: {
                    metadata: labels === undefined ? {} : { labels },
                    spec: { ...f.podSpec("coder"), restartPolicy: "Never" },
                },
            },
        },
    };
}

function pod(labels: Record<string, string>): TestResource {
    return {
        type: "kubernetes:core/v1:Pod",
        name: "debug-pod",
        props: { metadata: { name: "debug", namespace: "backline", labels }, spec: f.podSpec("debug") },
    };
}

function cronJob(labels: Record<string, string>): TestResource {
    const c = f.clone(f.cronJob()) as any;
    c.name = "reports";
    c.props.metadata.name = "reports";
    c.props.spec.jobTemplate.spec.template.metadata = { labels };
    return c;
}

function adoptedDeployment(): TestResource {
    const d = f.clone(f.deployment()) as any;
    d.props.spec.selector = { matchLabels: adoptedSelector };
    d.props.spec.template.metadata.labels = { ...f.workerLabels, ...adoptedSelector };
    return d;
}

export const workerSelectorCases: PolicyCases = [
    workerSelectorExclusive,
    [
        {
            title: "the worker, the janitor and a Job with labels of its own and a part of the selector",
            resources: [
                f.deployment(),
                f.cronJob(),
                job({ "app.kubernetes.io/name": "backline", "app.kubernetes.io/component": "coder" }),
            ],
            expect: null,
        },
        {
            title: "a Job with the worker's selector in another namespace",
            resources: [f.deployment(), job(f.workerLabels, "other")],
            expect: null,
        },
        {
            title: "labels not known until `up`",
            resources: [f.deployment(), job(unknownValue)],
            expect: null,
        },
        {
            title: "a Job, a Pod and a CronJob whose pods carry the worker's selector",
            resources: [
                f.deployment(),
                job({ ...f.workerLabels, "backline.ai/job": "coder" }),
                pod(f.workerLabels),
                cronJob(f.workerLabels),
            ],
            expect: [
                /^Job "coder": its pods carry the selector of Deployment "worker" \(app\.kubernetes\.io\/name=backline, app\.kubernetes\.io\/component=worker\), so Service "worker" would send them the worker's requests and its PodDisruptionBudget would count them as workers\. Give them labels of their own/,
                /^Pod "debug": its pods carry the selector of Deployment "worker"/,
                /^CronJob "reports": its pods carry the selector of Deployment "worker"/,
            ],
        },
        {
            title: "a Job with the selector an adopted worker kept",
            resources: [adoptedDeployment(), job(adoptedSelector), job(f.workerLabels)],
            expect: [
                /^Job "coder": its pods carry the selector of Deployment "worker" \(app\.kubernetes\.io\/name=backline-worker, app\.kubernetes\.io\/instance=backline\)/,
            ],
        },
    ],
];

function policyJudgingDeletes(): TestResource {
    const p = f.clone(f.admissionPolicy()) as any;
    p.props.spec.matchConstraints.resourceRules.push({
        apiGroups: ["batch"],
        apiVersions: ["v1"],
        operations: ["DELETE"],
        resources: ["jobs"],
    });
    return p;
}

export const deleteAdmissionCases: PolicyCases = [
    workerJobsDeleteAdmission,
    [
        {
            title: "the stack's policy judges DELETE of jobs",
            resources: [f.role("worker", [f.workerJobsRule]), policyJudgingDeletes(), f.admissionBinding()],
            expect: null,
        },
        {
            title: "a worker that may not delete Jobs",
            resources: [
                f.role("worker", [{ ...f.workerJobsRule, verbs: ["create", "get"] }]),
                f.admissionPolicy(),
                f.admissionBinding(),
            ],
            expect: null,
        },
        {
            title: "no admission policy at all (worker-jobs-admission says so)",
            resources: [f.role("worker", [f.workerJobsRule])],
            expect: null,
        },
        {
            title: "the stack's policy judges only what is created",
            resources: [f.role("worker", [f.workerJobsRule]), f.admissionPolicy(), f.admissionBinding()],
            expect: [
                /^Role "worker" may delete Jobs and no admission policy of the stack checks what it deletes: the worker can delete the janitor's Jobs \(the CronJob's runs, the install Job\)/,
            ],
        },
        {
            title: "a worker that may only deletecollection Jobs, and a policy on what it creates",
            resources: [
                f.role("worker", [{ ...f.workerJobsRule, verbs: ["create", "deletecollection"] }]),
                f.admissionPolicy(),
                f.admissionBinding(),
            ],
            expect: [/no admission policy of the stack checks what it deletes/],
        },
    ],
];

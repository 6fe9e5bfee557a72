/**
 * The advisory policies, each on resources that pass and on ones that fail: images by digest,
 * container resources, a PodDisruptionBudget for replicated workloads, and an admission policy
 * for the worker's Jobs. They warn, never block; in the pack's order (policies.spec.ts checks it).
 */
import { workerJobsAdmission } from "../../src/admission";
import { containerResources, imagesPinnedByDigest, pdbForReplicatedWorkloads } from "../../src/advisory";
import * as f from "../fixtures";
import { PolicyCases, withPod } from "./case";
import { deleteAdmissionCases } from "./stack-workloads";

export const advisoryCases: PolicyCases[] = [
    [
        imagesPinnedByDigest,
        [
            { title: "by digest", resources: [f.deployment()], expect: null },
            {
                title: "by tag",
                resources: [withPod((p) => (p.containers[0].image = "docker.io/backline/worker:latest"))],
                expect: [
                    /^Deployment "worker": container worker runs docker.io\/backline\/worker:latest, a tag that can move; pin it by digest/,
                ],
            },
        ],
    ],
    [
        containerResources,
        [
            { title: "requests and limits", resources: [f.deployment(), f.cronJob()], expect: null },
            {
                title: "no limits",
                resources: [withPod((p) => delete p.containers[0].resources.limits)],
                expect: [/container worker sets no resources.limits.cpu, resources.limits.memory; set them/],
            },
        ],
    ],
    [
        pdbForReplicatedWorkloads,
        [
            { title: "one replica", resources: [f.deployment({ replicas: 1 })], expect: null },
            {
                title: "two replicas and a PDB selecting them",
                resources: [
                    f.deployment({ replicas: 2 }),
                    {
                        type: f.T.pdb,
                        props: {
                            metadata: { name: "worker", namespace: "backline" },
                            spec: { minAvailable: 1, selector: { matchLabels: f.workerLabels } },
                        },
                    },
                ],
                expect: null,
            },
            {
                title: "two replicas, no PDB",
                resources: [f.deployment({ replicas: 2 })],
                expect: [
                    /^Deployment "worker" runs 2 replicas and no PodDisruptionBudget selects its pods, .*add a PodDisruptionBudget \(minAvailable: 1\)/,
                ],
            },
            {
                title: "a PDB in another namespace",
                resources: [
                    f.deployment({ replicas: 3 }),
                    {
                        type: f.T.pdb,
                        props: {
                            metadata: { name: "worker", namespace: "other" },
                            spec: { selector: { matchLabels: f.workerLabels } },
                        },
                    },
                ],
                expect: [/runs 3 replicas/],
            },
        ],
    ],
    [
        workerJobsAdmission,
        [
            {
                title: "the worker may create Jobs and the stack's policy is bound with Deny",
                resources: [f.role("worker", [f.workerJobsRule]), f.admissionPolicy(), f.admissionBinding()],
                expect: null,
            },
            {
                title: "a worker Role that may not create Jobs needs no policy",
                resources: [f.role("worker", [{ ...f.workerJobsRule, verbs: ["get"] }])],
                expect: null,
            },
            {
                title: "no admission policy (security.jobAdmissionPolicy off)",
                resources: [f.role("worker", [f.workerJobsRule])],
                expect: [
                    /^Role "worker" may create Jobs and no admission policy of the stack checks them: the worker can run a Job as any ServiceAccount of its namespace \(janitor included\).*Turn on `security\.jobAdmissionPolicy`/,
                ],
            },
            {
                title: "a policy bound only to warn",
                resources: [
                    f.role("worker", [f.workerJobsRule]),
                    f.admissionPolicy(),
                    f.admissionBinding({ validationActions: ["Warn"] }),
                ],
                expect: [/no admission policy of the stack checks them/],
            },
        ],
    ],
    deleteAdmissionCases,
];

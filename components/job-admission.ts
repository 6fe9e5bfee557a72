import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { jobAdmissionComponent } from "./model";
import type { JobAdmissionArgs } from "./model";
import { labelsFor } from "./specs/common";
import { buildJobAdmissionBindingSpec, buildJobAdmissionPolicySpec, jobAdmissionName } from "./specs/admission";

export type { JobAdmissionArgs };

/**
 * The ValidatingAdmissionPolicy `backline-worker-jobs-<namespace>` and its binding of the same
 * name (`security.jobAdmissionPolicy`): the Jobs, Pods and CronJobs the worker's ServiceAccount
 * creates in the namespace are admitted only as ServiceAccount `backline-jobs`, without an API
 * token, with the claim, `emptyDir`, `configMap` and token-free `projected` volumes, and with no
 * Secret but `dockerconfig` (to pull) and `worker.jobs.allowedSecrets`. Rules and messages:
 * `specs/admission.ts`. Both objects are cluster-scoped (Kubernetes 1.30+); the stack's preflight
 * (`preflight/`) says so before anything changes when the cluster cannot hold them.
 */
export class JobAdmission extends pulumi.ComponentResource {
    public readonly policyName: pulumi.Output<string>;
    /** The binding: once it exists the policy is in force; the worker waits for it. */
    public readonly binding: k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding;

    constructor(name: string, args: JobAdmissionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:security:JobAdmission", name, {}, opts);
        const objectName = jobAdmissionName(args.namespace);
        const labels = labelsFor(jobAdmissionComponent);

        const policy = new k8s.admissionregistration.v1.ValidatingAdmissionPolicy(
            `${name}-policy`,
            { metadata: { name: objectName, labels }, spec: buildJobAdmissionPolicySpec(args) },
            { parent: this },
        );
        this.binding = new k8s.admissionregistration.v1.ValidatingAdmissionPolicyBinding(
            `${name}-binding`,
            {
                metadata: { name: objectName, labels },
                spec: { ...buildJobAdmissionBindingSpec(args), policyName: policy.metadata.name },
            },
            { parent: this },
        );

        this.policyName = policy.metadata.name;
        this.registerOutputs({ policyName: this.policyName });
    }
}

/**
 * `security`: guards beyond RBAC and Pod Security.
 */
import { bool, object } from "../fields";

export const security = object({
    jobAdmissionPolicy: bool()
        .prefault(true)
        .describe(
            "A ValidatingAdmissionPolicy (Kubernetes 1.30+, cluster-scoped) that admits the worker's Jobs only as `backline-jobs`, with no API token and no Secret but `worker.jobs.allowedSecrets`.",
        ),
})
    .prefault({})
    .meta({
        description: "Guards beyond RBAC and Pod Security.",
        details:
            "With `jobAdmissionPolicy` off nothing cluster-scoped is made for it, and the worker, which may create Jobs, can run them as any ServiceAccount of the namespace (`janitor` included) and read any of its Secrets: see [The worker's Jobs](#the-workers-jobs-what-the-admission-policy-refuses).",
    });

/**
 * What test/e2e/adopt.e2e.ts knows of the test chart's release (test/fixtures/backline-chart): the
 * kinds it renders, the collections watched while an adoption runs, and what an adoption deletes.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;

export const release = "backline";
/** What the chart renders besides the claim (test/fixtures/backline-chart/README.md). */
export const KINDS =
    "serviceaccounts,secrets,configmaps,persistentvolumeclaims,roles,rolebindings,services,deployments,cronjobs,jobs";
/** Collections watched while the adoption runs: deletions, and the worker's availability. */
export const watched = (ns: string) => [
    ...["secrets", "configmaps", "serviceaccounts", "services", "persistentvolumeclaims"].map(
        (r) => `/api/v1/namespaces/${ns}/${r}`,
    ),
    `/apis/apps/v1/namespaces/${ns}/deployments`,
    `/apis/batch/v1/namespaces/${ns}/cronjobs`,
    `/apis/batch/v1/namespaces/${ns}/jobs`,
    ...["roles", "rolebindings"].map((r) => `/apis/rbac.authorization.k8s.io/v1/namespaces/${ns}/${r}`),
    "/api/v1/namespaces",
    "/api/v1/persistentvolumes",
];

/** What an adoption deletes, by design: the chart's RBAC (the stack has its own) and Helm's record. */
export const removedByAdoption = [
    "Role/backline-janitor",
    "Role/backline-worker",
    "RoleBinding/backline-janitor",
    "RoleBinding/backline-worker",
    "Secret/sh.helm.release.v1.backline.v1",
];

/** A Job the CronJob `janitor` started on its schedule (`janitor-<minute>`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const scheduledJob = (o: any): boolean => o.kind === "Job" && /^janitor-\d+$/.test(o.metadata.name);

/**
 * Object names and labels the Backline program uses (`components/model/names.ts`). The pack keeps
 * its own copy so that it can be published and run on its own; `test/policy/names.spec.ts` fails
 * when the two disagree.
 */
export const backlineNames = {
    workerDeployment: "worker",
    janitorRole: "janitor",
    /** The worker's Role: it may create Jobs, which the job admission policy checks. */
    workerRole: "worker",
    jwtSecret: "jwt-token",
    dockerconfigSecret: "dockerconfig",
    accessKeySecret: "backline-access-key",
    accessKeySecretKey: "accessKey",
    /** The environment variable that carries the access key into the worker and the janitor. */
    accessKeyEnv: "BACKLINE_ACCESS_KEY",
    /** Annotation of Deployment `worker`: `janitor` when the janitor keeps its image up to date, else `pinned`. */
    imageUpdatesAnnotation: "backline.ai/image-updates",
} as const;

/**
 * `worker.jobs.allowedSecrets` may not name a Secret the stack holds (`stackSecrets`): the worker's
 * Jobs run code it was asked to run, and the admission policy (`security.jobAdmissionPolicy`) is
 * there to keep those credentials from them.
 */
import { names, stackSecrets } from "../model";

/** The check of one `worker.jobs.allowedSecrets` entry (a `Check` of `fields.ts`). */
export function checkAllowedJobSecret(name: string): string | undefined {
    if (stackSecrets.includes(name)) {
        return `expected a Secret of your own; ${stackSecrets.map((s) => `\`${s}\``).join(", ")} hold the stack's credentials, which the worker's Jobs must never see (\`${names.dockerconfigSecret}\` is already allowed as their image pull secret)`;
    }
    return undefined;
}

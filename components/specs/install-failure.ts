/**
 * The pointer to the janitor install Job's log that `pulumi up` prints with the Job
 * (components/install-job-hint.ts). Pure, so unit tests check the text.
 */

/** What to run when the Job `jobName` in `namespace` fails, and what its failure means. */
export function installJobFailureMessage(namespace: string, jobName: string): string {
    return (
        `The worker waits for the janitor's install run, Job ${jobName}. If it fails, \`pulumi up\` stops there ` +
        `and leaves the worker as it was; see why with: kubectl logs -n ${namespace} job/${jobName} ` +
        "(or deploy without it: `pulumi config set --path janitor.runOnInstall false`)."
    );
}

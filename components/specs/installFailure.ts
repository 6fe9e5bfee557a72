/**
 * What `pulumi up` adds when the janitor's install Job fails. pulumi-kubernetes' Job await reports
 * the Job's `Failed` condition (`[BackoffLimitExceeded] …`) and its Pods' container states, but not
 * where the janitor's own output is; an error hook on the Job (components/janitor.ts) prints this.
 * Pure, so unit tests check the text.
 */

/** The log command and what to do, for the Job `jobName` in `namespace`. */
export function installJobFailureMessage(namespace: string, jobName: string): string {
    return [
        `The janitor's install Job \`${jobName}\` failed; the worker Deployment waits for it and was not changed.`,
        `See why with: kubectl logs -n ${namespace} job/${jobName}`,
        "Fix what it reports (`baseUrl`, `accessKey`, `janitor.*`) and run `pulumi up` again, or deploy without " +
            "the install run: `pulumi config set --path janitor.runOnInstall false`.",
    ].join("\n");
}

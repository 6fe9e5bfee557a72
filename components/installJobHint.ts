import * as pulumi from "@pulumi/pulumi";
import { installJobFailureMessage } from "./specs/installFailure";

/**
 * The error hook of the janitor's install Job: when its create or update fails (pulumi-kubernetes'
 * await saw the Job fail), it logs where the janitor's own output is and never retries.
 * https://www.pulumi.com/docs/iac/concepts/resources/options/hooks/
 *
 * Only where the engine can register error hooks: the SDK's mock monitor (`pulumi.runtime.setMocks`,
 * SDK 3.248) claims the feature but has no `registerErrorHook`, and a resource bound to a hook then
 * never registers, so unit tests of this library (ours and its users') would hang.
 */
export function installJobFailureHooks(
    name: string,
    jobName: string,
    job: () => pulumi.Resource | undefined,
): pulumi.ResourceHookBinding | undefined {
    const monitor = pulumi.runtime.getMonitor() as { registerErrorHook?: unknown } | undefined;
    if (typeof monitor?.registerErrorHook !== "function") {
        return undefined;
    }
    const hook = new pulumi.ErrorHook(name, (args) => {
        const namespace = String(args.newInputs?.metadata?.namespace ?? "<namespace>");
        pulumi.log.error(installJobFailureMessage(namespace, jobName), job());
        return false;
    });
    return { onError: [hook] };
}

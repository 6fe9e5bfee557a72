import * as pulumi from "@pulumi/pulumi";
import { installJobFailureMessage } from "./specs/install-failure";

/**
 * The pointer to the janitor install Job's log that `pulumi up` shows, so a failed run says where to
 * look: pulumi-kubernetes' Job await reports the Job's `Failed` condition and its Pods' states, never
 * `kubectl logs`. An info diagnostic of `owner` (the Janitor component), printed by every `pulumi up`
 * (not by `preview`, nor under unit-test mocks, where no engine runs). Not of the Job itself: a
 * diagnostic waits for its resource's URN, which a Job gets only once its await is over, and a
 * failed Job never.
 *
 * Not an error hook (`hooks: { onError }`, Pulumi ≥ 3.190), which would print it only on failure:
 * the SDK registers hooks through the language host's resource-monitor proxy, and the Node.js
 * host that can be built here (sdk v3.68.0, docs/engine.md) has no `RegisterErrorHook`, so the
 * program would crash on every run ("unknown method RegisterErrorHook").
 */
export function announceInstallJob(
    owner: pulumi.Resource,
    namespace: pulumi.Input<string>,
    jobName: pulumi.Input<string>,
): void {
    // getEngine(), not hasEngine(): the latter is false until something has asked for the engine.
    if (pulumi.runtime.isDryRun() || pulumi.runtime.getEngine() === undefined) {
        return;
    }
    pulumi.all([namespace, jobName]).apply(([ns, job]) => pulumi.log.info(installJobFailureMessage(ns, job), owner));
}

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { createNamespacedIdentity } from "./identity";
import { holdsToken, janitorComponent, janitorScriptFile, names } from "./model";
import type { JanitorArgs } from "./model";
import { awaitAnnotations, labelsFor, sha256 } from "./specs/common";
import {
    buildJanitorCronJobSpec,
    buildJanitorJobSpec,
    buildJanitorRoleRules,
    janitorInstallJobName,
    readJanitorScript,
} from "./specs/janitor";
import { announceInstallJob } from "./install-job-hint";

export type { JanitorArgs };

/**
 * The janitor: a CronJob `janitor` that refreshes Secrets `jwt-token` and `dockerconfig` and the
 * worker image from the Backline SaaS, its ServiceAccount and a Role limited by name to those
 * objects, the script in a ConfigMap, and — unless `janitor.runOnInstall` is false — a one-off Job
 * from the same template that runs during `pulumi up`, so a fresh install does not wait for the
 * schedule.
 *
 * The janitor, not Pulumi, owns the two Secrets: the program never declares them, so no
 * `pulumi up` can overwrite or delete what the janitor wrote.
 */
export class Janitor extends pulumi.ComponentResource {
    public readonly cronJobName: pulumi.Output<string>;
    /** The install-time Job, when one runs; the worker waits for it. */
    public readonly installJob?: k8s.batch.v1.Job;

    constructor(name: string, args: JanitorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:janitor:Janitor", name, {}, opts);
        const ns = args.namespace;
        const labels = labelsFor(janitorComponent);
        const script = readJanitorScript();
        // Also a pod-template annotation, so a new script shows in the diff of `pulumi up`.
        const scriptHash = sha256(script);

        const { binding } = createNamespacedIdentity(
            name,
            {
                name: names.janitorServiceAccount,
                namespace: ns,
                labels,
                annotations: args.janitor.serviceAccount.annotations,
                rules: buildJanitorRoleRules(args.updateWorkerImage),
            },
            this,
        );
        const scriptMap = new k8s.core.v1.ConfigMap(
            `${name}-script`,
            {
                metadata: { name: names.janitorScriptConfigMap, namespace: ns, labels },
                data: { [janitorScriptFile]: script },
            },
            { parent: this },
        );

        const ready = [binding, scriptMap, ...(args.waitFor ?? [])];
        const cronJob = new k8s.batch.v1.CronJob(
            `${name}-cronjob`,
            {
                metadata: { name: names.janitorCronJob, namespace: ns, labels },
                spec: buildJanitorCronJobSpec(args, scriptHash),
            },
            { parent: this, dependsOn: ready },
        );

        if (args.janitor.runOnInstall) {
            const jobSpec = buildJanitorJobSpec(args, scriptHash);
            const jobName = janitorInstallJobName(jobSpec);
            this.installJob = new k8s.batch.v1.Job(
                `${name}-install`,
                {
                    metadata: {
                        name: jobName,
                        namespace: ns,
                        labels: { ...labels, "backline.ai/run": "install" },
                        annotations: awaitAnnotations(args.skipAwait),
                    },
                    spec: jobSpec,
                },
                { parent: this, dependsOn: ready },
            );
            // Said before the Job runs, so a failed run still points at its log. A name that holds a
            // value given as an Output is known only once the Job is registered.
            announceInstallJob(this, ns, holdsToken(jobName) ? this.installJob.metadata.name : jobName);
        }

        this.cronJobName = cronJob.metadata.name;
        this.registerOutputs({ cronJobName: this.cronJobName });
    }
}

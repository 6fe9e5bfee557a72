import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { createNamespacedIdentity } from "./identity";
import { componentNames, names, workerComponent } from "./model";
import type { WorkerArgs } from "./model";
import { awaitAnnotations, labelsFor } from "./specs/common";
import { buildPdbSpec } from "./specs/pod-settings";
import {
    buildWorkerDeploymentAnnotations,
    buildWorkerDeploymentSpec,
    buildWorkerRoleRules,
    buildWorkerServiceSpec,
    WorkerImageUpdates,
    workerIgnoreChanges,
    workerImageUpdates,
    workerRolloutWait,
    workerSelector,
} from "./specs/worker";

export type { WorkerArgs };

/**
 * The worker: its ServiceAccount and namespaced RBAC for the Jobs it runs, the Deployment `worker`
 * (container `worker`, plus the `adot-collector` sidecar when `collector` is given) and its Service.
 */
export class Worker extends pulumi.ComponentResource {
    public readonly deploymentName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    /** Who owns the worker image: the janitor (`worker.image.autoUpdate`) or this stack. */
    public readonly imageUpdates: WorkerImageUpdates;
    /** The pods' selector: the stack's, or `selectorOverride`. */
    public readonly selector: Readonly<Record<string, string>>;

    constructor(name: string, args: WorkerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:worker:Worker", name, {}, opts);
        const ns = args.namespace;
        const labels = labelsFor(workerComponent);
        const image = args.worker.image;
        this.selector = workerSelector(args.selectorOverride);

        const { binding } = createNamespacedIdentity(
            name,
            {
                name: names.workerServiceAccount,
                namespace: ns,
                labels,
                annotations: args.worker.serviceAccount.annotations,
                rules: buildWorkerRoleRules(),
            },
            this,
        );
        // The identity of the Coder and Dependabot-upgrader Jobs: no API access at all.
        new k8s.core.v1.ServiceAccount(
            `${name}-jobs-sa`,
            {
                metadata: { name: names.jobsServiceAccount, namespace: ns, labels: labelsFor(componentNames.jobs) },
                automountServiceAccountToken: false,
            },
            { parent: this },
        );

        const deployment = new k8s.apps.v1.Deployment(
            `${name}-deployment`,
            {
                metadata: {
                    name: names.workerDeployment,
                    namespace: ns,
                    labels,
                    annotations: buildWorkerDeploymentAnnotations(
                        image,
                        workerRolloutWait(args.worker.replicaCount, args.skipAwait),
                    ),
                },
                spec: buildWorkerDeploymentSpec(args),
            },
            // The janitor owns the image once it has set one; see workerImageUpdates.
            { parent: this, dependsOn: [binding, ...(args.waitFor ?? [])], ignoreChanges: workerIgnoreChanges(image) },
        );

        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                // A Service waits for endpoints, which a cluster without nodes never has.
                metadata: {
                    name: names.workerService,
                    namespace: ns,
                    labels,
                    annotations: awaitAnnotations(args.skipAwait),
                },
                spec: buildWorkerServiceSpec(args.worker, args.selectorOverride),
            },
            { parent: this },
        );

        // `worker.podDisruptionBudget`: validation refuses a budget that would block every eviction.
        if (args.worker.disruptionBudget) {
            new k8s.policy.v1.PodDisruptionBudget(
                `${name}-pdb`,
                {
                    metadata: { name: names.workerDeployment, namespace: ns, labels },
                    spec: buildPdbSpec(args.worker.disruptionBudget, this.selector),
                },
                { parent: this },
            );
        }

        this.deploymentName = deployment.metadata.name;
        this.serviceName = service.metadata.name;
        this.imageUpdates = workerImageUpdates(image);
        this.registerOutputs({
            deploymentName: this.deploymentName,
            serviceName: this.serviceName,
            imageUpdates: this.imageUpdates,
        });
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { BacklineConfig } from "./config";
import { createNamespacedIdentity } from "./identity";
import { awaitAnnotations, labelsFor, names } from "./specs/common";
import {
    buildWorkerDeploymentAnnotations,
    buildWorkerDeploymentSpec,
    buildWorkerRoleRules,
    buildWorkerServiceSpec,
    workerComponent,
    workerIgnoreChanges,
} from "./specs/worker";

export interface WorkerArgs {
    /** The validated configuration; reads `baseUrl` and `worker.*`. */
    readonly config: BacklineConfig;
    /** Namespace of every object. */
    readonly namespace: pulumi.Input<string>;
    /** The claim the worker and its Jobs mount (from `WorkerStorage`). */
    readonly claimName: pulumi.Input<string>;
    /** The collector's role; required when `worker.otel.enabled`. */
    readonly collectorRoleArn?: pulumi.Input<string>;
    /** Hash of the collector configuration; rolls the pods when it changes. */
    readonly collectorConfigHash?: string;
    /**
     * Resources the Deployment waits for: the janitor's install Job, so that the pull secret and
     * the token exist before the first pod starts. Default: none.
     */
    readonly waitFor?: readonly pulumi.Resource[];
}

/**
 * The worker: its ServiceAccount and namespaced RBAC for the Jobs it runs, the Deployment `worker`
 * (container `worker`, plus the `adot-collector` sidecar when otel is enabled) and its Service.
 */
export class Worker extends pulumi.ComponentResource {
    public readonly deploymentName: pulumi.Output<string>;
    public readonly serviceName: pulumi.Output<string>;
    public readonly serviceAccountName: pulumi.Output<string>;

    constructor(name: string, args: WorkerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:worker:Worker", name, args, opts);
        const cfg = args.config;
        const ns = args.namespace;
        const labels = labelsFor(workerComponent);

        const { serviceAccount, binding } = createNamespacedIdentity(
            name,
            { name: names.workerServiceAccount, namespace: ns, labels, rules: buildWorkerRoleRules() },
            this,
        );
        // The identity of the Coder and Dependabot-upgrader Jobs: no API access at all.
        new k8s.core.v1.ServiceAccount(
            `${name}-jobs-sa`,
            {
                metadata: { name: names.jobsServiceAccount, namespace: ns, labels: labelsFor("jobs") },
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
                    annotations: buildWorkerDeploymentAnnotations(cfg, awaitAnnotations(cfg.kubernetes)),
                },
                spec: buildWorkerDeploymentSpec(cfg, {
                    claimName: args.claimName,
                    collectorRoleArn: args.collectorRoleArn,
                    collectorConfigHash: args.collectorConfigHash,
                }),
            },
            // The janitor owns the image once it has set one; see buildWorkerDeploymentAnnotations.
            { parent: this, dependsOn: [binding, ...(args.waitFor ?? [])], ignoreChanges: workerIgnoreChanges(cfg) },
        );

        const service = new k8s.core.v1.Service(
            `${name}-service`,
            {
                // A Service waits for endpoints, which a cluster without nodes never has.
                metadata: { name: names.workerService, namespace: ns, labels, annotations: awaitAnnotations(cfg.kubernetes) },
                spec: buildWorkerServiceSpec(cfg),
            },
            { parent: this },
        );

        this.deploymentName = deployment.metadata.name;
        this.serviceName = service.metadata.name;
        this.serviceAccountName = serviceAccount.metadata.name;
        this.registerOutputs({
            deploymentName: this.deploymentName,
            serviceName: this.serviceName,
            serviceAccountName: this.serviceAccountName,
        });
    }
}

import * as pulumi from "@pulumi/pulumi";
import type { BacklineConfig } from "./config";
import { Janitor } from "./janitor";
import { BacklineNamespace } from "./namespace";
import { Observability } from "./observability";
import { WorkerStorage } from "./storage";
import { Worker } from "./worker";

export interface BacklineStackArgs {
    /**
     * The validated configuration: `loadBacklineConfig()` in a Pulumi program, or
     * `parseBacklineConfig()` with the access key wrapped in `pulumi.secret` when embedding.
     */
    readonly config: BacklineConfig;
}

/**
 * The whole Backline on-premises stack: namespace and access-key Secret, shared storage, the
 * collector's configuration and IAM role, the janitor and the worker.
 *
 * Providers come from `opts.providers` (a `kubernetes` provider, and `aws` when EFS or a
 * collector role is created); without them Pulumi's default providers are used.
 */
export class BacklineStack extends pulumi.ComponentResource {
    public readonly namespace: pulumi.Output<string>;
    public readonly workerDeploymentName: pulumi.Output<string>;
    public readonly workerServiceName: pulumi.Output<string>;
    public readonly janitorCronJobName: pulumi.Output<string>;
    public readonly claimName: pulumi.Output<string>;
    public readonly storageClassName: pulumi.Output<string | undefined>;
    public readonly fileSystemId: pulumi.Output<string | undefined>;
    /** The collector's role; undefined when otel is disabled. */
    public readonly collectorRoleArn: pulumi.Output<string | undefined>;
    /** The collector's log group; undefined when otel is disabled. */
    public readonly logGroupName: pulumi.Output<string | undefined>;
    /** Whether the janitor keeps the worker image up to date (`worker.image.autoUpdate`). */
    public readonly workerImageUpdates: pulumi.Output<"janitor" | "pinned">;

    constructor(name: string, args: BacklineStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:index:BacklineStack", name, args, opts);
        const cfg = args.config;
        const retainData = !cfg.worker.storage.deleteOnDestroy;

        const namespace = new BacklineNamespace(
            `${name}-namespace`,
            { name: cfg.namespace, accessKey: cfg.accessKey, retainOnDelete: retainData },
            { parent: this },
        );
        const ns = namespace.name;

        const storage = new WorkerStorage(`${name}-storage`, { config: cfg, namespace: ns }, { parent: this });

        const observability = cfg.worker.otel.enabled
            ? new Observability(`${name}-observability`, { config: cfg, namespace: ns }, { parent: this })
            : undefined;

        const janitor = new Janitor(
            `${name}-janitor`,
            { config: cfg, namespace: ns, waitFor: [namespace] },
            { parent: this },
        );

        const worker = new Worker(
            `${name}-worker`,
            {
                config: cfg,
                namespace: ns,
                claimName: storage.claimName,
                collectorRoleArn: observability?.roleArn,
                collectorConfigHash: observability?.configHash,
                waitFor: [namespace, ...(janitor.installJob ? [janitor.installJob] : [])],
            },
            { parent: this },
        );

        this.namespace = ns;
        this.workerDeploymentName = worker.deploymentName;
        this.workerServiceName = worker.serviceName;
        this.janitorCronJobName = janitor.cronJobName;
        this.claimName = storage.claimName;
        this.storageClassName = storage.storageClassName;
        this.fileSystemId = storage.fileSystemId;
        this.collectorRoleArn = observability ? observability.roleArn : pulumi.output(undefined);
        this.logGroupName = observability ? observability.logGroupName : pulumi.output(undefined);
        this.workerImageUpdates = pulumi.output(cfg.worker.image.autoUpdate ? "janitor" : "pinned");
        this.registerOutputs({
            namespace: this.namespace,
            workerDeploymentName: this.workerDeploymentName,
            workerServiceName: this.workerServiceName,
            janitorCronJobName: this.janitorCronJobName,
            claimName: this.claimName,
            storageClassName: this.storageClassName,
            fileSystemId: this.fileSystemId,
            collectorRoleArn: this.collectorRoleArn,
            logGroupName: this.logGroupName,
            workerImageUpdates: this.workerImageUpdates,
        });
    }
}

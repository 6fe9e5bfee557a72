import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import type { BacklineConfig } from "./config";
import {
    buildEfsStorageClass,
    buildNfsIngressRules,
    buildPvcSpec,
    efsStorageClassName,
    storageLabels,
} from "./specs/storage";
import { awaitAnnotations } from "./specs/common";

export interface WorkerStorageArgs {
    /** The validated configuration; reads `worker.storage.*`, `worker.securityContext` and `efs`. */
    readonly config: BacklineConfig;
    /** Namespace of the claim. */
    readonly namespace: pulumi.Input<string>;
}

/**
 * The ReadWriteMany volume the worker and its Jobs share.
 *
 * - `efs` set: an encrypted EFS filesystem, one mount target per subnet behind a security group
 *   that admits NFS only from the allowed CIDRs / security groups, an EFS CSI StorageClass
 *   (TLS in transit, access points owned by the worker's uid/gid) and the claim.
 * - `worker.storage.pvc.storageClassName` set: the claim on that existing RWX class.
 * - neither: the claim on the cluster's default class, as the Helm chart does.
 * - `worker.storage.pvc.create` false: nothing is created; the existing claim is used by name.
 *
 * The claim and the filesystem survive `pulumi destroy` unless `worker.storage.deleteOnDestroy`.
 */
export class WorkerStorage extends pulumi.ComponentResource {
    /** The claim's name, for the worker's volume and its Jobs. */
    public readonly claimName: pulumi.Output<string>;
    /** The storage class the claim asks for; undefined when the cluster default applies. */
    public readonly storageClassName: pulumi.Output<string | undefined>;
    /** The EFS filesystem id, when this stack made one. */
    public readonly fileSystemId: pulumi.Output<string | undefined>;

    constructor(name: string, args: WorkerStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:storage:WorkerStorage", name, args, opts);
        const cfg = args.config;
        const pvc = cfg.worker.storage.pvc;
        const retainOnDelete = !cfg.worker.storage.deleteOnDestroy;

        let storageClassName: pulumi.Input<string> | undefined = pvc.storageClassName;
        let fileSystemId: pulumi.Output<string> | undefined;
        let mountTargets: aws.efs.MountTarget[] = [];

        if (cfg.efs) {
            // Loaded only when used: @pulumi/aws costs ~170 ms and 14 MiB at load (issue 10).
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const aws = require("@pulumi/aws") as typeof import("@pulumi/aws");
            const efs = cfg.efs;
            const securityGroup = new aws.ec2.SecurityGroup(
                `${name}-nfs`,
                {
                    description: `NFS to the Backline EFS filesystem (${cfg.namespace})`,
                    vpcId: efs.vpcId,
                    ingress: buildNfsIngressRules(efs).map((r) => ({ ...r })),
                    // Mount targets answer NFS; they never open connections.
                    egress: [],
                    tags: { Name: `backline-${cfg.namespace}-nfs` },
                },
                { parent: this },
            );

            // EFS needs a unique idempotency token per filesystem; random keeps two stacks apart.
            const token = new random.RandomId(`${name}-efs-token`, { byteLength: 8, prefix: `backline-${cfg.namespace}-` }, { parent: this });

            const fileSystem = new aws.efs.FileSystem(
                `${name}-efs`,
                {
                    creationToken: token.hex,
                    encrypted: true,
                    kmsKeyId: efs.kmsKeyId,
                    performanceMode: efs.performanceMode,
                    throughputMode: efs.throughputMode,
                    tags: { Name: `backline-${cfg.namespace}` },
                },
                { parent: this, retainOnDelete },
            );
            fileSystemId = fileSystem.id;

            mountTargets = efs.subnetIds.map(
                (subnetId, i) =>
                    new aws.efs.MountTarget(
                        `${name}-mount-${i}`,
                        { fileSystemId: fileSystem.id, subnetId, securityGroups: [securityGroup.id] },
                        { parent: this },
                    ),
            );

            const storageClass = new k8s.storage.v1.StorageClass(
                `${name}-efs-class`,
                {
                    metadata: { name: efsStorageClassName(cfg.namespace), labels: storageLabels() },
                    ...buildEfsStorageClass(cfg, efs, fileSystem.id),
                },
                { parent: this, dependsOn: mountTargets },
            );
            storageClassName = storageClass.metadata.name;
        }

        if (pvc.create) {
            const claim = new k8s.core.v1.PersistentVolumeClaim(
                `${name}-claim`,
                {
                    metadata: {
                        name: pvc.name,
                        namespace: args.namespace,
                        labels: storageLabels(),
                        annotations: awaitAnnotations(cfg.kubernetes),
                    },
                    spec: buildPvcSpec(cfg, storageClassName),
                },
                { parent: this, retainOnDelete, dependsOn: mountTargets },
            );
            this.claimName = claim.metadata.name;
        } else {
            this.claimName = pulumi.output(pvc.name);
        }

        this.storageClassName = pulumi.output(storageClassName);
        this.fileSystemId = pulumi.output(fileSystemId);
        this.registerOutputs({
            claimName: this.claimName,
            storageClassName: this.storageClassName,
            fileSystemId: this.fileSystemId,
        });
    }
}

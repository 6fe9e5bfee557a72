import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type * as aws from "@pulumi/aws";
import * as random from "@pulumi/random";
import type { EfsClaimConfig, WorkerStorageArgs } from "./model";
import { awaitAnnotations } from "./specs/common";
import {
    buildEfsStorageClass,
    buildNfsIngressRules,
    buildPvcSpec,
    efsStorageClassName,
    storageLabels,
} from "./specs/storage";

export type { WorkerStorageArgs };

/**
 * The ReadWriteMany volume the worker and its Jobs share, by `storage.claim.kind`:
 *
 * - `efs`: an encrypted EFS filesystem, one mount target per subnet behind a security group that
 *   admits NFS only from the allowed CIDRs / security groups, an EFS CSI StorageClass (TLS in
 *   transit, access points owned by the worker's uid/gid) and the claim.
 * - `storageClass`: the claim on that existing RWX class.
 * - `clusterDefault`: the claim on the cluster's default class, as the Helm chart does.
 * - `existingClaim`: nothing is created; the existing claim is used by name.
 *
 * The claim and the filesystem survive `pulumi destroy` unless `storage.deleteOnDestroy`.
 */
export class WorkerStorage extends pulumi.ComponentResource {
    /** The claim's name, for the worker's volume and its Jobs. */
    public readonly claimName: pulumi.Output<string>;
    /** The storage class the claim asks for; undefined when the cluster default applies. */
    public readonly storageClassName?: pulumi.Output<string>;
    /** The EFS filesystem's id, when this stack made one. */
    public readonly fileSystemId?: pulumi.Output<string>;

    constructor(name: string, args: WorkerStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:storage:WorkerStorage", name, {}, opts);
        const claim = args.storage.claim;
        const retainOnDelete = !args.storage.deleteOnDestroy;

        if (claim.kind === "existingClaim") {
            this.claimName = pulumi.output(claim.name);
            this.registerOutputs({ claimName: this.claimName });
            return;
        }

        let storageClassName: pulumi.Output<string> | undefined;
        let mountTargets: aws.efs.MountTarget[] = [];
        if (claim.kind === "efs") {
            const efs = this.createEfs(name, claim, args.namespace, retainOnDelete);
            storageClassName = efs.storageClassName;
            mountTargets = efs.mountTargets;
            this.fileSystemId = efs.fileSystemId;
        } else if (claim.kind === "storageClass") {
            storageClassName = pulumi.output(claim.storageClassName);
        }

        const pvc = new k8s.core.v1.PersistentVolumeClaim(
            `${name}-claim`,
            {
                metadata: {
                    name: claim.name,
                    namespace: args.namespace,
                    labels: storageLabels(),
                    annotations: awaitAnnotations(args.skipAwait),
                },
                spec: buildPvcSpec(
                    claim.size,
                    args.claimOverride?.storageClassName ?? storageClassName,
                    args.claimOverride,
                ),
            },
            { parent: this, retainOnDelete, dependsOn: mountTargets },
        );
        this.claimName = pvc.metadata.name;
        this.storageClassName = storageClassName;
        this.registerOutputs({
            claimName: this.claimName,
            storageClassName: this.storageClassName,
            fileSystemId: this.fileSystemId,
        });
    }

    private createEfs(name: string, claim: EfsClaimConfig, namespace: pulumi.Input<string>, retainOnDelete: boolean) {
        // Loaded only when used: @pulumi/aws costs ~170 ms and 14 MiB at load, on every preview.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const aws = require("@pulumi/aws") as typeof import("@pulumi/aws");
        const efs = claim.efs;
        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-nfs`,
            {
                description: pulumi.interpolate`NFS to the Backline EFS filesystem (${namespace})`,
                vpcId: efs.vpcId,
                ingress: buildNfsIngressRules(efs).map((r) => ({ ...r })),
                // Mount targets answer NFS; they never open connections.
                egress: [],
                tags: { Name: pulumi.interpolate`backline-${namespace}-nfs` },
            },
            { parent: this },
        );

        // EFS needs a unique idempotency token per filesystem; random keeps two stacks apart.
        const token = new random.RandomId(
            `${name}-efs-token`,
            { byteLength: 8, prefix: pulumi.interpolate`backline-${namespace}-` },
            { parent: this },
        );

        const fileSystem = new aws.efs.FileSystem(
            `${name}-efs`,
            {
                creationToken: token.hex,
                encrypted: true,
                kmsKeyId: efs.kmsKeyId,
                performanceMode: efs.performanceMode,
                throughputMode: efs.throughputMode,
                tags: { Name: pulumi.interpolate`backline-${namespace}` },
            },
            { parent: this, retainOnDelete },
        );

        const mountTargets = efs.subnetIds.map(
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
                metadata: { name: pulumi.output(namespace).apply(efsStorageClassName), labels: storageLabels() },
                ...buildEfsStorageClass(claim, fileSystem.id),
            },
            { parent: this, dependsOn: mountTargets },
        );
        return { fileSystemId: fileSystem.id, mountTargets, storageClassName: storageClass.metadata.name };
    }
}

/**
 * The shared ReadWriteMany volume: the claim, and — on AWS — the EFS storage class and the NFS
 * security group rules. Pure functions of the configuration.
 */
import type * as pulumi from "@pulumi/pulumi";
import type * as k8s from "@pulumi/kubernetes";
import { storageComponent } from "../model";
import type { ClaimOverride, EfsClaimConfig, EfsConfig } from "../model";
import { labelsFor } from "./common";

export const nfsPort = 2049;

/**
 * Parameters of the EFS CSI driver's dynamic provisioning: one access point per volume, owned by
 * the worker's uid/gid so the non-root worker and its Jobs can write.
 * https://github.com/kubernetes-sigs/aws-efs-csi-driver/blob/master/docs/README.md#storage-class-parameters-for-dynamic-provisioning
 */
export function buildEfsStorageClassParameters(
    claim: EfsClaimConfig,
    fileSystemId: pulumi.Input<string>,
): Record<string, pulumi.Input<string>> {
    return {
        provisioningMode: "efs-ap",
        fileSystemId,
        directoryPerms: "770",
        uid: String(claim.owner.uid),
        gid: String(claim.owner.gid),
        basePath: claim.efs.basePath,
    };
}

/** A StorageClass is cluster-scoped: the namespace keeps two stacks in one cluster apart. */
export function efsStorageClassName(namespace: string): string {
    return `backline-efs-${namespace}`;
}

/**
 * `tls` encrypts NFS traffic in transit (the driver's stunnel); `Retain` keeps the access point
 * and its data when the claim goes away.
 */
export function buildEfsStorageClass(claim: EfsClaimConfig, fileSystemId: pulumi.Input<string>) {
    return {
        provisioner: "efs.csi.aws.com",
        parameters: buildEfsStorageClassParameters(claim, fileSystemId),
        mountOptions: ["tls"],
        reclaimPolicy: "Retain",
        volumeBindingMode: "Immediate",
    };
}

/** `storageClassName` undefined: the cluster's default class. */
export function buildPvcSpec(
    size: string,
    storageClassName: pulumi.Input<string> | undefined,
    override?: ClaimOverride,
): k8s.types.input.core.v1.PersistentVolumeClaimSpec {
    return {
        accessModes: override ? [...override.accessModes] : ["ReadWriteMany"],
        // Left out entirely (not "") so the cluster's default class applies, as in the chart.
        ...(storageClassName !== undefined ? { storageClassName } : {}),
        resources: { requests: { storage: size } },
    };
}

export function storageLabels(): Record<string, string> {
    return labelsFor(storageComponent);
}

export interface NfsIngressRule {
    readonly description: string;
    readonly protocol: "tcp";
    readonly fromPort: number;
    readonly toPort: number;
    readonly cidrBlocks?: string[];
    readonly securityGroups?: string[];
}

/** NFS from the configured CIDRs and security groups only; nothing else gets in. */
export function buildNfsIngressRules(efs: EfsConfig): NfsIngressRule[] {
    const rules: NfsIngressRule[] = [];
    if (efs.allowedCidrBlocks.length > 0) {
        rules.push({
            description: "NFS from allowed CIDR blocks",
            protocol: "tcp",
            fromPort: nfsPort,
            toPort: nfsPort,
            cidrBlocks: [...efs.allowedCidrBlocks],
        });
    }
    if (efs.allowedSecurityGroupIds.length > 0) {
        rules.push({
            description: "NFS from allowed security groups",
            protocol: "tcp",
            fromPort: nfsPort,
            toPort: nfsPort,
            securityGroups: [...efs.allowedSecurityGroupIds],
        });
    }
    return rules;
}

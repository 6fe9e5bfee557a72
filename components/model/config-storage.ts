/**
 * The resolved storage and observability choices: the shared claim (on EFS, an existing class, the
 * cluster default, or an existing claim) and the collector (an existing role, or one to create),
 * each a union so no component checks optionals at run time.
 */
import type { ResourcesConfig } from "./config-workloads";

/** The EFS filesystem this stack creates (`efs.*`). */
export interface EfsConfig {
    /** VPC of the NFS security group. */
    readonly vpcId: string;
    /** One mount target per subnet (one per availability zone the nodes use); at least one. */
    readonly subnetIds: readonly string[];
    /** CIDR blocks allowed to reach NFS (2049/tcp); `/0` is refused. @default [] */
    readonly allowedCidrBlocks: readonly string[];
    /** Security groups (e.g. the nodes') allowed to reach NFS. @default [] (but not both empty) */
    readonly allowedSecurityGroupIds: readonly string[];
    /** EFS performance mode. @default "generalPurpose" */
    readonly performanceMode: "generalPurpose" | "maxIO";
    /** EFS throughput mode. @default "elastic" */
    readonly throughputMode: "elastic" | "bursting";
    /** Directory of the CSI driver's access points. @default "/backline" */
    readonly basePath: string;
    /** KMS key ARN for encryption at rest (always on). @default the AWS-managed key */
    readonly kmsKeyId?: string;
}

/** What every claim the stack creates has (`worker.storage.pvc.*`). */
export interface NewClaimConfig {
    /** Claim name. @default "worker-storage" */
    readonly name: string;
    /** Requested size. @default "10Gi" */
    readonly size: string;
}

/** A claim on an EFS filesystem this stack creates (`efs` set). */
export interface EfsClaimConfig extends NewClaimConfig {
    /** The claim is on an EFS filesystem this stack creates. */
    readonly kind: "efs";
    /** The filesystem. */
    readonly efs: EfsConfig;
    /**
     * Owner of the CSI driver's access points: the worker's uid and gid
     * (`worker.securityContext.runAsUser`, `fsGroup`), so it and its Jobs can write.
     */
    readonly owner: { readonly uid: number; readonly gid: number };
}

/** A claim on an existing ReadWriteMany class (`worker.storage.pvc.storageClassName`). */
export interface StorageClassClaimConfig extends NewClaimConfig {
    /** The claim is on an existing class. */
    readonly kind: "storageClass";
    /** An existing ReadWriteMany class. */
    readonly storageClassName: string;
}

/** A claim on the cluster's default class, as the Helm chart makes it. */
export interface ClusterDefaultClaimConfig extends NewClaimConfig {
    /** The claim is on the cluster's default class. */
    readonly kind: "clusterDefault";
}

/** An existing claim, used by name (`worker.storage.pvc.create: false`); nothing is created. */
export interface ExistingClaimConfig {
    /** The claim exists. */
    readonly kind: "existingClaim";
    /** Its name (`worker.storage.pvc.name`). */
    readonly name: string;
}

/** The shared ReadWriteMany claim of the worker and its Jobs. */
export type ClaimConfig = EfsClaimConfig | StorageClassClaimConfig | ClusterDefaultClaimConfig | ExistingClaimConfig;

/** The shared volume (`worker.storage.*`, `efs`). */
export interface StorageConfig {
    /** Let `pulumi destroy` delete the claim, the namespace and the EFS filesystem. @default false */
    readonly deleteOnDestroy: boolean;
    /** The claim, and where its volume comes from. */
    readonly claim: ClaimConfig;
}

/** Who may assume the collector's role: Backline's web-identity tokens of this audience and subject (`logging.oidc.*`). */
export interface OidcTrust {
    /** The IAM OIDC provider that trusts Backline's token issuer. */
    readonly providerArn: string;
    /** The issuer (host and path), the prefix of the trust policy's conditions; from `providerArn`. */
    readonly issuer: string;
    /** The token subject (`sub`) admitted. */
    readonly subject: string;
    /** The token audience (`aud`) admitted. @default "sts.amazonaws.com" */
    readonly audience: string;
}

/** The collector's IAM role: an existing one (`logging.roleArn`), or one this stack creates (`logging.oidc`). */
export type CollectorRole =
    | {
          /** The role exists. */
          readonly kind: "existing";
          /** The role the collector assumes; nothing is created in AWS. */
          readonly roleArn: string;
      }
    | {
          /** This stack creates the role. */
          readonly kind: "create";
          /** The trust of the role this stack creates, with the log group. */
          readonly oidc: OidcTrust;
      };

/** The `adot-collector` sidecar's image and resources (`worker.otel.collector.*`). */
export interface CollectorConfig {
    /** The collector's image. @default "public.ecr.aws/aws-observability/aws-otel-collector:v0.43.2" */
    readonly image: string;
    /** The collector container's requests and limits. @default requests 50m / 64Mi, limits 200m / 256Mi */
    readonly resources: ResourcesConfig;
}

/** CloudWatch Logs and X-Ray for the worker, through the collector (`logging.*`, `worker.otel.*`). */
export interface ObservabilityConfig {
    /** AWS region of CloudWatch Logs and X-Ray. */
    readonly region: string;
    /** The CloudWatch log group the collector writes to. @default "/backline/<namespace>/worker" */
    readonly logGroupName: string;
    /** Retention of the log group, a value CloudWatch accepts. @default 30 */
    readonly retentionInDays: number;
    /** The role the collector assumes. */
    readonly role: CollectorRole;
    /** The sidecar's image and resources. */
    readonly collector: CollectorConfig;
}

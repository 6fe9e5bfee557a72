/**
 * The AWS sections of the stack configuration (part of `schema.ts`, the one declaration of every
 * key): `logging`, the collector's CloudWatch Logs / X-Ray settings and role, and `efs`, the EFS
 * filesystem for the shared volume.
 */
import { always, at, before, blankIsUnset, int, isPlainObject, listOf, object, oneOf, text, verbatim } from "./fields";
import {
    checkAwsId,
    checkAwsRegion,
    checkCidr,
    checkEfsBasePath,
    checkIamRoleArn,
    checkKmsKeyArn,
    checkLogGroupName,
    checkLogRetention,
    checkNonEmpty,
    checkOidcProviderArn,
} from "./validators";

/** The log group the collector writes to unless `logging.logGroupName` says otherwise. */
export function defaultLogGroupName(namespace: string): string {
    return `/backline/${namespace}/worker`;
}

export const loggingSection = object({
    region: blankIsUnset(text(checkAwsRegion).optional()).describe(
        "AWS region for CloudWatch Logs and X-Ray. Required when `worker.otel.enabled`.",
    ),
    roleArn: blankIsUnset(text(checkIamRoleArn).optional()).describe(
        "An existing IAM role the collector assumes; nothing is created in AWS. Required when `worker.otel.enabled`, unless `logging.oidc` is set.",
    ),
    oidc: object({
        providerArn: text(checkOidcProviderArn, {
            missing: "missing; the collector's role trusts this OIDC provider",
        }).describe("To create a role: the IAM OIDC provider that trusts Backline's token issuer."),
        subject: text(checkNonEmpty, {
            missing: "missing; the trust policy only admits tokens with this `sub`",
        }).describe("To create a role: the token subject (`sub`) the trust policy admits."),
        audience: text(checkNonEmpty)
            .prefault("sts.amazonaws.com")
            .describe("The token audience (`aud`) the trust policy admits."),
    }).optional(),
    logGroupName: text(checkLogGroupName)
        .optional()
        .meta({ description: "CloudWatch log group.", defaultText: "`/backline/<namespaceOverride>/worker`" }),
    retentionInDays: int(1, undefined, { check: checkLogRetention })
        .prefault(30)
        .describe("Retention, a value CloudWatch accepts (1, 3, 5, 7, 14, 30, 60, 90, …)."),
})
    .prefault({})
    .describe(
        "CloudWatch Logs and X-Ray for the collector: an existing role (`roleArn`), or one this stack creates (`oidc.*`).",
    );

export const efsSection = before(
    // Pulumi.yaml declares `{}` as the default of every object: an empty `efs` is no `efs`.
    (raw) => (isPlainObject(raw) && Object.keys(raw).length === 0 ? undefined : raw),
    object({
        vpcId: text((s) => checkAwsId("vpc", s), {
            missing: "missing; the NFS security group is created in this VPC",
        }).describe("VPC of the NFS security group."),
        subnetIds: listOf(
            text((s) => checkAwsId("subnet", s)),
            "expected a list of subnet ids",
            "missing; a mount target is created in each of these subnets (one per availability zone)",
        )
            .min(1, { error: "expected at least one subnet id, one per availability zone your nodes run in" })
            .describe("One mount target per subnet (one per availability zone your nodes use)."),
        allowedCidrBlocks: listOf(text(checkCidr), "expected a list of CIDR blocks")
            .prefault([])
            .describe("CIDR blocks allowed to reach NFS (2049/tcp); `/0` is refused."),
        allowedSecurityGroupIds: listOf(
            text((s) => checkAwsId("sg", s)),
            "expected a list of security group ids",
        )
            .prefault([])
            .describe("Security groups (e.g. the nodes') allowed to reach NFS (2049/tcp)."),
        performanceMode: oneOf(["generalPurpose", "maxIO"])
            .prefault("generalPurpose")
            .describe("EFS performance mode."),
        throughputMode: oneOf(["elastic", "bursting"]).prefault("elastic").describe("EFS throughput mode."),
        kmsKeyId: text(checkKmsKeyArn).optional().meta({
            description: "KMS key ARN for encryption at rest (always on).",
            defaultText: "the AWS-managed key",
        }),
        basePath: text(checkEfsBasePath).prefault("/backline").describe("Directory of the CSI driver's access points."),
    })
        .superRefine((e, ctx) => {
            const count = (k: string) => {
                const v = at(e, k);
                return Array.isArray(v) ? v.length : 0;
            };
            if (count("allowedCidrBlocks") === 0 && count("allowedSecurityGroupIds") === 0) {
                ctx.addIssue({
                    code: "custom",
                    path: ["allowedSecurityGroupIds"],
                    message:
                        "missing; say who may reach NFS (2049/tcp): the nodes' security group ids here, or their CIDR blocks in `efs.allowedCidrBlocks`.",
                    params: verbatim,
                });
            }
        }, always)
        .optional(),
).meta({
    description: "AWS EFS for the shared volume (leave unset for an existing storage class or the cluster default).",
    details:
        "AWS credentials and the region come from the usual `aws:region` config / environment; the cluster needs the [EFS CSI driver](https://github.com/kubernetes-sigs/aws-efs-csi-driver).",
});

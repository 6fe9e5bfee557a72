/**
 * `efs`: an AWS EFS filesystem for the shared volume.
 */
import { acceptsOutput, always, before, isPlainObject, listOf, object, oneOf, rule, text } from "../fields";
import { checkAwsId, checkEfsBasePath, checkKmsKeyArn } from "../aws-checks";
import { checkNfsCidr } from "../network-checks";

export const efs = before(
    // Pulumi.yaml declares `{}` as the default of every object: an empty `efs` is no `efs`.
    (raw) => (isPlainObject(raw) && Object.keys(raw).length === 0 ? undefined : raw),
    object({
        vpcId: acceptsOutput(
            text((s) => checkAwsId("vpc", s), {
                missing: "missing; the NFS security group is created in this VPC",
            }),
        ).describe("VPC of the NFS security group."),
        subnetIds: listOf(
            text((s) => checkAwsId("subnet", s)),
            "expected a list of subnet ids",
            "missing; a mount target is created in each of these subnets (one per availability zone)",
        )
            .min(1, { error: "expected at least one subnet id, one per availability zone your nodes run in" })
            .describe("One mount target per subnet (one per availability zone your nodes use)."),
        allowedCidrBlocks: listOf(text(checkNfsCidr), "expected a list of CIDR blocks")
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
        kmsKeyId: acceptsOutput(text(checkKmsKeyArn)).optional().meta({
            description: "KMS key ARN for encryption at rest (always on).",
            defaultText: "the AWS-managed key",
        }),
        basePath: text(checkEfsBasePath).prefault("/backline").describe("Directory of the CSI driver's access points."),
    })
        .superRefine((e, ctx) => {
            const { typed, problem } = rule(ctx);
            const count = (key: "allowedCidrBlocks" | "allowedSecurityGroupIds") => (typed(key) ? e[key].length : 0);
            if (typed() && count("allowedCidrBlocks") === 0 && count("allowedSecurityGroupIds") === 0) {
                problem(
                    ["allowedSecurityGroupIds"],
                    "missing; say who may reach NFS (2049/tcp): the nodes' security group ids here, or their CIDR blocks in `efs.allowedCidrBlocks`.",
                );
            }
        }, always)
        .optional(),
).meta({
    description: "AWS EFS for the shared volume (leave unset for an existing storage class or the cluster default).",
    details:
        "AWS credentials and the region come from the usual `aws:region` config / environment; the cluster needs the [EFS CSI driver](https://github.com/kubernetes-sigs/aws-efs-csi-driver).",
});

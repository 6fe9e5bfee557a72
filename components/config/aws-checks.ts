/**
 * Pure validators of AWS values (`logging`, `efs`): ARNs, regions, ids, CloudWatch settings (as
 * `validators.ts`: `undefined` when fine, else what is accepted).
 */

const partition = "arn:aws(-cn|-us-gov|-iso|-iso-b|-iso-e|-iso-f|-eusc)?";

/** An IAM role ARN, in any AWS partition, with an optional path. */
export function checkIamRoleArn(text: string): string | undefined {
    return new RegExp(`^${partition}:iam::\\d{12}:role/([\\w+=,.@-]+/)*[\\w+=,.@-]{1,64}$`).test(text)
        ? undefined
        : "expected an IAM role ARN such as `arn:aws:iam::123456789012:role/BacklineOtelRole`";
}

/** An IAM OIDC identity provider ARN; its suffix is the issuer host (and path) used in trust conditions. */
export function checkOidcProviderArn(text: string): string | undefined {
    return new RegExp(`^${partition}:iam::\\d{12}:oidc-provider/[a-z0-9.-]+(/[\\w.~-]+)*$`, "i").test(text)
        ? undefined
        : "expected an IAM OIDC provider ARN such as `arn:aws:iam::123456789012:oidc-provider/app.backline.ai`";
}

/** An AWS region name such as `us-west-1`, `eu-central-2`, `us-gov-west-1` or `cn-north-1`. */
export function checkAwsRegion(text: string): string | undefined {
    return /^[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central|northeast|northwest|southeast|southwest)-\d{1,2}$/.test(
        text,
    )
        ? undefined
        : "expected an AWS region name such as `us-west-1` or `eu-central-1`";
}

/** A KMS key (or alias) ARN. */
export function checkKmsKeyArn(text: string): string | undefined {
    return /^arn:aws[\w-]*:kms:[a-z0-9-]+:\d{12}:(key|alias)\/[\w/-]+$/.test(text)
        ? undefined
        : "expected a KMS key ARN";
}

export function checkAwsId(prefix: "vpc" | "subnet" | "sg", text: string): string | undefined {
    return new RegExp(`^${prefix}-[0-9a-f]{8}([0-9a-f]{9})?$`).test(text)
        ? undefined
        : `expected an id such as \`${prefix}-0123456789abcdef0\``;
}

/** Retention values CloudWatch Logs accepts. https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_PutRetentionPolicy.html */
export const logRetentionDays = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
] as const;

export function checkLogRetention(days: number): string | undefined {
    return (logRetentionDays as readonly number[]).includes(days)
        ? undefined
        : `expected one of the retention periods CloudWatch Logs accepts: ${logRetentionDays.join(", ")}`;
}

/** CloudWatch log group name. */
export function checkLogGroupName(text: string): string | undefined {
    return /^[\w/.#-]{1,512}$/.test(text)
        ? undefined
        : "expected 1-512 characters of letters, digits, `_`, `-`, `/`, `.` and `#`";
}

/** A directory on the EFS filesystem, absolute. */
export function checkEfsBasePath(text: string): string | undefined {
    return /^\/[\w./-]*$/.test(text) ? undefined : "expected an absolute path such as `/backline`";
}

/**
 * `logging`: CloudWatch Logs and X-Ray for the collector, and its IAM role (an existing one, or one
 * this stack creates).
 */
import { acceptsOutput, blankIsUnset, int, object, text } from "../fields";
import {
    checkAwsRegion,
    checkIamRoleArn,
    checkLogGroupName,
    checkLogRetention,
    checkOidcProviderArn,
} from "../aws-checks";
import { checkNonEmpty } from "../validators";

/** The log group the collector writes to unless `logging.logGroupName` says otherwise. */
export function defaultLogGroupName(namespace: string): string {
    return `/backline/${namespace}/worker`;
}

export const logging = object({
    region: blankIsUnset(acceptsOutput(text(checkAwsRegion)).optional()).describe(
        "AWS region for CloudWatch Logs and X-Ray. Required when `worker.otel.enabled`.",
    ),
    roleArn: blankIsUnset(acceptsOutput(text(checkIamRoleArn)).optional()).describe(
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
    logGroupName: acceptsOutput(text(checkLogGroupName))
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

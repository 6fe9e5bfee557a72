/**
 * Mandatory policies on the AWS side of a Backline stack: the EFS filesystem, the NFS security
 * group, and the ADOT collector's IAM role and policy.
 */
import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { asList, known } from "./resources";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

export const awsTypes = {
    fileSystem: "aws:efs/fileSystem:FileSystem",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
} as const;

export const efsEncrypted: ResourceValidationPolicy = {
    name: "efs-encrypted",
    description: "The EFS filesystem is encrypted at rest.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        if (args.type !== awsTypes.fileSystem) return;
        if (args.props.encrypted !== true) {
            reportViolation(
                `EFS filesystem ${args.name} is not encrypted at rest: set encrypted: true (with kmsKeyId for a key of your ` +
                    "own); an existing filesystem has to be replaced to change this.",
            );
        }
    },
};

export const nfsPort = 2049;
const world = ["0.0.0.0/0", "::/0"];

/** Whether an ingress rule (`protocol` or `ipProtocol`, ports) lets NFS in. */
function coversNfs(rule: any): boolean {
    const protocol = String(rule?.protocol ?? rule?.ipProtocol ?? "").toLowerCase();
    if (protocol === "-1" || protocol === "all") return true;
    if (protocol !== "tcp" && protocol !== "6") return false;
    const from = Number(rule?.fromPort);
    const to = Number(rule?.toPort ?? rule?.fromPort);
    return from <= nfsPort && nfsPort <= to;
}

function openTo(rule: any): string[] {
    const sources = [
        ...asList(rule?.cidrBlocks),
        ...asList(rule?.ipv6CidrBlocks),
        ...asList(rule?.cidrIpv4),
        ...asList(rule?.cidrIpv6),
    ];
    return sources.filter((s) => world.includes(s));
}

export const nfsNotOpen: ResourceValidationPolicy = {
    name: "nfs-not-open-to-the-world",
    description: "No security group admits NFS (TCP 2049) from 0.0.0.0/0 or ::/0.",
    enforcementLevel: "mandatory",
    validateResource: (args, reportViolation) => {
        let rules: any[];
        if (args.type === awsTypes.securityGroup) {
            rules = (args.props.ingress ?? []) as any[];
        } else if (args.type === awsTypes.securityGroupRule) {
            rules = args.props.type === "ingress" ? [args.props] : [];
        } else if (args.type === awsTypes.ingressRule) {
            rules = [args.props];
        } else {
            return;
        }
        for (const rule of rules) {
            const open = coversNfs(rule) ? openTo(rule) : [];
            if (open.length > 0) {
                reportViolation(
                    `Security group ${args.type === awsTypes.securityGroup ? "" : "rule "}${args.name} admits NFS (port ${nfsPort}) from ` +
                        `${open.join(" and ")}: the shared volume would be reachable by anyone who reaches the mount targets; ` +
                        "allow only the cluster's node CIDRs or security groups (`efs.allowedCidrBlocks`, `efs.allowedSecurityGroupIds`).",
                );
            }
        }
    },
};

/** An IAM policy document: JSON text or an object. Throws with a readable message when it is neither. */
export function policyDocument(value: unknown): { Statement: any[] } {
    const doc = typeof value === "string" ? JSON.parse(value) : value;
    if (!doc || typeof doc !== "object") throw new Error("not a JSON object");
    const statements = (doc as any).Statement;
    return { Statement: Array.isArray(statements) ? statements : statements ? [statements] : [] };
}

function grantsWebIdentity(statement: any): boolean {
    const actions = asList(statement?.Action);
    return (
        statement?.Effect === "Allow" &&
        actions.some((a) => a === "sts:AssumeRoleWithWebIdentity" || a === "sts:*" || a === "*")
    );
}

/** Condition keys of a statement tested for equality or pattern (`StringEquals`, `StringLike`, ...). */
function conditionKeys(statement: any): string[] {
    const condition = statement?.Condition ?? {};
    return Object.entries(condition)
        .filter(([op]) => /^(ForAllValues:|ForAnyValue:)?String(Equals|Like)$/.test(op))
        .flatMap(([, tests]) => Object.keys((tests as object) ?? {}));
}

export const collectorTrustConditions: ResourceValidationPolicy = {
    name: "collector-trust-conditions",
    description: "A role that web identities may assume checks the token's audience and subject.",
    enforcementLevel: "mandatory",
    url: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html",
    validateResource: (args, reportViolation) => {
        if (args.type !== awsTypes.role) return;
        let doc: { Statement: any[] };
        try {
            doc = policyDocument(args.props.assumeRolePolicy);
        } catch (err) {
            reportViolation(
                `IAM role ${args.name}: assumeRolePolicy is not a policy document (${(err as Error).message}); fix the JSON.`,
            );
            return;
        }
        doc.Statement.filter(grantsWebIdentity).forEach((s, i) => {
            const keys = conditionKeys(s);
            const missing = ["aud", "sub"].filter((claim) => !keys.some((k) => k.endsWith(`:${claim}`)));
            if (missing.length > 0) {
                reportViolation(
                    `IAM role ${args.name}: web-identity statement ${s.Sid ?? i} does not check the token's ${missing.join(" and ")}, ` +
                        "so any token of that issuer could assume it; add StringEquals conditions on <issuer>:aud and <issuer>:sub " +
                        "(`logging.oidc.audience`, `logging.oidc.subject`).",
                );
            }
        });
    },
};

function trustsWebIdentity(role: PolicyResource): boolean {
    const text = known(() => role.props.assumeRolePolicy);
    if (text === undefined) return false;
    try {
        return policyDocument(text).Statement.some(grantsWebIdentity);
    } catch {
        return false;
    }
}

/** `arn:aws:logs:<region>:<account>:log-group:<name>` without a trailing `:*`. */
function logGroupArnOf(group: PolicyResource): string | undefined {
    const arn = known(() => group.props.arn);
    return typeof arn === "string" ? arn.replace(/:\*$/, "") : undefined;
}

export const collectorPolicyScoped: StackValidationPolicy = {
    name: "collector-policy-scoped",
    description: "The collector role's policy writes only to the stack's log group (and sends traces to X-Ray).",
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
        const roles = args.resources.filter((r) => r.type === awsTypes.role && trustsWebIdentity(r));
        const roleNames = new Set(roles.map((r) => known(() => r.props.name)).filter((n) => typeof n === "string"));
        const roleUrns = new Set(roles.map((r) => r.urn));
        const groups = args.resources.filter((r) => r.type === awsTypes.logGroup).map(logGroupArnOf);
        const allowed = new Set(groups.flatMap((g) => (g ? [g, `${g}:*`, `${g}:log-stream:*`] : [])));

        for (const p of args.resources.filter((r) => r.type === awsTypes.rolePolicy)) {
            const roleDeps = p.propertyDependencies?.role ?? [];
            const role = known(() => p.props.role);
            if (!roleDeps.some((d) => roleUrns.has(d.urn)) && !roleNames.has(role)) continue;
            const text = known(() => p.props.policy);
            if (text === undefined) continue; // the log group's ARN is only known once it exists
            let doc: { Statement: any[] };
            try {
                doc = policyDocument(text);
            } catch (err) {
                reportViolation(
                    `IAM role policy ${p.name}: policy is not a policy document (${(err as Error).message}); fix the JSON.`,
                    p.urn,
                );
                continue;
            }
            const at = `IAM role policy ${p.name} of the collector role`;
            doc.Statement.filter((s) => s?.Effect === "Allow").forEach((s, i) => {
                const actions = asList(s.Action);
                const foreign = actions.filter((a) => !/^(logs|xray):/.test(a));
                if (foreign.length > 0) {
                    reportViolation(
                        `${at}: statement ${s.Sid ?? i} grants ${foreign.join(", ")}; the collector needs only logs and xray actions: remove them.`,
                        p.urn,
                    );
                }
                if (!actions.some((a) => a.startsWith("logs:"))) return;
                const outside = asList(s.Resource).filter((r) => !allowed.has(r));
                if (outside.length > 0) {
                    const own = groups
                        .filter((g): g is string => g !== undefined)
                        .map((g) => `${g} and ${g}:log-stream:*`);
                    const where = own.length > 0 ? own.join("; ") : "a log group this stack creates";
                    reportViolation(
                        `${at}: statement ${s.Sid ?? i} lets it write logs to ${outside.join(", ")}; scope logs actions to ${where}.`,
                        p.urn,
                    );
                }
            });
        }
    },
};

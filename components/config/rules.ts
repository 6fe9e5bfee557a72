/**
 * Rules across sections of the stack configuration: the collector needs a region and a role, a
 * role is either given or created, EFS makes its own storage class and claim.
 */
import { z } from "zod";
import { at, show, verbatim } from "./fields";

/** Rules across sections. They run even when other keys failed, so every problem shows at once. */
export function crossSectionRules(c: unknown, ctx: z.RefinementCtx): void {
    const problem = (path: string[], message: string) =>
        ctx.addIssue({ code: "custom", path, message, params: verbatim });
    const set = (...path: string[]) => {
        const v = at(c, ...path);
        return v !== undefined && v !== null && v !== "";
    };
    if (at(c, "worker", "otel", "enabled") !== false) {
        if (!set("logging", "region")) {
            problem(
                ["logging", "region"],
                "missing; the ADOT collector needs the AWS region for CloudWatch Logs and X-Ray (e.g. `us-west-1`), or set `worker.otel.enabled` to false.",
            );
        }
        if (!set("logging", "roleArn") && !set("logging", "oidc")) {
            problem(
                ["logging", "roleArn"],
                "missing; give the IAM role the collector assumes (`arn:aws:iam::<account>:role/<name>`), or set `logging.oidc.providerArn` and `logging.oidc.subject` to have one created, or set `worker.otel.enabled` to false.",
            );
        }
        if (set("logging", "roleArn") && set("logging", "oidc")) {
            problem(
                ["logging", "oidc"],
                "set together with `logging.roleArn`; give either an existing role or the settings to create one, not both.",
            );
        }
    }
    if (set("efs")) {
        const storageClassName = at(c, "worker", "storage", "pvc", "storageClassName");
        if (storageClassName !== undefined) {
            problem(
                ["worker", "storage", "pvc", "storageClassName"],
                `got ${show(storageClassName)} together with \`efs\`; the EFS settings create their own storage class. Remove one of them.`,
            );
        }
        if (at(c, "worker", "storage", "pvc", "create") === false) {
            problem(
                ["worker", "storage", "pvc", "create"],
                "is false together with `efs`; an existing claim cannot be bound to the filesystem this stack creates. Remove `efs` or set `create` to true.",
            );
        }
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { BacklineConfig } from "./config";
import { labelsFor, names, sha256 } from "./specs/common";
import {
    buildCollectorConfig,
    buildCollectorPolicy,
    buildCollectorTrustPolicy,
    collectorConfigFile,
    renderCollectorConfig,
} from "./specs/observability";

export interface ObservabilityArgs {
    /** The validated configuration; reads `logging.*` and `worker.otel.*`. */
    readonly config: BacklineConfig;
    /** Namespace of the collector's ConfigMap. */
    readonly namespace: pulumi.Input<string>;
}

/**
 * What the ADOT collector sidecar needs: its configuration (a ConfigMap) and an IAM role.
 *
 * With `logging.roleArn` that role is used and nothing is created in AWS (the collector creates
 * the log group, with `logging.retentionInDays`). With `logging.oidc.*` instead, this component
 * creates the CloudWatch log group with its retention, and a role that only Backline's web
 * identity tokens (audience and subject checked) can assume, allowed to write to that log group
 * and to X-Ray and nothing else. Only built when `worker.otel.enabled`.
 */
export class Observability extends pulumi.ComponentResource {
    /** The role the collector assumes. */
    public readonly roleArn: pulumi.Output<string>;
    /** The log group the collector writes to. */
    public readonly logGroupName: pulumi.Output<string>;
    /** Hash of the collector configuration: a pod-template annotation, so a change rolls the pods. */
    public readonly configHash: string;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:observability:Observability", name, args, opts);
        const cfg = args.config;
        const createRole = cfg.logging.roleArn === undefined;

        if (createRole) {
            // Loaded only when used: @pulumi/aws costs ~170 ms and 14 MiB at load (issue 10).
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const aws = require("@pulumi/aws") as typeof import("@pulumi/aws");
            const oidc = cfg.logging.oidc;
            if (!oidc) {
                // loadBacklineConfig already refuses this; guard direct callers of the component.
                throw new Error("Observability: set `logging.roleArn`, or `logging.oidc` to create a role");
            }
            const logGroup = new aws.cloudwatch.LogGroup(
                `${name}-logs`,
                { name: cfg.logging.logGroupName, retentionInDays: cfg.logging.retentionInDays },
                { parent: this },
            );
            const role = new aws.iam.Role(
                `${name}-collector`,
                {
                    description: `ADOT collector of the Backline worker (${cfg.namespace})`,
                    assumeRolePolicy: JSON.stringify(buildCollectorTrustPolicy(oidc)),
                    maxSessionDuration: 3600,
                },
                { parent: this },
            );
            new aws.iam.RolePolicy(
                `${name}-collector`,
                {
                    role: role.name,
                    policy: logGroup.arn.apply((arn) => JSON.stringify(buildCollectorPolicy(arn))),
                },
                { parent: this },
            );
            this.roleArn = role.arn;
            this.logGroupName = logGroup.name;
        } else {
            this.roleArn = pulumi.output(cfg.logging.roleArn as string);
            this.logGroupName = pulumi.output(cfg.logging.logGroupName);
        }

        const rendered = renderCollectorConfig(buildCollectorConfig(cfg, { logGroupCreated: createRole }));
        this.configHash = sha256(rendered);
        new k8s.core.v1.ConfigMap(
            `${name}-collector-config`,
            {
                metadata: { name: names.collectorConfigMap, namespace: args.namespace, labels: labelsFor("adot-collector") },
                data: { [collectorConfigFile]: rendered },
            },
            { parent: this },
        );

        this.registerOutputs({ roleArn: this.roleArn, logGroupName: this.logGroupName, configHash: this.configHash });
    }
}

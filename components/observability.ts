import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { collectorConfigFile, componentNames, contentHash, names } from "./model";
import type { CollectorSidecar, ObservabilityArgs, ObservabilityConfig, OidcTrust } from "./model";
import { labelsFor } from "./specs/common";
import {
    buildCollectorConfig,
    buildCollectorPolicy,
    buildCollectorTrustPolicy,
    renderCollectorConfig,
} from "./specs/observability";

export type { ObservabilityArgs };

/**
 * What the ADOT collector sidecar needs: its configuration (a ConfigMap) and an IAM role.
 *
 * `observability.role.kind` `existing` (`logging.roleArn`): that role is used and nothing is
 * created in AWS (the collector creates the log group, with `logging.retentionInDays`). `create`
 * (`logging.oidc.*`): this component creates the CloudWatch log group with its retention, and a
 * role that only Backline's web identity tokens (audience and subject checked) can assume,
 * allowed to write to that log group and to X-Ray and nothing else.
 */
export class Observability extends pulumi.ComponentResource {
    /** The role the collector assumes. */
    public readonly roleArn: pulumi.Output<string>;
    /** The log group the collector writes to. */
    public readonly logGroupName: pulumi.Output<string>;
    /** The worker's `adot-collector` sidecar, for `Worker`. */
    public readonly sidecar: CollectorSidecar;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:observability:Observability", name, {}, opts);
        const o = args.observability;

        if (o.role.kind === "create") {
            const created = this.createRole(name, o, o.role.oidc, args.namespace);
            this.roleArn = created.roleArn;
            this.logGroupName = created.logGroupName;
        } else {
            this.roleArn = pulumi.output(o.role.roleArn);
            this.logGroupName = pulumi.output(o.logGroupName);
        }

        const rendered = renderCollectorConfig(buildCollectorConfig(o));
        new k8s.core.v1.ConfigMap(
            `${name}-collector-config`,
            {
                metadata: {
                    name: names.collectorConfigMap,
                    namespace: args.namespace,
                    labels: labelsFor(componentNames.collector),
                },
                data: { [collectorConfigFile]: rendered },
            },
            { parent: this },
        );
        this.sidecar = {
            collector: o.collector,
            region: o.region,
            roleArn: this.roleArn,
            configHash: contentHash(rendered),
        };

        this.registerOutputs({ roleArn: this.roleArn, logGroupName: this.logGroupName });
    }

    private createRole(name: string, o: ObservabilityConfig, oidc: OidcTrust, namespace: pulumi.Input<string>) {
        // Loaded only when used: @pulumi/aws costs ~170 ms and 14 MiB at load, on every preview.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const aws = require("@pulumi/aws") as typeof import("@pulumi/aws");
        const logGroup = new aws.cloudwatch.LogGroup(
            `${name}-logs`,
            { name: o.logGroupName, retentionInDays: o.retentionInDays },
            { parent: this },
        );
        const role = new aws.iam.Role(
            `${name}-collector`,
            {
                description: pulumi.interpolate`ADOT collector of the Backline worker (${namespace})`,
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
        return { roleArn: role.arn, logGroupName: logGroup.name };
    }
}

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { componentNames, names } from "./model";
import type { BacklineNamespaceArgs } from "./model";
import { labelsFor, podSecurityLabels } from "./specs/common";

export type { BacklineNamespaceArgs };

/**
 * The namespace (enforcing the "restricted" Pod Security profile) and the Secret that holds the
 * access key.
 */
export class BacklineNamespace extends pulumi.ComponentResource {
    public readonly name: pulumi.Output<string>;

    constructor(name: string, args: BacklineNamespaceArgs, opts?: pulumi.ComponentResourceOptions) {
        // No args recorded: the state would hold the key, and any change would show as an update.
        super("backline:core:Namespace", name, {}, opts);

        const namespace = new k8s.core.v1.Namespace(
            `${name}-namespace`,
            {
                metadata: {
                    name: args.name,
                    labels: { ...labelsFor(componentNames.namespace), ...podSecurityLabels },
                },
            },
            { parent: this, retainOnDelete: args.retainOnDelete ?? true, dependsOn: [...(args.waitFor ?? [])] },
        );

        new k8s.core.v1.Secret(
            `${name}-access-key`,
            {
                metadata: {
                    name: names.accessKeySecret,
                    namespace: namespace.metadata.name,
                    labels: labelsFor(componentNames.accessKey),
                },
                type: "Opaque",
                // pulumi-kubernetes keeps Secret data encrypted in state once its input is a secret.
                stringData: { [names.accessKeySecretKey]: pulumi.secret(args.accessKey) },
            },
            { parent: this },
        );

        this.name = namespace.metadata.name;
        this.registerOutputs({ name: this.name });
    }
}

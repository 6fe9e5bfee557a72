import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { labelsFor, names, podSecurityLabels } from "./specs/common";

export interface BacklineNamespaceArgs {
    /** Namespace name (`namespaceOverride`). */
    readonly name: string;
    /**
     * The access key, plain or secret: it is made a secret here, the one place it is used, and
     * stored only in this Secret, which pods reference by `secretKeyRef`.
     */
    readonly accessKey: pulumi.Input<string>;
    /**
     * Keep the namespace when the stack is destroyed. Deleting a namespace deletes everything in
     * it, the worker's claim included, so this follows the data-retention choice.
     * @default true
     */
    readonly retainOnDelete?: boolean;
    /** Resources the namespace, and so everything in it, waits for (the job admission policy). @default none */
    readonly waitFor?: readonly pulumi.Resource[];
}

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
                    labels: { ...labelsFor("namespace"), ...podSecurityLabels },
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
                    labels: labelsFor("access-key"),
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

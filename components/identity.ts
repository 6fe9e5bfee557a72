import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";

export interface NamespacedIdentityArgs {
    /** Name of the ServiceAccount, the Role and the RoleBinding (kubectl users look for it). */
    readonly name: string;
    readonly namespace: pulumi.Input<string>;
    readonly labels: Record<string, string>;
    /** Annotations of the ServiceAccount only (workload identity, e.g. `eks.amazonaws.com/role-arn`). @default none */
    readonly annotations?: Readonly<Record<string, string>>;
    /** The Role's rules: namespaced, nothing cluster-wide. */
    readonly rules: k8s.types.input.rbac.v1.PolicyRule[];
}

export interface NamespacedIdentity {
    readonly serviceAccount: k8s.core.v1.ServiceAccount;
    readonly role: k8s.rbac.v1.Role;
    readonly binding: k8s.rbac.v1.RoleBinding;
}

/**
 * A ServiceAccount bound to a Role of the same name in its namespace: how the worker and the
 * janitor get exactly the API access they need. Children are named `<prefix>-sa`, `-role`,
 * `-rolebinding` under `parent`.
 */
export function createNamespacedIdentity(
    prefix: string,
    args: NamespacedIdentityArgs,
    parent: pulumi.Resource,
): NamespacedIdentity {
    const metadata = { name: args.name, namespace: args.namespace, labels: args.labels };
    const annotations = args.annotations ?? {};
    const serviceAccount = new k8s.core.v1.ServiceAccount(
        `${prefix}-sa`,
        { metadata: Object.keys(annotations).length > 0 ? { ...metadata, annotations: { ...annotations } } : metadata },
        { parent },
    );
    const role = new k8s.rbac.v1.Role(`${prefix}-role`, { metadata, rules: args.rules }, { parent });
    const binding = new k8s.rbac.v1.RoleBinding(
        `${prefix}-rolebinding`,
        {
            metadata,
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
            subjects: [{ kind: "ServiceAccount", name: serviceAccount.metadata.name, namespace: args.namespace }],
        },
        { parent },
    );
    return { serviceAccount, role, binding };
}

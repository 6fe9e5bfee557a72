import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { NetworkPolicyConfig } from "./config";
import { labelsFor } from "./specs/common";
import { buildEgressPolicy, buildIngressPolicies, NamedPolicy } from "./specs/network";

export interface NetworkPoliciesArgs {
    /** The resolved `networkPolicy` settings. */
    readonly networkPolicy: NetworkPolicyConfig;
    /** The worker's HTTP port (`worker.service.httpPort`), the one port other pods may reach. */
    readonly httpPort: number;
    /** The worker pods' selector. */
    readonly workerSelector: Record<string, string>;
    readonly namespace: pulumi.Input<string>;
}

/**
 * The namespace's NetworkPolicies: `backline-deny-ingress` (no ingress to any pod),
 * `backline-worker-ingress` (the worker's HTTP port from `ingressFrom`), and with `egressCidrs`
 * `backline-egress` (DNS, the API server, the namespace's pods and those blocks only). They take
 * effect only where the CNI enforces NetworkPolicy.
 */
export class NetworkPolicies extends pulumi.ComponentResource {
    public readonly names: pulumi.Output<string>[];

    constructor(name: string, args: NetworkPoliciesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("backline:network:NetworkPolicies", name, {}, opts);
        const n = args.networkPolicy;
        const policies: NamedPolicy[] = [
            ...buildIngressPolicies(n, args.httpPort, args.workerSelector),
            ...(n.egress ? [buildEgressPolicy(n.egress)] : []),
        ];
        this.names = policies.map(
            (p) =>
                new k8s.networking.v1.NetworkPolicy(
                    `${name}-${p.name}`,
                    {
                        metadata: { name: p.name, namespace: args.namespace, labels: labelsFor("network-policy") },
                        spec: p.spec,
                    },
                    { parent: this },
                ).metadata.name,
        );
        this.registerOutputs({ names: this.names });
    }
}

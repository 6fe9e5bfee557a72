import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { componentNames } from "./model";
import type { NetworkPoliciesArgs } from "./model";
import { labelsFor } from "./specs/common";
import { buildEgressPolicy, buildIngressPolicies, NamedPolicy } from "./specs/network";

export type { NetworkPoliciesArgs };

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
                        metadata: {
                            name: p.name,
                            namespace: args.namespace,
                            labels: labelsFor(componentNames.networkPolicy),
                        },
                        spec: p.spec,
                    },
                    { parent: this },
                ).metadata.name,
        );
        this.registerOutputs({ names: this.names });
    }
}

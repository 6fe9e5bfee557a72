/**
 * The namespace's NetworkPolicies (`networkPolicy.*`), as pure functions of the configuration.
 * NetworkPolicies add up: a pod selected by any policy of a type accepts only what some policy of
 * that type allows. https://kubernetes.io/docs/concepts/services-networking/network-policies/
 */
import type * as k8s from "@pulumi/kubernetes";
import { networkPolicyNames } from "../model";
import type { NetworkPolicyConfig } from "../model";

type NetworkPolicySpec = k8s.types.input.networking.v1.NetworkPolicySpec;

export interface NamedPolicy {
    readonly name: string;
    readonly spec: NetworkPolicySpec;
}

/**
 * Ingress to every pod of the namespace denied, except the worker's HTTP port from `ingressFrom`
 * (none when it is `[]`). The kubelet's probes come from the node, which NetworkPolicies let through.
 */
export function buildIngressPolicies(
    n: NetworkPolicyConfig,
    httpPort: number,
    workerSelector: Record<string, string>,
): NamedPolicy[] {
    const policies: NamedPolicy[] = [
        { name: networkPolicyNames.denyIngress, spec: { podSelector: {}, policyTypes: ["Ingress"] } },
    ];
    if (n.ingressFrom.length > 0) {
        policies.push({
            name: networkPolicyNames.workerIngress,
            spec: {
                podSelector: { matchLabels: workerSelector },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: n.ingressFrom as k8s.types.input.networking.v1.NetworkPolicyPeer[],
                        ports: [{ protocol: "TCP", port: httpPort }],
                    },
                ],
            },
        });
    }
    return policies;
}

/**
 * With `egressCidrs`: every pod may reach DNS (port 53 anywhere, so CoreDNS, NodeLocal DNSCache
 * and cloud resolvers all keep working), the API server's addresses (any port: 443 or 6443), the
 * pods of the namespace, and the given blocks. Nothing else.
 */
export function buildEgressPolicy(egress: NonNullable<NetworkPolicyConfig["egress"]>): NamedPolicy {
    const blocks = (cidrs: readonly string[]) => cidrs.map((cidr) => ({ ipBlock: { cidr } }));
    return {
        name: networkPolicyNames.egress,
        spec: {
            podSelector: {},
            policyTypes: ["Egress"],
            egress: [
                {
                    ports: [
                        { protocol: "UDP", port: 53 },
                        { protocol: "TCP", port: 53 },
                    ],
                },
                { to: blocks(egress.apiServerCidrs) },
                { to: [{ podSelector: {} }] },
                { to: blocks(egress.cidrs) },
            ],
        },
    };
}

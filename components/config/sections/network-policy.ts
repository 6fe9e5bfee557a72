/**
 * `networkPolicy`: NetworkPolicies for the namespace, and who may reach the worker.
 */
import { always, bool, listOf, object, rule, text } from "../fields";
import { checkCidrBlock, checkNarrowCidr } from "../network-checks";
import { labelSelector } from "../shapes";

/** A NetworkPolicy peer: pods and/or namespaces by selector, or an IP block. */
const networkPolicyPeer = object({
    podSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional(),
    ipBlock: object({
        cidr: text(checkCidrBlock, { missing: "missing; the block to admit, e.g. `10.0.0.0/8`" }),
        except: listOf(text(checkCidrBlock), "expected a list of CIDR blocks").optional(),
    }).optional(),
}).superRefine((_, ctx) => {
    const { typed, given, problem } = rule(ctx);
    const selectors = given("podSelector") || given("namespaceSelector");
    if (given("ipBlock") && selectors) {
        problem(["ipBlock"], "set together with a selector; a peer is either selectors or an `ipBlock`.");
    }
    if (typed() && !given("ipBlock") && !selectors) {
        problem([], "is empty; give `podSelector`, `namespaceSelector` (or both), or `ipBlock`.");
    }
}, always);

const cidrs = listOf(text(checkNarrowCidr), "expected a list of CIDR blocks");

export const networkPolicy = object({
    enabled: bool()
        .prefault(false)
        .describe(
            "Make NetworkPolicies: ingress to every pod of the namespace denied except the worker's HTTP port from `ingressFrom`.",
        ),
    ingressFrom: listOf(networkPolicyPeer, "expected a list of NetworkPolicy peers").optional().meta({
        description:
            "Who may reach the worker's HTTP port: NetworkPolicy peers (`podSelector`, `namespaceSelector`, `ipBlock`); `[]` admits nobody.",
        defaultText: "pods of the namespace (`[{ podSelector: {} }]`)",
    }),
    egressCidrs: cidrs
        .min(1, { error: "expected at least one CIDR block; leave the key unset to keep egress open" })
        .optional()
        .meta({
            description:
                "When set, every pod may reach only DNS, the API server (`apiServerCidrs`), pods of the namespace and these blocks (the SaaS, the proxy, AWS endpoints).",
            defaultText: "unset: egress stays open",
        }),
    apiServerCidrs: cidrs
        .min(1, { error: "expected at least one CIDR block" })
        .optional()
        .describe(
            "With `egressCidrs`: the Kubernetes API server's addresses (`kubectl get endpointslice kubernetes -n default`), as CIDR blocks.",
        ),
})
    .superRefine((n, ctx) => {
        const { typed, given, problem } = rule(ctx);
        if (!typed("enabled")) return;
        if (!n.enabled) {
            for (const key of (["ingressFrom", "egressCidrs", "apiServerCidrs"] as const).filter((k) => given(k))) {
                problem(
                    [key],
                    "is set but `networkPolicy.enabled` is false, so no NetworkPolicy is made; set `networkPolicy.enabled` to true, or remove it.",
                );
            }
        } else if (given("egressCidrs") && !given("apiServerCidrs")) {
            problem(
                ["apiServerCidrs"],
                "missing; `networkPolicy.egressCidrs` limits every pod's egress, and the worker and the janitor must still reach the Kubernetes API server: give its addresses as CIDR blocks (`kubectl get endpointslice kubernetes -n default -o jsonpath='{.endpoints[*].addresses}'`, e.g. `10.0.0.10/32`; on a managed control plane, the subnets its addresses come from).",
            );
        } else if (given("apiServerCidrs") && !given("egressCidrs")) {
            problem(
                ["apiServerCidrs"],
                "is set without `networkPolicy.egressCidrs`: egress is open, so there is nothing to allow. Remove it, or limit egress with `networkPolicy.egressCidrs`.",
            );
        }
    }, always)
    .prefault({})
    .meta({
        description: "NetworkPolicies for the namespace.",
        details:
            "They take effect only where the CNI enforces NetworkPolicy (Calico, Cilium, Antrea, …; not flannel alone); see [Enterprise clusters](#enterprise-clusters).",
    });

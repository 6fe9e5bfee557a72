/**
 * The enterprise-cluster keys (`enterprise.ts`) as the components consume them, with the choices
 * made once: the proxy is off or on (with or without credentials), the CA bundle is absent, an
 * existing ConfigMap or inline PEM, the disruption budget is absent or keeps `minAvailable` or
 * allows `maxUnavailable`, NetworkPolicies are off or on (egress open or limited).
 */
import { hasCredentials } from "./network-checks";
import type { StackConfigOutput } from "./schema";

type Config = StackConfigOutput;

function proxyOf(p: Config["proxy"]) {
    if (p.httpProxy === undefined && p.httpsProxy === undefined) return undefined;
    const urls = [p.httpProxy, p.httpsProxy].filter((u): u is string => u !== undefined);
    return {
        httpProxy: p.httpProxy,
        httpsProxy: p.httpsProxy,
        noProxy: p.noProxy,
        /** Any URL holds `user:password@`: then they reach pods only by `secretKeyRef`. */
        credentials: urls.some(hasCredentials),
    };
}

function caBundleOf(ca: Config["caBundle"]) {
    if (ca.configMapName !== undefined) {
        return { kind: "configMap" as const, configMapName: ca.configMapName, key: ca.key };
    }
    if (ca.pem !== undefined) return { kind: "inline" as const, pem: ca.pem, key: ca.key };
    return undefined;
}

/** What the customer's site imposes on every pod: proxy, CA bundle, registry mirror, pull secrets. */
export function siteOf(c: Config) {
    return {
        proxy: proxyOf(c.proxy),
        caBundle: caBundleOf(c.caBundle),
        imageRegistry: c.imageRegistry,
        imagePullSecrets: c.imagePullSecrets,
    };
}

export function commonMetadataOf(c: Config) {
    return { labels: c.commonLabels, annotations: c.commonAnnotations };
}

export function disruptionBudgetOf(b: Config["worker"]["podDisruptionBudget"]) {
    if (b.minAvailable !== undefined) return { minAvailable: b.minAvailable };
    if (b.maxUnavailable !== undefined) return { maxUnavailable: b.maxUnavailable };
    return undefined;
}

/** The same-namespace default of `networkPolicy.ingressFrom`. */
export const defaultIngressFrom = [{ podSelector: {} }];

export function networkPolicyOf(n: Config["networkPolicy"]) {
    if (!n.enabled) return undefined;
    return {
        ingressFrom: n.ingressFrom ?? defaultIngressFrom,
        egress:
            n.egressCidrs !== undefined && n.apiServerCidrs !== undefined
                ? { cidrs: n.egressCidrs, apiServerCidrs: n.apiServerCidrs }
                : undefined,
    };
}

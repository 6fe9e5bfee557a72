/**
 * The keys of enterprise clusters (issue 12), spread into `schema.ts`: the outbound proxy, a
 * private CA bundle, a registry mirror and extra pull secrets, common labels and annotations and
 * NetworkPolicies (top level); extra volumes, ServiceAccount annotations, pod labels and
 * annotations, a PodDisruptionBudget, a priority class and topology spread (per workload), and the
 * rules that tie them to other keys. Every key is optional and off or empty by default, so a stack
 * without them renders exactly as before.
 */
import { z } from "zod";
import { caBundleDir, proxyEnvNames, reservedWorkerVolumeNames, workerCaEnvNames } from "../model";
import {
    checkConfigMapKey,
    checkNarrowCidr,
    checkNoProxyEntry,
    checkPemBundle,
    checkPriorityClassName,
    checkProxyUrl,
    checkRegistryMirror,
} from "./enterprise-checks";
import {
    extraVolume,
    intOrPercent,
    metadataMap,
    networkPolicyPeer,
    reservedAnnotationPrefixes,
    reservedLabelPrefixes,
    topologySpreadConstraint,
    volumeMount,
} from "./enterprise-shapes";
import { always, at, before, blankIsUnset, bool, listOf, object, show, text, verbatim } from "./fields";
import { checkDns1123Subdomain } from "./validators";

const custom = (ctx: z.RefinementCtx, path: PropertyKey[], message: string) =>
    ctx.addIssue({ code: "custom", path, message, params: verbatim });

/** `a,b` as `pulumi config set --path proxy.noProxy 'a,b'` stores it, or a list. */
const commaList = (raw: unknown) =>
    typeof raw === "string"
        ? raw
              .split(",")
              .map((s) => s.trim())
              .filter((s) => s !== "")
        : raw;

const proxyUrl = (scheme: string) =>
    blankIsUnset(text(checkProxyUrl).optional()).meta({
        description: `Proxy for ${scheme} requests of every pod (\`${scheme.toUpperCase()}_PROXY\`), e.g. \`http://proxy.corp.example.com:3128\`. With credentials (\`http://user:password@host:port\`, special characters percent-encoded) only as a secret: \`pulumi config set --secret --path proxy.${scheme}Proxy <url>\`.`,
        secret: "allowed",
    });

export const proxy = object({
    httpProxy: proxyUrl("http"),
    httpsProxy: proxyUrl("https"),
    noProxy: before(
        commaList,
        listOf(text(checkNoProxyEntry), "expected a list of hosts, domains, addresses or CIDR blocks"),
    )
        .prefault([])
        .meta({
            description:
                "Reached directly: hosts, domain suffixes (`.corp.example.com`), addresses, CIDR blocks; a list or comma-separated text. The API server, `.svc`, `.cluster.local` and loopback always are.",
            // The stack files' JSON Schema: comma-separated text is accepted too.
            type: ["array", "string"],
        }),
})
    .superRefine((p, ctx) => {
        if (p.noProxy.length > 0 && !p.httpProxy && !p.httpsProxy) {
            custom(
                ctx,
                ["noProxy"],
                "is set but neither `proxy.httpProxy` nor `proxy.httpsProxy` is; without a proxy everything is reached directly. Set a proxy, or remove `proxy.noProxy`.",
            );
        }
    })
    .prefault({})
    .meta({
        description: "An outbound HTTP(S) proxy for the worker, its Jobs, the collector and the janitor.",
        details:
            "Every container gets `HTTP_PROXY`, `HTTPS_PROXY`, `NO_PROXY` and their lower-case twins, and the worker passes them on to its Jobs (see [Enterprise clusters](#enterprise-clusters)).",
    });

export const caBundle = object({
    configMapName: blankIsUnset(text(checkDns1123Subdomain).optional()).describe(
        "An existing ConfigMap in the namespace (e.g. one trust-manager distributes) holding the PEM roots; pods wait until it exists.",
    ),
    key: text(checkConfigMapKey).prefault("ca.crt").describe("The ConfigMap key that holds the bundle."),
    pem: blankIsUnset(text(checkPemBundle).optional()).describe(
        "The PEM roots inline instead: the stack makes ConfigMap `backline-ca-bundle` from them.",
    ),
})
    .superRefine((c, ctx) => {
        const present = (k: string) => ![undefined, null, ""].includes(at(c, k) as string);
        if (present("configMapName") && present("pem")) {
            custom(
                ctx,
                ["pem"],
                "set together with `caBundle.configMapName`; give the bundle either inline or as an existing ConfigMap, not both.",
            );
        }
    }, always)
    .prefault({})
    .meta({
        description: "Private CA roots (TLS-inspecting proxies, internal registries and endpoints).",
        details: `Mounted read-only at \`${caBundleDir}\` into the worker (\`SSL_CERT_FILE\`, \`NODE_EXTRA_CA_CERTS\`, \`REQUESTS_CA_BUNDLE\`), the collector (\`SSL_CERT_FILE\`) and the janitor (curl \`--cacert\`). OpenSSL-based clients use it *instead of* their default roots: include every root the pods need.`,
    });

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
    egressCidrs: listOf(text(checkNarrowCidr), "expected a list of CIDR blocks")
        .min(1, { error: "expected at least one CIDR block; leave the key unset to keep egress open" })
        .optional()
        .meta({
            description:
                "When set, every pod may reach only DNS, the API server (`apiServerCidrs`), pods of the namespace and these blocks (the SaaS, the proxy, AWS endpoints).",
            defaultText: "unset: egress stays open",
        }),
    apiServerCidrs: listOf(text(checkNarrowCidr), "expected a list of CIDR blocks")
        .min(1, { error: "expected at least one CIDR block" })
        .optional()
        .describe(
            "With `egressCidrs`: the Kubernetes API server's addresses (`kubectl get endpointslice kubernetes -n default`), as CIDR blocks.",
        ),
})
    .superRefine((n, ctx) => {
        if (!n.enabled) {
            for (const key of ["ingressFrom", "egressCidrs", "apiServerCidrs"] as const) {
                if (n[key] !== undefined) {
                    custom(
                        ctx,
                        [key],
                        "is set but `networkPolicy.enabled` is false, so no NetworkPolicy is made; set `networkPolicy.enabled` to true, or remove it.",
                    );
                }
            }
            return;
        }
        if (n.egressCidrs !== undefined && n.apiServerCidrs === undefined) {
            custom(
                ctx,
                ["apiServerCidrs"],
                "missing; `networkPolicy.egressCidrs` limits every pod's egress, and the worker and the janitor must still reach the Kubernetes API server: give its addresses as CIDR blocks (`kubectl get endpointslice kubernetes -n default -o jsonpath='{.endpoints[*].addresses}'`, e.g. `10.0.0.10/32`; on a managed control plane, the subnets its addresses come from).",
            );
        }
        if (n.apiServerCidrs !== undefined && n.egressCidrs === undefined) {
            custom(
                ctx,
                ["apiServerCidrs"],
                "is set without `networkPolicy.egressCidrs`: egress is open, so there is nothing to allow. Remove it, or limit egress with `networkPolicy.egressCidrs`.",
            );
        }
    })
    .prefault({})
    .meta({
        description: "NetworkPolicies for the namespace.",
        details:
            "They take effect only where the CNI enforces NetworkPolicy (Calico, Cilium, Antrea, …; not flannel alone); see [Enterprise clusters](#enterprise-clusters).",
    });

/** The top-level keys, in the README's order. */
export const enterpriseSections = {
    proxy,
    caBundle,
    imageRegistry: blankIsUnset(text(checkRegistryMirror).optional()).describe(
        "A registry mirror that replaces the registry of every image the stack runs (janitor, collector, worker) and of the worker images the janitor receives; repository and tag are kept.",
    ),
    imagePullSecrets: listOf(text(checkDns1123Subdomain), "expected a list of Secret names")
        .superRefine((list, ctx) => {
            list.forEach((name, i) => {
                if (name === "dockerconfig") {
                    custom(ctx, [i], "is the janitor's own pull secret, which the worker always uses; remove it here.");
                } else if (list.indexOf(name) !== i) {
                    custom(ctx, [i], `got ${show(name)} a second time; each Secret may appear once.`);
                }
            });
        })
        .prefault([])
        .describe("Existing pull secrets (names) added to every pod, beside `dockerconfig`."),
    commonLabels: metadataMap("label", reservedLabelPrefixes)
        .prefault({})
        .describe("Labels on every object and pod the stack makes."),
    commonAnnotations: metadataMap("annotation", reservedAnnotationPrefixes)
        .prefault({})
        .describe("Annotations on every object and pod the stack makes."),
    networkPolicy,
};

const serviceAccount = (who: string) =>
    object({
        annotations: metadataMap("annotation", reservedAnnotationPrefixes)
            .prefault({})
            .describe(
                `Annotations of the ${who}'s ServiceAccount, e.g. \`eks.amazonaws.com/role-arn\` for workload identity.`,
            ),
    }).prefault({});

const podMetadataKeys = (who: string) => ({
    podLabels: metadataMap("label", reservedLabelPrefixes)
        .prefault({})
        .describe(`Extra labels of the ${who}'s pods (not \`app.kubernetes.io/*\`).`),
    podAnnotations: metadataMap("annotation", reservedAnnotationPrefixes)
        .prefault({})
        .describe(`Extra annotations of the ${who}'s pods.`),
    priorityClassName: blankIsUnset(text(checkPriorityClassName).optional()).describe(
        `An existing PriorityClass for the ${who}'s pods.`,
    ),
});

/** Keys spread into the `worker` section. */
export const workerEnterpriseKeys = {
    serviceAccount: serviceAccount("worker"),
    ...podMetadataKeys("worker"),
    extraVolumes: listOf(extraVolume, "expected a list of volumes")
        .prefault([])
        .describe(
            "Extra volumes of the worker's pod (Kubernetes' shape; configMap, secret, emptyDir, persistentVolumeClaim, csi, projected, downwardAPI, ephemeral: what \"restricted\" allows).",
        ),
    extraVolumeMounts: listOf(volumeMount, "expected a list of volume mounts")
        .prefault([])
        .describe("Mounts of `extraVolumes` into the worker container (`name`, `mountPath`, `subPath`, `readOnly`)."),
    podDisruptionBudget: object({
        minAvailable: intOrPercent()
            .optional()
            .describe("Make a PodDisruptionBudget `worker` keeping this many (or this percentage) available."),
        maxUnavailable: intOrPercent()
            .optional()
            .describe("Or: one allowing this many (or this percentage) to be evicted at once."),
    })
        .superRefine((b, ctx) => {
            if (b.minAvailable !== undefined && b.maxUnavailable !== undefined) {
                custom(
                    ctx,
                    ["maxUnavailable"],
                    "set together with `minAvailable`; a PodDisruptionBudget takes one of them.",
                );
            }
        })
        .prefault({}),
    topologySpreadConstraints: listOf(topologySpreadConstraint, "expected a list of topology spread constraints")
        .prefault([])
        .describe(
            "How the worker's replicas spread over zones or nodes (Kubernetes' shape; `labelSelector` defaults to the worker's own).",
        ),
};

/** Keys spread into the `janitor` section. */
export const janitorEnterpriseKeys = {
    serviceAccount: serviceAccount("janitor"),
    ...podMetadataKeys("janitor"),
};

/** Pods kept available out of `replicas`, as the disruption controller rounds: up. */
function keptAvailable(value: number | string, replicas: number): number {
    return typeof value === "number" ? value : Math.ceil((Number(value.slice(0, -1)) * replicas) / 100);
}

/**
 * Rules within the `worker` section: mounts name an extra volume and no path of the program's; a
 * disruption budget must allow at least one eviction. Reads raw values (`always`).
 */
export function workerEnterpriseRules(w: unknown, ctx: z.RefinementCtx): void {
    const volumes = at(w, "extraVolumes");
    const volumeNames = (Array.isArray(volumes) ? volumes : []).map((v) => at(v, "name"));
    volumeNames.forEach((name, i) => {
        if (typeof name !== "string") return;
        if (reservedWorkerVolumeNames.includes(name)) {
            custom(
                ctx,
                ["extraVolumes", i, "name"],
                `got ${show(name)}, a volume of the program's own (${reservedWorkerVolumeNames.join(", ")}); choose another name.`,
            );
        } else if (volumeNames.indexOf(name) !== i) {
            custom(
                ctx,
                ["extraVolumes", i, "name"],
                `got ${show(name)} a second time; each volume needs its own name.`,
            );
        }
    });
    const ownPaths = [at(w, "storage", "mountPath") ?? "/data", "/tmp", caBundleDir];
    const mounts = at(w, "extraVolumeMounts");
    const mountPaths = (Array.isArray(mounts) ? mounts : []).map((m) => at(m, "mountPath"));
    (Array.isArray(mounts) ? mounts : []).forEach((m, i) => {
        const name = at(m, "name");
        if (typeof name === "string" && !volumeNames.includes(name)) {
            const known = volumeNames.filter((n) => typeof n === "string").map((n) => `\`${n}\``);
            custom(
                ctx,
                ["extraVolumeMounts", i, "name"],
                `got ${show(name)}, which is not in \`worker.extraVolumes\` (${known.length > 0 ? `names there: ${known.join(", ")}` : "it is empty"}); add the volume there.`,
            );
        }
        const path = mountPaths[i];
        if (typeof path !== "string") return;
        if (ownPaths.includes(path)) {
            custom(
                ctx,
                ["extraVolumeMounts", i, "mountPath"],
                `got ${show(path)}, where the program mounts a volume of its own (the claim at \`worker.storage.mountPath\`, \`/tmp\`, the CA bundle at \`${caBundleDir}\`); choose another path.`,
            );
        } else if (mountPaths.indexOf(path) !== i) {
            custom(
                ctx,
                ["extraVolumeMounts", i, "mountPath"],
                `got ${show(path)} a second time; each mount needs its own path.`,
            );
        }
    });
    const replicas = at(w, "replicaCount") ?? 1;
    const min = at(w, "podDisruptionBudget", "minAvailable");
    const max = at(w, "podDisruptionBudget", "maxUnavailable");
    if (typeof replicas !== "number" || replicas === 0) return;
    if ((typeof min === "number" || typeof min === "string") && keptAvailable(min, replicas) >= replicas) {
        custom(
            ctx,
            ["podDisruptionBudget", "minAvailable"],
            `got ${show(min)} with \`worker.replicaCount\` ${replicas}: it keeps every replica available, so no pod may ever be evicted and node drains and cluster upgrades hang. Use a value below \`worker.replicaCount\` (e.g. ${Math.max(replicas - 1, 0)}${replicas === 1 ? ", i.e. no budget, or raise `worker.replicaCount`" : ""}), or \`maxUnavailable: 1\`.`,
        );
    }
    if (max === 0 || max === "0%") {
        custom(
            ctx,
            ["podDisruptionBudget", "maxUnavailable"],
            `got ${show(max)}: no pod may ever be evicted, so node drains and cluster upgrades hang. Use at least \`1\` (or a percentage that rounds up to one pod).`,
        );
    }
}

/**
 * Rules across sections: `worker.env` may not set what `proxy` or `caBundle` set. Reads raw
 * values (`always`).
 */
export function enterpriseRules(c: unknown, ctx: z.RefinementCtx): void {
    const present = (v: unknown) => v !== undefined && v !== null && v !== "";
    const proxySet = present(at(c, "proxy", "httpProxy")) || present(at(c, "proxy", "httpsProxy"));
    const caSet = present(at(c, "caBundle", "configMapName")) || present(at(c, "caBundle", "pem"));
    const env = at(c, "worker", "env");
    (Array.isArray(env) ? env : []).forEach((e, i) => {
        const name = at(e, "name");
        if (typeof name !== "string") return;
        if (proxySet && proxyEnvNames.includes(name)) {
            custom(
                ctx,
                ["worker", "env", i, "name"],
                `got ${show(name)}, which \`proxy.*\` sets on every container; configure the proxy there and remove this entry.`,
            );
        }
        if (caSet && workerCaEnvNames.includes(name)) {
            custom(
                ctx,
                ["worker", "env", i, "name"],
                `got ${show(name)}, which \`caBundle.*\` sets on the worker; remove this entry.`,
            );
        }
    });
}

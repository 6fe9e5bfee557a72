/**
 * Kubernetes-shaped pieces of the enterprise-cluster keys (`enterprise.ts`): label and annotation
 * maps, label selectors, int-or-percent values, volumes and mounts, topology spread constraints
 * and NetworkPolicy peers. Each follows the Kubernetes API's own shape and rules, so a value
 * accepted here is one the API server accepts.
 */
import { z } from "zod";
import {
    checkCidrBlock,
    checkConfigMapKey,
    checkLabelValue,
    checkMetadataKey,
    checkSubPath,
} from "./enterprise-checks";
import { before, bool, freeform, int, isPlainObject, listOf, object, oneOf, stringMap, text, verbatim } from "./fields";
import { checkBytes, checkDns1123Label, checkDns1123Subdomain, checkMountPath } from "./validators";

const custom = (ctx: z.RefinementCtx, path: PropertyKey[], message: string) =>
    ctx.addIssue({ code: "custom", path, message, params: verbatim });

/** Label keys the program sets itself: the selectors, the policies and the janitor rely on them. */
export const reservedLabelPrefixes: Readonly<Record<string, string>> = {
    "app.kubernetes.io/": "the selectors and the policies match on them",
    "backline.ai/": "the program and the janitor use them",
    "pod-security.kubernetes.io/": "they set the namespace's Pod Security profile",
};

/** Annotation keys the program sets itself. */
export const reservedAnnotationPrefixes: Readonly<Record<string, string>> = {
    "backline.ai/": "the program and the janitor use them",
    "pulumi.com/": "they steer how Pulumi applies the object (use `kubernetes.skipAwait` and the image keys instead)",
};

/**
 * Labels (values checked) or annotations: keys in Kubernetes' syntax and, for `reserved`, outside
 * the program's own prefixes, so a user value can never override them.
 */
export function metadataMap(what: "label" | "annotation", reserved?: Readonly<Record<string, string>>) {
    return stringMap().superRefine((map, ctx) => {
        for (const [key, value] of Object.entries(map)) {
            const keyProblem = checkMetadataKey(key);
            if (keyProblem) custom(ctx, [key], `is not a valid ${what} key; ${keyProblem}.`);
            const prefix = Object.keys(reserved ?? {}).find((p) => key.startsWith(p));
            if (prefix) {
                custom(
                    ctx,
                    [key],
                    `is one of the program's own ${what}s (\`${prefix}*\`: ${reserved?.[prefix]}); choose a key outside \`${prefix}\`.`,
                );
            }
            const valueProblem = what === "label" ? checkLabelValue(value) : undefined;
            if (valueProblem) ctx.addIssue({ code: "custom", path: [key], message: valueProblem, input: value });
        }
    });
}

const selectorOperators = ["In", "NotIn", "Exists", "DoesNotExist"] as const;

/** A label selector (`matchLabels`, `matchExpressions`), as Deployments and NetworkPolicies take it. */
export const labelSelector = object({
    matchLabels: metadataMap("label").optional(),
    matchExpressions: listOf(
        object({
            key: text(checkMetadataKey, { missing: "missing; every expression needs a label `key`" }),
            operator: oneOf(selectorOperators),
            values: listOf(text(), "expected a list of label values").optional(),
        }).superRefine((e, ctx) => {
            const needsValues = e.operator === "In" || e.operator === "NotIn";
            if (needsValues && (e.values ?? []).length === 0) {
                custom(ctx, ["values"], `missing; operator \`${e.operator}\` needs at least one value.`);
            }
            if (!needsValues && e.values !== undefined && e.values.length > 0) {
                custom(ctx, ["values"], `must be empty with operator \`${e.operator}\`.`);
            }
        }),
        "expected a list of `{key, operator, values}` expressions",
    ).optional(),
});

/** A number of pods (`1`, also as text) or a percentage (`50%`), as PodDisruptionBudgets take them. */
export function intOrPercent() {
    const accepted = "expected a whole number of pods such as `1`, or a percentage from `0%` to `100%` such as `50%`";
    const error = (issue: { readonly input?: unknown }) =>
        issue.input === undefined ? `missing; ${accepted}` : accepted;
    return before(
        (raw) => (typeof raw === "string" && /^\d+$/.test(raw.trim()) ? Number(raw) : raw),
        z.union(
            [
                z.number({ error }).int({ error }).min(0, { error }),
                z.string({ error }).regex(/^(100|[1-9]?\d)%$/, { error }),
            ],
            { error },
        ),
    );
}

// ---------------------------------------------------------------------------------------------
// Volumes: only the types the "restricted" Pod Security profile allows.
// ---------------------------------------------------------------------------------------------

/** Volume types the "restricted" profile allows (policy/src/pod-security.ts keeps the same list). */
export const restrictedVolumeTypes = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
] as const;

/** Every other volume type of the core API: refused by name, with the reason. */
const refusedVolumeTypes = [
    "awsElasticBlockStore",
    "azureDisk",
    "azureFile",
    "cephfs",
    "cinder",
    "fc",
    "flexVolume",
    "flocker",
    "gcePersistentDisk",
    "gitRepo",
    "glusterfs",
    "hostPath",
    "image",
    "iscsi",
    "nfs",
    "photonPersistentDisk",
    "portworxVolume",
    "quobyte",
    "rbd",
    "scaleIO",
    "storageos",
    "vsphereVolume",
];

const fileMode = int(0, 0o777, { accepted: "expected a file mode from 0 to 511 (0777 in octal), as a decimal number" });
const keyToPath = object({
    key: text(checkConfigMapKey, { missing: "missing; each item needs the `key` to project" }),
    path: text(checkSubPath, { missing: "missing; each item needs the relative `path` to write it to" }),
    mode: fileMode.optional(),
});
const objectName = (what: string) => text(checkDns1123Subdomain, { missing: `missing; the name of the ${what}` });

const volumeSources = {
    configMap: object({
        name: objectName("ConfigMap"),
        items: listOf(keyToPath, "expected a list of `{key, path}` items").optional(),
        defaultMode: fileMode.optional(),
        optional: bool().optional(),
    }).optional(),
    secret: object({
        secretName: objectName("Secret"),
        items: listOf(keyToPath, "expected a list of `{key, path}` items").optional(),
        defaultMode: fileMode.optional(),
        optional: bool().optional(),
    }).optional(),
    emptyDir: object({
        medium: oneOf(["", "Memory"]).optional(),
        sizeLimit: text(checkBytes).optional(),
    }).optional(),
    persistentVolumeClaim: object({ claimName: objectName("claim"), readOnly: bool().optional() }).optional(),
    csi: object({
        driver: text(checkDns1123Subdomain, { missing: "missing; the CSI driver's name" }),
        readOnly: bool().optional(),
        fsType: text().optional(),
        volumeAttributes: stringMap().optional(),
        nodePublishSecretRef: object({ name: objectName("Secret") }).optional(),
    }).optional(),
    downwardAPI: object({
        items: listOf(freeform(), "expected a list of downward API items").optional(),
        defaultMode: fileMode.optional(),
    }).optional(),
    projected: object({
        sources: listOf(freeform(), "expected a list of projected sources"),
        defaultMode: fileMode.optional(),
    }).optional(),
    ephemeral: object({ volumeClaimTemplate: freeform() }).optional(),
};

/** A volume of the worker's pod: a name and exactly one source of a type "restricted" allows. */
export const extraVolume = z.preprocess(
    (raw, ctx) => {
        if (!isPlainObject(raw)) return raw;
        const refused = Object.keys(raw).filter((k) => refusedVolumeTypes.includes(k));
        for (const type of refused) {
            ctx.addIssue({
                code: "custom",
                path: [type],
                message: `is a volume type the "restricted" Pod Security profile (which the namespace enforces) refuses; use one of ${restrictedVolumeTypes.map((t) => `\`${t}\``).join(", ")}.`,
                params: verbatim,
            });
        }
        return raw;
    },
    object({
        name: text(checkDns1123Label, { missing: "missing; every volume needs a `name` (a DNS-1123 label)" }),
        ...volumeSources,
    }).superRefine((v, ctx) => {
        const sources = restrictedVolumeTypes.filter((t) => v[t] !== undefined);
        if (sources.length !== 1) {
            custom(
                ctx,
                [],
                `${sources.length === 0 ? "has no source" : `has ${sources.length} sources (${sources.join(", ")})`}; a volume takes exactly one of ${restrictedVolumeTypes.map((t) => `\`${t}\``).join(", ")}.`,
            );
        }
    }),
) as unknown as z.ZodType<
    { name: string } & { [K in (typeof restrictedVolumeTypes)[number]]?: Record<string, unknown> },
    Record<string, unknown>
>;

/** A mount of an extra volume into the worker container. */
export const volumeMount = object({
    name: text(checkDns1123Label, { missing: "missing; the name of a volume in `worker.extraVolumes`" }),
    mountPath: text(checkMountPath, { missing: "missing; an absolute path such as `/etc/corp`" }),
    subPath: text(checkSubPath).optional(),
    subPathExpr: text(checkSubPath).optional(),
    readOnly: bool().optional(),
}).superRefine((m, ctx) => {
    if (m.subPath !== undefined && m.subPathExpr !== undefined) {
        custom(ctx, ["subPathExpr"], "set together with `subPath`; a mount takes one of them.");
    }
});

// ---------------------------------------------------------------------------------------------
// Scheduling and network peers.
// ---------------------------------------------------------------------------------------------

export const topologySpreadConstraint = object({
    maxSkew: int(1),
    topologyKey: text(checkMetadataKey, { missing: "missing; a node label such as `topology.kubernetes.io/zone`" }),
    whenUnsatisfiable: oneOf(["DoNotSchedule", "ScheduleAnyway"]),
    labelSelector: labelSelector.optional().meta({
        description: "Pods counted.",
        defaultText: "the worker's own selector",
    }),
    minDomains: int(1).optional(),
    matchLabelKeys: listOf(text(checkMetadataKey), "expected a list of label keys").optional(),
    nodeAffinityPolicy: oneOf(["Honor", "Ignore"]).optional(),
    nodeTaintsPolicy: oneOf(["Honor", "Ignore"]).optional(),
}).superRefine((t, ctx) => {
    if (t.minDomains !== undefined && t.whenUnsatisfiable !== "DoNotSchedule") {
        custom(ctx, ["minDomains"], "needs `whenUnsatisfiable: DoNotSchedule` (Kubernetes ignores it otherwise).");
    }
});

/** A NetworkPolicy peer: pods and/or namespaces by selector, or an IP block. */
export const networkPolicyPeer = object({
    podSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional(),
    ipBlock: object({
        cidr: text(checkCidrBlock, { missing: "missing; the block to admit, e.g. `10.0.0.0/8`" }),
        except: listOf(text(checkCidrBlock), "expected a list of CIDR blocks").optional(),
    }).optional(),
}).superRefine((p, ctx) => {
    const selectors = p.podSelector !== undefined || p.namespaceSelector !== undefined;
    if (p.ipBlock !== undefined && selectors) {
        custom(ctx, ["ipBlock"], "set together with a selector; a peer is either selectors or an `ipBlock`.");
    }
    if (p.ipBlock === undefined && !selectors) {
        custom(ctx, [], "is empty; give `podSelector`, `namespaceSelector` (or both), or `ipBlock`.");
    }
});

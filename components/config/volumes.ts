/**
 * Extra volumes of the worker's pod and their mounts, in Kubernetes' shape: only the volume types
 * the "restricted" Pod Security profile (which the namespace enforces) allows.
 */
import { z } from "zod";
import {
    always,
    bool,
    freeform,
    int,
    isPlainObject,
    listOf,
    object,
    oneOf,
    rule,
    stringMap,
    text,
    verbatim,
} from "./fields";
import {
    checkBytes,
    checkConfigMapKey,
    checkDns1123Label,
    checkDns1123Subdomain,
    checkMountPath,
    checkSubPath,
} from "./validators";

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
const refusedVolumeTypes = (
    "awsElasticBlockStore azureDisk azureFile cephfs cinder fc flexVolume flocker gcePersistentDisk gitRepo " +
    "glusterfs hostPath image iscsi nfs photonPersistentDisk portworxVolume quobyte rbd scaleIO storageos vsphereVolume"
).split(" ");

const typeList = restrictedVolumeTypes.map((t) => `\`${t}\``).join(", ");
const fileMode = int(0, 0o777, { accepted: "expected a file mode from 0 to 511 (0777 in octal), as a decimal number" });
const keyToPath = object({
    key: text(checkConfigMapKey, { missing: "missing; each item needs the `key` to project" }),
    path: text(checkSubPath, { missing: "missing; each item needs the relative `path` to write it to" }),
    mode: fileMode.optional(),
});
const items = listOf(keyToPath, "expected a list of `{key, path}` items").optional();
const objectName = (what: string) => text(checkDns1123Subdomain, { missing: `missing; the name of the ${what}` });

const volumeSources = {
    configMap: object({
        name: objectName("ConfigMap"),
        items,
        defaultMode: fileMode.optional(),
        optional: bool().optional(),
    }).optional(),
    secret: object({
        secretName: objectName("Secret"),
        items,
        defaultMode: fileMode.optional(),
        optional: bool().optional(),
    }).optional(),
    emptyDir: object({ medium: oneOf(["", "Memory"]).optional(), sizeLimit: text(checkBytes).optional() }).optional(),
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
        for (const type of Object.keys(isPlainObject(raw) ? raw : {}).filter((k) => refusedVolumeTypes.includes(k))) {
            ctx.addIssue({
                code: "custom",
                path: [type],
                message: `is a volume type the "restricted" Pod Security profile (which the namespace enforces) refuses; use one of ${typeList}.`,
                params: verbatim,
            });
        }
        return raw;
    },
    object({
        name: text(checkDns1123Label, { missing: "missing; every volume needs a `name` (a DNS-1123 label)" }),
        ...volumeSources,
    }).superRefine((v, ctx) => {
        // Not `always`: an unknown key may be the source meant (`configmap`, `hostPath`).
        const sources = restrictedVolumeTypes.filter((t) => v[t] !== undefined);
        if (sources.length !== 1) {
            const got =
                sources.length === 0 ? "has no source" : `has ${sources.length} sources (${sources.join(", ")})`;
            rule(ctx).problem([], `${got}; a volume takes exactly one of ${typeList}.`);
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
}).superRefine((_, ctx) => {
    const { given, problem } = rule(ctx);
    if (given("subPath") && given("subPathExpr")) {
        problem(["subPathExpr"], "set together with `subPath`; a mount takes one of them.");
    }
}, always);

export const volumeMounts = listOf(volumeMount, "expected a list of volume mounts");

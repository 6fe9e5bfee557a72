/**
 * Helm 3's release record, as its default storage driver keeps it: one Secret per revision,
 * `sh.helm.release.v1.<release>.v<revision>` of type `helm.sh/release.v1`, labelled `owner=helm`,
 * `name`, `status`, `version`, in the namespace of `helm install --namespace`. Its `data.release` is
 * base64 (Kubernetes) of base64 (Helm) of gzip of a JSON document holding the chart (with its
 * default values), the user's values and the rendered manifest.
 * https://github.com/helm/helm/blob/v3.22.0/pkg/storage/driver/util.go
 */
import { gunzipSync } from "zlib"; // named: see kubectl.ts
import { parseAllDocuments } from "yaml";
import { isPlainObject } from "../config";
import type { HelmRevision, ObjectRef, ReleaseRecord } from "./plan";

/** The release document, as far as the adoption reads it. */
export interface HelmReleaseDocument {
    readonly name: string;
    readonly namespace: string;
    readonly version: number;
    readonly info: { readonly status: string; readonly description?: string };
    readonly chart: {
        readonly metadata: { readonly name: string; readonly version: string; readonly appVersion?: string };
        /** The chart's own values.yaml. */
        readonly values?: Record<string, unknown>;
    };
    /** The values the user gave (`-f`, `--set`), without the chart's defaults. Holds the access key. */
    readonly config?: Record<string, unknown>;
    /** The rendered objects, as one multi-document YAML. */
    readonly manifest: string;
}

/** Decodes `data.release` of a record Secret (as `kubectl get secret -o json` returns it). */
export function decodeReleaseRecord(secretData: { readonly release: string }): HelmReleaseDocument {
    const helmBase64 = Buffer.from(secretData.release, "base64").toString("utf8");
    const gz = Buffer.from(helmBase64, "base64");
    return JSON.parse(gunzipSync(gz).toString("utf8")) as HelmReleaseDocument;
}

/** The record Secret's revision, from its labels. */
export function revisionOf(secret: {
    readonly metadata: { readonly name: string; readonly labels?: Readonly<Record<string, string>> };
}): HelmRevision {
    const labels = secret.metadata.labels ?? {};
    return { secret: secret.metadata.name, version: Number(labels.version ?? 0), status: labels.status ?? "unknown" };
}

/** Kinds without a namespace that a chart may render; any other object lives in a namespace. */
const clusterScoped = new Set([
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "StorageClass",
    "PersistentVolume",
    "CustomResourceDefinition",
    "PriorityClass",
    "IngressClass",
    "RuntimeClass",
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "APIService",
    "CSIDriver",
]);

/** The objects of a rendered manifest; a namespaced one without a namespace is in the release's. */
export function manifestObjects(manifest: string, releaseNamespace: string): ObjectRef[] {
    return parseAllDocuments(manifest)
        .map(
            (d) => d.toJS() as { apiVersion?: string; kind?: string; metadata?: { name?: string; namespace?: string } },
        )
        .filter((o) => o && o.kind && o.metadata?.name)
        .map((o) => ({
            apiVersion: o.apiVersion ?? "v1",
            kind: o.kind as string,
            name: o.metadata?.name as string,
            ...(clusterScoped.has(o.kind as string) ? {} : { namespace: o.metadata?.namespace ?? releaseNamespace }),
        }));
}

/** Helm's coalescing of values: maps merge key by key, anything else is replaced, `null` removes. */
export function coalesceValues(base: unknown, over: unknown): unknown {
    if (!isPlainObject(base) || !isPlainObject(over)) {
        return over === undefined ? base : over;
    }
    const out: Record<string, unknown> = { ...base };
    for (const [k, v] of Object.entries(over)) {
        if (v === null) {
            delete out[k];
        } else {
            out[k] = coalesceValues(base[k], v);
        }
    }
    return out;
}

/** The newest revision as the plan reads it. */
export function releaseRecordOf(doc: HelmReleaseDocument, releaseNamespace: string): ReleaseRecord {
    return {
        version: doc.version,
        status: doc.info.status,
        chart: { name: doc.chart.metadata.name, version: doc.chart.metadata.version },
        values: coalesceValues(doc.chart.values ?? {}, doc.config ?? {}) as Record<string, unknown>,
        objects: manifestObjects(doc.manifest, doc.namespace || releaseNamespace),
    };
}

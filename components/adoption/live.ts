/**
 * The one read of the cluster before the adoption's resources are declared (in `preview` and `up`):
 * the release record, the objects of its manifest and those the stack declares (with their field
 * managers), the claim's storage class, and the Pod Security warnings the namespace would raise.
 * Writes nothing (the Pod Security check is a server-side dry run).
 */
import type { AdoptionStackConfig, LiveObject, LiveRelease, ObjectRef } from "./plan";
import { declaredObjects, liveName } from "./plan";
import { podSecurityLabels } from "../specs/common";
import { KubeConnection, kubectl, kubectlFailure, kubectlJson, kubectlType } from "../cluster/kubectl";
import { decodeReleaseRecord, releaseRecordOf, revisionOf } from "./release";

/** API versions of the kinds the stack declares (to name them to kubectl). */
const apiVersionOf: Record<string, string> = {
    Secret: "v1",
    ServiceAccount: "v1",
    ConfigMap: "v1",
    Service: "v1",
    PersistentVolumeClaim: "v1",
    Role: "rbac.authorization.k8s.io/v1",
    RoleBinding: "rbac.authorization.k8s.io/v1",
    Deployment: "apps/v1",
    CronJob: "batch/v1",
};

/** Objects by `Kind/name` in one namespace, the missing ones left out. */
function getObjects(conn: KubeConnection, namespace: string, refs: readonly ObjectRef[]): Record<string, LiveObject> {
    const wanted = [...new Set(refs.map((r) => `${kubectlType(r.apiVersion, r.kind)}/${r.name}`))];
    if (wanted.length === 0) return {};
    const got = kubectlJson(conn, ["get", "-n", namespace, ...wanted, "--ignore-not-found", "--show-managed-fields"]);
    const items: LiveObject[] = got === undefined ? [] : got.kind === "List" ? got.items : [got];
    return Object.fromEntries(items.map((o) => [liveName(o), o]));
}

/** The warnings of a dry run that makes the namespace enforce "restricted" (running pods that violate it). */
function podSecurityWarnings(conn: KubeConnection, namespace: string): string[] {
    const labels = Object.entries(podSecurityLabels)
        .filter(([k]) => k.includes("/enforce"))
        .map(([k, v]) => `${k}=${v}`);
    const args = ["label", "namespace", namespace, ...labels, "--overwrite", "--dry-run=server"];
    const r = kubectl(conn, args);
    if (r.status !== 0) {
        return [`(not checked: ${kubectlFailure(args, r)})`];
    }
    return r.stderr
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.startsWith("Warning:"))
        .map((l) => l.replace(/^Warning:\s*/, ""));
}

/** Reads what the plan needs. Throws (with kubectl's words) when the cluster cannot be read. */
export function readLiveRelease(conn: KubeConnection, c: AdoptionStackConfig): LiveRelease {
    const { release, releaseNamespace } = c.adoption;
    const records = kubectlJson(conn, ["get", "secrets", "-n", releaseNamespace, "-l", `owner=helm,name=${release}`]);
    const secrets: { metadata: { name: string; labels?: Record<string, string> }; data?: { release?: string } }[] =
        records?.items ?? [];
    const revisions = secrets.map(revisionOf).sort((a, b) => a.version - b.version);
    const newestSecret = secrets.find((s) => s.metadata.name === revisions[revisions.length - 1]?.secret);
    const newest =
        newestSecret?.data?.release !== undefined
            ? releaseRecordOf(decodeReleaseRecord({ release: newestSecret.data.release }), releaseNamespace)
            : undefined;

    const declared: ObjectRef[] = declaredObjects(c).flatMap((n) => {
        const [kind, name] = n.split("/");
        const apiVersion = apiVersionOf[kind];
        return apiVersion ? [{ apiVersion, kind, name, namespace: c.namespace }] : [];
    });
    const inNamespace = (newest?.objects ?? []).filter((o) => o.namespace === c.namespace);
    const objects = getObjects(conn, c.namespace, [...inNamespace, ...declared]);

    const claim =
        c.storage.claim.kind === "existingClaim" ? undefined : objects[`PersistentVolumeClaim/${c.storage.claim.name}`];
    const className: string | undefined = claim?.spec?.storageClassName || undefined;
    const storageClass = className
        ? kubectlJson(conn, ["get", "storageclass", className, "--ignore-not-found"])
        : undefined;

    const ns = kubectlJson(conn, ["get", "namespace", c.namespace, "--ignore-not-found"]);
    const enforcing = Object.entries(podSecurityLabels)
        .filter(([k]) => k.endsWith("/enforce"))
        .every(([k, v]) => ns?.metadata?.labels?.[k] === v);
    return {
        revisions,
        ...(newest ? { newest } : {}),
        objects,
        ...(storageClass
            ? {
                  storageClass: {
                      name: className as string,
                      allowVolumeExpansion: storageClass.allowVolumeExpansion === true,
                  },
              }
            : {}),
        podSecurityWarnings: newest && ns && !enforcing ? podSecurityWarnings(conn, c.namespace) : [],
    };
}

/**
 * The adoption of a live Helm release (`adopt.helmRelease`) as a pure function: what was read from
 * the cluster (`components/adoption/live.ts`) and the stack configuration in, a refusal with reasons
 * or a plan out. Tests call it with tables, without a cluster (test/adoption-preflight.spec.ts for
 * the refusals, test/adoption-plan.spec.ts for the plans).
 *
 * The rules come from experiments on a real API server: docs/helm-adoption-research.md.
 */
import { uniqueProblems } from "../config";
import type { ConfigProblem } from "../config";
import { parseQuantity } from "../config/validators";
import { labelKeys, names } from "../model";
import type { ClaimConfig, ClaimOverride } from "../model";
import {
    AdoptionPhase,
    AdoptionPlan,
    AdoptionStackConfig,
    helmMetadata,
    LiveObject,
    LiveRelease,
    ObjectRef,
    ReleaseRecord,
    refName,
    liveName,
} from "./model";
import { objectBackupName } from "./backups";
import { adoptionFieldManager, foreignManagers, isHandedOver } from "./managed-fields";

// The types are their own module; importers keep reading them from here.
export * from "./model";

/** Objects of these kinds the stack replaces with its own (RBAC of other names): deleted unless kept. */
const supersededKinds = new Set(["Role", "RoleBinding"]);

/** The stack's Kubernetes objects in its namespace, by `Kind/name` (the install Job by its prefix). */
export function declaredObjects(c: AdoptionStackConfig): string[] {
    const claim = c.storage.claim;
    return [
        `Secret/${names.accessKeySecret}`,
        `ServiceAccount/${names.workerServiceAccount}`,
        `Role/${names.workerServiceAccount}`,
        `RoleBinding/${names.workerServiceAccount}`,
        `ServiceAccount/${names.jobsServiceAccount}`,
        `Deployment/${names.workerDeployment}`,
        `Service/${names.workerService}`,
        `ServiceAccount/${names.janitorServiceAccount}`,
        `Role/${names.janitorServiceAccount}`,
        `RoleBinding/${names.janitorServiceAccount}`,
        `ConfigMap/${names.janitorScriptConfigMap}`,
        `CronJob/${names.janitorCronJob}`,
        ...(c.installJob ? [`Job/${names.janitorInstallJobPrefix}-…`] : []),
        ...(c.collector ? [`ConfigMap/${names.collectorConfigMap}`] : []),
        ...(claim.kind !== "existingClaim" ? [`PersistentVolumeClaim/${claim.name}`] : []),
        ...(c.siteObjects ?? []),
    ];
}

const helmManaged = (o: LiveObject | undefined) => o?.metadata.labels?.[labelKeys.managedBy] === helmMetadata.managedBy;
const quantity = (q: unknown) => (typeof q === "string" ? parseQuantity(q)?.value : undefined);

/** The plan for this configuration and what is live, or every reason to refuse it. */
export function planAdoption(c: AdoptionStackConfig, live: LiveRelease): AdoptionPlan {
    const { release, releaseNamespace, keep, remove: listedForRemoval } = c.adoption;
    const problems: ConfigProblem[] = [];
    const refuse = (key: string, message: string) => problems.push({ key, message });
    const declared = new Set(declaredObjects(c));
    const worker = live.objects[`Deployment/${names.workerDeployment}`];

    let phase: AdoptionPhase = "takeover";
    const newest = live.newest;
    if (!newest) {
        // Without a record the objects must already be the stack's (a finished adoption, run again).
        if (!worker || helmManaged(worker)) {
            refuse(
                "adopt.helmRelease",
                `got ${JSON.stringify(release)}, but namespace \`${releaseNamespace}\` holds no record of that release (no Secret labelled \`owner=helm,name=${release}\`). Check the name and namespace with \`helm list -A\`; set \`adopt.releaseNamespace\` when the release was installed with another \`--namespace\` than \`namespaceOverride\`.`,
            );
            return { kind: "refused", problems };
        }
        phase = "adopted";
    } else {
        checkRecord(c, newest, refuse);
    }

    const manifest = newest?.objects ?? [];
    const inRelease = new Set(manifest.map(refName));
    const keepSet = new Set(keep);
    const removeSet = new Set(listedForRemoval);
    for (const [key, listed] of [
        ["adopt.keep", keep],
        ["adopt.remove", listedForRemoval],
    ] as const) {
        for (const k of listed) {
            if (newest && !inRelease.has(k)) {
                refuse(
                    key,
                    `lists \`${k}\`, which is not an object of release \`${release}\` (${[...inRelease].join(", ")}). Remove it from the list.`,
                );
            } else if (declared.has(k)) {
                refuse(key, `lists \`${k}\`, which the stack declares and takes over. Remove it from the list.`);
            } else if (key === "adopt.remove" && k.startsWith("PersistentVolumeClaim/")) {
                refuse(
                    key,
                    `lists \`${k}\`: the adoption never deletes a claim, which holds data. Remove it from the list, and keep the claim (\`adopt.keep\`) or delete it yourself once its data is safe.`,
                );
            }
        }
    }

    const remove: ObjectRef[] = [];
    const kept: ObjectRef[] = [];
    const discard: ObjectRef[] = [];
    for (const o of manifest) {
        const name = refName(o);
        if (declared.has(name)) continue;
        if (keepSet.has(name)) {
            if (live.objects[name]) kept.push(o);
        } else if (o.kind === "PersistentVolumeClaim") {
            refuse(claimKey(c.storage.claim), unknownClaimMessage(c.storage.claim, o.name));
        } else if (removeSet.has(name)) {
            if (live.objects[name]) discard.push(o);
        } else if (supersededKinds.has(o.kind) && o.namespace !== undefined) {
            if (live.objects[name]) remove.push(o);
        } else {
            refuse(
                "adopt.keep",
                `release \`${release}\` has \`${name}\`, which the stack does not declare. Add \`${name}\` to \`adopt.keep\` to leave it in place (Helm's labels removed), or to \`adopt.remove\` to delete it once the take-over has succeeded (a copy is kept in Secret \`${objectBackupName(release, o)}\`).`,
            );
        }
    }

    const claim = checkClaim(c, live, inRelease, refuse);
    checkImmutables(live, refuse);
    if (problems.length > 0) {
        return { kind: "refused", problems: uniqueProblems(problems) };
    }

    const handover = Object.values(live.objects)
        .filter((o) => declared.has(liveName(o)) && (o.metadata.managedFields ?? []).some(isHandedOver))
        .map(toRef)
        .sort(byName);
    const workerImage = c.worker.image.autoUpdate ? workerImageOf(worker) : undefined;
    return {
        kind: "plan",
        phase,
        release,
        releaseNamespace,
        namespace: c.namespace,
        facts: {
            fieldManager: adoptionFieldManager,
            ...(worker?.spec?.selector?.matchLabels ? { workerSelector: { ...worker.spec.selector.matchLabels } } : {}),
            ...(workerImage ? { workerImage } : {}),
            ...(claim ? { claim } : {}),
        },
        handover,
        remove: remove.sort(byName),
        keep: kept.sort(byName),
        discard: discard.sort(byName),
        revisions: [...live.revisions].sort((a, b) => a.version - b.version),
    };
}

function checkRecord(c: AdoptionStackConfig, r: ReleaseRecord, refuse: (key: string, message: string) => void) {
    const { release } = c.adoption;
    if (r.status !== "deployed") {
        refuse(
            "adopt.helmRelease",
            `release \`${release}\` is \`${r.status}\` (revision ${r.version}); only a \`deployed\` release can be adopted. See \`helm history ${release} -n ${c.adoption.releaseNamespace}\`, bring it back with \`helm rollback ${release} <revision>\` (or finish the pending operation), and run again.`,
        );
    }
    if (r.chart.name !== "backline") {
        refuse(
            "adopt.helmRelease",
            `release \`${release}\` is of chart \`${r.chart.name}\` ${r.chart.version}; only releases of the Backline chart (\`backline\`) can be adopted.`,
        );
    }
    const elsewhere = new Set(
        r.objects.flatMap((o) => (o.namespace && o.namespace !== c.namespace ? [o.namespace] : [])),
    );
    if (elsewhere.size > 0) {
        const where = [...elsewhere].join("`, `");
        refuse(
            "namespaceOverride",
            `got \`${c.namespace}\`, but the objects of release \`${release}\` are in \`${where}\`. Set \`namespaceOverride\` to the release's namespace (its \`namespaceOverride\` value).`,
        );
    }
}

function claimKey(claim: ClaimConfig): string {
    return claim.kind === "existingClaim" ? "worker.storage.pvc.create" : "worker.storage.pvc.name";
}

function unknownClaimMessage(claim: ClaimConfig, releaseClaim: string): string {
    return claim.kind === "existingClaim"
        ? `is false, but the release created claim \`${releaseClaim}\` (and the data on it). Set \`worker.storage.pvc.create\` to true (and \`worker.storage.pvc.name\` to \`${releaseClaim}\`) so the stack takes it over.`
        : `got ${JSON.stringify(claim.name)}, but the release's claim is \`${releaseClaim}\` (it holds the data). Set \`worker.storage.pvc.name\` to \`${releaseClaim}\`.`;
}

/** The claim's class, access modes and size: what the API server would refuse to change, refused here. */
function checkClaim(
    c: AdoptionStackConfig,
    live: LiveRelease,
    inRelease: ReadonlySet<string>,
    refuse: (key: string, message: string) => void,
): ClaimOverride | undefined {
    const claim = c.storage.claim;
    if (claim.kind === "existingClaim" || claim.kind === "efs") {
        return undefined;
    }
    const name = `PersistentVolumeClaim/${claim.name}`;
    const pvc = live.objects[name];
    if (!pvc) {
        return undefined;
    }
    if (live.newest && !inRelease.has(name)) {
        refuse(
            "worker.storage.pvc.create",
            `is true, but claim \`${claim.name}\` exists and is not part of the release (it was installed with \`worker.storage.pvc.create: false\`). Set \`worker.storage.pvc.create\` to false: the stack then uses the claim as it is.`,
        );
        return undefined;
    }
    const liveClass: string | undefined = pvc.spec?.storageClassName || undefined;
    if (claim.kind === "storageClass" && claim.storageClassName !== liveClass) {
        refuse(
            "worker.storage.pvc.storageClassName",
            `got ${JSON.stringify(claim.storageClassName)}, but claim \`${claim.name}\` is on class ${liveClass ? `\`${liveClass}\`` : "none (no class)"}, and a claim's class cannot change: the data would have to move to a new claim. Set it to ${liveClass ? `\`${liveClass}\`` : '`""`'} (or leave it unset) to keep the claim.`,
        );
    }
    const requested = pvc.spec?.resources?.requests?.storage as string | undefined;
    const capacity = (pvc.status?.capacity?.storage as string | undefined) ?? requested;
    const want = quantity(claim.size);
    const have = quantity(capacity);
    const bound = pvc.status?.phase === "Bound";
    if (want !== undefined && have !== undefined && want !== quantity(requested)) {
        if (want < have) {
            refuse(
                "worker.storage.pvc.size",
                `got ${JSON.stringify(claim.size)}, smaller than claim \`${claim.name}\` (${capacity}); a claim never shrinks. Set it to ${JSON.stringify(capacity)}.`,
            );
        } else if (!bound) {
            refuse(
                "worker.storage.pvc.size",
                `got ${JSON.stringify(claim.size)}, but claim \`${claim.name}\` (${requested}) is not bound, and an unbound claim cannot be resized. Set it to ${JSON.stringify(requested)}.`,
            );
        } else if (want > have && !live.storageClass?.allowVolumeExpansion) {
            refuse(
                "worker.storage.pvc.size",
                `got ${JSON.stringify(claim.size)}, larger than claim \`${claim.name}\` (${capacity}), but its class ${liveClass ? `\`${liveClass}\`` : "(none)"} does not allow volume expansion. Set it to ${JSON.stringify(capacity)}.`,
            );
        }
    }
    const accessModes: string[] = pvc.spec?.accessModes ?? ["ReadWriteMany"];
    return { ...(liveClass ? { storageClassName: liveClass } : {}), accessModes };
}

/** Fields the stack sets that the API server never lets change. */
function checkImmutables(live: LiveRelease, refuse: (key: string, message: string) => void) {
    const secret = live.objects[`Secret/${names.accessKeySecret}`];
    if (secret && (secret.type ?? "Opaque") !== "Opaque") {
        refuse(
            "adopt.helmRelease",
            `Secret \`${names.accessKeySecret}\` is of type \`${secret.type}\`; the stack's is \`Opaque\`, and a Secret's type cannot change.`,
        );
    }
    for (const o of Object.values(live.objects)) {
        if (o.kind === "ConfigMap" && o.immutable) {
            refuse(
                "adopt.helmRelease",
                `ConfigMap \`${o.metadata.name}\` is immutable (\`immutable: true\`), so the stack cannot update it. Delete it and run again.`,
            );
        }
    }
}

function workerImageOf(worker: LiveObject | undefined): string | undefined {
    const containers: { name: string; image?: string }[] = worker?.spec?.template?.spec?.containers ?? [];
    return containers.find((x) => x.name === names.workerContainer)?.image;
}

function toRef(o: LiveObject): ObjectRef {
    return { apiVersion: o.apiVersion, kind: o.kind, name: o.metadata.name, namespace: o.metadata.namespace };
}

function byName(a: ObjectRef, b: ObjectRef): number {
    const x = refName(a);
    const y = refName(b);
    return x < y ? -1 : x > y ? 1 : 0;
}

/** Managers other than Helm, kubectl and the controllers owning fields of a declared object, by object. */
export function foreignOwnership(c: AdoptionStackConfig, live: LiveRelease): string[] {
    const declared = new Set(declaredObjects(c));
    return Object.values(live.objects)
        .filter((o) => declared.has(liveName(o)))
        .flatMap((o) => {
            const managers = foreignManagers(o.metadata.managedFields ?? []);
            return managers.length > 0 ? [`${liveName(o)}: ${managers.join(", ")}`] : [];
        })
        .sort();
}

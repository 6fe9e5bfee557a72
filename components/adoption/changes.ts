/**
 * What an adoption will change, in words for the preview: which objects are taken over in place,
 * created, deleted or kept, what happens to Helm's metadata, the worker's selector and rollout, the
 * claim, the values that differ between the release and the stack, and the Pod Security warnings.
 * Pure: `planAdoption`'s plan, what was read and the chart-shaped stack values in, lines out.
 */
import { isPlainObject, isSecretPath } from "../config";
import { parseQuantity } from "../config/validators";
import {
    AdoptionStackConfig,
    AdoptionSteps,
    declaredObjects,
    foreignOwnership,
    helmMetadata,
    LiveRelease,
    refName,
} from "./plan";
import { backupSecretName, objectBackupName } from "./backups";
import { labelKeys, names } from "../model";
import { canonicalJson } from "../specs/common";

const ourLabelKeys = new Set<string>(Object.values(labelKeys));

/** Leaf paths of a value (lists are leaves), as `a.b.c`. */
function leaves(value: unknown, prefix: string[] = []): [string[], unknown][] {
    if (!isPlainObject(value) || Object.keys(value).length === 0) {
        return prefix.length > 0 ? [[prefix, value]] : [];
    }
    return Object.entries(value).flatMap(([k, v]) => leaves(v, [...prefix, k]));
}

function valueAt(value: unknown, path: readonly string[]): unknown {
    let v = value;
    for (const p of path) {
        if (!isPlainObject(v)) return undefined;
        v = v[p];
    }
    return v;
}

const quantityKeys = /(^|\.)(cpu|memory|storage|size)$/;

/** Blank strings, nulls and empty maps mean "unset" in both Helm values and stack configuration. */
function normalise(v: unknown): unknown {
    if (Array.isArray(v)) return v.map(normalise);
    if (!isPlainObject(v)) return v === "" || v === null ? undefined : v;
    const entries = Object.entries(v)
        .map(([k, x]) => [k, normalise(x)] as const)
        .filter(([, x]) => x !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
}

function same(key: string, a: unknown, b: unknown): boolean {
    if (quantityKeys.test(key) && typeof a === "string" && (typeof b === "string" || typeof b === "number")) {
        const x = parseQuantity(a)?.value;
        const y = parseQuantity(String(b))?.value;
        if (x !== undefined && y !== undefined) return Math.abs(x - y) <= Math.abs(x) * 1e-9;
    }
    if ((typeof a === "number" || typeof a === "boolean") && typeof b === "string") return String(a) === b;
    if ((typeof b === "number" || typeof b === "boolean") && typeof a === "string") return String(b) === a;
    return canonicalJson(normalise(a)) === canonicalJson(normalise(b));
}

/**
 * Keys whose value in the release (the chart's defaults under the user's values) differs from the
 * stack's, as `key: release …, stack …`; secrets are named, never shown.
 */
export function valueDifferences(releaseValues: unknown, stackValues: unknown, skip: readonly string[] = []): string[] {
    const out: string[] = [];
    for (const [path, ours] of leaves(stackValues)) {
        const key = path.join(".");
        if (skip.some((s) => key === s || key.startsWith(`${s}.`))) continue;
        const theirs = valueAt(releaseValues, path);
        if (normalise(theirs) === undefined && normalise(ours) === undefined) continue;
        if (theirs === undefined || same(key, ours, theirs)) continue;
        if (isSecretPath(path)) {
            out.push(`\`${key}\`: differs (values not shown)`);
        } else {
            out.push(`\`${key}\`: release ${show(theirs)}, stack ${show(ours)}`);
        }
    }
    return out;
}

function show(v: unknown): string {
    const text = v === undefined || v === "" ? "(unset)" : (JSON.stringify(v) ?? String(v));
    return text.length > 100 ? `${text.slice(0, 97)}...` : text;
}

const list = (xs: readonly string[]) => (xs.length > 0 ? xs.join(", ") : "none");

/** The preview's account of the adoption, one line each (indented lines belong to the one above). */
export function describeAdoption(
    c: AdoptionStackConfig,
    plan: AdoptionSteps,
    live: LiveRelease,
    stackValues: unknown,
): string[] {
    const lines: string[] = [];
    const declared = declaredObjects(c);
    const isLive = (n: string) => live.objects[n] !== undefined;
    if (plan.phase === "adopted") {
        lines.push(
            `Helm release \`${plan.release}\` is already adopted: no record of it is left in namespace \`${plan.releaseNamespace}\`.`,
        );
        if (plan.handover.length > 0) {
            lines.push(`  Helm's field ownership is handed over again on: ${list(plan.handover.map(refName))}.`);
        }
        return lines;
    }
    const newest = live.newest;
    lines.push(
        `Adopting Helm release \`${plan.release}\` (revision ${newest?.version}, chart ${newest?.chart.name} ${newest?.chart.version}) into namespace \`${plan.namespace}\`:`,
    );
    lines.push(`  taken over in place (same UIDs): ${list(declared.filter(isLive))}.`);
    lines.push(`  created: ${list(declared.filter((n) => !isLive(n)))}.`);
    if (plan.remove.length > 0) {
        lines.push(`  deleted at the end (the chart's, replaced by the stack's): ${list(plan.remove.map(refName))}.`);
    }
    if (plan.discard.length > 0) {
        const copies = plan.discard.map((r) => `${refName(r)} (copied to Secret ${objectBackupName(plan.release, r)})`);
        lines.push(`  deleted at the end (\`adopt.remove\`): ${list(copies)}.`);
    }
    if (plan.keep.length > 0) {
        lines.push(`  left in place (\`adopt.keep\`), Helm's labels removed: ${list(plan.keep.map(refName))}.`);
    }

    const takenOver = declared.map((n) => live.objects[n]).filter((o) => o !== undefined);
    const helmLabels = new Set(
        takenOver.flatMap((o) => Object.keys(o.metadata.labels ?? {}).filter((k) => !ourLabelKeys.has(k))),
    );
    const helmAnnotations = new Set(
        takenOver.flatMap((o) =>
            Object.keys(o.metadata.annotations ?? {}).filter((k) => k.startsWith(helmMetadata.annotationPrefix)),
        ),
    );
    lines.push(
        `  Helm's field ownership passes to \`${plan.facts.fieldManager}\` on ${plan.handover.length} objects; what only Helm set goes: labels ${list([...helmLabels].sort())}, annotations ${list([...helmAnnotations].sort())}; \`${labelKeys.managedBy}\` becomes \`pulumi\`.`,
    );

    const selector = plan.facts.workerSelector;
    if (selector) {
        const pairs = Object.entries(selector).map(([k, v]) => `${k}=${v}`);
        lines.push(
            `  Deployment/${names.workerDeployment} keeps its selector (immutable) ${pairs.join(", ")}; its pods and Service/${names.workerService} use those pairs too. Its pods are replaced one at a time (maxSurge 1, maxUnavailable 0).`,
        );
    }
    if (plan.facts.workerImage) {
        lines.push(`  the worker keeps its live image ${plan.facts.workerImage} (the janitor keeps it fresh).`);
    }
    const claim = c.storage.claim;
    if (claim.kind !== "existingClaim" && claim.kind !== "efs" && plan.facts.claim) {
        const pvc = live.objects[`PersistentVolumeClaim/${claim.name}`];
        const size = pvc?.spec?.resources?.requests?.storage;
        const resize = size && !same("size", claim.size, size) ? `, grows from ${size} to ${claim.size}` : "";
        lines.push(
            `  PersistentVolumeClaim/${claim.name} keeps its class ${plan.facts.claim.storageClassName ?? "(none)"}, access modes ${plan.facts.claim.accessModes.join(", ")} and volume ${pvc?.spec?.volumeName ?? "(not bound yet)"}${resize}.`,
        );
    }

    // With automatic updates the live image is kept whatever the values say.
    const skip = c.worker.image.autoUpdate ? ["worker.image"] : [];
    const diffs = newest ? valueDifferences(newest.values, stackValues, skip) : [];
    if (diffs.length > 0) {
        lines.push(`  values that differ from the release (the stack's apply):`);
        lines.push(...diffs.map((d) => `    ${d}`));
    }
    if (live.podSecurityWarnings.length > 0) {
        lines.push(
            `  Namespace/${plan.namespace} starts enforcing the "restricted" Pod Security profile; running pods stay, and the API server warns:`,
        );
        lines.push(...live.podSecurityWarnings.map((w) => `    ${w}`));
    }
    const foreign = foreignOwnership(c, live);
    if (foreign.length > 0) {
        lines.push(
            `  fields owned by other managers (the apply stops with a conflict if the stack sets one to another value):`,
        );
        lines.push(...foreign.map((f) => `    ${f}`));
    }
    const records = plan.revisions.map((r) => r.secret);
    lines.push(
        `  last, Helm's record (${list(records)}) is copied to ${list(plan.revisions.map((r) => backupSecretName(plan.release, r.version)))} and removed: \`helm list -n ${plan.releaseNamespace}\` then shows no release.`,
    );
    return lines;
}

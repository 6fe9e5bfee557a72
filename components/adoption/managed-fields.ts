/**
 * Server-side apply ownership of objects taken over from Helm, as pure functions.
 *
 * Helm 3 writes with client-side patches as field manager `helm` (operation `Update`); Pulumi applies
 * server-side. Applied as they are, the stack's objects conflict with `helm` on every field both set
 * (docs/helm-adoption-research.md, section 4). Rewriting `metadata.managedFields` so that Helm's
 * entries become the `Apply` entry of the manager the stack applies with makes the stack the sole
 * owner of what Helm set: its next apply takes its values without force and removes what it no longer
 * declares (Helm's labels and annotations, the chart's checksum annotation, …), as pulumi-kubernetes
 * itself does for `kubectl`'s entries on updates (`fixCSAFieldManagers`).
 */

/** One entry of `metadata.managedFields`. */
export interface ManagedFieldsEntry {
    readonly manager?: string;
    readonly operation?: string;
    readonly apiVersion?: string;
    readonly time?: string;
    readonly fieldsType?: string;
    readonly fieldsV1?: FieldSet;
    readonly subresource?: string;
}

/** A `FieldsV1` set: nested objects whose leaves are `{}`. */
export interface FieldSet {
    readonly [key: string]: FieldSet;
}

/** The manager every object of an adopted release is applied with (`pulumi.com/patchFieldManager`). */
export const adoptionFieldManager = "pulumi-backline";

/**
 * Managers whose writes the takeover hands to the stack: Helm, and people with kubectl (`kubectl`,
 * `kubectl-edit`, `kubectl-set`, `kubectl-client-side-apply`, …) changing the release by hand. Only
 * their `Update`s of the object itself: status and scale writes are controllers' business.
 */
export function isHandedOver(entry: ManagedFieldsEntry): boolean {
    const manager = entry.manager ?? "";
    return (
        entry.operation === "Update" &&
        (entry.subresource ?? "") === "" &&
        (manager === "helm" || manager === "kubectl" || manager.startsWith("kubectl-"))
    );
}

/**
 * Managers that keep their fields after the takeover without conflicting with the stack:
 * controllers (`kube-controller-manager` writes status, the Deployment's revision annotation and the
 * claim's binding annotations), the janitor (the worker image), Helm's storage driver (`Helm`, on the
 * release record only) and the stack's own manager.
 */
const coexisting = new Set(["kube-controller-manager", "backline-janitor", "Helm", adoptionFieldManager]);

/**
 * Entries of other managers that own fields of the object itself (not status): the stack's apply
 * conflicts with them if it sets one of those fields to another value. Listed in the preview.
 */
export function foreignManagers(entries: readonly ManagedFieldsEntry[]): string[] {
    const names = entries
        .filter((e) => !isHandedOver(e) && (e.subresource ?? "") === "" && !coexisting.has(e.manager ?? ""))
        .map((e) => `${e.manager ?? "(unnamed)"} (${e.operation ?? "?"})`);
    return [...new Set(names)].sort();
}

/** The union of two field sets. */
export function mergeFieldSets(a: FieldSet, b: FieldSet): FieldSet {
    const out: Record<string, FieldSet> = { ...a };
    for (const [key, value] of Object.entries(b)) {
        out[key] = key in out ? mergeFieldSets(out[key], value) : value;
    }
    return out;
}

/**
 * `managedFields` with every handed-over entry turned into one `Apply` entry of `manager` (per API
 * version, merged with an `Apply` entry it may already have), other entries unchanged; `undefined`
 * when there is nothing to hand over.
 */
export function handOver(
    entries: readonly ManagedFieldsEntry[],
    manager: string,
    time: string,
): ManagedFieldsEntry[] | undefined {
    const moving = entries.filter(isHandedOver);
    if (moving.length === 0) {
        return undefined;
    }
    const isOurs = (e: ManagedFieldsEntry) => e.manager === manager && e.operation === "Apply";
    const staying = entries.filter((e) => !isHandedOver(e) && !isOurs(e));
    const byVersion = new Map<string, FieldSet>();
    for (const e of [...entries.filter(isOurs), ...moving]) {
        const version = e.apiVersion ?? "";
        byVersion.set(version, mergeFieldSets(byVersion.get(version) ?? {}, e.fieldsV1 ?? {}));
    }
    const ours: ManagedFieldsEntry[] = [...byVersion].map(([apiVersion, fieldsV1]) => ({
        manager,
        operation: "Apply",
        apiVersion,
        time,
        fieldsType: "FieldsV1",
        fieldsV1,
    }));
    return [...staying, ...ours];
}

/**
 * The JSON patch that installs `managedFields`, refused by the API server if the object changed
 * since it was read (`resourceVersion`): the caller reads again and retries.
 */
export function handOverPatch(resourceVersion: string, managedFields: readonly ManagedFieldsEntry[]): object[] {
    return [
        { op: "test", path: "/metadata/resourceVersion", value: resourceVersion },
        { op: "replace", path: "/metadata/managedFields", value: managedFields },
    ];
}

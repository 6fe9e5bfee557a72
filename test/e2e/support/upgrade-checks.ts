/**
 * What the upgrade suite (test/e2e/upgrade.e2e.ts) judges, without a cluster: the steps of
 * `pulumi preview --json`, the objects a stack's state records, the UIDs before and after, and the
 * worker's availability and the deletions a watch saw. Each check returns the problems as lines
 * that name the URN or object and what happened to it, so a failure says what an upgrade would do.
 */
import type { WatchEvent } from "../../support/watch";

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = any;

/** One step of `pulumi preview --json`. */
export interface PreviewStep {
    readonly op: string;
    readonly urn: string;
    /** The properties that differ (`diffReasons`), when the preview says. */
    readonly diff?: readonly string[];
}

/** A resource an upgrade may replace, with why that is harmless. */
export interface ExpectedReplacement {
    /** The resource's type token, e.g. `kubernetes:batch/v1:Job`. */
    readonly type: string;
    /** Its logical name (the URN's last part). */
    readonly name: string;
    readonly why: string;
}

/** The only replacements an upgrade may make. */
export const EXPECTED_REPLACEMENTS: readonly ExpectedReplacement[] = [
    {
        type: "kubernetes:batch/v1:Job",
        name: "backline-janitor-install",
        why:
            "the one-off install Job is named janitor-install-<hash of the janitor script>: a release with a " +
            "new script makes a new Job, which runs the install once more, and deletes the old, finished one " +
            "(docs/upgrading.md)",
    },
];

/** Steps that take an object away: a delete, or any step of a replacement. */
const REMOVING_OPS = new Set([
    "delete",
    "replace",
    "create-replacement",
    "delete-replaced",
    "read-replacement",
    "discard",
    "discard-replaced",
    "import-replacement",
    "remove-pending-replace",
]);

/** Steps that change nothing. */
const UNCHANGED_OPS = new Set(["same", "read", "refresh"]);

/** The type token and the logical name of a URN (`urn:pulumi:<stack>::<project>::<types>::<name>`). */
export function urnParts(urn: string): { type: string; name: string } {
    const [, , types = "", ...name] = urn.split("::");
    return { type: types.split("$").pop() ?? "", name: name.join("::") };
}

function expectedReplacement(urn: string, allowed: readonly ExpectedReplacement[]): ExpectedReplacement | undefined {
    const { type, name } = urnParts(urn);
    return allowed.find((a) => a.type === type && a.name === name);
}

/** Each URN with its steps, in the preview's order: `delete urn:…` or `replace, create-replacement, … urn:…`. */
function byUrn(steps: readonly PreviewStep[]): string[] {
    const ops = new Map<string, string[]>();
    for (const s of steps) ops.set(s.urn, [...(ops.get(s.urn) ?? []), s.op]);
    return [...ops].map(([urn, o]) => `  ${[...new Set(o)].join(", ")} ${urn}`);
}

/**
 * The steps of a preview that delete or replace a resource the upgrade must keep: every removing
 * step but the replacements of `allowed` (a plain delete of those is still refused).
 */
export function forbiddenSteps(
    steps: readonly PreviewStep[],
    allowed: readonly ExpectedReplacement[] = EXPECTED_REPLACEMENTS,
): PreviewStep[] {
    return steps.filter(
        (s) => REMOVING_OPS.has(s.op) && !(s.op !== "delete" && expectedReplacement(s.urn, allowed) !== undefined),
    );
}

/** The failure message for a preview's forbidden steps, or undefined when there are none. */
export function forbiddenReport(upgrade: string, steps: readonly PreviewStep[]): string | undefined {
    const bad = forbiddenSteps(steps);
    if (bad.length === 0) return undefined;
    // A create of the same type under the same parents next to a delete is most likely a rename.
    const parentsAndType = (urn: string) => urn.split("::")[2];
    const removed = new Set(bad.map((s) => parentsAndType(s.urn)));
    const created = steps.filter((s) => s.op === "create" && removed.has(parentsAndType(s.urn)));
    return [
        `${upgrade}: pulumi preview would delete or replace ${new Set(bad.map((s) => s.urn)).size} resource(s) ` +
            "that an upgrade must keep:",
        ...byUrn(bad),
        ...(created.length > 0
            ? ["and create, of the same type and parents (a renamed resource?):", ...byUrn(created)]
            : []),
        "A changed URN (type, name or parent) is a delete and a create on every deployed stack: keep the old " +
            'URN with `aliases` (docs/versioning.md, "Resource URNs"). A replacement that is harmless goes ' +
            "into EXPECTED_REPLACEMENTS in test/e2e/support/upgrade-checks.ts, with why.",
    ].join("\n");
}

/** The steps of a preview that would change something (for "a second preview has no changes"). */
export function changingSteps(steps: readonly PreviewStep[]): PreviewStep[] {
    return steps.filter((s) => !UNCHANGED_OPS.has(s.op));
}

export function changesReport(upgrade: string, steps: readonly PreviewStep[]): string | undefined {
    const changing = changingSteps(steps);
    if (changing.length === 0) return undefined;
    return [`${upgrade}: a second pulumi preview after the upgrade still has changes:`, ...byUrn(changing)].join("\n");
}

/** A Kubernetes object a stack's state records, and how kubectl names it. */
export interface StateObject {
    readonly urn: string;
    /** `Kind namespace/name` (or `Kind name` when cluster-scoped), for messages and maps. */
    readonly key: string;
    /** `kind.version.group/name` for `kubectl get`. */
    readonly kubectl: string;
}

/** The object's key, as `StateObject.key`. */
export function objectKey(kind: string, namespace: string | undefined, name: string): string {
    return namespace ? `${kind} ${namespace}/${name}` : `${kind} ${name}`;
}

/** The Kubernetes objects in a `pulumi stack export` (providers and components left out). */
export function stateObjects(exported: Any): StateObject[] {
    const resources: Any[] = exported?.deployment?.resources ?? [];
    return resources
        .filter((r) => /^kubernetes:[^:]+:[A-Za-z]+$/.test(r.type) && r.outputs?.metadata?.name)
        .map((r) => {
            const [, groupVersion, kind] = r.type.split(":");
            const [group, version] = groupVersion.split("/");
            const { name, namespace } = r.outputs.metadata;
            const resource = group === "core" ? kind.toLowerCase() : `${kind.toLowerCase()}.${version}.${group}`;
            return { urn: r.urn, key: objectKey(kind, namespace, name), kubectl: `${resource}/${name}` };
        });
}

/** `Kind namespace/name` → UID of the items of a `kubectl get … -o json`. */
export function uidsOf(list: Any): Map<string, string> {
    const items: Any[] = list?.kind === "List" || Array.isArray(list?.items) ? list.items : [list];
    return new Map(
        items.map((o) => [objectKey(o.kind, o.metadata.namespace, o.metadata.name), o.metadata.uid as string]),
    );
}

/** Objects of `before` that are gone or have another UID in `after`. */
export function uidChanges(before: ReadonlyMap<string, string>, after: ReadonlyMap<string, string>): string[] {
    return [...before]
        .filter(([key, uid]) => after.get(key) !== uid)
        .map(([key, uid]) =>
            after.has(key)
                ? `  ${key}: UID ${uid} became ${after.get(key)} (deleted and created again)`
                : `  ${key}: gone`,
        );
}

/** Every moment a watch saw Deployment `name` of `namespace` with fewer available replicas than `replicas`. */
export function belowReplicas(
    events: readonly WatchEvent[],
    namespace: string,
    name: string,
    replicas: number,
): string[] {
    return events
        .filter(
            (e) =>
                e.type !== "DELETED" &&
                e.object?.kind === "Deployment" &&
                e.object.metadata?.namespace === namespace &&
                e.object.metadata?.name === name,
        )
        .filter((e) => (e.object.status?.availableReplicas ?? 0) < replicas)
        .map(
            (e) =>
                `  ${e.at} ms: ${e.object.status?.availableReplicas ?? 0}/${replicas} available ` +
                `(generation ${e.object.metadata.generation}, ${e.object.status?.updatedReplicas ?? 0} updated)`,
        );
}

/** A Job the CronJob `janitor` started on its schedule (`janitor-<minute>`): its history limit deletes old ones. */
export const scheduledJob = (o: Any): boolean => o?.kind === "Job" && /^janitor-\d+$/.test(o.metadata?.name ?? "");

/** The install Job of an expected replacement (`janitor-install-<hash>`). */
export const installJob = (o: Any): boolean =>
    o?.kind === "Job" && /^janitor-install-[0-9a-f]+$/.test(o.metadata?.name ?? "");

/** Deletions a watch saw of objects in `namespace` (or named for it), other than scheduled and install Jobs. */
export function unexpectedDeletions(events: readonly WatchEvent[], owns: (o: Any) => boolean): string[] {
    return events
        .filter((e) => e.type === "DELETED" && owns(e.object) && !scheduledJob(e.object) && !installJob(e.object))
        .map(
            (e) =>
                `  ${e.at} ms: ${objectKey(e.object.kind, e.object.metadata.namespace, e.object.metadata.name)} deleted`,
        );
}

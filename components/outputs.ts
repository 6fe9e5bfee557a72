/**
 * The stack outputs of `index.ts`, declared once: each key, whether it is optional (a feature that
 * is off has no key at all, rather than an undefined value, which the engine warns about on every
 * preview), and how its value is read back from the engine. The component's type
 * (`BacklineStackOutputs`) and the Automation API's typed outputs (`parseStackOutputs`) both derive
 * from this declaration, so neither can lose a key the other has.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { HelmReleaseRemovalResult } from "./adoption";
import type { WorkerImageUpdates } from "./specs/worker";

/** One output: whether the stack may leave it out, and its value from what the engine returns (`undefined`: not one). */
interface OutputDeclaration<T, Optional extends boolean> {
    readonly optional: Optional;
    readonly parse: (value: unknown) => T | undefined;
}

const required = <T>(parse: (value: unknown) => T | undefined): OutputDeclaration<T, false> => ({
    optional: false,
    parse,
});
const optional = <T>(parse: (value: unknown) => T | undefined): OutputDeclaration<T, true> => ({
    optional: true,
    parse,
});

const text = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined);

/** Every value the type allows: the compiler refuses this object when `WorkerImageUpdates` changes. */
const imageUpdates: Readonly<Record<WorkerImageUpdates, true>> = { janitor: true, pinned: true };
const workerImageUpdates = (value: unknown): WorkerImageUpdates | undefined =>
    typeof value === "string" && Object.hasOwn(imageUpdates, value) ? (value as WorkerImageUpdates) : undefined;

const listOf =
    <T>(is: (item: unknown) => item is T) =>
    (value: unknown): T[] | undefined =>
        Array.isArray(value) && value.every(is) ? value : undefined;
const numbers = listOf((n): n is number => typeof n === "number");
const strings = listOf((s): s is string => typeof s === "string");

function helmAdoption(value: unknown): HelmReleaseRemovalResult | undefined {
    const v = (typeof value === "object" && value !== null ? value : {}) as Record<string, unknown>;
    const [revisions, backups, removed, kept] = [
        numbers(v.revisions),
        strings(v.backups),
        strings(v.removed),
        strings(v.kept),
    ];
    return revisions && backups && removed && kept ? { revisions, backups, removed, kept } : undefined;
}

/** The stack outputs, in the order `parseStackOutputs` names missing ones. */
export const stackOutputs = {
    namespace: required(text),
    workerDeployment: required(text),
    workerService: required(text),
    janitorCronJob: required(text),
    claimName: required(text),
    /** Who owns the worker image: the janitor (`worker.image.autoUpdate`) or the stack (pinned). */
    workerImageUpdates: required(workerImageUpdates),
    /** The claim's storage class, when one was chosen (`worker.storage.pvc.storageClassName` or `efs`). */
    storageClassName: optional(text),
    /** The EFS filesystem, with `efs`. */
    efsFileSystemId: optional(text),
    /** The collector's role and log group, with `worker.otel.enabled`. */
    collectorRoleArn: optional(text),
    logGroupName: optional(text),
    /** The ValidatingAdmissionPolicy on the worker's Jobs, with `security.jobAdmissionPolicy`. */
    jobAdmissionPolicy: optional(text),
    /** With `adopt.helmRelease`: what the removal of Helm's record did. */
    helmAdoption: optional(helmAdoption),
} as const;

type Declared = typeof stackOutputs;
type ValueOf<K extends keyof Declared> = Declared[K] extends OutputDeclaration<infer T, boolean> ? T : never;
type RequiredKey = { [K in keyof Declared]: Declared[K]["optional"] extends false ? K : never }[keyof Declared];
type OptionalKey = Exclude<keyof Declared, RequiredKey>;
/** One object type out of an intersection (what editors show). */
type Flat<T> = { [K in keyof T]: T[K] };

/** The stack outputs as values (what the engine returns for `pulumi stack output`). */
export type StackOutputValues = Flat<
    { readonly [K in RequiredKey]: ValueOf<K> } & { readonly [K in OptionalKey]?: ValueOf<K> }
>;

/** The stack outputs of `index.ts` (`BacklineStack.outputs`). */
export type BacklineStackOutputs = Flat<
    { readonly [K in RequiredKey]: pulumi.Output<ValueOf<K>> } & {
        readonly [K in OptionalKey]?: pulumi.Output<ValueOf<K>>;
    }
>;

/** The keys of the declaration, in its order. */
export const stackOutputKeys = Object.keys(stackOutputs) as (keyof Declared)[];

/**
 * The typed outputs from the engine's values, or `undefined` when the stack has none (never
 * deployed, or destroyed: no `namespace`). Throws when a required one is missing or malformed.
 */
export function parseStackOutputs(
    values: Readonly<Record<string, unknown>> | undefined,
): StackOutputValues | undefined {
    if (stackOutputs.namespace.parse(values?.namespace) === undefined) {
        return undefined;
    }
    const out: Record<string, unknown> = {};
    const missing: string[] = [];
    for (const key of stackOutputKeys) {
        const value = stackOutputs[key].parse(values?.[key]);
        if (value !== undefined) out[key] = value;
        else if (!stackOutputs[key].optional) missing.push(key);
    }
    if (missing.length > 0) {
        throw new Error(`the stack's outputs lack ${missing.join(", ")}; was it deployed by this program?`);
    }
    return out as StackOutputValues;
}

/**
 * Reading resources as the engine hands them to a policy: Kubernetes type tokens, object names for
 * messages, and walks that tolerate values not known until `pulumi up` (during a preview, reading one
 * throws `UnknownValueError`).
 */
import * as policy from "@pulumi/policy";

/**
 * The SDK's error for reading an unknown value. Exported at run time but left out of its type
 * declarations (`proxy.d.ts` is empty), hence the cast.
 */
const UnknownValueError = (policy as unknown as { UnknownValueError: new (...args: never[]) => Error })
    .UnknownValueError;

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

/** A Kubernetes type token, `kubernetes:<group>/<version>:<Kind>`, split up; undefined for anything else. */
export function kubernetesKind(type: string): { readonly group: string; readonly kind: string } | undefined {
    const m = /^kubernetes:([^:]+)\/[^/:]+:([A-Za-z0-9]+)$/.exec(type);
    if (!m) return undefined;
    return { group: m[1] === "core" ? "" : m[1], kind: m[2] };
}

/** The value of `read()`, or `undefined` when it touches a value only known after `pulumi up`. */
export function known<T>(read: () => T): T | undefined {
    try {
        return read();
    } catch (err) {
        if (err instanceof UnknownValueError) return undefined;
        throw err;
    }
}

/** `Deployment "worker"`, or the Pulumi resource name when the object name is not known yet. */
export function describeObject(kind: string, props: any, resourceName: string): string {
    const name = known(() => props?.metadata?.name);
    return typeof name === "string" ? `${kind} "${name}"` : `${kind} (resource ${resourceName})`;
}

/**
 * Calls `visit` for every string in `value` (object keys excluded), with its path. Values that are
 * not known yet are skipped: they cannot hold anything during a preview.
 */
export function visitStrings(value: any, visit: (text: string, path: string) => void, path = ""): void {
    if (typeof value === "string") {
        visit(value, path);
        return;
    }
    if (value === null || typeof value !== "object") return;
    const keys = known(() => Object.keys(value)) ?? [];
    for (const key of keys) {
        const child = known(() => value[key]);
        if (child !== undefined) visitStrings(child, visit, path === "" ? key : `${path}.${key}`);
    }
}

/** The strings of a `string | string[]` field (IAM documents allow both). */
export function asList(value: unknown): string[] {
    if (value === undefined || value === null) return [];
    return (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === "string");
}

/** The resources of one Kubernetes kind (`group` "" for the core API). */
export function ofKubernetesKind<R extends { type: string }>(
    resources: readonly R[],
    group: string,
    kind: string,
): R[] {
    return resources.filter((r) => {
        const k = kubernetesKind(r.type);
        return k?.group === group && k.kind === kind;
    });
}

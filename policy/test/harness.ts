/**
 * Runs the pack's policies on resources without an engine, the way @pulumi/policy's analyzer server
 * does (policy/node_modules/@pulumi/policy/server.js): properties wrapped in the SDK's
 * unknown-checking proxy, resource policies called per resource, stack policies on all of them,
 * and a policy that reads a value not known during a preview reported as skipped, not as passed.
 * @pulumi/policy ships no testing helpers; this is the equivalent.
 */
import type {
    EnforcementLevel,
    Policies,
    PolicyResource,
    ResourceValidationArgs,
    StackValidationArgs,
} from "@pulumi/policy";

/* eslint-disable @typescript-eslint/no-explicit-any -- resource properties are untyped */

// Exported at run time, left out of the SDK's declarations (proxy.d.ts is empty).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const proxy = require("@pulumi/policy/proxy") as {
    unknownCheckingProxy<T>(value: T): T;
    unknownStringValue: unknown;
    UnknownValueError: new (...args: never[]) => Error;
};

/** A value the engine does not know yet (an output of a resource not created), as a preview sees it. */
export const unknownValue: any = proxy.unknownStringValue;

export interface TestResource {
    readonly type: string;
    readonly props: Record<string, any>;
    /** The Pulumi resource name; default: the type's last part, lower-cased. */
    readonly name?: string;
    /** Default: `urn:pulumi:test::backline::<type>::<name>`. */
    readonly urn?: string;
    /** Property name → URNs of the resources it was computed from. */
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

export interface Violation {
    readonly policy: string;
    readonly level: EnforcementLevel;
    readonly urn: string;
    readonly message: string;
}

export interface PolicyRun {
    readonly violations: Violation[];
    /** Policies that could not run on a resource because a value was unknown: `policy: message`. */
    readonly skipped: string[];
}

function urnOf(r: TestResource): string {
    return r.urn ?? `urn:pulumi:test::backline::${r.type}::${nameOf(r)}`;
}

function nameOf(r: TestResource): string {
    return r.name ?? r.type.split(":").pop()!.toLowerCase();
}

class NotApplicable extends Error {}

const noOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

function common() {
    return {
        stackTags: new Map<string, string>(),
        getConfig: <T extends object>() => ({}) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason);
        },
    };
}

/** Runs every policy on these resources, as one preview would. */
export async function runPolicies(policies: Policies, resources: readonly TestResource[]): Promise<PolicyRun> {
    const violations: Violation[] = [];
    const skipped: string[] = [];
    const stackResources: PolicyResource[] = resources.map((r) => ({
        type: r.type,
        props: proxy.unknownCheckingProxy(r.props),
        urn: urnOf(r),
        name: nameOf(r),
        opts: { ...noOptions },
        dependencies: [],
        propertyDependencies: {},
        isType: () => false,
        asType: () => undefined,
    }));
    const byUrn = new Map(stackResources.map((r) => [r.urn, r]));
    resources.forEach((r, i) => {
        for (const [prop, urns] of Object.entries(r.propertyDependencies ?? {})) {
            stackResources[i].propertyDependencies[prop] = urns
                .map((u) => byUrn.get(u))
                .filter((d): d is PolicyResource => !!d);
        }
    });

    const guard = async (policy: string, run: () => Promise<void> | void) => {
        try {
            await run();
        } catch (err) {
            if (err instanceof proxy.UnknownValueError) skipped.push(`${policy}: ${(err as Error).message}`);
            else if (!(err instanceof NotApplicable)) throw err;
        }
    };

    for (const p of policies) {
        const level = p.enforcementLevel ?? "advisory";
        if ("validateStack" in p) {
            const args: StackValidationArgs = { resources: stackResources, ...common() };
            await guard(p.name, () =>
                p.validateStack(args, (message, urn) =>
                    violations.push({ policy: p.name, level, urn: urn ?? "", message }),
                ),
            );
            continue;
        }
        const validations = p.validateResource === undefined ? [] : ([] as const).concat(p.validateResource as never);
        for (const r of stackResources) {
            for (const validate of validations as ((
                a: ResourceValidationArgs,
                report: (m: string) => void,
            ) => Promise<void> | void)[]) {
                const args: ResourceValidationArgs = {
                    type: r.type,
                    props: r.props,
                    urn: r.urn,
                    name: r.name,
                    opts: r.opts,
                    isType: () => false,
                    asType: () => undefined,
                    ...common(),
                };
                await guard(p.name, () =>
                    validate(args, (message) => violations.push({ policy: p.name, level, urn: r.urn, message })),
                );
            }
        }
    }
    return { violations, skipped };
}

/**
 * From a `construct` request to the component: the inputs (the stack configuration's keys, as the
 * caller's program gave them) checked as the stack configuration is, then the cluster preflight,
 * the Helm adoption's plan and the Kubernetes provider, as `index.ts` does for a stack's
 * configuration, and `BacklineStack`.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import {
    BacklineStack,
    ConfigValidationError,
    kubernetesProviderArgs,
    parseBacklineConfig,
    preflightCluster,
    prepareAdoption,
} from "../components";

/** What an `Output` of the SDK has besides its public face: whether its value is known, and the value. */
interface OutputInternals {
    readonly isKnown: Promise<boolean>;
    promise(withUnknowns?: boolean): Promise<unknown>;
}

export interface ResolvedInputs {
    /** The inputs as plain values; keys whose value is `null` or `undefined` are left out. */
    readonly values: Record<string, unknown>;
    /** Key paths (`logging.roleArn`) whose value is not known yet: another resource's output, during a preview. */
    readonly unknown: readonly string[];
    /** Top-level keys given as secrets. */
    readonly secret: ReadonlySet<string>;
}

function keyPath(path: readonly (string | number)[]): string {
    return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** The construct request's inputs as plain values, and which of them are unknown or secret. */
export async function resolveInputs(inputs: pulumi.Inputs): Promise<ResolvedInputs> {
    const unknown: string[] = [];
    const secret = new Set<string>();
    const resolve = async (value: unknown, path: (string | number)[]): Promise<unknown> => {
        if (pulumi.Output.isInstance(value)) {
            const output = value as unknown as OutputInternals;
            if (await pulumi.isSecret(value)) secret.add(String(path[0]));
            if (!(await output.isKnown)) {
                unknown.push(keyPath(path));
                return undefined;
            }
            return resolve(await output.promise(), path);
        }
        if (pulumi.isUnknown(value)) {
            unknown.push(keyPath(path));
            return undefined;
        }
        if (Array.isArray(value)) return Promise.all(value.map((v, i) => resolve(v, [...path, i])));
        if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
            const entries = await Promise.all(
                Object.entries(value).map(async ([k, v]) => [k, await resolve(v, [...path, k])] as const),
            );
            return Object.fromEntries(entries.filter(([, v]) => v !== undefined));
        }
        return value;
    };
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(inputs)) {
        const plain = await resolve(value, [key]);
        if (plain !== undefined && plain !== null) values[key] = plain;
    }
    return { values, unknown, secret };
}

/** The providers a caller passed, by package: the SDK's server hands them over as a map. */
function providersOf(opts: pulumi.ComponentResourceOptions): Record<string, pulumi.ProviderResource> {
    const given = opts.providers ?? {};
    // A list only comes from TypeScript callers; each provider knows its package (not in the typings).
    const packageOf = (p: pulumi.ProviderResource) => (p as unknown as { getPackage(): string }).getPackage();
    return Array.isArray(given) ? Object.fromEntries(given.map((p) => [packageOf(p), p])) : { ...given };
}

/**
 * The component from the construct request. Every input must be known: the configuration is
 * checked as a whole before anything is declared, as `index.ts` checks a stack's configuration.
 *
 * Until `BacklineStack` takes the configuration's keys as `Input`s itself, this is the one place
 * that turns them into its arguments; then it becomes `new BacklineStack(name, inputs, opts)`.
 */
export async function constructStack(
    name: string,
    inputs: pulumi.Inputs,
    opts: pulumi.ComponentResourceOptions,
): Promise<BacklineStack> {
    const resolved = await resolveInputs(inputs);
    if (resolved.unknown.length > 0) {
        const keys = resolved.unknown.map((k) => `\`${k}\``).join(", ");
        throw new Error(
            `${keys} ${resolved.unknown.length === 1 ? "is" : "are"} not known yet (another resource's output, during a preview); this version of the Backline provider needs every input of ${name} known when the program runs.`,
        );
    }
    // A proxy URL holding credentials is refused in plaintext in a stack file; an input has no file.
    const parsed = parseBacklineConfig(resolved.values, { proxyIsSecret: true });
    if (!parsed.ok) throw new ConfigValidationError(parsed.problems);
    const config = parsed.config;
    preflightCluster(config);
    const adoption = prepareAdoption(config, { values: resolved.values });
    const providers = providersOf(opts);
    // The caller's Kubernetes provider when it passed one; else one from the `kubernetes` keys, as
    // `index.ts` makes it (server-side apply, ConfigMaps updated in place).
    providers.kubernetes ??= new k8s.Provider(`${name}-kubernetes`, kubernetesProviderArgs(config.kubernetes), {
        parent: opts.parent,
    });
    return new BacklineStack(name, { config, adoption }, { ...opts, providers });
}

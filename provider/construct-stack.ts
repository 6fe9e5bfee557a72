/**
 * From a `construct` request to the component: the inputs are the stack configuration's keys, as
 * the caller's program gave them (another resource's output where a key takes one). The keys of
 * the Kubernetes provider and of the Helm adoption are handled here, as `index.ts` handles them for
 * a stack's configuration; the rest go to `BacklineStack`.
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
import { isPlainObject, keyOf, prepareStackValues, providerSettingKeys, takesOutput } from "../components/config";
import type { BacklineStackValues } from "../components/config";
import type { KubernetesConfig } from "../components/model";

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

/** The construct request's inputs as plain values, and which of them are unknown or secret. */
export async function resolveInputs(inputs: pulumi.Inputs): Promise<ResolvedInputs> {
    const unknown: string[] = [];
    const secret = new Set<string>();
    const resolve = async (value: unknown, path: (string | number)[]): Promise<unknown> => {
        if (pulumi.Output.isInstance(value)) {
            const output = value as unknown as OutputInternals;
            if (await pulumi.isSecret(value)) secret.add(String(path[0]));
            if (!(await output.isKnown)) {
                unknown.push(keyOf(path));
                return undefined;
            }
            return resolve(await output.promise(), path);
        }
        if (pulumi.isUnknown(value)) {
            unknown.push(keyOf(path));
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

function notKnownYet(name: string, keys: readonly string[], why: string): Error {
    const list = keys.map((k) => `\`${k}\``).join(", ");
    return new Error(
        `${list} ${keys.length === 1 ? "is" : "are"} not known yet (another resource's output, during a preview); ${why} of ${name} must be known when the program runs.`,
    );
}

/**
 * The inputs as `BacklineStack` takes them: Outputs kept where a key takes one (they are checked
 * when they resolve), and a whole key the engine handed over as one Output (a secret object, or one
 * holding another resource's output) unwrapped when its key takes none, which needs it known.
 */
async function componentValues(name: string, inputs: pulumi.Inputs): Promise<Record<string, unknown>> {
    const values: Record<string, unknown> = {};
    const unknown: string[] = [];
    for (const [key, value] of Object.entries(inputs)) {
        if (value === undefined || value === null) continue;
        if (pulumi.Output.isInstance(value) && !takesOutput([key])) {
            const output = value as unknown as OutputInternals;
            if (!(await output.isKnown)) unknown.push(key);
            else values[key] = await output.promise();
        } else {
            values[key] = value;
        }
    }
    if (unknown.length > 0) throw notKnownYet(name, unknown, "these keys decide which objects exist");
    return values;
}

/**
 * The component from the construct request, as `index.ts` builds it from a stack's configuration:
 * the Kubernetes provider from the `kubernetes` keys (unless the caller passed one), the cluster
 * preflight, then `BacklineStack` with the other keys, which checks them as the stack configuration
 * is checked (values given as other resources' outputs when they resolve). A Helm release to adopt
 * is read from the cluster before anything is declared, so with `adopt.helmRelease` every input
 * must be known.
 */
export async function constructStack(
    name: string,
    inputs: pulumi.Inputs,
    opts: pulumi.ComponentResourceOptions,
): Promise<BacklineStack> {
    const values = await componentValues(name, inputs);
    const providers = providersOf(opts);
    const helmRelease = isPlainObject(values.adopt) ? values.adopt.helmRelease : undefined;
    if (helmRelease !== undefined && helmRelease !== "") return adoptingStack(name, inputs, opts, providers);

    // The provider's settings, which the provider needs when the program runs.
    const { kubernetes = {}, ...rest } = values;
    const k8sValues = isPlainObject(kubernetes) ? { ...kubernetes } : {};
    const settings = await resolveInputs(Object.fromEntries(providerSettingKeys.map((k) => [k, k8sValues[k]])));
    const unknown = settings.unknown.map((k) => `kubernetes.${k}`);
    if (unknown.length > 0) throw notKnownYet(name, unknown, "the Kubernetes provider's settings");
    for (const k of providerSettingKeys) delete k8sValues[k];
    const componentArgs = { ...rest, ...(Object.keys(k8sValues).length > 0 ? { kubernetes: k8sValues } : {}) };

    // The provider's keys checked as in a stack's configuration (the component checks the others).
    const checked = parseBacklineConfig({ kubernetes: { ...settings.values, ...k8sValues } });
    const k8sProblems = checked.ok ? [] : checked.problems.filter((p) => p.key.startsWith("kubernetes."));
    if (k8sProblems.length > 0) throw new ConfigValidationError(k8sProblems);
    const cluster: KubernetesConfig = { ...settings.values, skipAwait: false };
    // The program's preflight, when the configuration is good (the component reports it otherwise).
    const prepared = prepareStackValues(componentArgs);
    if (prepared.ok) preflightCluster({ kubernetes: cluster, jobAdmission: prepared.config.jobAdmission });
    providers.kubernetes ??= new k8s.Provider(`${name}-kubernetes`, kubernetesProviderArgs(cluster), {
        parent: opts.parent,
    });
    return new BacklineStack(name, componentArgs as BacklineStackValues, { ...opts, providers });
}

/** With `adopt.helmRelease`: every input known, the release planned from the cluster, as `index.ts` does. */
async function adoptingStack(
    name: string,
    inputs: pulumi.Inputs,
    opts: pulumi.ComponentResourceOptions,
    providers: Record<string, pulumi.ProviderResource>,
): Promise<BacklineStack> {
    const resolved = await resolveInputs(inputs);
    if (resolved.unknown.length > 0) {
        throw notKnownYet(name, resolved.unknown, "with `adopt.helmRelease`, every input");
    }
    const parsed = parseBacklineConfig(resolved.values, { proxyIsSecret: true });
    if (!parsed.ok) throw new ConfigValidationError(parsed.problems);
    const config = parsed.config;
    preflightCluster(config);
    const adoption = prepareAdoption(config, { values: resolved.values });
    providers.kubernetes ??= new k8s.Provider(`${name}-kubernetes`, kubernetesProviderArgs(config.kubernetes), {
        parent: opts.parent,
    });
    return new BacklineStack(name, { config, adoption }, { ...opts, providers });
}

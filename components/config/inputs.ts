/**
 * `BacklineStack` given the configuration's keys with `pulumi.Input`s: the values known when the
 * program runs are checked at once, exactly as the stack configuration is; a value still to come
 * (another resource's output) stands in as a token (`model/input-tokens.ts`) and is checked, with
 * every rule across keys, when it resolves (`checkResolvedValues`). Pure but for recognising Outputs:
 * `components/late-inputs.ts` puts the resolved values into the resources.
 */
import * as pulumi from "@pulumi/pulumi";
import { inputToken } from "../model";
import { isPlainObject } from "./fields";
import { parseBacklineConfig } from "./load";
import { ConfigProblem, keyOf, problemsOf, uniqueProblems } from "./problems";
import { configJsonSchema, schemaAt } from "./reference";
import type { ResolvedOutput } from "./resolve";
import { stackConfigSchema } from "./schema";

/** A key given as an Output, and the token standing in for it. */
export interface PendingValue {
    readonly path: readonly PropertyKey[];
    readonly token: number;
    readonly value: pulumi.Output<string>;
}

export type PreparedValues =
    | {
          readonly ok: true;
          /** The configuration, resolved, with tokens where values are still to come. */
          readonly config: ResolvedOutput;
          /** The values as given, tokens in place of the Outputs: what resolved values are checked in. */
          readonly tokenized: unknown;
          readonly pending: readonly PendingValue[];
      }
    | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** Tokens count up across the program, so two stacks never share one. */
let nextToken = 0;

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
    return typeof (value as { then?: unknown } | null | undefined)?.then === "function";
}

/** Whether the key at `path` takes an Output: marked `input`, or a value of a map so marked. */
export function takesOutput(path: readonly PropertyKey[]): boolean {
    return schemaAt(path)?.input === true || (path.length > 0 && schemaAt(path.slice(0, -1))?.input === true);
}

/** Every key that takes an Output, as `pulumi config set --path` writes it (`commonLabels.*` for maps). */
export function keysTakingOutputs(): string[] {
    const keys: string[] = [];
    const walk = (node: ReturnType<typeof configJsonSchema>, path: string[]) => {
        if (node.input === true)
            keys.push(node.properties ? keyOf(path) : `${keyOf(path)}${node.additionalProperties ? ".*" : ""}`);
        for (const [k, child] of Object.entries(node.properties ?? {})) walk(child, [...path, k]);
    };
    walk(configJsonSchema(), []);
    return keys;
}

/** The `kubernetes` keys that configure the Kubernetes provider rather than the component. */
export const providerSettingKeys = ["kubeconfig", "context", "renderYamlToDirectory"] as const;

/** Settings of the program's Kubernetes provider and the Helm adoption, which the component cannot use. */
function programOnlyProblems(values: unknown): ConfigProblem[] {
    const v = isPlainObject(values) ? values : {};
    const k8s = isPlainObject(v.kubernetes) ? v.kubernetes : {};
    const adopt = isPlainObject(v.adopt) ? v.adopt : {};
    const problems: ConfigProblem[] = [];
    for (const key of providerSettingKeys) {
        if (k8s[key] !== undefined) {
            problems.push({
                key: `kubernetes.${key}`,
                message:
                    "is a setting of the Kubernetes provider; give `BacklineStack` a provider in its resource options (`{ providers: [provider] }`) instead.",
            });
        }
    }
    if (adopt.helmRelease !== undefined) {
        problems.push({
            key: "adopt.helmRelease",
            message:
                "adopting a Helm release reads the cluster before any resource is declared; run the Backline program (`index.ts`) with the stack configuration, or pass `{ config, adoption }` from `prepareAdoption`.",
        });
    }
    return problems;
}

/**
 * Checks the values a program gives `BacklineStack` and resolves them: every problem of the values
 * known now, as `parseBacklineConfig` finds them, and tokens for the Outputs.
 */
export function prepareStackValues(values: unknown): PreparedValues {
    const pending: PendingValue[] = [];
    const problems: ConfigProblem[] = [];
    const walk = (value: unknown, path: readonly PropertyKey[]): unknown => {
        if (pulumi.Output.isInstance(value) || isPromiseLike(value)) {
            if (!takesOutput(path)) {
                problems.push({
                    key: keyOf(path),
                    message: `got an Output; this key takes a plain value, known when the program runs (it decides which objects exist or what they are called). Keys that take Outputs: ${keysTakingOutputs()
                        .map((k) => `\`${k}\``)
                        .join(", ")}.`,
                });
                return undefined;
            }
            const token = nextToken++;
            pending.push({ path, token, value: pulumi.output(value) as pulumi.Output<string> });
            return inputToken(token);
        }
        if (Array.isArray(value)) return value.map((item, i) => walk(item, [...path, i]));
        if (isPlainObject(value)) {
            return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, walk(item, [...path, k])]));
        }
        return value;
    };
    const tokenized = walk(values, []);
    problems.push(...programOnlyProblems(values));
    // The access key is made a secret whatever the caller passes, so plaintext is no problem here.
    const parsed = parseBacklineConfig(tokenized, { accessKeyIsSecret: true });
    if (!parsed.ok || problems.length > 0) {
        return { ok: false, problems: uniqueProblems([...problems, ...(parsed.ok ? [] : parsed.problems)]) };
    }
    return { ok: true, config: parsed.config, tokenized, pending };
}

/** `value` with each token replaced by its resolved value. */
function substitute(value: unknown, resolved: ReadonlyMap<string, string>): unknown {
    if (typeof value === "string") return resolved.has(value) ? resolved.get(value) : value;
    if (Array.isArray(value)) return value.map((item) => substitute(item, resolved));
    if (isPlainObject(value)) {
        return Object.fromEntries(Object.entries(value).map(([k, item]) => [k, substitute(item, resolved)]));
    }
    return value;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
    return path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], value);
}

/**
 * The values once every Output has resolved: checked with every rule, as the stack configuration
 * would be, and each as the configuration holds it (normalised: a `baseUrl` without its trailing `/`).
 */
export function checkResolvedValues(
    tokenized: unknown,
    pending: readonly Pick<PendingValue, "path" | "token">[],
    resolved: readonly unknown[],
):
    | { readonly ok: true; readonly values: readonly string[] }
    | { readonly ok: false; readonly problems: readonly ConfigProblem[] } {
    const byToken = new Map(pending.map((p, i) => [inputToken(p.token), resolved[i] as string]));
    const result = stackConfigSchema.safeParse(substitute(tokenized, byToken), { reportInput: true });
    if (!result.success) return { ok: false, problems: problemsOf(result.error.issues) };
    return { ok: true, values: pending.map((p) => valueAt(result.data, p.path) as string) };
}

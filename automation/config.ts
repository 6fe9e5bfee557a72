/**
 * The typed configuration → stack configuration mapping, and its validation. Pure: no engine,
 * no file system; the unit tests call these directly.
 *
 * How values are stored, so that they round-trip exactly through `pulumi config` and reach the
 * program as `index.ts` reads them (`pulumi.runtime.getConfig("backline:worker")` → JSON.parse):
 *
 * - Objects (`janitor`, `worker`, `logging`, `efs`, `kubernetes`) are whole-object values, set with
 *   `pulumi config set-all --json` in the format of `pulumi config --json`
 *   (`{"value": "<json>", "objectValue": {...}, "secret": false}`). They land in
 *   `Pulumi.<stack>.yaml` as YAML maps, exactly as `pulumi config set --path worker.replicaCount 2`
 *   would write them, keep their JSON types (a tag `"0123"` stays a string, `env: []` stays a
 *   list, keys with dots such as `kubernetes.io/os` stay keys), pass the project's
 *   `type: object` check in `Pulumi.yaml`, and replace the previous object whole (no merging
 *   with an earlier run's values). Per-leaf `--path` values would instead re-type strings that
 *   look like numbers or booleans and cannot express empty lists or maps.
 * - Secrets (`accessKey`; an inline kubeconfig) are set one by one with
 *   `pulumi config set --secret` reading the value from stdin, so they are encrypted by the
 *   stack's secrets provider and never appear on a command line. An inline kubeconfig is a
 *   secret leaf (`--path backline:kubernetes.kubeconfig`) inside the `kubernetes` object, so the
 *   value stays an object.
 * - Every managed key the caller did not set — `backline:*` (including unknown ones found in the
 *   stack, e.g. a typo set by hand) and `aws:region`/`aws:profile` — is removed, so nothing from a
 *   previous run lingers.
 */
import * as path from "path";
import {
    ConfigProblem,
    isSecretPath,
    parseBacklineConfig,
    proxyCredentials,
    splitSecretLeaves,
    topLevelKeys,
} from "../components/config";
import { expandHome } from "./paths";
import { isInlineKubeconfig } from "../components/cluster";
import type { AwsSettings, BacklineSettings, KubernetesTarget } from "./types";

/** The project name in `Pulumi.yaml`: the namespace of every program config key. */
export const PROJECT = "backline";

/** One entry of `pulumi config --json` / `pulumi config set-all --json`. */
export interface ConfigValueJson {
    readonly value: string;
    readonly objectValue?: unknown;
    readonly secret: boolean;
}

export interface SecretConfigValue {
    /** Full key, e.g. `backline:accessKey` or, with `path`, `backline:kubernetes.kubeconfig`. */
    readonly key: string;
    /** Set inside an object value (`pulumi config set --path`). */
    readonly path: boolean;
    readonly value: string;
}

export interface StackConfigPlan {
    /** Plaintext values, for one `pulumi config set-all --json` call. */
    readonly plain: Readonly<Record<string, ConfigValueJson>>;
    /** Secret values, set after `plain` (a path secret goes into an object `plain` just set). */
    readonly secrets: readonly SecretConfigValue[];
    /** Keys to remove: managed keys the caller did not set. */
    readonly remove: readonly string[];
}

/** Where relative paths and `~` in the Kubernetes target are resolved. */
export interface PathContext {
    readonly cwd?: string;
    readonly home?: string;
}

const awsKeys = ["aws:region", "aws:profile"] as const;

// The one rule for contents vs path, with the kubeconfig resolver (public API of `automation`).
export { isInlineKubeconfig };

function resolvePath(p: string, ctx: PathContext): string {
    return path.resolve(ctx.cwd ?? process.cwd(), expandHome(p, ctx.home));
}

/**
 * The program's `kubernetes` config object for a target (keys of `components/config/schema.ts`), and the
 * inline kubeconfig, if any, kept apart because it is a secret.
 */
export function kubernetesConfigFor(
    target: KubernetesTarget,
    ctx: PathContext = {},
): { readonly object: Record<string, unknown>; readonly inlineKubeconfig?: string } {
    const t = target as Partial<{
        kubeconfig: unknown;
        context: unknown;
        renderToDirectory: unknown;
        skipAwait: unknown;
    }>;
    const object: Record<string, unknown> = {};
    let inlineKubeconfig: string | undefined;
    if (typeof t.kubeconfig === "string" && t.kubeconfig !== "") {
        if (isInlineKubeconfig(t.kubeconfig)) {
            inlineKubeconfig = t.kubeconfig;
        } else {
            object.kubeconfig = resolvePath(t.kubeconfig, ctx);
        }
    } else if (t.kubeconfig !== undefined) {
        object.kubeconfig = t.kubeconfig;
    }
    if (t.context !== undefined) {
        object.context = t.context;
    }
    if (typeof t.renderToDirectory === "string" && t.renderToDirectory !== "") {
        object.renderYamlToDirectory = resolvePath(t.renderToDirectory, ctx);
    } else if (t.renderToDirectory !== undefined) {
        object.renderYamlToDirectory = t.renderToDirectory;
    }
    if (t.skipAwait !== undefined) {
        object.skipAwait = t.skipAwait;
    }
    return { object, inlineKubeconfig };
}

/** A JSON copy: drops `undefined` members, as the stack file cannot hold them. */
function jsonCopy(value: unknown): unknown {
    return value === undefined ? undefined : JSON.parse(JSON.stringify(value));
}

/**
 * What the program would read from the stack configuration a plan writes: the settings, with the
 * `kubernetes` object the target becomes (a `kubernetes` key inside the settings is left out:
 * `validateDeployment` refuses it). Unknown keys (a JavaScript caller's typo) stay, so the program's
 * own check reports them.
 */
export function toStackConfigValues(
    settings: BacklineSettings,
    target: KubernetesTarget | undefined,
    ctx: PathContext = {},
): Record<string, unknown> {
    const { kubernetes: _target, ...values } = (jsonCopy(settings) ?? {}) as Record<string, unknown>;
    const kube = target ? kubernetesConfigFor(target, ctx) : { object: {} as Record<string, unknown> };
    const kubernetes =
        kube.inlineKubeconfig !== undefined ? { ...kube.object, kubeconfig: kube.inlineKubeconfig } : kube.object;
    return { ...values, kubernetes };
}

/** Problem keys of the program's `kubernetes` object, renamed to the option that sets them. */
function renameKubernetesKey(key: string): string {
    return key === "kubernetes.renderYamlToDirectory" ? "kubernetes.renderToDirectory" : key;
}

const stackNamePattern = /^[A-Za-z0-9_.-]{1,100}$/;

/** A deployment's input: the settings, where they deploy, the AWS provider's settings. */
export interface DeploymentInput {
    readonly config: BacklineSettings;
    readonly kubernetes: KubernetesTarget | undefined;
    readonly aws?: AwsSettings;
    readonly pathContext?: PathContext;
}

/** A value, or every problem found instead. */
export type Checked<T> =
    { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problems: readonly ConfigProblem[] };

/** What `preview` and `up` write to the stack configuration, and what they must never show. */
export interface DeploymentPlan {
    readonly plan: StackConfigPlan;
    /** The access key, an inline kubeconfig, proxy credentials, … */
    readonly secrets: readonly string[];
    /** The program writes manifests instead of applying them (`kubernetes.renderToDirectory`). */
    readonly renders: boolean;
}

/**
 * Every problem with a deployment's input, with the program's own messages (the same
 * `parseBacklineConfig` the stack runs). Empty when the engine may start.
 */
export function validateDeployment(input: DeploymentInput & { readonly stackName: string }): ConfigProblem[] {
    return [...validateStackName(input.stackName), ...deploymentProblems(input)];
}

/** The input checked (the stack name aside), then planned. */
export function planDeployment(input: DeploymentInput): Checked<DeploymentPlan> {
    const problems = deploymentProblems(input);
    if (problems.length > 0) {
        return { ok: false, problems };
    }
    const plan = planStackConfig({ ...input, kubernetes: input.kubernetes as KubernetesTarget });
    return {
        ok: true,
        value: {
            plan,
            secrets: secretValuesOf(input.config, input.kubernetes),
            renders: rendersManifests(plan.plain[`${PROJECT}:kubernetes`].objectValue),
        },
    };
}

/**
 * Whether the program's `kubernetes` config object (as planned, or as a stack holds it) renders
 * manifests: then there is no cluster to refresh from.
 */
export function rendersManifests(kubernetes: unknown): boolean {
    const dir = (kubernetes as { renderYamlToDirectory?: unknown } | null | undefined)?.renderYamlToDirectory;
    return typeof dir === "string" && dir !== "";
}

function deploymentProblems(input: DeploymentInput): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    if (input.config === undefined || input.config === null || typeof input.config !== "object") {
        problems.push({
            key: "config",
            message: "missing; pass the Backline configuration (`baseUrl`, `accessKey`, …).",
        });
        return problems;
    }
    if (input.kubernetes === undefined || input.kubernetes === null || typeof input.kubernetes !== "object") {
        problems.push({
            key: "kubernetes",
            message: "missing; pass `{ kubeconfig }`, `{ context }` or `{ renderToDirectory }`.",
        });
    } else {
        const t = input.kubernetes as Record<string, unknown>;
        const allowed = ["kubeconfig", "context", "renderToDirectory", "skipAwait"];
        for (const k of Object.keys(t)) {
            if (!allowed.includes(k) && t[k] !== undefined) {
                problems.push({
                    key: `kubernetes.${k}`,
                    message: `unknown key. Known keys here: ${allowed.map((a) => `\`${a}\``).join(", ")}.`,
                });
            }
        }
        if (t.kubeconfig === undefined && t.context === undefined && t.renderToDirectory === undefined) {
            problems.push({
                key: "kubernetes",
                message: "says nowhere to deploy; pass `{ kubeconfig }`, `{ context }` or `{ renderToDirectory }`.",
            });
        }
    }
    if ((input.config as { kubernetes?: unknown }).kubernetes !== undefined) {
        problems.push({
            key: "kubernetes",
            message:
                "is not part of `config`; pass the target as the `kubernetes` option ({ kubeconfig } / { context } / { renderToDirectory }).",
        });
    }
    const result = parseBacklineConfig(
        toStackConfigValues(input.config, input.kubernetes ?? undefined, input.pathContext),
    );
    if (!result.ok) {
        problems.push(...result.problems.map((p) => ({ key: renameKubernetesKey(p.key), message: p.message })));
    }
    if (input.aws !== undefined) {
        for (const [k, v] of Object.entries(input.aws)) {
            if (k !== "region" && k !== "profile") {
                problems.push({ key: `aws.${k}`, message: "unknown key. Known keys here: `region`, `profile`." });
            } else if (v !== undefined && (typeof v !== "string" || v === "")) {
                problems.push({ key: `aws.${k}`, message: "expected a non-empty string." });
            }
        }
    }
    return problems;
}

export function validateStackName(stackName: unknown): ConfigProblem[] {
    if (typeof stackName !== "string" || !stackNamePattern.test(stackName)) {
        return [
            {
                key: "stackName",
                message: `got ${JSON.stringify(stackName) ?? String(stackName)}; expected 1 to 100 letters, digits, \`-\`, \`_\` or \`.\`.`,
            },
        ];
    }
    return [];
}

function plainString(value: string): ConfigValueJson {
    return { value, secret: false };
}

function plainObject(value: unknown): ConfigValueJson {
    return { value: JSON.stringify(value), objectValue: value, secret: false };
}

/**
 * The stack configuration for a deployment: what to set (plain and secret) and what to remove.
 * Call it only with input `validateDeployment` accepted. `input.currentKeys` are the keys the stack
 * configuration holds now, so unknown `backline:*` keys from earlier (hand-made) changes are
 * removed too.
 */
export function planStackConfig(input: {
    readonly config: BacklineSettings;
    readonly kubernetes: KubernetesTarget;
    readonly aws?: AwsSettings;
    readonly currentKeys?: readonly string[];
    readonly pathContext?: PathContext;
}): StackConfigPlan {
    const c = input.config as Readonly<Record<string, unknown>>;
    const plain: Record<string, ConfigValueJson> = {};
    const secrets: SecretConfigValue[] = [];
    const key = (k: string) => `${PROJECT}:${k}`;

    // Every key of the schema, by what it is: secret, object or text.
    for (const k of topLevelKeys) {
        const value = jsonCopy(c[k]);
        if (k === "kubernetes" || value === undefined || value === null || value === "") continue;
        if (isSecretPath([k])) {
            secrets.push({ key: key(k), path: false, value: String(value) });
        } else if (typeof value === "object") {
            // A proxy URL with credentials goes in as a path secret, as `--secret --path` would set it.
            const split = splitSecretLeaves(k, value);
            plain[key(k)] = plainObject(split.plain);
            secrets.push(...split.secrets.map((c) => ({ key: `${PROJECT}:${c.path}`, path: true, value: c.url })));
        } else {
            plain[key(k)] = plainString(String(value));
        }
    }
    const kube = kubernetesConfigFor(input.kubernetes, input.pathContext);
    plain[key("kubernetes")] = plainObject(kube.object);
    if (kube.inlineKubeconfig !== undefined) {
        secrets.push({ key: `${key("kubernetes")}.kubeconfig`, path: true, value: kube.inlineKubeconfig });
    }
    if (input.aws?.region) {
        plain["aws:region"] = plainString(input.aws.region);
    }
    if (input.aws?.profile) {
        plain["aws:profile"] = plainString(input.aws.profile);
    }

    const managed = [...topLevelKeys.map((k) => key(k)), ...awsKeys];
    return removingUnset({ plain, secrets, remove: [] }, [...managed, ...(input.currentKeys ?? [])]);
}

/**
 * The plan, also removing each of `keys` that is ours (`backline:*`, `aws:region`, `aws:profile`)
 * and that it does not set: with the keys a stack holds now, what earlier (hand-made) changes left.
 */
export function removingUnset(plan: StackConfigPlan, keys: readonly string[]): StackConfigPlan {
    const set = new Set([...Object.keys(plan.plain), ...plan.secrets.filter((s) => !s.path).map((s) => s.key)]);
    const ours = (k: string) => k.startsWith(`${PROJECT}:`) || (awsKeys as readonly string[]).includes(k);
    const remove = new Set([...plan.remove, ...keys.filter((k) => ours(k) && !set.has(k))]);
    return { ...plan, remove: [...remove].sort() };
}

/** The values a failure message must never show: the access key, an inline kubeconfig, … */
export function secretValuesOf(
    config: BacklineSettings | undefined,
    target: KubernetesTarget | undefined,
    extra: readonly (string | undefined)[] = [],
): string[] {
    const out: string[] = [];
    for (const k of topLevelKeys) {
        const value = (config as Readonly<Record<string, unknown>> | undefined)?.[k];
        if (typeof value === "string" && isSecretPath([k])) out.push(value);
    }
    for (const c of proxyCredentials(config)) out.push(...c.secrets);
    const kubeconfig = (target as { kubeconfig?: unknown } | undefined)?.kubeconfig;
    if (typeof kubeconfig === "string" && isInlineKubeconfig(kubeconfig)) {
        out.push(kubeconfig);
        // Also each credential inside it (tokens, keys, passwords).
        for (const line of kubeconfig.split(/\r?\n/)) {
            const m =
                /^\s*-?\s*"?(?:token|id-token|refresh-token|access-token|client-key-data|client-certificate-data|password|secret)"?\s*:\s*(\S{8,})\s*$/i.exec(
                    line,
                );
            if (m) {
                out.push(m[1].replace(/^["']|["']$/g, ""));
            }
        }
    }
    for (const e of extra) {
        if (e) out.push(e);
    }
    // Longest first, so a value containing another is redacted whole; ignore trivial ones.
    return [...new Set(out.filter((v) => v.length >= 4))].sort((a, b) => b.length - a.length);
}

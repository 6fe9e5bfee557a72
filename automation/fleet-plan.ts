/**
 * The pure half of fleet rollouts: checking the input before any engine starts, merging the
 * change into each stack's configuration, cutting the fleet into waves, hiding secrets in the
 * report, and telling from a stack's recorded configuration whether the change is already there.
 * No engine, no cluster, no file system: the unit tests call these directly.
 */
import type * as automation from "@pulumi/pulumi/automation";
import { ConfigProblem, isSecretPath, keyOf, parseBacklineConfig } from "../components/config";
import { canonicalJson } from "../components/specs/common";
import { PROJECT, StackConfigPlan, isInlineKubeconfig, planStackConfig, validateDeployment } from "./config";
import { InvalidConfigError } from "./errors";
import { REDACTED } from "./text";
import type { DeployedState, FleetStack, RolloutOptions, WaveSize } from "./fleet-types";
import type { BacklineSettings } from "./types";

export const DEFAULT_WAVES: readonly WaveSize[] = [1, "25%", "100%"];
export const DEFAULT_CONCURRENCY = 2;
export const DEFAULT_GATE_TIMEOUT_MS = 300_000;
export const DEFAULT_GATE_INTERVAL_MS = 2_000;

/** A rollout's input was refused; nothing ran. An `InvalidConfigError`, so one `catch` handles both. */
export class InvalidRolloutError extends InvalidConfigError {
    constructor(problems: readonly ConfigProblem[]) {
        super(problems);
        this.name = "InvalidRolloutError";
        this.message = this.message.replace(/^Invalid Backline configuration/, "Invalid fleet rollout");
    }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
    return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** RFC 7396 JSON merge patch: objects merge, anything else replaces, `null` removes. Inputs are not changed. */
export function mergePatch(base: unknown, patch: unknown): unknown {
    if (!isPlainObject(patch)) return patch;
    const out: Record<string, unknown> = isPlainObject(base) ? { ...base } : {};
    for (const [k, v] of Object.entries(patch)) {
        if (v === null) {
            delete out[k];
        } else if (v !== undefined) {
            out[k] = mergePatch(out[k], v);
        }
    }
    return out;
}

/** Every key path the patch sets or removes, as `--path` writes it (`worker.image.tag`). */
export function patchPaths(patch: unknown, prefix: readonly PropertyKey[] = []): string[] {
    if (!isPlainObject(patch)) return prefix.length > 0 ? [keyOf(prefix)] : [];
    return Object.entries(patch)
        .filter(([, v]) => v !== undefined)
        .flatMap(([k, v]) => patchPaths(v, [...prefix, k]));
}

/** The configuration with every secret value (`accessKey`, an inline kubeconfig) replaced by `[secret]`. */
export function redactSettings(settings: BacklineSettings): BacklineSettings {
    const walk = (value: unknown, path: PropertyKey[]): unknown => {
        if (value === undefined || value === null) return value;
        if (path.length > 0 && isSecretPath(path)) return REDACTED;
        if (Array.isArray(value)) return value.map((v, i) => walk(v, [...path, i]));
        if (isPlainObject(value)) {
            return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v, [...path, k])]));
        }
        return value;
    };
    return walk(settings, []) as BacklineSettings;
}

/**
 * The cumulative number of stacks done after each wave, waves that add nothing dropped; or the
 * problems with `waves`.
 */
export function resolveWaves(
    waves: readonly WaveSize[],
    fleetSize: number,
): { sizes: number[]; problems: ConfigProblem[] } {
    const problems: ConfigProblem[] = [];
    const accepted = 'a whole number of stacks (`1`, `4`) or a share of the fleet (`"25%"`)';
    if (!Array.isArray(waves) || waves.length === 0) {
        return {
            sizes: [],
            problems: [
                {
                    key: "waves",
                    message: `got ${JSON.stringify(waves)}; expected a non-empty list of ${accepted}, e.g. \`[1, "25%", "100%"]\`.`,
                },
            ],
        };
    }
    const sizes: number[] = [];
    let previous = 0;
    waves.forEach((w, i) => {
        const key = `waves[${i}]`;
        let size: number;
        let explicit: boolean;
        if (typeof w === "number") {
            if (!Number.isInteger(w) || w < 1) {
                problems.push({ key, message: `got ${w}; expected ${accepted}.` });
                return;
            }
            if (w > fleetSize) {
                problems.push({
                    key,
                    message: `got ${w}, more than the ${fleetSize} stack(s) of the fleet; use at most ${fleetSize}, or "100%".`,
                });
                return;
            }
            size = w;
            explicit = true;
        } else if (typeof w === "string" && /^\d+(\.\d+)?%$/.test(w)) {
            const share = Number(w.slice(0, -1));
            if (share <= 0 || share > 100) {
                problems.push({ key, message: `got "${w}"; a share is more than 0% and at most 100%.` });
                return;
            }
            size = Math.ceil((share * fleetSize) / 100 - 1e-9);
            explicit = false;
        } else {
            problems.push({ key, message: `got ${JSON.stringify(w)}; expected ${accepted}.` });
            return;
        }
        if (size < previous || (explicit && size === previous)) {
            problems.push({
                key,
                message: `got ${JSON.stringify(w)} (${size} stack(s)) after a wave of ${previous}; each entry counts the stacks done so far (cumulative), so it must grow: e.g. \`[1, "25%", "100%"]\`.`,
            });
            return;
        }
        if (size > previous) sizes.push(size);
        previous = size;
    });
    if (problems.length === 0 && previous !== fleetSize) {
        problems.push({
            key: `waves[${waves.length - 1}]`,
            message: `the waves cover ${previous} of the ${fleetSize} stack(s); end the list with "100%" (or ${fleetSize}) so every stack gets the change.`,
        });
    }
    return { sizes, problems };
}

/** The fleet cut into waves: stack indexes per wave, in order. */
export function waveMembers(sizes: readonly number[]): number[][] {
    return sizes.map((end, i) => Array.from({ length: end - (sizes[i - 1] ?? 0) }, (_, j) => (sizes[i - 1] ?? 0) + j));
}

function wholeNumber(problems: ConfigProblem[], key: string, value: unknown, min: number, what: string): void {
    if (value === undefined) return;
    if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
        problems.push({ key, message: `got ${JSON.stringify(value)}; expected ${what}.` });
    }
}

/** Where a stack deploys, to find two stacks managing the same objects. */
function targetIdentity(stack: FleetStack): string | undefined {
    const t = stack.kubernetes as { kubeconfig?: unknown; context?: unknown; renderToDirectory?: unknown };
    if (typeof t?.renderToDirectory === "string") return undefined;
    const kubeconfig = typeof t?.kubeconfig === "string" && !isInlineKubeconfig(t.kubeconfig) ? t.kubeconfig : "";
    const namespace = stack.config?.namespaceOverride ?? "backline";
    return `${kubeconfig}\u0000${String(t?.context ?? "")}\u0000${namespace}`;
}

/** Problems of one stack's deployment, with keys renamed to where they are in the rollout's input. */
function stackProblems(
    i: number,
    stack: FleetStack,
    after: BacklineSettings,
    patched: readonly string[],
): ConfigProblem[] {
    const base = `stacks[${i}]`;
    const rename = (key: string): string =>
        key === "stackName" || key === "config" || key.startsWith("kubernetes") || key.startsWith("aws")
            ? `${base}.${key}`
            : `${base}.config.${key}`;
    const input = { stackName: stack.stackName, kubernetes: stack.kubernetes, aws: stack.aws };
    const before = validateDeployment({ ...input, config: stack.config });
    const seen = new Set(before.map((p) => `${p.key}\u0000${p.message}`));
    const out = before.map((p) => ({ key: rename(p.key), message: p.message }));
    if (before.some((p) => p.key === "config" || p.key === "stackName")) return out;
    for (const p of validateDeployment({ ...input, config: after })) {
        if (seen.has(`${p.key}\u0000${p.message}`)) continue;
        const fromChange = patched.some((c) => p.key === c || p.key.startsWith(`${c}.`) || p.key.startsWith(`${c}[`));
        out.push(
            fromChange
                ? { key: `change.${p.key}`, message: `with stack "${stack.stackName}": ${p.message}` }
                : { key: rename(p.key), message: `once the change is merged: ${p.message}` },
        );
    }
    return out;
}

/** What `rollout` works with once the input is accepted. */
export interface CheckedRollout {
    readonly stacks: readonly { readonly stack: FleetStack; readonly after: BacklineSettings; readonly wave: number }[];
    readonly waves: readonly number[][];
    readonly concurrency: number;
    readonly gateTimeoutMs: number;
    readonly gateIntervalMs: number;
}

/** Checks everything that can be checked without an engine; throws `InvalidRolloutError` listing every problem. */
export function checkRollout(opts: RolloutOptions): CheckedRollout {
    const problems: ConfigProblem[] = [];
    const stacks = (opts as { stacks?: unknown })?.stacks;
    if (!Array.isArray(stacks) || stacks.length === 0) {
        problems.push({
            key: "stacks",
            message: `got ${Array.isArray(stacks) ? "an empty list" : JSON.stringify(stacks)}; pass at least one stack (\`{ stackName, config, kubernetes }\`).`,
        });
    }
    const fleet: readonly FleetStack[] = Array.isArray(stacks) ? stacks : [];

    const change = (opts as { change?: unknown })?.change;
    const patched = patchPaths(change);
    if (!isPlainObject(change) || patched.length === 0) {
        problems.push({
            key: "change",
            message: `got ${JSON.stringify(change)}; expected a configuration patch that changes something, e.g. \`{ worker: { image: { tag: "…" } } }\`.`,
        });
    } else {
        for (const k of patched) {
            const top = k.split(/[.[]/)[0];
            if (top === "kubernetes") {
                problems.push({
                    key: `change.${k}`,
                    message: "each stack has its own target; set `kubernetes` per stack, not in the change.",
                });
            } else if (isSecretPath(k.split(".")) || isSecretPath([top])) {
                problems.push({
                    key: `change.${k}`,
                    message:
                        "a secret cannot be rolled out (progress is read from the backend, which shows secrets only encrypted); change it with `up` on each stack.",
                });
            }
        }
    }

    const names = new Map<string, number>();
    const targets = new Map<string, number>();
    const after: BacklineSettings[] = [];
    fleet.forEach((stack, i) => {
        if (!isPlainObject(stack)) {
            problems.push({
                key: `stacks[${i}]`,
                message: `got ${JSON.stringify(stack)}; expected \`{ stackName, config, kubernetes }\`.`,
            });
            after.push({} as BacklineSettings);
            return;
        }
        const merged = mergePatch(stack.config, isPlainObject(change) ? change : {}) as BacklineSettings;
        after.push(merged);
        problems.push(...stackProblems(i, stack, merged, patched));
        const first = names.get(stack.stackName);
        if (first !== undefined) {
            problems.push({
                key: `stacks[${i}].stackName`,
                message: `got "${stack.stackName}" a second time (also \`stacks[${first}]\`); each stack may appear once.`,
            });
        } else {
            names.set(stack.stackName, i);
        }
        const id = targetIdentity(stack);
        const other = id === undefined ? undefined : targets.get(id);
        if (id !== undefined && other !== undefined && first === undefined) {
            problems.push({
                key: `stacks[${i}].config.namespaceOverride`,
                message: `stacks "${fleet[other].stackName}" and "${stack.stackName}" deploy to the same namespace of the same cluster; give one another \`namespaceOverride\` or another target.`,
            });
        } else if (id !== undefined) {
            targets.set(id, i);
        }
    });

    const waves = resolveWaves(opts?.waves ?? DEFAULT_WAVES, fleet.length);
    if (fleet.length > 0) problems.push(...waves.problems);
    wholeNumber(problems, "concurrency", opts?.concurrency, 1, "a whole number of stacks of at least 1");
    wholeNumber(problems, "gateTimeoutMs", opts?.gateTimeoutMs, 1, "a whole number of milliseconds of at least 1");
    wholeNumber(problems, "gateIntervalMs", opts?.gateIntervalMs, 1, "a whole number of milliseconds of at least 1");
    if (opts?.healthGate !== undefined && typeof opts.healthGate !== "function") {
        problems.push({ key: "healthGate", message: "expected a function `(target) => Promise<GateCheck>`." });
    }
    if (problems.length > 0) {
        throw new InvalidRolloutError(problems);
    }

    const members = waveMembers(waves.sizes);
    const waveOf = new Map(members.flatMap((m, w) => m.map((i) => [i, w + 1] as const)));
    return {
        stacks: fleet.map((stack, i) => ({ stack, after: after[i], wave: waveOf.get(i) ?? 0 })),
        waves: members,
        concurrency: opts.concurrency ?? DEFAULT_CONCURRENCY,
        gateTimeoutMs: opts.gateTimeoutMs ?? DEFAULT_GATE_TIMEOUT_MS,
        gateIntervalMs: opts.gateIntervalMs ?? DEFAULT_GATE_INTERVAL_MS,
    };
}

// ---------------------------------------------------------------------------------------------
// What the backend says a stack runs.
// ---------------------------------------------------------------------------------------------

/** The stack configuration a deployment writes (`planStackConfig`), for comparison with a recorded one. */
export function planFor(stack: FleetStack, config: BacklineSettings): StackConfigPlan {
    return planStackConfig({ config, kubernetes: stack.kubernetes, aws: stack.aws });
}

/** The configuration a plan writes, in the form an update records it (`pulumi stack history --json`). */
export function recordedForm(plan: StackConfigPlan): automation.ConfigMap {
    const out: Record<string, { value?: string; objectValue?: unknown; secret: boolean }> = {};
    for (const [k, v] of Object.entries(plan.plain)) out[k] = { ...v };
    for (const s of plan.secrets) {
        // A secret leaf makes its whole object secret: its value is not shown.
        out[s.path ? s.key.slice(0, s.key.indexOf(".")) : s.key] = { secret: true };
    }
    return out as automation.ConfigMap;
}

const SECRET_PLACEHOLDER = "secret-value-not-compared";

/** Objects and lists are JSON in a recorded value; anything else is text (as the program reads it). */
function jsonIfObject(text: string | undefined): unknown {
    if (typeof text !== "string" || !/^\s*[[{]/.test(text)) return text;
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

/**
 * A recorded configuration as the program would resolve it (every default applied, so a
 * `backline:efs: {}` the engine adds from `Pulumi.yaml`'s defaults equals no `efs` at all), secrets
 * known only to be there. `undefined` when the program would refuse it.
 */
function resolvedForm(recorded: automation.ConfigMap | undefined): string | undefined {
    const values: Record<string, unknown> = {};
    const aws: Record<string, unknown> = {};
    let secretTarget = false;
    for (const [k, v] of Object.entries(recorded ?? {})) {
        const objectValue = (v as { objectValue?: unknown }).objectValue;
        const value = objectValue !== undefined ? objectValue : jsonIfObject(v.value);
        if (k === "aws:region" || k === "aws:profile") {
            aws[k] = v.secret ? SECRET_PLACEHOLDER : value;
        } else if (k.startsWith(`${PROJECT}:`)) {
            const key = k.slice(PROJECT.length + 1);
            if (key === "kubernetes" && v.secret) secretTarget = true;
            else values[key] = v.secret ? SECRET_PLACEHOLDER : value;
        }
    }
    const parsed = parseBacklineConfig(values);
    // Through JSON first: a key resolved to `undefined` (a blank value is unset) equals a missing one.
    return parsed.ok
        ? canonicalJson(JSON.parse(JSON.stringify({ config: parsed.config, aws, secretTarget })))
        : undefined;
}

/**
 * Whether a configuration recorded with an update (`pulumi stack history`) is the one `plan`
 * writes, as the program reads them. Secret values are not compared: the history shows them only
 * encrypted (which is why a change may not hold secrets, see `checkRollout`).
 */
export function recordedMatches(recorded: automation.ConfigMap, plan: StackConfigPlan): boolean {
    const want = resolvedForm(recordedForm(plan));
    return want !== undefined && resolvedForm(recorded) === want;
}

/**
 * What a stack runs, from its newest update or destroy in the backend's history (refreshes are
 * skipped: they record the configuration they found, not one that was deployed).
 */
export function deployedState(
    history: readonly automation.UpdateSummary[],
    before: StackConfigPlan,
    target: StackConfigPlan,
): DeployedState {
    const last = history.find((h) => h.kind === "update" || h.kind === "destroy");
    if (!last || last.kind === "destroy") return last?.result === "succeeded" || !last ? "none" : "other";
    if (last.result !== "succeeded") return "other";
    if (recordedMatches(last.config, target)) return "target";
    if (recordedMatches(last.config, before)) return "before";
    return "other";
}

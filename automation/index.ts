/**
 * The Backline Automation API: deploy the Backline stack from another tool, with typed
 * configuration, progress callbacks, typed results and typed errors.
 *
 * ```ts
 * import { up } from "backline-pulumi/automation";
 * const result = await up({
 *     stackName: "customer-a",
 *     config: { baseUrl: "https://app.backline.ai", accessKey, worker: { replicaCount: 2 } },
 *     kubernetes: { kubeconfig: "~/.kube/customer-a" },
 *     passphrase,
 *     onOutput: (line) => console.log(line),
 * });
 * console.log(result.summary, result.outputs.namespace);
 * ```
 *
 * Every operation runs the same program as `pulumi up` in this repository (`index.ts`, compiled to
 * `dist/index.js` in the installed package), through a `LocalWorkspace` on a project folder of the
 * tool's own: `<dataDir>/project` (default `~/.backline/project`, see ./project.ts), or `workDir`.
 * `preview` and `up`:
 *
 * 1. validate the configuration with the program's own `parseBacklineConfig`, rejecting with
 *    `InvalidConfigError` (every problem) before anything else happens;
 * 2. open (or create) the stack in the backend (`<dataDir>/state` unless told otherwise);
 * 3. write the stack configuration (`<project>/Pulumi.<stack>.yaml`): the access key encrypted,
 *    objects as objects, every key the caller did not set removed;
 * 4. refresh, then preview or update (`refresh: true`: the janitor changes the worker image
 *    behind Pulumi's back, see README "Who owns what").
 *
 * Nothing here calls `process.exit`; every failure is a rejection with a typed error
 * (`./errors`).
 */
import type * as automation from "@pulumi/pulumi/automation";
import { planStackConfig, secretValuesOf, validateDeployment } from "./config";
import { ConcurrentUpdateError, PolicyViolationError, UpdateFailedError } from "./errors";
import { policyPackPaths } from "./policy";
import { RunContext, engineCallbacks, parseOutputs, runOperation, summaryOf, timed } from "./runner";
import type {
    BacklineOutputs,
    DeployOptions,
    DestroyOptions,
    DestroyResult,
    PreviewResult,
    RefreshResult,
    StackOptions,
    UpResult,
} from "./types";

export * from "./types";
export {
    BacklineAutomationError,
    ConcurrentUpdateError,
    EngineMissingError,
    InvalidConfigError,
    PassphraseError,
    PolicyViolationError,
    StackNotFoundError,
    UpdateFailedError,
    classifyEngineError,
    formatInvalidConfig,
} from "./errors";
export { redact } from "./text";
export type { Operation } from "./errors";
export { backlinePolicyPack } from "./policy";
export {
    PROJECT,
    isInlineKubeconfig,
    kubernetesConfigFor,
    planStackConfig,
    toStackConfigValues,
    validateDeployment,
} from "./config";
export type { ConfigValueJson, SecretConfigValue, StackConfigPlan } from "./config";
export { localWorkspaceFactory, locateEngine } from "./engine";
export { packageRoot } from "../components/package-root";
export { committedStacks, defaultDataDir, programPath, projectDirOf, stackConfigFile } from "./project";
export type { EngineLocation } from "./engine";
export type { ConfigProblem } from "../components/config";

/**
 * In render mode there is no cluster to refresh from: the kubernetes provider fails every read
 * ("unreachable cluster"), so a refresh — `refresh: true`, or `options.refresh: always` of
 * `Pulumi.yaml` — would fail every `up`/`preview`/`destroy` after the first. (The provider's
 * `skipUpdateUnreachable` is no way out: it also skips its input checks, which breaks rendering.)
 * For a stack that renders, operations therefore run with `--refresh=false`.
 */
function refreshUnlessRendering(ctx: RunContext, rendering: boolean): boolean {
    ctx.stack.setExtraArgs(rendering ? ["--refresh=false"] : []);
    return !rendering;
}

function isRendering(opts: DeployOptions): boolean {
    return (
        "renderToDirectory" in opts.kubernetes &&
        Boolean((opts.kubernetes as { renderToDirectory?: unknown }).renderToDirectory)
    );
}

/** Whether the stack's current configuration renders manifests (for `refresh`/`destroy`). */
async function stackRenders(ctx: RunContext): Promise<boolean> {
    try {
        const text = await ctx.stack.configValue("backline:kubernetes");
        const k = text === undefined ? undefined : (JSON.parse(text) as { renderYamlToDirectory?: unknown });
        return typeof k?.renderYamlToDirectory === "string" && k.renderYamlToDirectory !== "";
    } catch (err) {
        if (err instanceof SyntaxError) return false;
        throw ctx.classify(err);
    }
}

/** Writes the stack configuration; puts the previous file back if the engine then refuses the stack as busy. */
async function writeConfig(ctx: RunContext, opts: DeployOptions): Promise<() => Promise<void>> {
    try {
        const currentKeys = await ctx.stack.configKeys();
        const plan = planStackConfig({ config: opts.config, kubernetes: opts.kubernetes, aws: opts.aws, currentKeys });
        const restore = await ctx.stack.snapshotConfig();
        await ctx.stack.removeConfig(plan.remove);
        await ctx.stack.setConfigJson(JSON.stringify(plan.plain));
        for (const s of plan.secrets) {
            await ctx.stack.setSecretConfig(s.key, s.value, s.path);
        }
        return restore;
    } catch (err) {
        throw ctx.classify(err);
    }
}

async function deployOperation<T>(
    operation: "preview" | "up",
    opts: DeployOptions,
    run: (ctx: RunContext, policyPacks: readonly string[]) => Promise<T>,
): Promise<T> {
    let policyPacks: string[] = [];
    return runOperation(
        operation,
        opts,
        true,
        (problems) => {
            problems.push(
                ...validateDeployment({
                    stackName: opts?.stackName,
                    config: opts?.config,
                    kubernetes: opts?.kubernetes,
                    aws: opts?.aws,
                }),
            );
            policyPacks = policyPackPaths(opts?.policies, problems);
            return secretValuesOf(opts?.config, opts?.kubernetes);
        },
        async (ctx) => {
            const restore = await writeConfig(ctx, opts);
            try {
                return await run(ctx, policyPacks);
            } catch (err) {
                const typed = ctx.classify(err);
                if (typed instanceof ConcurrentUpdateError) {
                    // Another process holds the stack: leave its configuration as it was.
                    await restore().catch(() => undefined);
                }
                throw typed;
            }
        },
    );
}

// ---------------------------------------------------------------------------------------------
// The operations.
// ---------------------------------------------------------------------------------------------

/** Writes the configuration, refreshes and previews: what `up` would change. Changes no resources. */
export async function preview(opts: DeployOptions): Promise<PreviewResult> {
    return deployOperation("preview", opts, async (ctx, policyPacks) => {
        const { value, ms } = await timed(() =>
            ctx.stack.preview({
                ...engineCallbacks(ctx.progress, opts),
                refresh: refreshUnlessRendering(ctx, isRendering(opts)),
                parallel: opts.parallel,
                message: opts.message,
                policyPacks: [...policyPacks],
            }),
        );
        const outputs = parseOutputs(await ctx.stack.outputs());
        return {
            stackName: opts.stackName,
            summary: summaryOf(value.changeSummary, ms),
            outputs,
            policyViolations: [...ctx.progress.policyViolations],
        };
    });
}

/** Writes the configuration, refreshes and updates the stack. */
export async function up(opts: DeployOptions): Promise<UpResult> {
    return deployOperation("up", opts, async (ctx, policyPacks) => {
        if (policyPacks.length > 0) {
            await policyCheck(ctx, opts, policyPacks);
        }
        const { value, ms } = await timed(() =>
            ctx.stack.up({
                ...engineCallbacks(ctx.progress, opts),
                refresh: refreshUnlessRendering(ctx, isRendering(opts)),
                parallel: opts.parallel,
                message: opts.message,
                policyPacks: [...policyPacks],
            }),
        );
        let outputs: BacklineOutputs | undefined;
        try {
            outputs = parseOutputs(value.outputs);
        } catch (err) {
            outputs = undefined;
            throw new UpdateFailedError({
                operation: "up",
                stackName: opts.stackName,
                engineMessage: (err as Error).message,
                stdoutTail: "",
                stderrTail: "",
            });
        }
        if (!outputs) {
            throw new UpdateFailedError({
                operation: "up",
                stackName: opts.stackName,
                engineMessage: "the update succeeded but the stack has no `namespace` output",
                stdoutTail: "",
                stderrTail: "",
            });
        }
        return {
            stackName: opts.stackName,
            summary: summaryOf(value.summary.resourceChanges, ms),
            outputs,
            policyViolations: [...ctx.progress.policyViolations],
        };
    });
}

/**
 * Before `up` changes anything, the same packs on a preview: a stack they refuse is refused whole.
 * (The update runs them again, for values only known once resources exist.)
 */
async function policyCheck(ctx: RunContext, opts: DeployOptions, policyPacks: readonly string[]): Promise<void> {
    try {
        await ctx.stack.preview({
            ...engineCallbacks(ctx.progress, opts),
            refresh: refreshUnlessRendering(ctx, isRendering(opts)),
            parallel: opts.parallel,
            policyPacks: [...policyPacks],
        });
    } catch (err) {
        const typed = ctx.classify(err);
        if (typed instanceof PolicyViolationError) {
            throw new PolicyViolationError({
                operation: "up",
                stackName: opts.stackName,
                violations: typed.violations,
                stage: "preview",
            });
        }
        throw typed;
    }
    // The update reports its own violations (advisory ones again).
    ctx.progress.policyViolations.length = 0;
}

/** Reads the actual state of every resource into the stack state (no program run, no config change). */
export async function refresh(opts: StackOptions): Promise<RefreshResult> {
    return runOperation(
        "refresh",
        opts,
        false,
        () => [],
        async (ctx) => {
            if (await stackRenders(ctx)) {
                return {
                    stackName: opts.stackName,
                    summary: summaryOf({}, 0),
                    skipped:
                        "the stack renders manifests (kubernetes.renderYamlToDirectory): there is no cluster to read",
                };
            }
            try {
                const { value, ms } = await timed(() => ctx.stack.refresh({ ...engineCallbacks(ctx.progress, opts) }));
                return { stackName: opts.stackName, summary: summaryOf(value.summary.resourceChanges, ms) };
            } catch (err) {
                throw ctx.classify(err);
            }
        },
    );
}

/**
 * Deletes the stack's resources (data the program retains on destroy — the claim, the namespace,
 * EFS — stays unless `worker.storage.deleteOnDestroy` was set). With `removeStack`, also the stack.
 */
export async function destroy(opts: DestroyOptions): Promise<DestroyResult> {
    return runOperation(
        "destroy",
        opts,
        false,
        () => [],
        async (ctx) => {
            const refresh = refreshUnlessRendering(ctx, await stackRenders(ctx));
            try {
                const { value, ms } = await timed(() =>
                    ctx.stack.destroy({ ...engineCallbacks(ctx.progress, opts), refresh }),
                );
                if (opts.removeStack) {
                    await ctx.stack.removeStack();
                }
                return {
                    stackName: opts.stackName,
                    summary: summaryOf(value.summary.resourceChanges, ms),
                    outputs: undefined,
                };
            } catch (err) {
                throw ctx.classify(err);
            }
        },
    );
}

/** The stack's current outputs; `undefined` when it has none (never deployed, or destroyed). */
export async function outputs(opts: StackOptions): Promise<BacklineOutputs | undefined> {
    return runOperation(
        "outputs",
        opts,
        false,
        () => [],
        async (ctx) => {
            let map: automation.OutputMap;
            try {
                map = await ctx.stack.outputs();
            } catch (err) {
                throw ctx.classify(err);
            }
            return parseOutputs(map);
        },
        false,
    );
}
export * from "./fleet";

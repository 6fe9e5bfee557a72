/**
 * An operation's options, resolved and checked once, before any engine starts: the stack name, the
 * project folder, the backend, the secrets provider, where the engine is, the stack configuration
 * to write, the policy packs, whether to refresh. `prepare` reads files (is there a `Pulumi.yaml`,
 * a policy pack, a `pulumi`) but changes nothing; what it returns is all `execute` (./execute.ts)
 * needs, or every problem at once.
 */
import * as fs from "fs";
import * as path from "path";
import type { ConfigProblem } from "../components/config";
import { Checked, planDeployment, validateStackName } from "./config";
import type { StackConfigPlan } from "./config";
import { localWorkspaceFactory, locateEngine } from "./engine";
import type { Operation } from "./errors";
import { expandHome } from "./paths";
import { policyPackPaths } from "./policy";
import { defaultDataDir, projectDirOf, stackConfigFile, workDirProblems } from "./project";
import type {
    DeployOptions,
    DestroyOptions,
    PolicySettings,
    StackOptions,
    WorkspaceFactory,
    WorkspaceRequest,
} from "./types";

/** What every operation has resolved. */
export interface PreparedStack<O extends Operation = Operation> {
    readonly operation: O;
    readonly stackName: string;
    /** How the stack is opened, and by what. */
    readonly request: WorkspaceRequest;
    readonly openStack: WorkspaceFactory;
    /** A local folder to create before the engine starts (file backend). */
    readonly stateDir?: string;
    /** The stack's settings file (named in a wrong-passphrase error). */
    readonly stackFile: string;
    /** Values to redact from anything shown, longest first. */
    readonly secrets: readonly string[];
    /** Where `pulumi` was looked for (named when it is missing). */
    readonly engineSearched: readonly string[];
    /** What the operation holds in this process while it runs; read-only operations hold nothing. */
    readonly lock?: string;
}

/** `preview` and `up`. */
export interface PreparedDeployment<O extends "preview" | "up" = "preview" | "up"> extends PreparedStack<O> {
    /** The stack configuration to write (keys the stack holds and this does not set are removed too). */
    readonly configPlan: StackConfigPlan;
    readonly policyPacks: readonly string[];
    /**
     * Refresh first. Not when the stack renders manifests: there is no cluster to refresh from, the
     * kubernetes provider fails every read ("unreachable cluster"), so a refresh — `refresh: true`, or
     * `options.refresh: always` of `Pulumi.yaml` — would fail every operation after the first. (The
     * provider's `skipUpdateUnreachable` is no way out: it also skips its input checks, which breaks
     * rendering.) `refresh` and `destroy` decide from the stack's configuration instead.
     */
    readonly refresh: boolean;
    readonly parallel?: number;
    readonly message?: string;
}

export interface PreparedDestroy extends PreparedStack<"destroy"> {
    readonly removeStack: boolean;
}

/** Each operation's options. */
export interface OperationOptions {
    readonly preview: DeployOptions;
    readonly up: DeployOptions;
    readonly refresh: StackOptions;
    readonly destroy: DestroyOptions;
    readonly outputs: StackOptions;
    readonly history: StackOptions;
}

/** What preparing each operation gives. */
export interface PreparedOperations {
    readonly preview: PreparedDeployment<"preview">;
    readonly up: PreparedDeployment<"up">;
    readonly refresh: PreparedStack<"refresh">;
    readonly destroy: PreparedDestroy;
    readonly outputs: PreparedStack<"outputs">;
    readonly history: PreparedStack<"history">;
}

/** Operations that leave the stack as it is, and may run next to another one on it. */
const readOnly: readonly Operation[] = ["outputs", "history"];

const preparers: {
    readonly [O in Operation]: (operation: O, opts: OperationOptions[O]) => Checked<PreparedOperations[O]>;
} = {
    preview: prepareDeployment,
    up: prepareDeployment,
    refresh: prepareStack,
    destroy: prepareDestroy,
    outputs: prepareStack,
    history: prepareStack,
};

/** Resolves and checks `opts` for `operation`: the prepared operation, or every problem with the options. */
export function prepare<O extends Operation>(operation: O, opts: OperationOptions[O]): Checked<PreparedOperations[O]> {
    // `?? {}`: a JavaScript caller may pass nothing; every option is then a problem.
    return preparers[operation](operation, opts ?? ({} as OperationOptions[O]));
}

/** `preview` and `up`: the stack, and the configuration and policy packs it is deployed with. */
function prepareDeployment<O extends "preview" | "up">(
    operation: O,
    opts: DeployOptions,
): Checked<PreparedDeployment<O>> {
    const stack = prepareStack(operation, opts);
    const deployment = planDeployment({ config: opts.config, kubernetes: opts.kubernetes, aws: opts.aws });
    const packs = policyPacks(opts.policies);
    if (!stack.ok || !deployment.ok || !packs.ok) {
        return { ok: false, problems: [stack, deployment, packs].flatMap((c) => (c.ok ? [] : c.problems)) };
    }
    const { plan, secrets, renders } = deployment.value;
    return {
        ok: true,
        value: {
            ...stack.value,
            secrets: [...new Set([...secrets, ...stack.value.secrets])].sort((a, b) => b.length - a.length),
            configPlan: plan,
            policyPacks: packs.value,
            refresh: !renders,
            parallel: opts.parallel,
            message: opts.message,
        },
    };
}

function prepareDestroy(operation: "destroy", opts: DestroyOptions): Checked<PreparedDestroy> {
    const stack = prepareStack(operation, opts);
    return stack.ok ? { ok: true, value: { ...stack.value, removeStack: Boolean(opts.removeStack) } } : stack;
}

/** The policy packs to run (a missing one, or one without its dependencies, is a problem). */
function policyPacks(settings: PolicySettings | undefined): Checked<readonly string[]> {
    const problems: ConfigProblem[] = [];
    const paths = policyPackPaths(settings, problems);
    return problems.length > 0 ? { ok: false, problems } : { ok: true, value: paths };
}

/** What every operation checks and resolves: the stack, the project folder, the backend, the secrets provider. */
function prepareStack<O extends Operation>(operation: O, opts: StackOptions): Checked<PreparedStack<O>> {
    const problems: ConfigProblem[] = [...validateStackName(opts.stackName)];
    const dataDir = path.resolve(expandHome(opts.dataDir ?? defaultDataDir()));
    const generateProject = opts.workDir === undefined;
    const workDir = generateProject ? projectDirOf(dataDir) : path.resolve(expandHome(opts.workDir as string));
    if (!generateProject) {
        if (!fs.existsSync(path.join(workDir, "Pulumi.yaml"))) {
            problems.push({
                key: "workDir",
                message: `got ${JSON.stringify(workDir)}, which holds no Pulumi.yaml; pass a Pulumi project directory, or leave \`workDir\` unset.`,
            });
        }
        problems.push(...workDirProblems(workDir, opts.stackName));
    }

    let backendUrl: string;
    let stateDir: string | undefined;
    if (opts.backendUrl !== undefined && opts.backendUrl !== "") {
        backendUrl = opts.backendUrl;
        if (backendUrl.startsWith("file://")) {
            stateDir = expandHome(backendUrl.slice("file://".length));
            backendUrl = `file://${stateDir}`;
        }
    } else {
        stateDir = path.resolve(expandHome(opts.stateDir ?? path.join(dataDir, "state")));
        backendUrl = `file://${stateDir}`;
    }

    const secretsProvider = opts.secretsProvider ?? "passphrase";
    const env = { ...process.env, ...opts.env };
    const envVars: Record<string, string> = {
        PULUMI_BACKEND_URL: backendUrl,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        ...opts.env,
    };
    let passphrase: string | undefined;
    if (secretsProvider === "passphrase") {
        if (opts.passphrase !== undefined) {
            passphrase = opts.passphrase;
            envVars.PULUMI_CONFIG_PASSPHRASE = opts.passphrase;
        } else if (env.PULUMI_CONFIG_PASSPHRASE !== undefined) {
            passphrase = env.PULUMI_CONFIG_PASSPHRASE;
        } else if (!env.PULUMI_CONFIG_PASSPHRASE_FILE) {
            problems.push({
                key: "passphrase",
                message:
                    "missing; the `passphrase` secrets provider needs `passphrase` (or PULUMI_CONFIG_PASSPHRASE / PULUMI_CONFIG_PASSPHRASE_FILE in the environment).",
            });
        }
    }
    if (problems.length > 0) {
        return { ok: false, problems };
    }
    const request: WorkspaceRequest = {
        stackName: opts.stackName,
        workDir,
        generateProject,
        backendUrl,
        secretsProvider,
        create: operation === "preview" || operation === "up",
        envVars,
        engineBinDir: opts.engineBinDir,
        pulumiHome: opts.pulumiHome,
    };
    return {
        ok: true,
        value: {
            operation,
            stackName: opts.stackName,
            request,
            openStack: opts.workspaceFactory ?? localWorkspaceFactory,
            stateDir,
            stackFile: stackConfigFile(workDir, opts.stackName),
            // The passphrase reaches the engine only through its environment, so it should never be in
            // any output; redacting it is a second line of defence, skipped for short ones, which
            // would mangle ordinary words (a passphrase "example" would hide stack "example-1").
            secrets: passphrase && passphrase.length >= 8 ? [passphrase] : [],
            engineSearched: engineSearched(opts.engineBinDir, { ...process.env, ...envVars }),
            // The backend and the stack name identify a stack (the project is always `backline`).
            lock: readOnly.includes(operation) ? undefined : `${backendUrl}\u0000${opts.stackName}`,
        },
    };
}

/** Where `pulumi` is looked for, found or not. */
function engineSearched(engineBinDir: string | undefined, env: NodeJS.ProcessEnv): readonly string[] {
    try {
        return locateEngine({ engineBinDir, env }).searched;
    } catch (e) {
        return (e as { searched?: readonly string[] }).searched ?? [];
    }
}

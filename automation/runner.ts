/**
 * What every operation of the Automation API shares: resolving the options, one operation per
 * stack in this process, progress lines and events (secrets redacted), typed summaries and
 * outputs, and turning whatever the engine throws into a typed error.
 */
import * as fs from "fs";
import * as path from "path";
import type * as automation from "@pulumi/pulumi/automation";
import type { ConfigProblem } from "../components/config";
import { validateStackName } from "./config";
import { localWorkspaceFactory, locateEngine } from "./engine";
import {
    BacklineAutomationError,
    ConcurrentUpdateError,
    InvalidConfigError,
    Operation,
    classifyEngineError,
} from "./errors";
import { expandHome } from "./paths";
import { policyViolationOf } from "./policy";
import { defaultDataDir, projectDirOf, stackConfigFile, workDirProblems } from "./project";
import { redact } from "./text";
import type {
    BacklineOutputs,
    EngineStack,
    OperationSummary,
    PolicyViolation,
    StackOptions,
    WorkspaceRequest,
} from "./types";

// ---------------------------------------------------------------------------------------------
// Resolved options.
// ---------------------------------------------------------------------------------------------

interface Resolved {
    readonly request: WorkspaceRequest;
    /** Values to redact from anything shown. */
    readonly secrets: readonly string[];
    /** A local folder to create before the engine starts (file backend). */
    readonly stateDir?: string;
    /** The stack's settings file (named in a wrong-passphrase error). */
    readonly stackFile: string;
}

/** Checks and resolves what every operation shares; problems are added to `problems`. */
export function resolveStackOptions(opts: StackOptions, create: boolean, problems: ConfigProblem[]): Resolved {
    problems.push(...validateStackName(opts.stackName));
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
    return {
        request: {
            stackName: opts.stackName,
            workDir,
            generateProject,
            backendUrl,
            secretsProvider,
            create,
            envVars,
            engineBinDir: opts.engineBinDir,
            pulumiHome: opts.pulumiHome,
        },
        // The passphrase reaches the engine only through its environment, so it should never be in
        // any output; redacting it is a second line of defence, skipped for short ones, which
        // would mangle ordinary words (a passphrase "example" would hide stack "example-1").
        secrets: passphrase && passphrase.length >= 8 ? [passphrase] : [],
        stateDir,
        stackFile: stackConfigFile(workDir, String(opts.stackName)),
    };
}

// ---------------------------------------------------------------------------------------------
// One operation at a time per stack in this process. Across processes the engine's own lock
// (the backend's) applies.
// ---------------------------------------------------------------------------------------------

const running = new Map<string, Operation>();

function lockKey(r: WorkspaceRequest): string {
    // The backend and the stack name identify a stack (the project is always `backline`).
    return `${r.backendUrl}\u0000${r.stackName}`;
}

// ---------------------------------------------------------------------------------------------
// Output, events and summaries.
// ---------------------------------------------------------------------------------------------

class Progress {
    readonly diagnostics: string[] = [];
    readonly policyViolations: PolicyViolation[] = [];
    stdout = "";
    stderr = "";
    private pending = "";
    private callbackError: unknown;

    constructor(
        private readonly opts: StackOptions,
        private readonly secrets: readonly string[],
    ) {}

    readonly onOutput = (chunk: string): void => {
        this.stdout += chunk;
        this.pending += chunk;
        const lines = this.pending.split(/\r?\n/);
        this.pending = lines.pop() ?? "";
        for (const line of lines) this.emitLine(line);
    };

    readonly onError = (chunk: string): void => {
        this.stderr += chunk;
    };

    readonly onEvent = (event: automation.EngineEvent): void => {
        if (event.policyEvent) {
            this.policyViolations.push(policyViolationOf(event.policyEvent, this.secrets));
        }
        const d = event.diagnosticEvent;
        if (d && d.severity === "error" && d.message) {
            this.diagnostics.push(redact(d.message, this.secrets));
        }
        this.call(() => this.opts.onEvent?.(event));
    };

    /** Flushes a last partial line and reports a throwing callback (once, as a warning). */
    finish(): void {
        if (this.pending !== "") {
            this.emitLine(this.pending);
            this.pending = "";
        }
        if (this.callbackError !== undefined) {
            const e = this.callbackError;
            this.callbackError = undefined;
            process.emitWarning(`a Backline automation callback threw: ${e instanceof Error ? e.message : String(e)}`);
        }
    }

    private emitLine(line: string): void {
        const text = redact(line, this.secrets);
        this.call(() => this.opts.onOutput?.(text));
    }

    private call(fn: () => void): void {
        try {
            fn();
        } catch (err) {
            this.callbackError ??= err;
        }
    }
}

export function summaryOf(changes: automation.OpMap | undefined, durationMs: number): OperationSummary {
    const c: Record<string, number> = { ...(changes ?? {}) } as Record<string, number>;
    return {
        created: c.create ?? 0,
        updated: c.update ?? 0,
        deleted: c.delete ?? 0,
        replaced: c.replace ?? 0,
        same: c.same ?? 0,
        durationMs,
        resourceChanges: c,
    };
}

/** The typed outputs, or `undefined` when the stack has none (never deployed, or destroyed). */
export function parseOutputs(map: automation.OutputMap | undefined): BacklineOutputs | undefined {
    const value = (k: string): unknown => map?.[k]?.value;
    const str = (k: string): string | undefined =>
        typeof value(k) === "string" && value(k) !== "" ? (value(k) as string) : undefined;
    const namespace = str("namespace");
    if (namespace === undefined) {
        return undefined;
    }
    const required = ["workerDeployment", "workerService", "janitorCronJob", "claimName"] as const;
    const missing = required.filter((k) => str(k) === undefined);
    const updates = value("workerImageUpdates");
    if (updates !== "janitor" && updates !== "pinned") {
        missing.push("workerImageUpdates" as never);
    }
    if (missing.length > 0) {
        throw new Error(`the stack's outputs lack ${missing.join(", ")}; was it deployed by this program?`);
    }
    const out: { -readonly [K in keyof BacklineOutputs]: BacklineOutputs[K] } = {
        namespace,
        workerDeployment: str("workerDeployment") as string,
        workerService: str("workerService") as string,
        janitorCronJob: str("janitorCronJob") as string,
        claimName: str("claimName") as string,
        workerImageUpdates: updates as "janitor" | "pinned",
    };
    for (const k of [
        "storageClassName",
        "efsFileSystemId",
        "collectorRoleArn",
        "logGroupName",
        "jobAdmissionPolicy",
    ] as const) {
        const v = str(k);
        if (v !== undefined) out[k] = v;
    }
    return out;
}

// ---------------------------------------------------------------------------------------------
// The operation runner.
// ---------------------------------------------------------------------------------------------

export interface RunContext {
    readonly stack: EngineStack;
    readonly progress: Progress;
    readonly secrets: readonly string[];
    readonly classify: (err: unknown) => BacklineAutomationError;
}

export async function runOperation<T>(
    operation: Operation,
    opts: StackOptions,
    create: boolean,
    extraProblems: (problems: ConfigProblem[]) => readonly string[],
    body: (ctx: RunContext) => Promise<T>,
    exclusive = true,
): Promise<T> {
    // 1. Everything that can be checked without the engine.
    const problems: ConfigProblem[] = [];
    const resolved = resolveStackOptions(opts ?? ({} as StackOptions), create, problems);
    const inputSecrets = extraProblems(problems);
    if (problems.length > 0) {
        throw new InvalidConfigError(dedupe(problems));
    }
    const secrets = [...new Set([...inputSecrets, ...resolved.secrets])].sort((a, b) => b.length - a.length);

    // 2. One operation per stack in this process.
    const key = lockKey(resolved.request);
    if (exclusive) {
        const other = running.get(key);
        if (other) {
            throw new ConcurrentUpdateError(
                opts.stackName,
                `(\`${other}\` started from this process is still running.)`,
            );
        }
        running.set(key, operation);
    }
    const progress = new Progress(opts, secrets);
    const searched = (): readonly string[] => {
        try {
            return locateEngine({
                engineBinDir: opts.engineBinDir,
                env: { ...process.env, ...resolved.request.envVars },
            }).searched;
        } catch (e) {
            return (e as { searched?: readonly string[] }).searched ?? [];
        }
    };
    const classify = (err: unknown): BacklineAutomationError =>
        classifyEngineError(err, {
            operation,
            stackName: opts.stackName,
            secrets,
            diagnostics: progress.diagnostics,
            stdout: progress.stdout,
            stderr: progress.stderr,
            engineSearched: searched(),
            policyViolations: progress.policyViolations,
            stackFile: resolved.stackFile,
        });
    try {
        if (resolved.stateDir) {
            fs.mkdirSync(resolved.stateDir, { recursive: true });
        }
        // 3. Open the stack.
        let stack: EngineStack;
        try {
            stack = await (opts.workspaceFactory ?? localWorkspaceFactory)(resolved.request);
        } catch (err) {
            throw classify(err);
        }
        // 4. The operation.
        try {
            return await body({ stack, progress, secrets, classify });
        } finally {
            progress.finish();
        }
    } finally {
        if (exclusive) running.delete(key);
    }
}

function dedupe(problems: readonly ConfigProblem[]): ConfigProblem[] {
    const seen = new Set<string>();
    return problems.filter((p) => {
        const k = `${p.key}\u0000${p.message}`;
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
    });
}

export function engineCallbacks(progress: Progress, opts: StackOptions) {
    return {
        onOutput: progress.onOutput,
        onError: progress.onError,
        onEvent: progress.onEvent,
        signal: opts.signal,
        color: "never" as const,
    };
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const start = process.hrtime.bigint();
    const value = await fn();
    return { value, ms: Number((process.hrtime.bigint() - start) / 1_000_000n) };
}

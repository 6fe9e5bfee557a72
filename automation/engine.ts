/**
 * Finding the Pulumi CLI, and the default `WorkspaceFactory`: a `LocalWorkspace` on the project
 * directory, so the stack runs the on-disk program (`index.ts`) in its own language-host process.
 * Several stacks can therefore be deployed at once from one Node process (inline programs
 * cannot: they share this process's Pulumi runtime state).
 *
 * The CLI is never downloaded (`PulumiCommand.install` is not used).
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import { packageRoot } from "../components/package-root";
import { EngineMissingError } from "./errors";
import { isExecutableFile, pathDirs } from "./paths";
import { stackConfigFile, writeProject } from "./project";
import type { EngineStack, WorkspaceFactory, WorkspaceRequest } from "./types";

/** This package's folder: the repository, or `node_modules/@backline/pulumi` once installed. */
export const repoRoot = packageRoot;

export interface EngineLocation {
    /** Folder of the `pulumi` binary. */
    readonly binDir: string;
    readonly pulumi: string;
    /** How it was found: the `engineBinDir` option, `PULUMI_ENGINE_BIN_DIR`, `PATH` or the repository's build. */
    readonly source: "option" | "env" | "path" | "cache";
    /** Every place looked at, in order. */
    readonly searched: readonly string[];
}

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The repository's engine build (`scripts/build-engine.sh`): `$PULUMI_ENGINE_DIR/bin`, by default
 * `.cache/engine/bin`.
 */
export function cacheBinDir(root = repoRoot, env: Env = process.env): string {
    return path.join(env.PULUMI_ENGINE_DIR || path.join(root, ".cache", "engine"), "bin");
}

/**
 * Finds `pulumi`, in this order: the `engineBinDir` option (no fallback when given),
 * `PULUMI_ENGINE_BIN_DIR` (set by `scripts/engine-env.sh`), `PATH`, the repository's build
 * (`cacheBinDir`). Throws `EngineMissingError` saying where it looked.
 */
export function locateEngine(
    opts: {
        readonly engineBinDir?: string;
        readonly env?: Env;
        readonly root?: string;
    } = {},
): EngineLocation {
    const env = opts.env ?? process.env;
    const searched: string[] = [];
    const found = (binDir: string, source: EngineLocation["source"]): EngineLocation | undefined => {
        const dir = path.resolve(binDir);
        if (!searched.includes(dir)) searched.push(dir);
        const pulumi = path.join(dir, "pulumi");
        return isExecutableFile(pulumi) ? { binDir: dir, pulumi, source, searched } : undefined;
    };
    if (opts.engineBinDir !== undefined) {
        const hit = found(opts.engineBinDir, "option");
        if (!hit) throw new EngineMissingError("pulumi", searched);
        return hit;
    }
    const fromEnv = env.PULUMI_ENGINE_BIN_DIR ? found(env.PULUMI_ENGINE_BIN_DIR, "env") : undefined;
    if (fromEnv) return fromEnv;
    for (const dir of pathDirs(env.PATH)) {
        const hit = found(dir, "path");
        if (hit) return hit;
    }
    const cached = found(cacheBinDir(opts.root, env), "cache");
    if (cached) return cached;
    throw new EngineMissingError("pulumi", searched);
}

/**
 * `PATH` for the engine: the CLI's folder first (its language host and bundled plugins), then the
 * caller's `PATH`, then the repository's build (its `pulumi-language-nodejs`, for a CLI folder
 * without one). The kubernetes plugin is not on PATH: it is in the plugin cache of PULUMI_HOME
 * (docs/engine.md, "Where the engine finds its plugins").
 */
export function enginePath(
    binDir: string,
    currentPath: string | undefined,
    root = repoRoot,
    env: Env = process.env,
): string {
    const parts = [binDir, ...pathDirs(currentPath)];
    const cache = cacheBinDir(root, env);
    if (fs.existsSync(cache)) parts.push(cache);
    return [...new Set(parts.map((p) => path.resolve(p)))].join(path.delimiter);
}

const shimRoots = new Map<string, string>();

async function pulumiCommandFor(loc: EngineLocation): Promise<automation.PulumiCommand> {
    try {
        // `get` runs `pulumi version` and checks it against the SDK's minimum; it looks for
        // `<root>/bin/pulumi`. PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK=true skips the check.
        if (path.basename(loc.binDir) === "bin") {
            return await automation.PulumiCommand.get({ root: path.dirname(loc.binDir) });
        }
        // A `pulumi` outside a `bin` folder: go through a `<tmp>/bin/pulumi` symlink (one per binary).
        let root = shimRoots.get(loc.pulumi);
        if (!root) {
            root = fs.mkdtempSync(path.join(os.tmpdir(), "backline-pulumi-"));
            fs.mkdirSync(path.join(root, "bin"));
            fs.symlinkSync(loc.pulumi, path.join(root, "bin", "pulumi"));
            shimRoots.set(loc.pulumi, root);
        }
        return await automation.PulumiCommand.get({ root });
    } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        throw new EngineMissingError("pulumi", loc.searched, `${loc.pulumi} is not usable: ${text.split("\n")[0]}`);
    }
}

/** Runs the CLI with `input` on stdin (for secrets: never on the command line). */
function runWithStdin(
    command: string,
    args: readonly string[],
    input: string,
    cwd: string,
    env: Readonly<Record<string, string>>,
): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, [...args], {
            cwd,
            env: { ...process.env, ...env },
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("error", (err) =>
            reject(Object.assign(new Error(err.message), { commandResult: { stdout, stderr, code: -2, err } })),
        );
        child.on("close", (code) => {
            if (code === 0) {
                resolve();
            } else {
                const err = new Error(`pulumi ${args[0]} ${args[1]} failed with exit code ${code}`);
                reject(Object.assign(err, { commandResult: { stdout, stderr, code: code ?? -1 } }));
            }
        });
        child.stdin.end(input);
    });
}

/**
 * The default factory: a `LocalWorkspace` on `request.workDir` running the on-disk program (the
 * generated project's `Pulumi.yaml` is written first).
 */
export const localWorkspaceFactory: WorkspaceFactory = async (request: WorkspaceRequest): Promise<EngineStack> => {
    const callerEnv = { ...process.env, ...request.envVars };
    const loc = locateEngine({ engineBinDir: request.engineBinDir, env: callerEnv });
    if (request.generateProject) {
        writeProject(request.workDir);
    }
    const envVars: Record<string, string> = {
        ...request.envVars,
        PATH: enginePath(loc.binDir, callerEnv.PATH, repoRoot, callerEnv),
    };
    const pulumiCommand = await pulumiCommandFor(loc);
    const ws = await automation.LocalWorkspace.create({
        workDir: request.workDir,
        pulumiHome: request.pulumiHome,
        envVars,
        secretsProvider: request.secretsProvider,
        pulumiCommand,
    });
    const stack = request.create
        ? await automation.Stack.createOrSelect(request.stackName, ws)
        : await automation.Stack.select(request.stackName, ws);
    // The SDK's hook for extra arguments of every command a Stack runs. Used once: the operation
    // itself is the first such command (`up` is followed by `stack history`, which has no `--refresh`).
    let extraArgs: string[] = [];
    ws.serializeArgsForOp = async () => {
        const args = extraArgs;
        extraArgs = [];
        return args;
    };
    const name = request.stackName;
    const cliEnv: Record<string, string> = {
        ...(request.pulumiHome ? { PULUMI_HOME: request.pulumiHome } : {}),
        ...envVars,
        PULUMI_AUTOMATION_API: "true",
    };

    return {
        name,
        configKeys: async () => Object.keys(await ws.getAllConfig(name)),
        setConfigJson: (json) => ws.setAllConfigJson(name, json),
        setSecretConfig: (key, value, isPath) =>
            runWithStdin(
                pulumiCommand.command,
                ["config", "set", "--secret", ...(isPath ? ["--path"] : []), "--stack", name, "--non-interactive", key],
                value,
                request.workDir,
                cliEnv,
            ),
        configValue: async (key) => {
            const all = await ws.getAllConfig(name);
            return all[key]?.value;
        },
        setExtraArgs: (args) => {
            extraArgs = [...args];
        },
        removeConfig: async (keys) => {
            if (keys.length > 0) await ws.removeAllConfig(name, [...keys]);
        },
        snapshotConfig: async () => {
            const file = stackConfigFile(request.workDir, name);
            const before = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
            return async () => {
                if (before === undefined) {
                    fs.rmSync(file, { force: true });
                } else {
                    fs.writeFileSync(file, before);
                }
            };
        },
        up: (o) => stack.up(o),
        preview: (o) => stack.preview(o),
        refresh: (o) => stack.refresh(o),
        destroy: (o) => stack.destroy(o),
        outputs: () => stack.outputs(),
        history: (pageSize) => stack.history(pageSize, 1, false),
        removeStack: () => ws.removeStack(name),
    };
};

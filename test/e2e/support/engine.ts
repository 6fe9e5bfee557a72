/**
 * Locating and running the real Pulumi engine in end-to-end tests.
 *
 * The engine is found as the Automation API finds it (`locateEngine`: `PULUMI_ENGINE_BIN_DIR`,
 * then PATH, then what scripts/build-engine.sh built into `$PULUMI_ENGINE_DIR/bin`, by default
 * <repo>/.cache/engine/bin). Its bundled plugins (pulumi-language-nodejs, pulumi-resource-pulumi-nodejs)
 * sit next to `pulumi`; its resource plugins (pulumi-resource-kubernetes) are installed into the
 * plugin cache of each PULUMI_HOME a test makes (`pulumiHomeWithPlugins`), as a standard install
 * has them: see docs/engine.md, "Where the engine finds its plugins".
 */
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { EngineLocation, cacheBinDir, enginePath, locateEngine, repoRoot } from "../../../automation/engine";
import { isExecutableFile, which } from "../../../automation/paths";

export const REPO_ROOT = repoRoot;

export interface Engine {
    /** Absolute path of the `pulumi` executable. */
    pulumi: string;
    /** Its folder (put first on PATH for child processes). */
    binDir: string;
    /** What `pulumi version` prints, e.g. "v3.274.1". */
    version: string;
    /** How it was found (see `locateEngine`). */
    source: EngineLocation["source"];
    /** pulumi-language-nodejs as the engine will find it (binDir, PATH, cache), or null. */
    languageNodejs: string | null;
    /** pulumi-resource-kubernetes as the engine will find it (the plugin store, else PATH), or null. */
    kubernetesPlugin: string | null;
}

export type EngineLookup = { engine: Engine; reason?: undefined } | { engine: null; reason: string };

/** Finds the engine, or says why there is none. */
export function lookupEngine(): EngineLookup {
    let found: EngineLocation;
    try {
        found = locateEngine({ env: process.env });
    } catch (err) {
        return {
            engine: null,
            reason: `${(err as Error).message.split(". ")[0]}: run scripts/build-engine.sh (builds the engine from Go modules)`,
        };
    }
    const { pulumi, binDir, source } = found;
    const res = spawnSync(pulumi, ["version"], {
        encoding: "utf8",
        timeout: 60_000,
        env: { ...process.env, PULUMI_SKIP_UPDATE_CHECK: "true" },
    });
    if (res.error || res.status !== 0) {
        return {
            engine: null,
            reason: `${pulumi} version failed: ${res.error?.message ?? `exit ${res.status}`} ${res.stderr ?? ""}`.trim(),
        };
    }
    const version = res.stdout.trim();
    const childPath = enginePath(binDir, process.env.PATH);
    return {
        engine: {
            pulumi,
            binDir,
            version,
            source,
            languageNodejs: which("pulumi-language-nodejs", childPath),
            kubernetesPlugin: storedPlugin("resource", "kubernetes") ?? which("pulumi-resource-kubernetes", childPath),
        },
    };
}

/** The engine build's plugin store (scripts/engine-plugins.sh): `$PULUMI_ENGINE_DIR/plugins`. */
export function pluginStore(): string {
    return path.join(path.dirname(cacheBinDir()), "plugins");
}

/** The executable of a plugin in the store, any version, or null. */
function storedPlugin(kind: string, name: string): string | null {
    const store = pluginStore();
    if (!fs.existsSync(store)) return null;
    const entry = fs
        .readdirSync(store)
        .find(
            (d) => d.startsWith(`${kind}-${name}-v`) && isExecutableFile(path.join(store, d, `pulumi-${kind}-${name}`)),
        );
    return entry === undefined ? null : path.join(store, entry, `pulumi-${kind}-${name}`);
}

/**
 * `dir` (created) as a PULUMI_HOME with the engine build's plugins in its plugin cache, for the
 * Automation API's `pulumiHome`; `engineEnv` makes its homes with it. Without a store (no engine
 * built here) the home stays empty: an engine of one's own finds its plugins its own way.
 */
export function pulumiHomeWithPlugins(dir: string): string {
    fs.mkdirSync(dir, { recursive: true });
    if (fs.existsSync(pluginStore())) {
        const r = spawnSync("bash", [path.join(REPO_ROOT, "scripts", "engine-plugins.sh"), "link", dir], {
            encoding: "utf8",
            env: { ...process.env, PULUMI_ENGINE_DIR: path.dirname(pluginStore()) },
        });
        if (r.status !== 0) throw new Error(`scripts/engine-plugins.sh link ${dir} failed: ${r.stderr}`);
    }
    return dir;
}

/**
 * The engine, or null; `onMissing` (e.g. `(r) => this.skip()` or a logger)
 * gets the reason when there is none.
 */
export function findEngine(onMissing?: (reason: string) => void): Engine | null {
    const found = lookupEngine();
    if (found.engine === null) {
        onMissing?.(found.reason);
        return null;
    }
    return found.engine;
}

export interface EngineEnvOptions {
    /** PULUMI_CONFIG_PASSPHRASE for the passphrase secrets provider. */
    passphrase: string;
    /** Extra variables, applied last (a value of undefined removes a variable). */
    extra?: NodeJS.ProcessEnv;
    /** Folder to create the temp PULUMI_HOME and backend folders in (default: os.tmpdir()). */
    tmpRoot?: string;
}

export interface EngineEnv {
    env: NodeJS.ProcessEnv;
    /** Temp PULUMI_HOME. */
    pulumiHome: string;
    /** Folder of the local file backend (PULUMI_BACKEND_URL=file://<backendDir>). */
    backendDir: string;
    /** Removes the temp folders. */
    cleanup(): void;
}

/** Variables of the caller that would send the engine elsewhere or change plugin lookup. */
const SCRUBBED = [
    "PULUMI_ACCESS_TOKEN",
    "PULUMI_API",
    "PULUMI_BACKEND_URL",
    "PULUMI_CONFIG_PASSPHRASE",
    "PULUMI_CONFIG_PASSPHRASE_FILE",
    "PULUMI_HOME",
    "PULUMI_IGNORE_AMBIENT_PLUGINS",
    "PULUMI_DEBUG_COMMANDS",
    "PULUMI_EXPERIMENTAL",
];

/**
 * An environment for child processes: temp PULUMI_HOME holding the engine's plugins, local file
 * backend in a temp folder, the passphrase, PATH with the engine's folder first, and no update
 * check or plugin download.
 */
export function engineEnv(engine: Engine, opts: EngineEnvOptions): EngineEnv {
    const root = fs.mkdtempSync(path.join(opts.tmpRoot ?? os.tmpdir(), "pulumi-e2e-"));
    const pulumiHome = path.join(root, "home");
    const backendDir = path.join(root, "backend");
    pulumiHomeWithPlugins(pulumiHome);
    fs.mkdirSync(backendDir);
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const name of SCRUBBED) {
        delete env[name];
    }
    Object.assign(env, {
        PATH: enginePath(engine.binDir, process.env.PATH),
        PULUMI_HOME: pulumiHome,
        PULUMI_BACKEND_URL: `file://${backendDir}`,
        PULUMI_CONFIG_PASSPHRASE: opts.passphrase,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        // Explicitly false rather than absent: the Automation API merges the
        // caller's process.env into the CLI's environment.
        PULUMI_IGNORE_AMBIENT_PLUGINS: "false",
        // The file backend's "legacy layout" notice is noise in test output.
        PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
    });
    for (const [k, v] of Object.entries(opts.extra ?? {})) {
        if (v === undefined) {
            delete env[k];
        } else {
            env[k] = v;
        }
    }
    return {
        env,
        pulumiHome,
        backendDir,
        cleanup: () => fs.rmSync(root, { recursive: true, force: true }),
    };
}

export interface RunOptions {
    cwd: string;
    env: NodeJS.ProcessEnv;
    /** Written to stdin, which is then closed. */
    input?: string;
    /** Default 300 s; the process gets SIGTERM, then SIGKILL 10 s later. */
    timeoutMs?: number;
    /** The pulumi executable (default: `pulumi` looked up on env.PATH). */
    pulumi?: string;
}

export interface RunResult {
    /** Exit code; null if killed by a signal. */
    code: number | null;
    stdout: string;
    stderr: string;
    timedOut: boolean;
    durationMs: number;
}

/** Runs `pulumi <args>` (with --non-interactive added) and collects its output. */
export function runPulumi(args: string[], opts: RunOptions): Promise<RunResult> {
    const pulumi = opts.pulumi ?? which("pulumi", opts.env.PATH);
    if (pulumi === null) {
        return Promise.reject(new Error(`pulumi is not on PATH (${opts.env.PATH ?? ""})`));
    }
    const fullArgs = args.includes("--non-interactive") ? args : [...args, "--non-interactive"];
    const timeoutMs = opts.timeoutMs ?? 300_000;
    const started = Date.now();
    return new Promise((resolve, reject) => {
        const child = spawn(pulumi, fullArgs, { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        let timedOut = false;
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.stdin.on("error", () => undefined); // the process may exit before reading stdin
        child.stdin.end(opts.input ?? "");
        let killTimer: NodeJS.Timeout | undefined;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGTERM");
            killTimer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        }, timeoutMs);
        child.on("error", (err) => {
            clearTimeout(timer);
            reject(err);
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            if (killTimer) {
                clearTimeout(killTimer);
            }
            resolve({ code, stdout, stderr, timedOut, durationMs: Date.now() - started });
        });
    });
}

/** "pulumi stack init failed (exit 255):\n<stderr><stdout>" — for assertion messages. */
export function describeRun(args: string[], r: RunResult): string {
    const how = r.timedOut ? "timed out" : `exit ${r.code}`;
    return `pulumi ${args.join(" ")} failed (${how}, ${r.durationMs} ms):\n${r.stderr}\n${r.stdout}`;
}

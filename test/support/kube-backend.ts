/**
 * "A Kubernetes API" as the janitor tests see it, plus the harness that runs janitor.sh.
 *
 * The tests only talk to the KubeBackend interface: seed objects, read them back (raw bytes
 * and resourceVersion), count the writes the script made, and get the environment (PATH with
 * BusyBox applets first, HOME, KUBECONFIG or stand-in state) the script must run with.
 *
 * Two implementations: the kubectl stand-in (test/support/kubectl-standin/kubectl, below; the
 * one `npm run test:janitor` runs) and a real kube-apiserver with the real kubectl
 * (test/support/kube-backend-apiserver.ts, run by test/e2e/janitor-apiserver.e2e.ts). The cases
 * (test/support/janitor-cases.ts) run unchanged against either.
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

import { which } from "../../automation/paths";

export const JANITOR_SCRIPT = path.resolve(__dirname, "../../janitor/janitor.sh");
export const STANDIN_DIR = path.resolve(__dirname, "kubectl-standin");

export type KubeKind = "Secret" | "Deployment";

export interface KubeMetadata {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
}

export interface KubeObject {
    apiVersion: string;
    kind: string;
    metadata: KubeMetadata;
    [key: string]: unknown;
}

export interface StoredObject {
    /**
     * The stored object, serialized exactly as the backend returns it (the stand-in: its `kubectl
     * get -o json` text; the API server: the body of a GET, managedFields included). Compare these
     * for "byte-for-byte", within one backend.
     */
    raw: string;
    object: KubeObject;
    resourceVersion: string;
}

/** One write request (apply, patch, create, update, delete) the script sent to the API. */
export interface KubeWrite {
    verb: string;
    /** Plural resource: "secrets", "deployments". */
    resource: string;
    namespace: string;
    name: string;
    fieldManager: string;
    forceConflicts?: boolean;
    /** Whether the object changed (false: a no-op write), where the backend knows. */
    changed?: boolean;
    /** The HTTP status the API server answered, where the backend knows (a refused write is still a write request). */
    status?: number;
}

export interface WriteSelector {
    verb: "apply" | "patch";
    resource: "secrets" | "deployments";
    name: string;
}

export interface KubeBackend {
    readonly name: string;
    /** The namespace the script must work in; a backend may move to a fresh one on every reset(). */
    readonly namespace: string;
    /** The complete environment for the script, apart from its own BACKLINE_ and JANITOR_ variables. */
    scriptEnv(): Record<string, string>;
    /** Creates or replaces an object (not counted as a write of the script). */
    seed(object: KubeObject): Promise<void>;
    get(kind: KubeKind, name: string): Promise<StoredObject | undefined>;
    /** Write requests the script made since the last reset(). */
    writes(): Promise<KubeWrite[]>;
    /** argv of every kubectl call since the last reset(), where the backend can see them. */
    kubectlCalls(): Promise<string[][] | undefined>;
    /**
     * Makes these write requests of the script fail with an error text that quotes the request
     * body and, for a Secret, each value decoded and JSON-quoted and the dockerconfig password
     * JSON-quoted (as a careless admission webhook might), until the next reset(), and returns the
     * extra script environment that does it (empty where the backend arranges it server-side);
     * undefined where the backend cannot do that.
     */
    failWritesEnv(writes: WriteSelector[]): Promise<Record<string, string> | undefined>;
    /**
     * Called by runJanitor just before every run with the script's own variables (BACKLINE_*,
     * JANITOR_*), e.g. to give the script the permissions its configuration implies.
     */
    beforeRun?(scriptVars: Record<string, string>): Promise<void>;
    /** Empties the namespace (or moves to a fresh one) and forgets writes and calls. */
    reset(): Promise<void>;
    close(): Promise<void>;
}

export interface KubeBackendFactory {
    readonly name: string;
    /** undefined when the backend can run here, else the reason it cannot. */
    unavailableReason(): string | undefined;
    create(namespace: string): Promise<KubeBackend>;
}

// --- tools: BusyBox applets first on PATH, then bash/curl/jq --------------------------------

/** Finds an executable on a PATH (default: the test process's own). */
export function hostTool(name: string, searchPath = process.env.PATH ?? ""): string | undefined {
    return which(name, searchPath) ?? undefined;
}

const SCRIPT_TOOLS = ["bash", "curl", "jq"] as const;

/** Why the janitor cannot be run here (a missing tool), or undefined. */
export function missingScriptTools(): string | undefined {
    const missing = ["busybox", ...SCRIPT_TOOLS].filter((t) => !hostTool(t));
    return missing.length
        ? `missing on PATH: ${missing.join(", ")} (install them with: bash .ci/janitor-deps.sh)`
        : undefined;
}

export interface ToolDirs {
    root: string;
    /** A symlink per BusyBox applet (except the names in `tools`). */
    busybox: string;
    /** bash, curl, jq. */
    tools: string;
    bash: string;
}

/** Builds PATH folders in which every coreutil is a BusyBox applet, so GNU-only flags fail. */
export function makeToolDirs(): ToolDirs {
    const reason = missingScriptTools();
    if (reason) throw new Error(`janitor tests: ${reason}`);
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "janitor-tools-"));
    const busyboxDir = path.join(root, "busybox");
    const toolsDir = path.join(root, "tools");
    fs.mkdirSync(busyboxDir);
    fs.mkdirSync(toolsDir);
    for (const t of SCRIPT_TOOLS) fs.symlinkSync(hostTool(t) as string, path.join(toolsDir, t));
    const busybox = hostTool("busybox") as string;
    const list = spawnSync(busybox, ["--list"], { encoding: "utf8" });
    if (list.status !== 0) throw new Error(`busybox --list failed: ${list.stderr}`);
    for (const applet of list.stdout.split("\n").map((s) => s.trim())) {
        if (!applet || applet.includes("/") || (SCRIPT_TOOLS as readonly string[]).includes(applet)) continue;
        fs.symlinkSync(busybox, path.join(busyboxDir, applet));
    }
    return { root, busybox: busyboxDir, tools: toolsDir, bash: path.join(toolsDir, "bash") };
}

// --- running the script -----------------------------------------------------------------------

export interface JanitorRun {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    durationMs: number;
}

/** Runs `bash janitor.sh` with ONLY the backend's environment plus `env` (no inherited variables). */
export async function runJanitor(
    backend: KubeBackend,
    env: Record<string, string | undefined>,
    killAfterMs = 15000,
): Promise<JanitorRun> {
    const scriptVars: Record<string, string> = {};
    for (const [k, v] of Object.entries(env)) if (v !== undefined) scriptVars[k] = v;
    await backend.beforeRun?.(scriptVars);
    const fullEnv: Record<string, string> = { ...backend.scriptEnv(), ...scriptVars };
    const bash = hostTool("bash", fullEnv.PATH ?? "");
    if (!bash) throw new Error(`no bash on the script's PATH ${fullEnv.PATH}`);
    const started = process.hrtime.bigint();
    return new Promise((resolve, reject) => {
        const child = spawn(bash, [JANITOR_SCRIPT], {
            env: fullEnv,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const killer = setTimeout(() => child.kill("SIGKILL"), killAfterMs);
        child.on("error", (e) => {
            clearTimeout(killer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            clearTimeout(killer);
            const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
            resolve({ code, signal, stdout, stderr, durationMs });
        });
    });
}

// --- implementation 1: the kubectl stand-in ---------------------------------------------------

const RESOURCES: Record<KubeKind, string> = { Secret: "secrets", Deployment: "deployments" };

class StandinBackend implements KubeBackend {
    readonly name = "kubectl stand-in";
    private readonly stateDir: string;
    private readonly home: string;

    constructor(
        readonly namespace: string,
        private readonly tools: ToolDirs,
    ) {
        this.stateDir = path.join(tools.root, "state");
        this.home = path.join(tools.root, "home");
        fs.mkdirSync(this.stateDir);
        fs.mkdirSync(this.home);
    }

    scriptEnv(): Record<string, string> {
        return {
            // BusyBox first, then bash/curl/jq, then the stand-in kubectl: nothing else.
            PATH: [this.tools.busybox, this.tools.tools, STANDIN_DIR].join(":"),
            HOME: this.home,
            TMPDIR: os.tmpdir(),
            KUBECTL_STANDIN_DIR: this.stateDir,
        };
    }

    private file(kind: KubeKind, name: string): string {
        return path.join(this.stateDir, "objects", this.namespace, RESOURCES[kind], `${name}.json`);
    }

    private nextResourceVersion(): string {
        const f = path.join(this.stateDir, "resourceVersion");
        const rv = (fs.existsSync(f) ? Number(fs.readFileSync(f, "utf8").trim()) : 0) + 1;
        fs.writeFileSync(f, `${rv}\n`);
        return String(rv);
    }

    async seed(object: KubeObject): Promise<void> {
        const kind = object.kind as KubeKind;
        if (!(kind in RESOURCES)) throw new Error(`stand-in backend cannot seed kind ${object.kind}`);
        const copy = JSON.parse(JSON.stringify(object)) as KubeObject;
        copy.metadata.namespace = this.namespace;
        copy.metadata.uid ??= `seed-${this.namespace}-${copy.metadata.name}`;
        copy.metadata.resourceVersion = this.nextResourceVersion();
        const f = this.file(kind, copy.metadata.name);
        fs.mkdirSync(path.dirname(f), { recursive: true });
        fs.writeFileSync(f, `${JSON.stringify(copy, null, 4)}\n`);
    }

    async get(kind: KubeKind, name: string): Promise<StoredObject | undefined> {
        const f = this.file(kind, name);
        if (!fs.existsSync(f)) return undefined;
        const raw = fs.readFileSync(f, "utf8");
        const object = JSON.parse(raw) as KubeObject;
        return { raw, object, resourceVersion: object.metadata.resourceVersion ?? "" };
    }

    async writes(): Promise<KubeWrite[]> {
        const f = path.join(this.stateDir, "writes.log");
        if (!fs.existsSync(f)) return [];
        return fs
            .readFileSync(f, "utf8")
            .split("\n")
            .filter((l) => l.trim())
            .map((l) => JSON.parse(l) as KubeWrite);
    }

    async kubectlCalls(): Promise<string[][]> {
        const f = path.join(this.stateDir, "calls.log");
        if (!fs.existsSync(f)) return [];
        return fs
            .readFileSync(f, "utf8")
            .split("\x1e")
            .filter((record) => record.length > 0)
            .map((record) => record.split("\x1f").slice(0, -1));
    }

    async failWritesEnv(writes: WriteSelector[]): Promise<Record<string, string>> {
        return { KUBECTL_STANDIN_FAIL: writes.map((w) => `${w.verb} ${w.resource} ${w.name}`).join(",") };
    }

    async reset(): Promise<void> {
        for (const entry of ["objects", "writes.log", "calls.log"]) {
            fs.rmSync(path.join(this.stateDir, entry), { recursive: true, force: true });
        }
    }

    async close(): Promise<void> {
        fs.rmSync(this.tools.root, { recursive: true, force: true });
    }
}

export const standinBackendFactory: KubeBackendFactory = {
    name: "kubectl stand-in",
    unavailableReason: () => missingScriptTools(),
    create: async (namespace: string) => new StandinBackend(namespace, makeToolDirs()),
};

/**
 * The backends `npm run test:janitor` runs the janitor suite against. The real kube-apiserver backend is not
 * here: it needs built binaries and seconds to start, so test/e2e/janitor-apiserver.e2e.ts runs it.
 */
export const kubeBackendFactories: KubeBackendFactory[] = [standinBackendFactory];

/**
 * A real, throw-away Kubernetes control plane for tests: etcd + kube-apiserver +
 * kube-controller-manager on 127.0.0.1 with free ports; no kubelet. With the `kwok`
 * option also kube-scheduler and kwok: fake Nodes on which Pods are scheduled, become
 * Running/Ready and (Job Pods) Succeeded or Failed, without running any container.
 *
 * Binaries come from `scripts/build-kube.sh` (`.cache/kube/bin`) or from PATH.
 *
 *   import { useApiServer } from "../support/apiserver";
 *   describe("my e2e", function () {
 *     const kube = useApiServer();          // before(): start (or skip), after(): stop
 *     it("works", () => {
 *       const r = kube().run(["get", "ns"]); // kubectl against the test server
 *       assert.equal(r.status, 0, r.stderr);
 *     });
 *   });
 *
 * or by hand: `const s = await startApiServer(); try { ... } finally { await s.stop(); }`.
 *
 * Everything started here is always torn down: on stop(), at process exit, on
 * SIGINT/SIGTERM/SIGHUP, and (via a stdin watchdog) even when the Node process is
 * SIGKILLed.
 *
 * The controller-manager (on by default; `controllerManager: false` turns it off)
 * makes the cluster reconcile like a real one: `default` ServiceAccount and
 * kube-root-ca.crt in every namespace, ReplicaSets and Pods from Deployments, Pods
 * from Jobs, garbage collection (foreground/background cascading deletion) and
 * namespace finalization. Pods stay Pending: nothing schedules or runs them.
 * Without it nothing reconciles: objects deleted with propagationPolicy=Foreground
 * keep their foregroundDeletion finalizer and deleted namespaces stay Terminating.
 *
 * Simulated nodes (`kwok`, off by default; see ./kwok.ts for exactly what they do):
 *
 *   const kube = useApiServer({ kwok: {} });                    // one Node, nothing fails
 *   const kube = useApiServer({
 *       kwok: {
 *           nodes: 2,                                           // kwok-node-0, kwok-node-1 (default 1)
 *           podReadyDelayMs: 2000,                              // scheduled -> Running/Ready (default 0)
 *           failImages: ["docker.io/acme/job:broken"],          // Job Pods running it end Failed (default [])
 *           neverReadyImages: ["docker.io/acme/app:bad"],       // Pods running it never become Ready (default [])
 *       },
 *   });
 *   kube().nodes                                                // ["kwok-node-0", "kwok-node-1"], all Ready
 *
 * Then Deployments become Available, Jobs Complete (or Failed), Services get ready
 * endpoints and claims of any class bind, so Pulumi's await logic runs for real. It needs
 * the controller-manager; `findKubeBinaries({ kwok: true })` also requires kube-scheduler
 * and kwok (suites skip with "run scripts/build-kube.sh" otherwise).
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { isExecutableFile, which as whichOnPath } from "../../automation/paths";
import { bootControlPlane, freePorts, PortInUseError, sleep } from "./control-plane";
import type { KwokOptions } from "./kwok";

export { freePorts };
export type { KwokOptions };

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const KUBE_CACHE_BIN = path.join(REPO_ROOT, ".cache", "kube", "bin");

export interface KubeBinaries {
    kubeApiserver: string;
    kubectl: string;
    etcd: string;
    /**
     * Needed unless `controllerManager: false`. Optional in the type so that callers
     * that name the three other binaries keep compiling; when it is missing,
     * startApiServer() looks for it like findKubeBinaries() does.
     */
    kubeControllerManager?: string;
    /** Needed with `kwok` (looked up when missing, like kubeControllerManager). */
    kubeScheduler?: string;
    /** Needed with `kwok`. */
    kwok?: string;
}

export type FindKubeBinariesResult =
    { binaries: KubeBinaries; reason?: undefined } | { binaries: null; reason: string };

const BINARY_NAMES: Record<keyof KubeBinaries, string> = {
    kubeApiserver: "kube-apiserver",
    kubectl: "kubectl",
    etcd: "etcd",
    kubeControllerManager: "kube-controller-manager",
    kubeScheduler: "kube-scheduler",
    kwok: "kwok",
};

function binDir(): string {
    return process.env.KUBE_BIN_DIR || KUBE_CACHE_BIN;
}

function findBinary(name: string): string | null {
    const local = path.join(binDir(), name);
    return isExecutableFile(local) ? local : whichOnPath(name);
}

/**
 * Locates kube-apiserver, kube-controller-manager, kubectl and etcd (and, with
 * `kwok: true`, kube-scheduler and kwok): `$KUBE_BIN_DIR` if set, else `.cache/kube/bin`
 * (built by scripts/build-kube.sh), then PATH, per binary. Returns `{ binaries: null,
 * reason }` when any needed one is missing so tests can skip. `{ controllerManager: false }`
 * does not require kube-controller-manager. Binaries not required are still returned when found.
 */
export function findKubeBinaries(opts: { controllerManager?: boolean; kwok?: boolean } = {}): FindKubeBinariesResult {
    const dir = binDir();
    const required = (key: keyof KubeBinaries): boolean =>
        key === "kubeControllerManager"
            ? opts.controllerManager !== false
            : key === "kubeScheduler" || key === "kwok"
              ? opts.kwok === true
              : true;
    const found: Partial<KubeBinaries> = {};
    const missing: string[] = [];
    for (const key of Object.keys(BINARY_NAMES) as (keyof KubeBinaries)[]) {
        const name = BINARY_NAMES[key];
        const p = findBinary(name);
        if (p) {
            found[key] = p;
        } else if (required(key)) {
            missing.push(name);
        }
    }
    if (missing.length > 0) {
        return {
            binaries: null,
            reason:
                `${missing.join(", ")} not found in ${dir} or on PATH; ` +
                "run scripts/build-kube.sh (builds them from Go modules) to enable these tests",
        };
    }
    return { binaries: found as KubeBinaries };
}

export interface StartApiServerOptions {
    /** Binaries to use; default findKubeBinaries(). */
    binaries?: KubeBinaries;
    /** How long to wait for /readyz, ms (default 120000, or $KUBE_APISERVER_START_TIMEOUT_MS). */
    startTimeoutMs?: number;
    /** Extra kube-apiserver flags, e.g. ["--feature-gates=Foo=true"]; later flags win. */
    apiServerArgs?: string[];
    /** Extra etcd flags. */
    etcdArgs?: string[];
    /**
     * Start kube-controller-manager too (default true) and resolve only once it
     * works (the `default` ServiceAccount and the kube-root-ca.crt ConfigMap exist in
     * namespace `default`). false: API server only, nothing reconciles.
     */
    controllerManager?: boolean;
    /** Extra kube-controller-manager flags; later flags win. */
    controllerManagerArgs?: string[];
    /** Keep the temp dir (logs, kubeconfig, data) after stop(); also $KUBE_APISERVER_KEEP=1. */
    keepDir?: boolean;
    /**
     * Simulated nodes: also start kube-scheduler and kwok, create the Nodes and resolve once
     * all are Ready (see the file header and ./kwok.ts). Needs the controller-manager.
     * @default undefined (no scheduler, no nodes: Pods stay Pending)
     */
    kwok?: KwokOptions;
}

export interface KubectlResult {
    status: number | null;
    stdout: string;
    stderr: string;
}

export interface ApiServer {
    /** Path of a kubeconfig (admin token, CA of the self-signed serving cert). */
    kubeconfig: string;
    /** https://127.0.0.1:PORT */
    server: string;
    /** Bearer token of user "admin" in group system:masters. */
    token: string;
    /** PEM CA bundle that verifies the serving certificate. */
    caPem: string;
    /** Path of the kubectl binary (same release as the API server when built by build-kube.sh). */
    kubectl: string;
    /** Temp dir holding data, logs and the kubeconfig (removed by stop()). */
    dir: string;
    /** Whether a kube-controller-manager runs. */
    controllerManager: boolean;
    /** The simulated Nodes (all Ready when startApiServer resolved); [] without `kwok`. */
    nodes: string[];
    /**
     * Startup timings in ms. totalMs: startApiServer() call -> resolved; readyzMs:
     * spawn -> /readyz 200; controllerManagerMs: its spawn (after /readyz) -> working;
     * schedulerMs: its spawn -> /readyz 200; nodesReadyMs: kwok's spawn -> every Node Ready.
     */
    timings: {
        totalMs: number;
        readyzMs: number;
        controllerManagerMs?: number;
        schedulerMs?: number;
        nodesReadyMs?: number;
    };
    /** process.env plus KUBECONFIG and the kube bin dir first on PATH. */
    env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
    /** Runs kubectl (synchronously) against this server. */
    run(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): KubectlResult;
    /** Current logs (tails) of every process started: etcd, kube-apiserver, kube-controller-manager, …. */
    logs(maxLines?: number): string;
    /**
     * Stops kwok, the scheduler and the controller-manager first, then kube-apiserver and etcd, and removes
     * the temp dir. Idempotent.
     */
    stop(): Promise<void>;
}

// ---------------------------------------------------------------------------
// process bookkeeping and cleanup

interface Managed {
    /** In start order (etcd, kube-apiserver, kube-controller-manager, kube-scheduler, kwok); stopped in reverse. */
    procs: ChildProcess[];
    dir: string;
    keepDir: boolean;
}

const live = new Set<Managed>();
let hooksInstalled = false;

function killGroup(p: ChildProcess): void {
    if (p.pid === undefined || p.exitCode !== null || p.signalCode !== null) {
        return;
    }
    try {
        process.kill(-p.pid, "SIGKILL"); // the watchdog shell and the server it runs
    } catch {
        try {
            p.kill("SIGKILL");
        } catch {
            /* already gone */
        }
    }
}

function removeDir(dir: string): void {
    try {
        fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
    } catch {
        /* best effort */
    }
}

/** Synchronous teardown for exit/signal paths. */
function cleanupAllSync(): void {
    for (const m of live) {
        [...m.procs].reverse().forEach(killGroup); // kwok, scheduler, controller-manager first
        if (!m.keepDir) {
            removeDir(m.dir);
        }
    }
    live.clear();
}

function installHooks(): void {
    if (hooksInstalled) {
        return;
    }
    hooksInstalled = true;
    process.on("exit", cleanupAllSync);
    for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
        const handler = (): void => {
            cleanupAllSync();
            process.removeListener(sig, handler);
            // Keep the default behaviour (exit) unless someone else handles the signal.
            if (process.listenerCount(sig) === 0) {
                process.kill(process.pid, sig);
            }
        };
        process.on(sig, handler);
    }
}

/**
 * Runs `argv` under a tiny bash watchdog in its own process group: when our end
 * of its stdin pipe closes (we exit, crash or are SIGKILLed) it kills the server.
 */
const WATCHDOG = [
    "exec 3<&0",
    '"$@" </dev/null &',
    "child=$!",
    '{ cat <&3 >/dev/null; kill -KILL "$child" 2>/dev/null; } &',
    "trap 'kill -KILL \"$child\" 2>/dev/null' TERM INT HUP",
    'wait "$child"',
].join("\n");

function spawnWatched(argv: string[], logFile: string): ChildProcess {
    const fd = fs.openSync(logFile, "a");
    try {
        const child = spawn("bash", ["-c", WATCHDOG, "watchdog", ...argv], {
            stdio: ["pipe", fd, fd],
            detached: true, // own process group: Ctrl-C in a terminal reaches only us
        });
        // Neither the child nor its stdin pipe keeps Node alive: a server someone
        // forgot to stop() is killed by the exit hook instead of hanging mocha.
        child.unref();
        child.stdin?.on("error", () => undefined);
        (child.stdin as net.Socket | null)?.unref();
        return child;
    } finally {
        fs.closeSync(fd);
    }
}

const DIR_PREFIX = "kube-apiserver-test-";
const OWNER_FILE = "owner.pid";

/** PIDs of live processes whose command line mentions `dir` (Linux /proc; [] elsewhere). */
export function pidsUsing(dir: string): number[] {
    let entries: string[];
    try {
        entries = fs.readdirSync("/proc");
    } catch {
        return [];
    }
    const pids: number[] = [];
    for (const e of entries) {
        if (!/^\d+$/.test(e) || Number(e) === process.pid) {
            continue;
        }
        try {
            // zombies have an empty cmdline, so only processes still running match
            if (fs.readFileSync(`/proc/${e}/cmdline`, "utf8").includes(dir)) {
                pids.push(Number(e));
            }
        } catch {
            /* gone meanwhile */
        }
    }
    return pids;
}

function isAlive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (e) {
        return (e as NodeJS.ErrnoException).code === "EPERM";
    }
}

/**
 * Removes temp dirs (and any server still using them) left by test processes that
 * died without cleaning up, e.g. a SIGKILLed mocha (its servers are already killed
 * by the watchdog; only the dir stays).
 */
function sweepStale(): void {
    let names: string[];
    try {
        names = fs.readdirSync(os.tmpdir()).filter((n) => n.startsWith(DIR_PREFIX));
    } catch {
        return;
    }
    for (const n of names) {
        const dir = path.join(os.tmpdir(), n);
        let owner: number;
        try {
            owner = Number(fs.readFileSync(path.join(dir, OWNER_FILE), "utf8"));
        } catch {
            continue; // being created right now, or not ours
        }
        if (!owner || isAlive(owner)) {
            continue;
        }
        for (const pid of pidsUsing(dir)) {
            try {
                process.kill(pid, "SIGKILL");
            } catch {
                /* gone */
            }
        }
        removeDir(dir);
    }
}

async function waitGone(dir: string, ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
        const pids = pidsUsing(dir);
        if (pids.length === 0) {
            return;
        }
        if (Date.now() > deadline) {
            pids.forEach((pid) => {
                try {
                    process.kill(pid, "SIGKILL");
                } catch {
                    /* gone */
                }
            });
            return;
        }
        await sleep(20);
    }
}

function waitExit(p: ChildProcess, ms: number): Promise<void> {
    if (p.exitCode !== null || p.signalCode !== null) {
        return Promise.resolve();
    }
    return new Promise((resolve) => {
        const t = setTimeout(resolve, ms);
        p.once("exit", () => {
            clearTimeout(t);
            resolve();
        });
    });
}

// ---------------------------------------------------------------------------

/**
 * Starts etcd and kube-apiserver, waits for /readyz 200, then (unless
 * `controllerManager: false`) starts kube-controller-manager and waits until it
 * works, then (with `kwok`) kube-scheduler and kwok until every fake Node is Ready.
 * On failure everything is torn down and the error carries the log tails.
 */
export async function startApiServer(opts: StartApiServerOptions = {}): Promise<ApiServer> {
    const withKcm = opts.controllerManager !== false;
    const withKwok = opts.kwok !== undefined;
    let binaries = opts.binaries;
    if (!binaries) {
        const found = findKubeBinaries({ controllerManager: withKcm, kwok: withKwok });
        if (!found.binaries) {
            throw new Error(found.reason);
        }
        binaries = found.binaries;
    }
    // Callers that name only some binaries get the others looked up like findKubeBinaries() does.
    const wanted: (keyof KubeBinaries)[] = [
        ...(withKcm ? (["kubeControllerManager"] as const) : []),
        ...(withKwok ? (["kubeScheduler", "kwok"] as const) : []),
    ];
    for (const key of wanted) {
        if (!binaries[key]) {
            const found = findBinary(BINARY_NAMES[key]);
            if (!found) {
                throw new Error(
                    `${BINARY_NAMES[key]} not found in ${binDir()} or on PATH; run scripts/build-kube.sh` +
                        (key === "kubeControllerManager" ? " (or pass controllerManager: false)" : ""),
                );
            }
            binaries = { ...binaries, [key]: found };
        }
    }
    const timeoutMs = opts.startTimeoutMs ?? (Number(process.env.KUBE_APISERVER_START_TIMEOUT_MS) || 120_000);
    const keepDir = opts.keepDir ?? process.env.KUBE_APISERVER_KEEP === "1";
    installHooks();

    // A port taken between freePorts() and bind is retried with new ports.
    let lastErr: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
        try {
            return await startOnce(binaries, timeoutMs, keepDir, opts);
        } catch (e) {
            lastErr = e;
            if (!(e instanceof PortInUseError)) {
                throw e;
            }
        }
    }
    throw lastErr;
}

async function startOnce(
    bins: KubeBinaries,
    timeoutMs: number,
    keepDir: boolean,
    opts: StartApiServerOptions,
): Promise<ApiServer> {
    const t0 = Date.now();
    sweepStale();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), DIR_PREFIX));
    fs.writeFileSync(path.join(dir, OWNER_FILE), String(process.pid));
    const m: Managed = { procs: [], dir, keepDir };
    live.add(m);

    const stop = async (): Promise<void> => {
        if (!live.has(m)) {
            return;
        }
        live.delete(m);
        // Reverse start order: kwok, the scheduler and the controller-manager first (they
        // would only log errors about a vanished API server), then kube-apiserver, then etcd.
        for (const p of [...m.procs].reverse()) {
            p.stdin?.destroy();
            killGroup(p);
            await waitExit(p, 5000);
        }
        await waitGone(dir, 5000); // the servers themselves, not only their watchdogs
        if (!keepDir) {
            removeDir(dir);
        }
    };

    try {
        const [etcdClient, etcdPeer, apiserver, scheduler] = await freePorts(4);
        const plane = await bootControlPlane({
            dir,
            bins,
            ports: { etcdClient, etcdPeer, apiserver, scheduler },
            timeoutMs,
            controllerManager: opts.controllerManager !== false,
            kwok: opts.kwok,
            etcdArgs: opts.etcdArgs,
            apiServerArgs: opts.apiServerArgs,
            controllerManagerArgs: opts.controllerManagerArgs,
            spawn: (_name, argv, logFile) => {
                const p = spawnWatched(argv, logFile);
                m.procs.push(p);
                return {
                    exitStatus: () =>
                        p.exitCode === null && p.signalCode === null ? null : String(p.exitCode ?? p.signalCode),
                };
            },
        });
        const tDone = Date.now();

        const kubectlDir = path.dirname(bins.kubectl);
        const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
            ...process.env,
            KUBECONFIG: plane.kubeconfig,
            PATH: `${kubectlDir}${path.delimiter}${process.env.PATH ?? ""}`,
            ...extra,
        });
        const run = (args: string[], o: { input?: string; env?: NodeJS.ProcessEnv } = {}): KubectlResult => {
            const r: SpawnSyncReturns<string> = spawnSync(bins.kubectl, args, {
                env: env(o.env),
                input: o.input,
                encoding: "utf8",
                timeout: 120_000,
            });
            if (r.error) {
                throw r.error;
            }
            return { status: r.status, stdout: r.stdout, stderr: r.stderr };
        };
        return {
            kubeconfig: plane.kubeconfig,
            server: plane.server,
            token: plane.token,
            caPem: plane.caPem,
            kubectl: bins.kubectl,
            dir,
            controllerManager: opts.controllerManager !== false,
            nodes: plane.nodes,
            timings: { totalMs: tDone - t0, ...plane.timings },
            env,
            run,
            logs: plane.logs,
            stop,
        };
    } catch (e) {
        await stop();
        throw e;
    }
}

/**
 * Mocha convenience: starts the server in `before` (skipping the suite with the
 * reason when the binaries are not built), stops it in `after` — which mocha runs
 * whether or not tests failed. Call inside `describe`.
 */
export function useApiServer(opts: StartApiServerOptions = {}): () => ApiServer {
    let srv: ApiServer | undefined;
    before(async function () {
        // each wait (API server, controller-manager, scheduler, nodes) gets startTimeoutMs
        const perStep = opts.startTimeoutMs ?? (Number(process.env.KUBE_APISERVER_START_TIMEOUT_MS) || 120_000);
        const steps = 1 + (opts.controllerManager === false ? 0 : 1) + (opts.kwok ? 2 : 0);
        this.timeout(steps * perStep + 30_000);
        const found = opts.binaries
            ? { binaries: opts.binaries }
            : findKubeBinaries({ controllerManager: opts.controllerManager !== false, kwok: opts.kwok !== undefined });
        if (!found.binaries) {
            console.warn(`      skipping: ${found.reason}`);
            this.skip();
        }
        srv = await startApiServer({ ...opts, binaries: found.binaries });
    });
    after(async function () {
        this.timeout(30_000);
        await srv?.stop();
    });
    return () => {
        if (!srv) {
            throw new Error("API server not started (useApiServer's before hook has not run or failed)");
        }
        return srv;
    };
}

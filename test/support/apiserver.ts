/**
 * A real, throw-away Kubernetes control plane for tests: etcd + kube-apiserver +
 * kube-controller-manager on 127.0.0.1 with free ports; no kubelet, no scheduler.
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
 */
import { ChildProcess, spawn, spawnSync, SpawnSyncReturns } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { isExecutableFile, which as whichOnPath } from "../../automation/paths";

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
}

export type FindKubeBinariesResult =
    { binaries: KubeBinaries; reason?: undefined } | { binaries: null; reason: string };

const BINARY_NAMES: Record<keyof KubeBinaries, string> = {
    kubeApiserver: "kube-apiserver",
    kubectl: "kubectl",
    etcd: "etcd",
    kubeControllerManager: "kube-controller-manager",
};

function binDir(): string {
    return process.env.KUBE_BIN_DIR || KUBE_CACHE_BIN;
}

function findBinary(name: string): string | null {
    const local = path.join(binDir(), name);
    return isExecutableFile(local) ? local : whichOnPath(name);
}

/**
 * Locates kube-apiserver, kube-controller-manager, kubectl and etcd: `$KUBE_BIN_DIR`
 * if set, else `.cache/kube/bin` (built by scripts/build-kube.sh), then PATH, per
 * binary. Returns `{ binaries: null, reason }` when any is missing so tests can
 * skip. `{ controllerManager: false }` does not require kube-controller-manager
 * (it is still returned when found).
 */
export function findKubeBinaries(opts: { controllerManager?: boolean } = {}): FindKubeBinariesResult {
    const dir = binDir();
    const found: Partial<KubeBinaries> = {};
    const missing: string[] = [];
    for (const key of Object.keys(BINARY_NAMES) as (keyof KubeBinaries)[]) {
        const name = BINARY_NAMES[key];
        const p = findBinary(name);
        if (p) {
            found[key] = p;
        } else if (key !== "kubeControllerManager" || opts.controllerManager !== false) {
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
    /**
     * Startup timings in ms. totalMs: startApiServer() call -> resolved; readyzMs:
     * spawn -> /readyz 200; controllerManagerMs: its spawn (after /readyz) -> working.
     */
    timings: { totalMs: number; readyzMs: number; controllerManagerMs?: number };
    /** process.env plus KUBECONFIG and the kube bin dir first on PATH. */
    env(extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
    /** Runs kubectl (synchronously) against this server. */
    run(args: string[], opts?: { input?: string; env?: NodeJS.ProcessEnv }): KubectlResult;
    /** Current etcd, kube-apiserver (and kube-controller-manager) logs (tails). */
    logs(maxLines?: number): string;
    /**
     * Stops the controller-manager first, then kube-apiserver and etcd, and removes
     * the temp dir. Idempotent.
     */
    stop(): Promise<void>;
}

// ---------------------------------------------------------------------------
// process bookkeeping and cleanup

interface Managed {
    /** In start order (etcd, kube-apiserver, kube-controller-manager); stopped in reverse. */
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
        [...m.procs].reverse().forEach(killGroup); // controller-manager first
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
function pidsUsing(dir: string): number[] {
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

function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
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
// helpers

/** Distinct free TCP ports on 127.0.0.1 (all held open together, then released). */
export async function freePorts(n: number): Promise<number[]> {
    const servers: net.Server[] = [];
    try {
        for (let i = 0; i < n; i++) {
            const s = net.createServer();
            servers.push(s);
            await new Promise<void>((resolve, reject) => {
                s.once("error", reject);
                s.listen(0, "127.0.0.1", () => resolve());
            });
        }
        return servers.map((s) => (s.address() as net.AddressInfo).port);
    } finally {
        await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    }
}

function tail(file: string, maxLines: number): string {
    try {
        const lines = fs.readFileSync(file, "utf8").split("\n");
        return lines.slice(-maxLines).join("\n");
    } catch {
        return "(no log)";
    }
}

function httpsGet(url: string, token: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = https.get(
            url,
            // The serving cert is generated by the server at startup; readiness only.
            { headers: { Authorization: `Bearer ${token}` }, rejectUnauthorized: false, timeout: timeoutMs },
            (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (c: string) => (body += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            },
        );
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
    });
}

/** The self-signed CA out of a PEM bundle (kube-apiserver's apiserver.crt: serving cert, then CA). */
function caCertOf(bundlePem: string): string {
    const blocks = bundlePem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    for (const b of blocks) {
        try {
            if (new crypto.X509Certificate(b).ca) {
                return `${b}\n`;
            }
        } catch {
            /* not a certificate we can parse: keep looking */
        }
    }
    return bundlePem; // no CA block found: the whole bundle still verifies the server
}

function kubeconfigYaml(server: string, caPem: string, token: string, user = "admin"): string {
    const ca = Buffer.from(caPem).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: test",
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${ca}`,
        "users:",
        `- name: ${user}`,
        "  user:",
        `    token: ${token}`,
        "contexts:",
        "- name: test",
        "  context:",
        "    cluster: test",
        `    user: ${user}`,
        "current-context: test",
        "",
    ].join("\n");
}

// ---------------------------------------------------------------------------

/**
 * Starts etcd and kube-apiserver, waits for /readyz 200, then (unless
 * `controllerManager: false`) starts kube-controller-manager and waits until it
 * works. On failure everything is torn down and the error carries the log tails.
 */
export async function startApiServer(opts: StartApiServerOptions = {}): Promise<ApiServer> {
    const withKcm = opts.controllerManager !== false;
    let binaries = opts.binaries;
    if (!binaries) {
        const found = findKubeBinaries({ controllerManager: withKcm });
        if (!found.binaries) {
            throw new Error(found.reason);
        }
        binaries = found.binaries;
    }
    if (withKcm && !binaries.kubeControllerManager) {
        const kcm = findBinary(BINARY_NAMES.kubeControllerManager);
        if (!kcm) {
            throw new Error(
                `kube-controller-manager not found in ${binDir()} or on PATH; run scripts/build-kube.sh ` +
                    "(or pass controllerManager: false)",
            );
        }
        binaries = { ...binaries, kubeControllerManager: kcm };
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

class PortInUseError extends Error {}

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
        // Reverse start order: the controller-manager first (it would only log errors
        // about a vanished API server), then kube-apiserver, then etcd.
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

    const withKcm = opts.controllerManager !== false;
    const procNames = ["etcd", "kube-apiserver", "kube-controller-manager"];
    const logFiles = procNames.slice(0, withKcm ? 3 : 2).map((n) => path.join(dir, `${n}.log`));
    const [etcdLog, apiLog, kcmLog] = logFiles;
    const logs = (maxLines = 40): string =>
        logFiles.map((f, i) => `--- ${procNames[i]} (${f}) ---\n${tail(f, maxLines)}`).join("\n");
    /** Throws (with the logs) when a process we started has exited. */
    const checkAlive = (what: string): void => {
        for (const [i, p] of m.procs.entries()) {
            if (p.exitCode !== null || p.signalCode !== null) {
                const text = logs(60);
                const msg = `${procNames[i]} exited (${p.exitCode ?? p.signalCode}) before ${what}\n${text}`;
                throw /address already in use/i.test(text) ? new PortInUseError(msg) : new Error(msg);
            }
        }
    };

    try {
        const [etcdClient, etcdPeer, securePort] = await freePorts(3);
        const certDir = path.join(dir, "pki");
        fs.mkdirSync(certDir, { mode: 0o700 });

        // service-account signing key (ES256: generated in ~1 ms)
        const sa = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
        const saKey = path.join(certDir, "sa.key");
        const saPub = path.join(certDir, "sa.pub");
        fs.writeFileSync(saKey, sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
        fs.writeFileSync(saPub, sa.publicKey.export({ type: "spki", format: "pem" }));

        const token = crypto.randomBytes(24).toString("hex");
        // The controller-manager's own user (its canonical name; system:masters, so it
        // needs no RBAC and --use-service-account-credentials=false is enough).
        const kcmToken = crypto.randomBytes(24).toString("hex");
        const tokenFile = path.join(certDir, "tokens.csv");
        fs.writeFileSync(
            tokenFile,
            `${token},admin,admin-uid,"system:masters"\n` +
                `${kcmToken},system:kube-controller-manager,kube-controller-manager-uid,"system:masters"\n`,
            { mode: 0o600 },
        );

        const etcdUrl = `http://127.0.0.1:${etcdClient}`;
        const peerUrl = `http://127.0.0.1:${etcdPeer}`;
        const etcdArgs = [
            bins.etcd,
            "--name=test",
            `--data-dir=${path.join(dir, "etcd")}`,
            `--listen-client-urls=${etcdUrl}`,
            `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=${peerUrl}`,
            `--initial-advertise-peer-urls=${peerUrl}`,
            `--initial-cluster=test=${peerUrl}`,
            "--initial-cluster-state=new",
            "--unsafe-no-fsync", // data is thrown away; fsync only costs time
            "--log-level=warn",
            ...(opts.etcdArgs ?? []),
        ];
        const server = `https://127.0.0.1:${securePort}`;
        const apiArgs = [
            bins.kubeApiserver,
            `--etcd-servers=${etcdUrl}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            // a loopback advertise address is refused by the lease reconciler; nothing
            // needs Endpoints of the "kubernetes" Service without Pods anyway
            "--endpoint-reconciler-type=none",
            `--secure-port=${securePort}`,
            `--cert-dir=${certDir}`, // self-signed serving cert + CA, written at startup
            `--token-auth-file=${tokenFile}`,
            "--authorization-mode=Node,RBAC",
            // PodSecurity is in the default admission plugin set; named here so it can't silently go.
            "--enable-admission-plugins=PodSecurity",
            "--allow-privileged=true", // like real clusters: Pod Security, not this flag, decides
            `--service-account-key-file=${saPub}`,
            `--service-account-signing-key-file=${saKey}`,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--profiling=false",
            ...(opts.apiServerArgs ?? []),
        ];
        m.procs.push(spawnWatched(etcdArgs, etcdLog));
        m.procs.push(spawnWatched(apiArgs, apiLog));
        const tSpawn = Date.now();

        const deadline = tSpawn + timeoutMs;
        let last = "";
        for (;;) {
            checkAlive("the API server became ready");
            try {
                const r = await httpsGet(`${server}/readyz`, token, 2000);
                if (r.status === 200) {
                    break;
                }
                last = `HTTP ${r.status}: ${r.body.slice(0, 2000)}`;
            } catch (e) {
                last = String(e);
            }
            if (Date.now() > deadline) {
                throw new Error(`kube-apiserver not ready after ${timeoutMs} ms (last /readyz: ${last})\n${logs(60)}`);
            }
            await sleep(100);
        }
        const tReady = Date.now();

        // apiserver.crt holds the serving cert followed by its self-signed CA.
        const caPem = fs.readFileSync(path.join(certDir, "apiserver.crt"), "utf8");
        const kubeconfig = path.join(dir, "kubeconfig");
        fs.writeFileSync(kubeconfig, kubeconfigYaml(server, caPem, token), { mode: 0o600 });

        let controllerManagerMs: number | undefined;
        if (withKcm) {
            const caFile = path.join(certDir, "ca.crt");
            fs.writeFileSync(caFile, caCertOf(caPem));
            const kcmKubeconfig = path.join(dir, "kube-controller-manager.kubeconfig");
            fs.writeFileSync(kcmKubeconfig, kubeconfigYaml(server, caPem, kcmToken, "system:kube-controller-manager"), {
                mode: 0o600,
            });
            const kcmArgs = [
                bins.kubeControllerManager as string,
                `--kubeconfig=${kcmKubeconfig}`,
                "--leader-elect=false", // one instance: no Lease to acquire before controllers start
                "--use-service-account-credentials=false", // controllers use the kubeconfig's user
                // the apiserver's signing key: token controller (legacy SA token Secrets)
                `--service-account-private-key-file=${saKey}`,
                `--root-ca-file=${caFile}`, // published as ConfigMap kube-root-ca.crt in every namespace
                // every on-by-default controller. Nothing to exclude: since the in-tree cloud
                // providers were removed, kube-controller-manager 1.37 has no cloud controllers
                // (cloud-node-lifecycle, service-lb, node-route live in cloud-controller-manager;
                // naming one here fails with "is not in the list of known controllers").
                "--controllers=*",
                "--bind-address=127.0.0.1",
                "--secure-port=0", // no /healthz etc.: readiness is checked through the API below
                ...(opts.controllerManagerArgs ?? []),
            ];
            const tKcm = Date.now();
            m.procs.push(spawnWatched(kcmArgs, kcmLog));
            // Working = the serviceaccount controller and the root CA publisher have acted
            // on the namespace that always exists.
            const probes = [
                "/api/v1/namespaces/default/serviceaccounts/default",
                "/api/v1/namespaces/default/configmaps/kube-root-ca.crt",
            ];
            const kcmDeadline = tKcm + timeoutMs;
            for (;;) {
                checkAlive("the controller-manager was working");
                try {
                    const rs = await Promise.all(probes.map((p) => httpsGet(`${server}${p}`, token, 2000)));
                    if (rs.every((r) => r.status === 200)) {
                        break;
                    }
                    last = rs.map((r, i) => `${probes[i]}: HTTP ${r.status}`).join(", ");
                } catch (e) {
                    last = String(e);
                }
                if (Date.now() > kcmDeadline) {
                    throw new Error(`kube-controller-manager not working after ${timeoutMs} ms (${last})\n${logs(60)}`);
                }
                await sleep(50);
            }
            controllerManagerMs = Date.now() - tKcm;
        }
        const tDone = Date.now();

        const kubectlDir = path.dirname(bins.kubectl);
        const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
            ...process.env,
            KUBECONFIG: kubeconfig,
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
            kubeconfig,
            server,
            token,
            caPem,
            kubectl: bins.kubectl,
            dir,
            controllerManager: withKcm,
            timings: {
                totalMs: tDone - t0,
                readyzMs: tReady - tSpawn,
                ...(controllerManagerMs === undefined ? {} : { controllerManagerMs }),
            },
            env,
            run,
            logs,
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
        // kube-apiserver and kube-controller-manager each get startTimeoutMs
        const perStep = opts.startTimeoutMs ?? (Number(process.env.KUBE_APISERVER_START_TIMEOUT_MS) || 120_000);
        this.timeout((opts.controllerManager === false ? 1 : 2) * perStep + 30_000);
        const found = opts.binaries
            ? { binaries: opts.binaries }
            : findKubeBinaries({ controllerManager: opts.controllerManager !== false });
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

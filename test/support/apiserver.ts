/**
 * A real, throw-away Kubernetes control plane for tests: etcd + kube-apiserver +
 * kube-controller-manager on 127.0.0.1 with free ports; no kubelet. With the `kwok`
 * option also kube-scheduler and kwok: fake Nodes on which Pods are scheduled, become
 * Running/Ready and (Job Pods) Succeeded or Failed, without running any container.
 *
 * Binaries come from `scripts/build-kube.sh` (`.cache/kube/bin`) or from PATH.
 *
 *   import { useApiServer } from "./apiserver";
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
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as path from "path";
import { strict as assert } from "assert";
import {
    BINARY_NAMES,
    binDir,
    findBinary,
    findKubeBinaries,
    KubeBinaries,
    minorOf,
    OlderMinor,
} from "./apiserver-binaries";
import { installHooks, manageNewDir, spawnWatched, stopManaged } from "./apiserver-processes";
import { bootControlPlane, freePorts, PortInUseError } from "./control-plane";
import type { KwokOptions } from "./kwok";

export { freePorts };
export type { KwokOptions };
export { findKubeBinaries, KUBE_CACHE_BIN, REPO_ROOT } from "./apiserver-binaries";
export type { FindKubeBinariesResult, KubeBinaries, OlderMinor } from "./apiserver-binaries";
export { pidsUsing } from "./apiserver-processes";

export interface StartApiServerOptions {
    /** Binaries to use; default findKubeBinaries() (of `minor`). */
    binaries?: KubeBinaries;
    /**
     * An older supported Kubernetes minor instead of the newest: its kube-apiserver,
     * -controller-manager, -scheduler and kubectl (scripts/build-kube.sh 1.30), with the flags of
     * that release (./control-plane-flags.ts). @default undefined (the newest, tools/kube)
     */
    minor?: OlderMinor;
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

/**
 * The answer of `kubectl auth can-i`, which exits 0 with "yes" and 1 with "no": anything else (a
 * server that is down, a bad flag or kubeconfig) is an error, not a "no", and fails the test.
 */
export function canIAnswer(r: KubectlResult, question: string): boolean {
    const answer = r.stdout.trim();
    if (r.status === 0 && answer === "yes") {
        return true;
    }
    if (r.status === 1 && answer === "no") {
        return false;
    }
    assert.fail(`kubectl auth can-i ${question}: exit ${r.status}, answered "${answer}": ${r.stderr.trim()}`);
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
        const found = findKubeBinaries({ controllerManager: withKcm, kwok: withKwok, minor: opts.minor });
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
            const minor = minorOf(key, opts.minor);
            const found = findBinary(BINARY_NAMES[key], minor);
            if (!found) {
                throw new Error(
                    `${BINARY_NAMES[key]} not found in ${binDir(minor)}${minor ? "" : " or on PATH"}; ` +
                        `run scripts/build-kube.sh${minor ? ` ${minor}` : ""}` +
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
    const m = manageNewDir(keepDir);
    const dir = m.dir;
    const stop = (): Promise<void> => stopManaged(m);

    try {
        const [etcdClient, etcdPeer, apiserver, scheduler] = await freePorts(4);
        const plane = await bootControlPlane({
            dir,
            bins,
            ports: { etcdClient, etcdPeer, apiserver, scheduler },
            timeoutMs,
            controllerManager: opts.controllerManager !== false,
            kwok: opts.kwok,
            minor: opts.minor,
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
            : findKubeBinaries({
                  controllerManager: opts.controllerManager !== false,
                  kwok: opts.kwok !== undefined,
                  minor: opts.minor,
              });
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

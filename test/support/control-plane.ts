/**
 * How the control plane boots, shared by the test helper (./apiserver.ts: temp dir, free ports,
 * processes tied to the test process) and `npm run local:up` (scripts/local/cluster.ts: a kept
 * folder under .cache/local, processes that outlive the command): key material, every flag of
 * etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, the kubeconfigs, the
 * order they start in and how readiness is decided. Only *how a process is spawned* differs, so
 * `bootControlPlane` takes a `spawn` function. See docs/kube-apiserver.md for every flag's reason.
 *
 * The flags and key material are in ./control-plane-flags.ts (kube-scheduler's and kwok's in
 * ./kwok.ts), the small helpers in ./control-plane-util.ts; both are re-exported from here.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { OlderMinor } from "./apiserver-binaries";
import {
    apiServerFlags,
    caCertOf,
    controllerManagerFlags,
    etcdFlags,
    keyMaterial,
    kubeconfigYaml,
    schedulerReadyPath,
    User,
} from "./control-plane-flags";
import { httpsRequest, sleep, tail } from "./control-plane-util";
import { KwokOptions, kwokConfigYaml, kwokFlags, kwokNodeManifests, kwokNodeNames, schedulerFlags } from "./kwok";

export { apiServerFlags, caCertOf, controllerManagerFlags, etcdFlags, kubeconfigYaml } from "./control-plane-flags";
export { freePorts, httpsRequest, sleep, tail } from "./control-plane-util";

export interface PlaneBinaries {
    readonly etcd: string;
    readonly kubeApiserver: string;
    readonly kubectl: string;
    readonly kubeControllerManager?: string;
    readonly kubeScheduler?: string;
    readonly kwok?: string;
}

export interface PlanePorts {
    readonly etcdClient: number;
    readonly etcdPeer: number;
    readonly apiserver: number;
    /** kube-scheduler's /readyz; only used with kwok. */
    readonly scheduler: number;
}

/** A started process as the booter sees it: null while it runs, else how it ended. */
export interface SpawnedProcess {
    exitStatus(): string | null;
}

export type Spawner = (name: PlaneProcess, argv: string[], logFile: string) => SpawnedProcess;

export type PlaneProcess = "etcd" | "kube-apiserver" | "kube-controller-manager" | "kube-scheduler" | "kwok";

export interface BootOptions {
    /** Folder for data, keys, kubeconfigs and `<process>.log`; keys and tokens found there are reused. */
    readonly dir: string;
    readonly bins: PlaneBinaries;
    readonly ports: PlanePorts;
    readonly spawn: Spawner;
    /** Per wait (API server ready, controller-manager working, scheduler ready, nodes Ready), ms. */
    readonly timeoutMs: number;
    readonly controllerManager: boolean;
    /** Simulated nodes (implies kube-scheduler); needs the controller-manager. */
    readonly kwok?: KwokOptions;
    /** The older supported minor `bins` are of; undefined: the newest (./control-plane-flags.ts decides what differs). */
    readonly minor?: OlderMinor;
    readonly etcdArgs?: readonly string[];
    readonly apiServerArgs?: readonly string[];
    readonly controllerManagerArgs?: readonly string[];
    /** Called after each process is spawned (the caller records it for teardown). */
    readonly onSpawned?: (name: PlaneProcess, p: SpawnedProcess) => void;
}

export interface BootedPlane {
    readonly server: string;
    readonly token: string;
    readonly caPem: string;
    readonly kubeconfig: string;
    /** Names of the simulated Nodes, Ready; [] without kwok. */
    readonly nodes: string[];
    readonly timings: {
        readyzMs: number;
        controllerManagerMs?: number;
        schedulerMs?: number;
        nodesReadyMs?: number;
    };
    logs(maxLines?: number): string;
}

/** A process exited because its port was taken between choosing and binding it: retry with others. */
export class PortInUseError extends Error {}

/**
 * Starts etcd and kube-apiserver, waits for /readyz; then kube-controller-manager (until the
 * `default` ServiceAccount and `kube-root-ca.crt` exist in namespace `default`); then, with kwok,
 * kube-scheduler (until its /readyz) and kwok, creates the Nodes and waits until all are Ready.
 * Throws with the log tails when a process exits or a wait times out; the caller tears down.
 */
export async function bootControlPlane(o: BootOptions): Promise<BootedPlane> {
    const { dir, bins, ports } = o;
    if (o.kwok && !o.controllerManager) {
        throw new Error(
            "kwok needs kube-controller-manager (ReplicaSets, Jobs, node lifecycle): drop controllerManager: false",
        );
    }
    const names: PlaneProcess[] = ["etcd", "kube-apiserver"];
    if (o.controllerManager) names.push("kube-controller-manager");
    if (o.kwok) names.push("kube-scheduler", "kwok");
    const logFile = (n: PlaneProcess): string => path.join(dir, `${n}.log`);
    const logs = (maxLines = 40): string =>
        names.map((n) => `--- ${n} (${logFile(n)}) ---\n${tail(logFile(n), maxLines)}`).join("\n");
    const started: [PlaneProcess, SpawnedProcess][] = [];
    const start = (name: PlaneProcess, bin: string | undefined, argv: string[]): void => {
        if (!bin) {
            throw new Error(`${name} not found; run scripts/build-kube.sh`);
        }
        const p = o.spawn(name, [bin, ...argv], logFile(name));
        started.push([name, p]);
        o.onSpawned?.(name, p);
    };
    const checkAlive = (what: string): void => {
        for (const [name, p] of started) {
            const status = p.exitStatus();
            if (status !== null) {
                const text = logs(60);
                const msg = `${name} exited (${status}) before ${what}\n${text}`;
                throw /address already in use/i.test(text) ? new PortInUseError(msg) : new Error(msg);
            }
        }
    };
    /** Polls `probe` until it returns true; its string result is the last state for the error. */
    const waitUntil = async (what: string, every: number, probe: () => Promise<true | string>): Promise<number> => {
        const t0 = Date.now();
        let last = "";
        for (;;) {
            checkAlive(what);
            try {
                const r = await probe();
                if (r === true) {
                    return Date.now() - t0;
                }
                last = r;
            } catch (e) {
                last = String(e);
            }
            if (Date.now() - t0 > o.timeoutMs) {
                throw new Error(`not ${what} after ${o.timeoutMs} ms (last: ${last.slice(0, 2000)})\n${logs(60)}`);
            }
            await sleep(every);
        }
    };

    const certDir = path.join(dir, "pki");
    const keys = keyMaterial(certDir);
    const token = keys.tokens.admin;
    const server = `https://127.0.0.1:${ports.apiserver}`;

    start("etcd", bins.etcd, [
        ...etcdFlags(path.join(dir, "etcd"), ports.etcdClient, ports.etcdPeer),
        ...(o.etcdArgs ?? []),
    ]);
    const apiFlags = apiServerFlags({ etcdPort: ports.etcdClient, securePort: ports.apiserver, certDir, ...keys });
    start("kube-apiserver", bins.kubeApiserver, [...apiFlags, ...(o.apiServerArgs ?? [])]);
    const get = (p: string) => httpsRequest("GET", `${server}${p}`, token);
    const readyzMs = await waitUntil("the API server was ready", 100, async () => {
        const r = await get("/readyz");
        return r.status === 200 || `/readyz: HTTP ${r.status}: ${r.body}`;
    });

    // apiserver.crt holds the serving cert followed by its self-signed CA.
    const caPem = fs.readFileSync(path.join(certDir, "apiserver.crt"), "utf8");
    const caFile = path.join(certDir, "ca.crt");
    fs.writeFileSync(caFile, caCertOf(caPem));
    const kubeconfigOf = (user: User, file: string): string => {
        const f = path.join(dir, file);
        fs.writeFileSync(f, kubeconfigYaml(server, caPem, keys.tokens[user], user), { mode: 0o600 });
        return f;
    };
    const kubeconfig = kubeconfigOf("admin", "kubeconfig");
    const timings: BootedPlane["timings"] = { readyzMs };

    if (o.controllerManager) {
        const kcmConfig = kubeconfigOf("system:kube-controller-manager", "kube-controller-manager.kubeconfig");
        start("kube-controller-manager", bins.kubeControllerManager, [
            ...controllerManagerFlags(kcmConfig, keys.saKey, caFile),
            ...(o.controllerManagerArgs ?? []),
        ]);
        // Working = the serviceaccount controller and the root CA publisher acted on `default`.
        const probes = [
            "/api/v1/namespaces/default/serviceaccounts/default",
            "/api/v1/namespaces/default/configmaps/kube-root-ca.crt",
        ];
        timings.controllerManagerMs = await waitUntil("the controller-manager was working", 50, async () => {
            const rs = await Promise.all(probes.map(get));
            return rs.every((r) => r.status === 200) || rs.map((r, i) => `${probes[i]}: HTTP ${r.status}`).join(", ");
        });
    }

    let nodes: string[] = [];
    if (o.kwok) {
        const schedConfig = kubeconfigOf("system:kube-scheduler", "kube-scheduler.kubeconfig");
        start("kube-scheduler", bins.kubeScheduler, schedulerFlags(schedConfig, ports.scheduler));
        const readyPath = schedulerReadyPath(o.minor);
        timings.schedulerMs = await waitUntil("the scheduler was ready", 100, async () => {
            const r = await httpsRequest("GET", `https://127.0.0.1:${ports.scheduler}${readyPath}`, "");
            return r.status === 200 || `scheduler ${readyPath}: HTTP ${r.status}: ${r.body}`;
        });

        const kwokConfig = path.join(dir, "kwok.yaml");
        fs.writeFileSync(kwokConfig, kwokConfigYaml(o.kwok));
        start("kwok", bins.kwok, kwokFlags(kubeconfigOf("kwok", "kwok.kubeconfig"), kwokConfig, o.kwok));
        nodes = kwokNodeNames(o.kwok);
        const t0 = Date.now();
        const apply = spawnSync(bins.kubectl, ["apply", "--server-side", "--field-manager=kwok-test", "-f", "-"], {
            env: { ...process.env, KUBECONFIG: kubeconfig },
            input: kwokNodeManifests(o.kwok)
                .map((n) => JSON.stringify(n))
                .join("\n---\n"),
            encoding: "utf8",
            timeout: 60_000,
        });
        if (apply.status !== 0) {
            throw new Error(`creating the kwok Nodes failed: ${apply.stderr || apply.error}\n${logs(60)}`);
        }
        await waitUntil("every kwok Node was Ready", 100, async () => {
            const r = await get("/api/v1/nodes");
            const items: NodeJson[] = r.status === 200 ? JSON.parse(r.body).items : [];
            const ready = new Set(items.filter(isReady).map((n) => n.metadata.name));
            const missing = nodes.filter((n) => !ready.has(n));
            return missing.length === 0 || `not Ready: ${missing.join(", ")}`;
        });
        timings.nodesReadyMs = Date.now() - t0;
    }
    return { server, token, caPem, kubeconfig, nodes, timings, logs };
}

interface NodeJson {
    metadata: { name: string };
    status?: { conditions?: { type: string; status: string }[] };
}

function isReady(n: NodeJson): boolean {
    return (n.status?.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True");
}

/**
 * How the control plane boots, shared by the test helper (./apiserver.ts: temp dir, free ports,
 * processes tied to the test process) and `npm run local:up` (scripts/local/cluster.ts: a kept
 * folder under .cache/local, processes that outlive the command): key material, every flag of
 * etcd, kube-apiserver, kube-controller-manager, kube-scheduler and kwok, the kubeconfigs, the
 * order they start in and how readiness is decided. Only *how a process is spawned* differs, so
 * `bootControlPlane` takes a `spawn` function. See docs/kube-apiserver.md for every flag's reason.
 */
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as https from "https";
import * as net from "net";
import * as path from "path";
import { KwokOptions, kwokConfigYaml, kwokFlags, kwokNodeManifests, kwokNodeNames, schedulerFlags } from "./kwok";

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

/** Identities in the token file; every one is in system:masters (no RBAC to set up for components). */
const USERS = ["admin", "system:kube-controller-manager", "system:kube-scheduler", "kwok"] as const;
type User = (typeof USERS)[number];

function readOrCreate(file: string, make: () => string, mode = 0o600): string {
    if (fs.existsSync(file)) {
        return fs.readFileSync(file, "utf8");
    }
    const text = make();
    fs.writeFileSync(file, text, { mode });
    return text;
}

/** Service-account key pair and one bearer token per user, made once per folder. */
function keyMaterial(certDir: string): {
    saKey: string;
    saPub: string;
    tokenFile: string;
    tokens: Record<User, string>;
} {
    fs.mkdirSync(certDir, { recursive: true, mode: 0o700 });
    const saKey = path.join(certDir, "sa.key");
    const saPub = path.join(certDir, "sa.pub");
    if (!fs.existsSync(saKey) || !fs.existsSync(saPub)) {
        // ES256: generated in ~1 ms
        const sa = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
        fs.writeFileSync(saKey, sa.privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600 });
        fs.writeFileSync(saPub, sa.publicKey.export({ type: "spki", format: "pem" }));
    }
    const tokenFile = path.join(certDir, "tokens.csv");
    const csv = readOrCreate(tokenFile, () =>
        USERS.map((u) => `${crypto.randomBytes(24).toString("hex")},${u},${u}-uid,"system:masters"\n`).join(""),
    );
    const tokens = {} as Record<User, string>;
    for (const line of csv.split("\n").filter((l) => l)) {
        const [token, user] = line.split(",");
        tokens[user as User] = token;
    }
    return { saKey, saPub, tokenFile, tokens };
}

export function etcdFlags(dataDir: string, clientPort: number, peerPort: number): string[] {
    const etcdUrl = `http://127.0.0.1:${clientPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    return [
        "--name=test",
        `--data-dir=${dataDir}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=test=${peerUrl}`,
        "--initial-cluster-state=new",
        "--unsafe-no-fsync", // test data: fsync only costs time
        "--log-level=warn",
    ];
}

export function apiServerFlags(o: {
    etcdPort: number;
    securePort: number;
    certDir: string;
    tokenFile: string;
    saKey: string;
    saPub: string;
}): string[] {
    return [
        `--etcd-servers=http://127.0.0.1:${o.etcdPort}`,
        "--bind-address=127.0.0.1",
        "--advertise-address=127.0.0.1",
        // a loopback advertise address is refused by the lease reconciler; nothing
        // needs Endpoints of the "kubernetes" Service anyway
        "--endpoint-reconciler-type=none",
        `--secure-port=${o.securePort}`,
        `--cert-dir=${o.certDir}`, // self-signed serving cert + CA, written at first start
        `--token-auth-file=${o.tokenFile}`,
        "--authorization-mode=Node,RBAC",
        // PodSecurity is in the default admission plugin set; named here so it can't silently go.
        "--enable-admission-plugins=PodSecurity",
        "--allow-privileged=true", // like real clusters: Pod Security, not this flag, decides
        `--service-account-key-file=${o.saPub}`,
        `--service-account-signing-key-file=${o.saKey}`,
        "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
        "--service-cluster-ip-range=10.0.0.0/24",
        "--profiling=false",
    ];
}

export function controllerManagerFlags(kubeconfig: string, saKey: string, caFile: string): string[] {
    return [
        `--kubeconfig=${kubeconfig}`,
        "--leader-elect=false", // one instance: no Lease to acquire before controllers start
        "--use-service-account-credentials=false", // controllers use the kubeconfig's user
        `--service-account-private-key-file=${saKey}`, // token controller (legacy SA token Secrets)
        `--root-ca-file=${caFile}`, // published as ConfigMap kube-root-ca.crt in every namespace
        // every on-by-default controller. Nothing to exclude: 1.37 has no cloud controllers any more
        // (naming one fails with "is not in the list of known controllers").
        "--controllers=*",
        "--bind-address=127.0.0.1",
        "--secure-port=0", // no /healthz etc.: readiness is checked through the API
    ];
}

/** The self-signed CA out of a PEM bundle (kube-apiserver's apiserver.crt: serving cert, then CA). */
export function caCertOf(bundlePem: string): string {
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

export function kubeconfigYaml(server: string, caPem: string, token: string, user = "admin"): string {
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
        timings.schedulerMs = await waitUntil("the scheduler was ready", 100, async () => {
            const r = await httpsRequest("GET", `https://127.0.0.1:${ports.scheduler}/readyz`, "");
            return r.status === 200 || `scheduler /readyz: HTTP ${r.status}: ${r.body}`;
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

// ---------------------------------------------------------------------------------------------
// small helpers

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}

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

export function tail(file: string, maxLines: number): string {
    try {
        const lines = fs.readFileSync(file, "utf8").split("\n");
        return lines.slice(-maxLines).join("\n");
    } catch {
        return "(no log)";
    }
}

/** One HTTPS request with a bearer token (none when ""); readiness probes only, so TLS is not verified. */
export function httpsRequest(
    method: string,
    url: string,
    token: string,
    timeoutMs = 2000,
): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const req = https.request(
            url,
            {
                method,
                headers: token ? { Authorization: `Bearer ${token}` } : {},
                // The serving certs are generated by the servers at startup.
                rejectUnauthorized: false,
                timeout: timeoutMs,
            },
            (res) => {
                let body = "";
                res.setEncoding("utf8");
                res.on("data", (c: string) => (body += c));
                res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            },
        );
        req.on("timeout", () => req.destroy(new Error("timeout")));
        req.on("error", reject);
        req.end();
    });
}

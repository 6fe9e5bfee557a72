/**
 * Just enough of a Kubernetes client for the preflight checks (`./index.ts`): it reads the
 * kubeconfig the program's Kubernetes provider reads, in the same order, and makes JSON requests
 * with the same credentials.
 *
 * Why our own: the provider cannot tell the program anything before it creates resources (during a
 * preview it silently skips a kind the cluster does not serve, and an object it may not create —
 * `Create` in pulumi-kubernetes' `provider.go`), and the official JavaScript client is an ES module
 * that pins `@types/node` 26. What a kubeconfig can say is covered as client-go reads it
 * (https://kubernetes.io/docs/reference/config-api/kubeconfig.v1/): `$KUBECONFIG` lists merged
 * first-wins, paths relative to their file, bearer tokens and token files, client certificates,
 * `exec` credential plugins (EKS, GKE, AKS, kubelogin), impersonation, a CA or
 * `insecure-skip-tls-verify`, `tls-server-name`, and in-cluster credentials. What is not (a
 * `proxy-url`, the removed `auth-provider` plugins, basic auth) makes the check say it could not
 * run, never fail the deployment.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import type * as https from "https";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import { expandHome } from "../paths";

/** Where and how to reach the API server. */
export interface ClusterConnection {
    readonly server: string;
    /** For messages: `context "prod" (user "admin")`. */
    readonly describe: string;
    readonly tls: Pick<https.RequestOptions, "ca" | "cert" | "key" | "rejectUnauthorized" | "servername">;
    readonly headers: Readonly<Record<string, string>>;
}

/** A connection, or why none can be made (the check is then skipped with that reason). */
export type ConnectionResult =
    { readonly ok: true; readonly connection: ClusterConnection } | { readonly ok: false; readonly reason: string };

/** The provider's `kubeconfig` and `context` settings (`kubernetes.*` of the stack configuration). */
export interface KubeconfigSource {
    readonly kubeconfig?: string;
    readonly context?: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- a kubeconfig is untyped YAML */
type Named = { name: string; [k: string]: any };
interface Loaded {
    readonly clusters: Map<string, { value: any; dir: string }>;
    readonly users: Map<string, { value: any; dir: string }>;
    readonly contexts: Map<string, any>;
    currentContext?: string;
}

function merge(into: Loaded, text: string, dir: string): void {
    const doc = (parse(text) ?? {}) as any;
    const add = (map: Map<string, any>, items: Named[] | undefined, key: string, withDir: boolean) => {
        for (const item of items ?? []) {
            // First wins, as client-go merges $KUBECONFIG.
            if (item?.name && !map.has(item.name)) {
                map.set(item.name, withDir ? { value: item[key] ?? {}, dir } : (item[key] ?? {}));
            }
        }
    };
    add(into.clusters, doc.clusters, "cluster", true);
    add(into.users, doc.users, "user", true);
    add(into.contexts, doc.contexts, "context", false);
    into.currentContext ??= doc["current-context"] || undefined;
}

/**
 * The kubeconfig as the provider finds it: `kubernetes.kubeconfig` (a path, `~` expanded, or the
 * contents), else the files of `$KUBECONFIG`, else `~/.kube/config`.
 */
function load(source: KubeconfigSource, env: NodeJS.ProcessEnv): Loaded | undefined {
    const loaded: Loaded = { clusters: new Map(), users: new Map(), contexts: new Map() };
    if (source.kubeconfig) {
        const p = expandHome(source.kubeconfig);
        if (fs.existsSync(p)) merge(loaded, fs.readFileSync(p, "utf8"), path.dirname(path.resolve(p)));
        else merge(loaded, source.kubeconfig, process.cwd());
        return loaded;
    }
    const files = env.KUBECONFIG
        ? env.KUBECONFIG.split(path.delimiter).filter((f) => f !== "")
        : [path.join(os.homedir(), ".kube", "config")];
    const existing = files.filter((f) => fs.existsSync(f));
    if (existing.length === 0) return undefined;
    for (const f of existing) merge(loaded, fs.readFileSync(f, "utf8"), path.dirname(path.resolve(f)));
    return loaded;
}

function readData(inline: string | undefined, file: string | undefined, dir: string): Buffer | undefined {
    if (inline) return Buffer.from(inline, "base64");
    if (file) return fs.readFileSync(path.resolve(dir, expandHome(file)));
    return undefined;
}

/** Runs an `exec` credential plugin and returns what it issued. */
function runExecPlugin(exec: any, dir: string): { token?: string; cert?: string; key?: string } {
    const apiVersion = exec.apiVersion ?? "client.authentication.k8s.io/v1";
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        KUBERNETES_EXEC_INFO: JSON.stringify({ apiVersion, kind: "ExecCredential", spec: { interactive: false } }),
    };
    for (const e of (exec.env ?? []) as { name: string; value: string }[]) env[e.name] = e.value;
    const command = exec.command.includes(path.sep) ? path.resolve(dir, exec.command) : exec.command;
    const r = spawnSync(command, exec.args ?? [], { env, encoding: "utf8", timeout: 60_000 });
    if (r.error || r.status !== 0) {
        const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr ?? "").trim().slice(0, 300)}`;
        throw new Error(`the kubeconfig's exec plugin \`${exec.command}\` failed (${why})`);
    }
    const status = JSON.parse(r.stdout).status ?? {};
    return { token: status.token, cert: status.clientCertificateData, key: status.clientKeyData };
}

const inClusterDir = "/var/run/secrets/kubernetes.io/serviceaccount";

function inCluster(env: NodeJS.ProcessEnv): ConnectionResult {
    const host = env.KUBERNETES_SERVICE_HOST;
    const tokenFile = path.join(inClusterDir, "token");
    if (!host || !fs.existsSync(tokenFile)) {
        return { ok: false, reason: "no kubeconfig found (`kubernetes.kubeconfig`, $KUBECONFIG, ~/.kube/config)" };
    }
    const hostPart = host.includes(":") ? `[${host}]` : host;
    return {
        ok: true,
        connection: {
            server: `https://${hostPart}:${env.KUBERNETES_SERVICE_PORT ?? "443"}`,
            describe: "the pod's in-cluster ServiceAccount",
            tls: { ca: fs.readFileSync(path.join(inClusterDir, "ca.crt")), rejectUnauthorized: true },
            headers: { Authorization: `Bearer ${fs.readFileSync(tokenFile, "utf8").trim()}` },
        },
    };
}

/** Reads the kubeconfig and the credentials of its context. Never throws. */
export function connectionFor(source: KubeconfigSource, env: NodeJS.ProcessEnv = process.env): ConnectionResult {
    try {
        const loaded = load(source, env);
        if (!loaded) return inCluster(env);
        const contextName = source.context ?? loaded.currentContext;
        const context = contextName === undefined ? undefined : loaded.contexts.get(contextName);
        if (!context) return { ok: false, reason: `the kubeconfig has no context ${JSON.stringify(contextName)}` };
        const cluster = loaded.clusters.get(context.cluster);
        if (!cluster?.value.server) {
            return { ok: false, reason: `context ${JSON.stringify(contextName)} names no cluster with a server` };
        }
        const user = loaded.users.get(context.user) ?? { value: {}, dir: cluster.dir };
        const c = cluster.value;
        const u = user.value;
        const unsupported = c["proxy-url"]
            ? "a `proxy-url`"
            : u["auth-provider"]
              ? "an `auth-provider` plugin"
              : u.username
                ? "basic authentication"
                : undefined;
        if (unsupported) return { ok: false, reason: `the kubeconfig's context uses ${unsupported}` };

        const headers: Record<string, string> = {};
        let cert = readData(u["client-certificate-data"], u["client-certificate"], user.dir);
        let key = readData(u["client-key-data"], u["client-key"], user.dir);
        let token: string | undefined =
            u.token ?? (u.tokenFile ? fs.readFileSync(path.resolve(user.dir, u.tokenFile), "utf8").trim() : undefined);
        if (u.exec && !token && !cert) {
            const issued = runExecPlugin(u.exec, user.dir);
            token = issued.token;
            if (issued.cert) cert = Buffer.from(issued.cert);
            if (issued.key) key = Buffer.from(issued.key);
        }
        if (token) headers.Authorization = `Bearer ${token}`;
        if (u.as) headers["Impersonate-User"] = u.as;
        if (Array.isArray(u["as-groups"]) && u["as-groups"].length > 0)
            headers["Impersonate-Group"] = u["as-groups"].join(",");
        return {
            ok: true,
            connection: {
                server: String(c.server).replace(/\/+$/, ""),
                describe: `context ${JSON.stringify(contextName)} (user ${JSON.stringify(context.user)})`,
                tls: {
                    ca: readData(c["certificate-authority-data"], c["certificate-authority"], cluster.dir),
                    cert,
                    key,
                    rejectUnauthorized: c["insecure-skip-tls-verify"] !== true,
                    servername: c["tls-server-name"],
                },
                headers,
            },
        };
    } catch (err) {
        return { ok: false, reason: (err as Error).message };
    }
}

export interface JsonRequest {
    readonly method: "GET" | "POST";
    readonly path: string;
    readonly body?: unknown;
}

/** The answer to one request: its status and parsed body, or why there was none. */
export type JsonAnswer = { readonly status: number; readonly body: any } | { readonly error: string };

/**
 * Runs in a child Node process (`requestsSync`), so it must be self-contained: no imports, no
 * closure. Reads `{ server, tls, headers, requests, timeoutMs }` as JSON on stdin, sends every
 * request at once and prints the answers, in order, as JSON.
 */
function requestsChild(): void {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const https = require("https") as typeof import("https");
    let input = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (d: string) => (input += d));
    process.stdin.on("end", () => {
        const job = JSON.parse(input);
        const tls = { ...job.tls };
        for (const k of ["ca", "cert", "key"]) if (tls[k]) tls[k] = Buffer.from(tls[k], "base64");
        const one = (r: { method: string; path: string; body?: unknown }) =>
            new Promise((resolve) => {
                const payload = r.body === undefined ? undefined : JSON.stringify(r.body);
                // Appended, not resolved: a server URL may carry a path (a proxy's `/k8s/clusters/<id>`).
                const req = https.request(
                    new URL(`${job.server}${r.path}`),
                    {
                        method: r.method,
                        ...tls,
                        timeout: job.timeoutMs,
                        headers: {
                            ...job.headers,
                            Accept: "application/json",
                            ...(payload ? { "Content-Type": "application/json" } : {}),
                        },
                    },
                    (res) => {
                        let text = "";
                        res.setEncoding("utf8");
                        res.on("data", (d: string) => (text += d));
                        res.on("end", () => {
                            let body: unknown = text;
                            try {
                                body = text ? JSON.parse(text) : undefined;
                            } catch {
                                // not JSON: keep the text
                            }
                            resolve({ status: res.statusCode ?? 0, body });
                        });
                    },
                );
                req.on("timeout", () => req.destroy(new Error(`no answer within ${job.timeoutMs / 1000} s`)));
                req.on("error", (err: Error) => resolve({ error: err.message }));
                req.end(payload);
            });
        Promise.all(job.requests.map(one)).then((answers) => process.stdout.write(JSON.stringify(answers)));
    });
}

/**
 * Sends the requests and waits for every answer, synchronously. Synchronous on purpose: the
 * program must refuse while it loads, before it registers anything — a Node program that fails
 * later, asynchronously, keeps its process (and `pulumi preview`) waiting about a minute for the
 * engine's connections to time out (measured here: 56–75 s instead of 11 s).
 */
export function requestsSync(c: ClusterConnection, requests: readonly JsonRequest[], timeoutMs = 15_000): JsonAnswer[] {
    const base64 = (v: unknown) => (v === undefined ? undefined : Buffer.from(v as Buffer).toString("base64"));
    const job = {
        server: c.server,
        tls: { ...c.tls, ca: base64(c.tls.ca), cert: base64(c.tls.cert), key: base64(c.tls.key) },
        headers: c.headers,
        requests,
        timeoutMs,
    };
    const r = spawnSync(process.execPath, ["-e", `(${requestsChild.toString()})()`], {
        input: JSON.stringify(job),
        encoding: "utf8",
        timeout: timeoutMs + 10_000,
        env: { PATH: process.env.PATH ?? "" },
    });
    if (r.error || r.status !== 0) {
        const why = r.error ? r.error.message : `exit ${r.status}: ${(r.stderr ?? "").trim().slice(0, 300)}`;
        return requests.map(() => ({ error: `the request process failed (${why})` }));
    }
    return JSON.parse(r.stdout) as JsonAnswer[];
}

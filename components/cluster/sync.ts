/**
 * The synchronous transport: JSON requests the preflight (`components/preflight`) makes while the
 * program loads, with the credentials of the one resolver (`kubeconfig.ts`, `credentials.ts`).
 *
 * Synchronous on purpose: the program must refuse while it loads, before it registers anything — a
 * Node program that fails later, asynchronously, keeps its process (and `pulumi preview`) waiting
 * about a minute for the engine's connections to time out (measured here: 56–75 s instead of 11 s).
 * Node has no synchronous HTTPS client, so the requests run in a child Node process.
 */
import { spawnSync } from "child_process";
import type * as https from "https";
import { CredentialOptions, credentialsSync, resolveKubeAccess } from "./credentials";
import type { KubeconfigSource, ResolveOptions } from "./kubeconfig";

/** Where and how to reach the API server. */
export interface ClusterConnection {
    readonly server: string;
    /** For messages: `context "prod" (user "admin")`. */
    readonly describe: string;
    readonly tls: Pick<https.RequestOptions, "ca" | "cert" | "key" | "rejectUnauthorized" | "servername">;
    readonly headers: Readonly<Record<string, string | string[]>>;
}

/** A connection, or why none can be made (the preflight then says it could not check, and why). */
export type ConnectionResult =
    { readonly ok: true; readonly connection: ClusterConnection } | { readonly ok: false; readonly reason: string };

/** Resolves the kubeconfig and issues its credentials now. Never throws. */
export function connectionFor(
    source: KubeconfigSource,
    env: NodeJS.ProcessEnv = process.env,
    opts: ResolveOptions & CredentialOptions = {},
): ConnectionResult {
    try {
        const a = resolveKubeAccess(source, env, opts);
        const c = credentialsSync(a, env, opts);
        return {
            ok: true,
            connection: {
                server: a.server,
                describe: a.describe,
                tls: {
                    ca: a.ca,
                    cert: c.cert,
                    key: c.key,
                    rejectUnauthorized: !a.insecure,
                    servername: a.tlsServerName,
                },
                headers: c.headers,
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
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API server's JSON, read by the caller
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

/** Sends the requests, all at once, and waits for every answer. */
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

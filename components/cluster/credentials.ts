/**
 * The credentials of a resolved kubeconfig user (`kubeconfig.ts`), as client-go uses them: a bearer
 * token (inline, else the token file, read at each use), else basic auth, else what an `exec`
 * credential plugin issues (a token or a client certificate); a client certificate of the user's
 * own goes along; impersonation becomes the `Impersonate-*` headers.
 *
 * An exec plugin (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`, …) is run with
 * `KUBERNETES_EXEC_INFO` and its `env`, never interactively, and stopped after `execTimeoutMs`: a
 * plugin that waits for a browser login must not hang a preview or a rollout.
 *
 * Named imports only: the adoption's dynamic providers capture this module (see kubectl.ts).
 */
import { spawn, spawnSync } from "child_process";
import { readFileSync } from "fs";
import {
    ExecPlugin,
    KubeAccess,
    KubeconfigError,
    KubeconfigSource,
    ResolveOptions,
    resolveKubeconfig,
} from "./kubeconfig";

/** What an exec plugin issued. */
export interface Issued {
    readonly token?: string;
    readonly clientCertificate?: Buffer;
    readonly clientKey?: Buffer;
    /** When it expires (ms since the epoch), if the plugin says. */
    readonly expires?: number;
}

/** What every request carries. */
export interface Credentials {
    readonly headers: Readonly<Record<string, string | string[]>>;
    readonly cert?: Buffer;
    readonly key?: Buffer;
    /** When an exec plugin's credential expires (ms since the epoch). */
    readonly expires?: number;
}

export interface CredentialOptions {
    /** How long an exec credential plugin may take. @default 60 s */
    readonly execTimeoutMs?: number;
}

export const defaultExecTimeoutMs = 60_000;

/**
 * The access, when Node's `https` can use it: a cluster's `proxy-url` and the removed `auth-provider`
 * plugins are refused, naming them (kubectl, given the same kubeconfig, still takes both).
 */
export function restAccess(a: KubeAccess): KubeAccess {
    if (a.proxyUrl !== undefined) {
        throw new KubeconfigError(
            `${a.clusterLabel} (${a.describe}) uses a \`proxy-url\`, which this client does not support`,
        );
    }
    if (a.user.authProvider !== undefined) {
        throw new KubeconfigError(
            `${a.user.label} uses an \`auth-provider\` (${a.user.authProvider}), which Kubernetes removed; switch it to an \`exec\` plugin (kubectl ≥ 1.26 requires it too)`,
        );
    }
    return a;
}

/** The one resolver, for the REST transports (`sync.ts`, `client.ts`). */
export function resolveKubeAccess(
    source: KubeconfigSource,
    env: NodeJS.ProcessEnv = process.env,
    opts: ResolveOptions = {},
): KubeAccess {
    return restAccess(resolveKubeconfig(source, env, opts));
}

/** A token from the user's own fields (inline, else the file), or `undefined`. */
function staticToken(a: KubeAccess): string | undefined {
    const u = a.user;
    if (u.token !== undefined) return u.token;
    if (u.tokenFile === undefined) return undefined;
    try {
        return readFileSync(u.tokenFile, "utf8").trim();
    } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        throw new KubeconfigError(
            `cannot read the \`tokenFile\` of ${u.label}, ${u.tokenFile}: ${code === "ENOENT" ? "the file does not exist" : code}`,
        );
    }
}

/** Whether the user's own fields authenticate, so that no exec plugin is run (client-go's order). */
export function needsExec(a: KubeAccess): ExecPlugin | undefined {
    const u = a.user;
    return u.exec && u.token === undefined && u.tokenFile === undefined && u.basic === undefined ? u.exec : undefined;
}

function impersonationHeaders(a: KubeAccess): Record<string, string | string[]> {
    const i = a.user.impersonate;
    if (!i) return {};
    const h: Record<string, string | string[]> = {};
    if (i.user !== undefined) h["Impersonate-User"] = i.user;
    if (i.uid !== undefined) h["Impersonate-Uid"] = i.uid;
    // One header per group: the API server does not split a value at commas.
    if (i.groups.length > 0) h["Impersonate-Group"] = [...i.groups];
    for (const [k, v] of Object.entries(i.extra)) h[`Impersonate-Extra-${encodeURIComponent(k)}`] = [...v];
    return h;
}

function credentials(a: KubeAccess, issued: Issued | undefined): Credentials {
    const u = a.user;
    const token = issued?.token ?? staticToken(a);
    const headers: Record<string, string | string[]> = impersonationHeaders(a);
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    else if (u.basic) {
        headers.Authorization = `Basic ${Buffer.from(`${u.basic.username}:${u.basic.password}`).toString("base64")}`;
    }
    return {
        headers,
        cert: issued?.clientCertificate ?? u.clientCertificate,
        key: issued?.clientKey ?? u.clientKey,
        expires: issued?.expires,
    };
}

/** The command line and environment of a plugin run. */
function execInvocation(a: KubeAccess, plugin: ExecPlugin, env: NodeJS.ProcessEnv) {
    const cluster = plugin.provideClusterInfo
        ? {
              cluster: {
                  server: a.server,
                  "tls-server-name": a.tlsServerName,
                  "insecure-skip-tls-verify": a.insecure,
                  "certificate-authority-data": a.ca?.toString("base64"),
                  "proxy-url": a.proxyUrl,
                  config: a.execClusterConfig,
              },
          }
        : {};
    const info = { apiVersion: plugin.apiVersion, kind: "ExecCredential", spec: { interactive: false, ...cluster } };
    return {
        env: { ...env, ...plugin.env, KUBERNETES_EXEC_INFO: JSON.stringify(info) },
        what: `${a.user.label}: the exec credential plugin ${plugin.name}`,
    };
}

function notStarted(what: string, plugin: ExecPlugin, err: Error): KubeconfigError {
    const hint = plugin.installHint ? ` (${plugin.installHint.trim()})` : "";
    return new KubeconfigError(`${what} did not start: ${err.message}${hint}`);
}

function exited(what: string, code: number | null, signal: string | null, stderr: string): KubeconfigError {
    const last = stderr.trim().split("\n").pop()?.trim().slice(0, 300) ?? "";
    const how = code !== null ? `exited ${code}` : `was stopped by ${signal}`;
    return new KubeconfigError(`${what} ${how}${last ? `: ${last}` : ""}`);
}

function timedOut(what: string, timeoutMs: number): KubeconfigError {
    return new KubeconfigError(`${what} gave no credential within ${timeoutMs / 1000} s and was stopped`);
}

/** Reads the ExecCredential a plugin printed. */
function parseExecCredential(stdout: string, what: string): Issued {
    let status: Record<string, unknown> | undefined;
    try {
        status = (JSON.parse(stdout) as { status?: Record<string, unknown> }).status;
    } catch {
        throw new KubeconfigError(`${what} printed no ExecCredential JSON`);
    }
    const expires =
        typeof status?.expirationTimestamp === "string" ? Date.parse(status.expirationTimestamp) : undefined;
    if (typeof status?.token === "string" && status.token !== "") return { token: status.token, expires };
    if (typeof status?.clientCertificateData === "string" && typeof status.clientKeyData === "string") {
        return {
            clientCertificate: Buffer.from(status.clientCertificateData),
            clientKey: Buffer.from(status.clientKeyData),
            expires,
        };
    }
    throw new KubeconfigError(`${what} returned neither a token nor a client certificate`);
}

/** Runs an exec plugin and waits for it (the preflight and kubectl: both synchronous). */
export function issueSync(
    a: KubeAccess,
    plugin: ExecPlugin,
    env: NodeJS.ProcessEnv,
    opts: CredentialOptions = {},
): Issued {
    const timeoutMs = opts.execTimeoutMs ?? defaultExecTimeoutMs;
    const run = execInvocation(a, plugin, env);
    const r = spawnSync(plugin.command, [...plugin.args], {
        env: run.env,
        encoding: "utf8",
        timeout: timeoutMs,
        killSignal: "SIGKILL",
        stdio: ["ignore", "pipe", "pipe"],
        maxBuffer: 16 * 1024 * 1024,
    });
    const code = (r.error as NodeJS.ErrnoException | undefined)?.code;
    if (code === "ETIMEDOUT") throw timedOut(run.what, timeoutMs);
    if (r.error) throw notStarted(run.what, plugin, r.error);
    if (r.status !== 0) throw exited(run.what, r.status, r.signal, r.stderr ?? "");
    return parseExecCredential(r.stdout, run.what);
}

/** Runs an exec plugin without blocking (the health gate). */
export function issue(
    a: KubeAccess,
    plugin: ExecPlugin,
    env: NodeJS.ProcessEnv,
    opts: CredentialOptions = {},
): Promise<Issued> {
    const timeoutMs = opts.execTimeoutMs ?? defaultExecTimeoutMs;
    const run = execInvocation(a, plugin, env);
    return new Promise<Issued>((resolve, reject) => {
        const child = spawn(plugin.command, [...plugin.args], { env: run.env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let err = "";
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(timedOut(run.what, timeoutMs));
        }, timeoutMs);
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(notStarted(run.what, plugin, e));
        });
        child.on("close", (code, signal) => {
            clearTimeout(timer);
            if (code !== 0) return reject(exited(run.what, code, signal, err));
            try {
                resolve(parseExecCredential(out, run.what));
            } catch (e) {
                reject(e);
            }
        });
    });
}

/** The credentials now, running an exec plugin if the user has one. */
export function credentialsSync(
    a: KubeAccess,
    env: NodeJS.ProcessEnv = process.env,
    opts: CredentialOptions = {},
): Credentials {
    const plugin = needsExec(a);
    return credentials(a, plugin ? issueSync(a, plugin, env, opts) : undefined);
}

/** The credentials, running an exec plugin (without blocking) if the user has one. */
export async function credentialsFor(
    a: KubeAccess,
    env: NodeJS.ProcessEnv = process.env,
    opts: CredentialOptions = {},
): Promise<Credentials> {
    const plugin = needsExec(a);
    return credentials(a, plugin ? await issue(a, plugin, env, opts) : undefined);
}

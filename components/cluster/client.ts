/**
 * Just enough of a Kubernetes client for the default health gate: read JSON objects with a GET,
 * using the same kubeconfig the stack's provider uses (`KubernetesTarget`).
 *
 * Why not `@kubernetes/client-node`: its 2.x releases need undici 8, i.e. Node.js ≥ 22.19 (this
 * package supports ≥ 20.19), and 1.x/2.x are ES modules only with sixteen dependencies of their
 * own (openid-client, ws, tar-fs, …) for a gate that reads two objects. kubectl is not a
 * dependency users are guaranteed to have at the version of their cluster. Node's `https` with
 * the kubeconfig's credentials covers what kubeconfigs of managed clusters use: bearer tokens
 * (inline or `tokenFile`), client certificates, basic auth, and exec credential plugins
 * (`aws eks get-token`, `gke-gcloud-auth-plugin`, `kubelogin`, …). Not supported (refused with a
 * message naming the field): the deprecated `auth-provider` and `proxy-url`.
 *
 * Kubeconfig rules follow kubectl's (https://kubernetes.io/docs/concepts/configuration/organize-cluster-access-kubeconfig/):
 * `$KUBECONFIG` is a list of files merged first-wins, relative paths are relative to the file that
 * names them, the context is the target's or the `current-context`.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { isInlineKubeconfig } from "../../automation/config";
import { expandHome } from "../../automation/paths";
import type { KubernetesTarget } from "../../automation/types";

type Named<T> = { readonly name: string } & T;
interface KubeconfigFile {
    readonly clusters?: Named<{ cluster?: Record<string, unknown> }>[];
    readonly users?: Named<{ user?: Record<string, unknown> }>[];
    readonly contexts?: Named<{ context?: { cluster?: string; user?: string } }>[];
    readonly "current-context"?: string;
}

/** A cluster and the credentials to reach it, with file paths resolved. */
export interface KubeAccess {
    readonly server: string;
    readonly ca?: string | Buffer;
    readonly insecure: boolean;
    readonly tlsServerName?: string;
    readonly user: Readonly<Record<string, unknown>>;
    /** Folder of the kubeconfig that named the user (for relative paths in `exec`). */
    readonly userDir: string;
    readonly context: string;
}

export class KubeconfigError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "KubeconfigError";
    }
}

function readFiles(target: KubernetesTarget, env: NodeJS.ProcessEnv): { doc: KubeconfigFile; dir: string }[] {
    const kubeconfig = (target as { kubeconfig?: string }).kubeconfig;
    if (kubeconfig !== undefined && isInlineKubeconfig(kubeconfig)) {
        return [{ doc: parseYaml(kubeconfig) as KubeconfigFile, dir: process.cwd() }];
    }
    const files =
        kubeconfig !== undefined
            ? [path.resolve(expandHome(kubeconfig))]
            : env.KUBECONFIG
              ? env.KUBECONFIG.split(path.delimiter).filter((f) => f !== "")
              : [path.join(os.homedir(), ".kube", "config")];
    const out = files
        .filter((f) => kubeconfig !== undefined || fs.existsSync(f))
        .map((f) => {
            try {
                return { doc: (parseYaml(fs.readFileSync(f, "utf8")) ?? {}) as KubeconfigFile, dir: path.dirname(f) };
            } catch (err) {
                throw new KubeconfigError(`cannot read the kubeconfig ${f}: ${(err as Error).message}`);
            }
        });
    if (out.length === 0) throw new KubeconfigError(`no kubeconfig found (looked at ${files.join(", ")})`);
    return out;
}

/** First-wins lookup across the merged files, with the folder of the file that had it. */
function lookup<T>(
    files: readonly { doc: KubeconfigFile; dir: string }[],
    list: "clusters" | "users" | "contexts",
    name: string,
): { value: T; dir: string } | undefined {
    for (const f of files) {
        const hit = (f.doc[list] as Named<Record<string, unknown>>[] | undefined)?.find((e) => e?.name === name);
        if (hit) return { value: hit[list.slice(0, -1)] as T, dir: f.dir };
    }
    return undefined;
}

function fileRelative(dir: string, p: unknown): string | undefined {
    return typeof p === "string" && p !== "" ? path.resolve(dir, expandHome(p)) : undefined;
}

/** The cluster and user a target reaches, as kubectl would pick them. */
export function resolveKubeAccess(target: KubernetesTarget, env: NodeJS.ProcessEnv = process.env): KubeAccess {
    const files = readFiles(target, env);
    const context =
        (target as { context?: string }).context ?? files.map((f) => f.doc["current-context"]).find((c) => !!c);
    if (!context) throw new KubeconfigError("the kubeconfig names no `current-context` and the target no `context`");
    const ctx = lookup<{ cluster?: string; user?: string }>(files, "contexts", context);
    if (!ctx?.value?.cluster)
        throw new KubeconfigError(`context "${context}" is not in the kubeconfig (or names no cluster)`);
    const cluster = lookup<Record<string, unknown>>(files, "clusters", ctx.value.cluster);
    if (!cluster?.value || typeof cluster.value.server !== "string") {
        throw new KubeconfigError(`cluster "${ctx.value.cluster}" of context "${context}" has no \`server\``);
    }
    const c = cluster.value;
    if (c["proxy-url"] !== undefined) {
        throw new KubeconfigError(
            `cluster "${ctx.value.cluster}" sets \`proxy-url\`, which the default health gate does not support; pass your own \`healthGate\``,
        );
    }
    const user = ctx.value.user ? lookup<Record<string, unknown>>(files, "users", ctx.value.user) : undefined;
    if (user?.value?.["auth-provider"] !== undefined) {
        throw new KubeconfigError(
            `user "${ctx.value.user}" uses the removed \`auth-provider\` mechanism; switch it to an \`exec\` plugin (kubectl ≥ 1.26 requires it too)`,
        );
    }
    const caFile = fileRelative(cluster.dir, c["certificate-authority"]);
    return {
        server: c.server as string,
        ca:
            typeof c["certificate-authority-data"] === "string"
                ? Buffer.from(c["certificate-authority-data"], "base64")
                : caFile
                  ? fs.readFileSync(caFile)
                  : undefined,
        insecure: c["insecure-skip-tls-verify"] === true,
        tlsServerName: typeof c["tls-server-name"] === "string" ? c["tls-server-name"] : undefined,
        user: user?.value ?? {},
        userDir: user?.dir ?? cluster.dir,
        context,
    };
}

interface Credentials {
    readonly headers: Record<string, string>;
    readonly cert?: string | Buffer;
    readonly key?: string | Buffer;
    /** When an exec plugin's credential expires (ms since epoch). */
    readonly expires?: number;
}

/** Runs an exec credential plugin (client.authentication.k8s.io v1/v1beta1) and reads its ExecCredential. */
export async function execCredential(
    exec: Record<string, unknown>,
    dir: string,
    env: NodeJS.ProcessEnv,
): Promise<Credentials> {
    const command = String(exec.command ?? "");
    if (command === "") throw new KubeconfigError("the user's `exec` has no `command`");
    const apiVersion = String(exec.apiVersion ?? "client.authentication.k8s.io/v1");
    const cmd = command.includes("/") ? path.resolve(dir, command) : command;
    const extra = Object.fromEntries(
        ((exec.env as { name: string; value: string }[] | null | undefined) ?? []).map((e) => [e.name, e.value]),
    );
    const info = { apiVersion, kind: "ExecCredential", spec: { interactive: false } };
    const stdout = await new Promise<string>((resolve, reject) => {
        const child = spawn(cmd, ((exec.args as string[] | undefined) ?? []).map(String), {
            env: { ...env, ...extra, KUBERNETES_EXEC_INFO: JSON.stringify(info) },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        let err = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (err += d.toString()));
        child.on("error", (e) =>
            reject(new KubeconfigError(`the exec credential plugin ${command} did not start: ${e.message}`)),
        );
        child.on("close", (code) =>
            code === 0
                ? resolve(out)
                : reject(
                      new KubeconfigError(
                          `the exec credential plugin ${command} exited ${code}: ${err.trim().split("\n").pop() ?? ""}`,
                      ),
                  ),
        );
    });
    let status: Record<string, unknown> | undefined;
    try {
        status = (JSON.parse(stdout) as { status?: Record<string, unknown> }).status;
    } catch {
        throw new KubeconfigError(`the exec credential plugin ${command} printed no ExecCredential JSON`);
    }
    const expires =
        typeof status?.expirationTimestamp === "string" ? Date.parse(status.expirationTimestamp) : undefined;
    if (typeof status?.token === "string") return { headers: { Authorization: `Bearer ${status.token}` }, expires };
    if (typeof status?.clientCertificateData === "string" && typeof status.clientKeyData === "string") {
        return { headers: {}, cert: status.clientCertificateData, key: status.clientKeyData, expires };
    }
    throw new KubeconfigError(
        `the exec credential plugin ${command} returned neither a token nor a client certificate`,
    );
}

/** The credentials of a kubeconfig user (static ones read now; an exec plugin run now). */
export async function credentialsFor(access: KubeAccess, env: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
    const u = access.user;
    const file = (k: string) => fileRelative(access.userDir, u[k]);
    const data = (k: string) => (typeof u[k] === "string" ? Buffer.from(u[k] as string, "base64") : undefined);
    const cert =
        data("client-certificate-data") ?? (file("client-certificate") && fs.readFileSync(file("client-certificate")!));
    const key = data("client-key-data") ?? (file("client-key") && fs.readFileSync(file("client-key")!));
    if (typeof u.token === "string" && u.token !== "")
        return { headers: { Authorization: `Bearer ${u.token}` }, cert, key };
    if (file("tokenFile")) {
        return {
            headers: { Authorization: `Bearer ${fs.readFileSync(file("tokenFile")!, "utf8").trim()}` },
            cert,
            key,
        };
    }
    if (typeof u.username === "string") {
        const basic = Buffer.from(`${u.username}:${String(u.password ?? "")}`).toString("base64");
        return { headers: { Authorization: `Basic ${basic}` }, cert, key };
    }
    if (u.exec && typeof u.exec === "object")
        return execCredential(u.exec as Record<string, unknown>, access.userDir, env);
    return { headers: {}, cert, key };
}

export class KubeRequestError extends Error {
    constructor(
        message: string,
        readonly status?: number,
    ) {
        super(message);
        this.name = "KubeRequestError";
    }
}

/** GETs JSON from one cluster. Exec credentials are kept until 30 s before they expire. */
export class KubeClient {
    private creds?: Promise<Credentials>;

    constructor(
        readonly access: KubeAccess,
        private readonly env: NodeJS.ProcessEnv = process.env,
    ) {}

    static forTarget(target: KubernetesTarget, env: NodeJS.ProcessEnv = process.env): KubeClient {
        return new KubeClient(resolveKubeAccess(target, env), env);
    }

    private async credentials(): Promise<Credentials> {
        const current = this.creds ? await this.creds.catch(() => undefined) : undefined;
        if (!current || (current.expires !== undefined && current.expires - 30_000 < Date.now())) {
            this.creds = credentialsFor(this.access, this.env);
        }
        return this.creds!;
    }

    /** The object at `apiPath` (e.g. `/apis/apps/v1/namespaces/backline/deployments/worker`); `undefined` on 404. */
    async get<T>(apiPath: string, signal?: AbortSignal, timeoutMs = 15_000): Promise<T | undefined> {
        const creds = await this.credentials();
        // A server may have a path of its own (a proxy in front of the API server): append to it.
        const url = new URL(`${this.access.server.replace(/\/+$/, "")}${apiPath}`);
        return new Promise<T | undefined>((resolve, reject) => {
            const req = https.request(
                url,
                {
                    method: "GET",
                    headers: { Accept: "application/json", ...creds.headers },
                    ca: this.access.ca,
                    cert: creds.cert,
                    key: creds.key,
                    rejectUnauthorized: !this.access.insecure,
                    servername: this.access.tlsServerName,
                    signal,
                    timeout: timeoutMs,
                },
                (res) => {
                    let body = "";
                    res.setEncoding("utf8");
                    res.on("data", (d: string) => (body += d));
                    res.on("end", () => {
                        if (res.statusCode === 404) return resolve(undefined);
                        if (res.statusCode !== 200) {
                            const reason = (() => {
                                try {
                                    return (JSON.parse(body) as { message?: string }).message ?? body;
                                } catch {
                                    return body;
                                }
                            })();
                            return reject(
                                new KubeRequestError(
                                    `GET ${apiPath}: HTTP ${res.statusCode}: ${reason.slice(0, 300)}`,
                                    res.statusCode,
                                ),
                            );
                        }
                        try {
                            resolve(JSON.parse(body) as T);
                        } catch {
                            reject(new KubeRequestError(`GET ${apiPath}: the answer is not JSON`));
                        }
                    });
                },
            );
            req.on("timeout", () =>
                req.destroy(new KubeRequestError(`GET ${apiPath}: no answer within ${timeoutMs} ms`)),
            );
            req.on("error", (e) =>
                reject(e instanceof KubeRequestError ? e : new KubeRequestError(`GET ${apiPath}: ${e.message}`)),
            );
            req.end();
        });
    }
}

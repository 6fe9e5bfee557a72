/**
 * The asynchronous transport: JSON GETs for the fleet's health gate (`automation/health.ts`), with
 * the credentials of the one resolver (`kubeconfig.ts`, `credentials.ts`) and Node's `https`.
 * docs/decisions/0003-cluster-client.md says why not `@kubernetes/client-node`.
 */
import * as https from "https";
import { CredentialOptions, Credentials, credentialsFor, resolveKubeAccess } from "./credentials";
import type { KubeAccess, KubeconfigSource, ResolveOptions } from "./kubeconfig";

/** The API server answered something other than the object, or did not answer. */
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
        private readonly opts: CredentialOptions = {},
    ) {}

    /** Resolves the source now (throws `KubeconfigError`); credentials are issued at the first request. */
    static forTarget(
        source: KubeconfigSource,
        env: NodeJS.ProcessEnv = process.env,
        opts: ResolveOptions & CredentialOptions = {},
    ): KubeClient {
        return new KubeClient(resolveKubeAccess(source, env, opts), env, opts);
    }

    private async credentials(): Promise<Credentials> {
        const current = this.creds ? await this.creds.catch(() => undefined) : undefined;
        if (!current || (current.expires !== undefined && current.expires - 30_000 < Date.now())) {
            this.creds = credentialsFor(this.access, this.env, this.opts);
        }
        return this.creds!;
    }

    /** The object at `apiPath` (e.g. `/apis/apps/v1/namespaces/backline/deployments/worker`); `undefined` on 404. */
    async get<T>(apiPath: string, signal?: AbortSignal, timeoutMs = 15_000): Promise<T | undefined> {
        const creds = await this.credentials();
        // A server may have a path of its own (a proxy in front of the API server): append to it.
        const url = new URL(`${this.access.server}${apiPath}`);
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

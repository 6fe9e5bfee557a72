/**
 * The admin's side of the janitor suite's real-API-server backend (kube-backend-apiserver.ts): a
 * keep-alive HTTPS client (a few ms a call, where kubectl takes ~100 ms) and the API paths of the
 * objects the janitor reads and writes.
 */
import * as https from "node:https";

import { KubeKind } from "./kube-backend";

/** Where each kind of object the cases read or seed lives, by namespace and name. */
export const RESOURCE_PATHS: Record<KubeKind, (ns: string, name: string) => string> = {
    Secret: (ns, name) => `/api/v1/namespaces/${ns}/secrets/${name}`,
    Deployment: (ns, name) => `/apis/apps/v1/namespaces/${ns}/deployments/${name}`,
};

// --- a minimal HTTPS client for the admin's own calls ------------------------------------------

export interface HttpAnswer {
    status: number;
    body: string;
}

/** HTTPS calls to the test API server, as the admin unless a token is given. */
export class ApiClient {
    private readonly agent: https.Agent;

    constructor(
        private readonly server: string,
        caPem: string,
        private readonly adminToken: string,
    ) {
        this.agent = new https.Agent({ keepAlive: true, ca: caPem, maxSockets: 4 });
    }

    request(
        method: string,
        urlPath: string,
        body?: unknown,
        opts: { token?: string; contentType?: string; headers?: Record<string, string> } = {},
    ): Promise<HttpAnswer> {
        const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
        return new Promise((resolve, reject) => {
            const req = https.request(
                `${this.server}${urlPath}`,
                {
                    method,
                    agent: this.agent,
                    timeout: 30_000,
                    headers: {
                        Authorization: `Bearer ${opts.token ?? this.adminToken}`,
                        Accept: "application/json",
                        ...(payload === undefined
                            ? {}
                            : {
                                  "Content-Type": opts.contentType ?? "application/json",
                                  "Content-Length": Buffer.byteLength(payload),
                              }),
                        ...opts.headers,
                    },
                },
                (res) => {
                    let text = "";
                    res.setEncoding("utf8");
                    res.on("data", (c: string) => (text += c));
                    res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }));
                },
            );
            req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: timeout`)));
            req.on("error", reject);
            if (payload !== undefined) req.write(payload);
            req.end();
        });
    }

    /** Like request(), but any status outside 2xx throws. Returns the parsed body. */
    async ok(method: string, urlPath: string, body?: unknown): Promise<Record<string, unknown>> {
        const r = await this.request(method, urlPath, body);
        if (r.status < 200 || r.status > 299) throw new Error(`${method} ${urlPath}: HTTP ${r.status}: ${r.body}`);
        return JSON.parse(r.body) as Record<string, unknown>;
    }

    close(): void {
        this.agent.destroy();
    }
}

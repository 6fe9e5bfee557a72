/**
 * A fake Backline SaaS for the janitor tests: a Node HTTP server on 127.0.0.1 (random free
 * port). Each test sets, per endpoint, what it answers (status, body as text, JSON or raw bytes,
 * with a Content-Length or chunked, delay, hang, closing the connection); every request is
 * recorded (method, path, headers) so that tests can count them and check the Authorization header.
 */
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";

export interface EndpointBehaviour {
    /** HTTP status (default 200). */
    status?: number;
    /** A string is sent as is (UTF-8), a Buffer byte for byte, anything else as JSON. Default: no body. */
    body?: unknown;
    /**
     * Send the body chunked (`Transfer-Encoding: chunked`, no Content-Length), in pieces of 64 KiB,
     * as a server does that streams its answer; default: with a Content-Length.
     */
    chunked?: boolean;
    /** Answer after this many milliseconds. */
    delayMs?: number;
    /** Never answer (the connection stays open until the client gives up or the server closes). */
    hang?: boolean;
    /** Close the connection without any answer. */
    close?: boolean;
}

export interface RecordedRequest {
    method: string;
    path: string;
    headers: http.IncomingHttpHeaders;
    /** Length of the request body in bytes. */
    bodyLength: number;
    /** How the fake answered, once it has: body bytes and whether it sent them chunked. */
    answer?: { bytes: number; chunked: boolean };
}

const CHUNK_BYTES = 64 * 1024;
const NOT_CONFIGURED: EndpointBehaviour = { status: 404, body: { error: "not configured in the fake SaaS" } };

export class FakeSaas {
    readonly requests: RecordedRequest[] = [];
    /** Called when a request arrives (before it is answered); e.g. to inspect /proc while curl waits. */
    onRequest?: (request: RecordedRequest) => void;
    private readonly behaviours = new Map<string, EndpointBehaviour>();
    private readonly sockets = new Set<net.Socket>();
    private readonly timers = new Set<NodeJS.Timeout>();

    private constructor(
        private readonly server: http.Server,
        readonly port: number,
        private readonly scheme: "http" | "https",
        private readonly host: string,
    ) {}

    /**
     * With `tls`, an HTTPS server with that key and certificate (a private CA); `host`
     * another loopback address than 127.0.0.1 (one a NO_PROXY list does not name).
     */
    static async start(
        opts: { readonly tls?: { readonly key: string; readonly cert: string }; readonly host?: string } = {},
    ): Promise<FakeSaas> {
        const server: http.Server = opts.tls ? https.createServer(opts.tls) : http.createServer();
        await new Promise<void>((resolve, reject) => {
            server.once("error", reject);
            server.listen(0, opts.host ?? "127.0.0.1", () => resolve());
        });
        const fake = new FakeSaas(
            server,
            (server.address() as net.AddressInfo).port,
            opts.tls ? "https" : "http",
            opts.host ?? "127.0.0.1",
        );
        server.on("connection", (socket: net.Socket) => {
            fake.sockets.add(socket);
            socket.on("close", () => fake.sockets.delete(socket));
        });
        server.on("request", (req, res) => fake.handle(req, res));
        return fake;
    }

    get baseUrl(): string {
        return `${this.scheme}://${this.host}:${this.port}`;
    }

    /** Sets what `METHOD PATH` answers, e.g. set("GET", "/api/v1/onprem/worker-image", {...}). */
    set(method: string, path: string, behaviour: EndpointBehaviour): void {
        this.behaviours.set(`${method.toUpperCase()} ${path}`, behaviour);
    }

    /** Forgets all behaviours and recorded requests. */
    reset(): void {
        this.behaviours.clear();
        this.requests.length = 0;
        this.onRequest = undefined;
        this.dropConnections();
    }

    /** Forgets the recorded requests only. */
    clearRequests(): void {
        this.requests.length = 0;
    }

    /** Requests recorded for one endpoint. */
    requestsFor(method: string, path: string): RecordedRequest[] {
        return this.requests.filter((r) => r.method === method.toUpperCase() && r.path === path);
    }

    async close(): Promise<void> {
        this.dropConnections();
        await new Promise<void>((resolve) => this.server.close(() => resolve()));
    }

    private dropConnections(): void {
        for (const t of this.timers) clearTimeout(t);
        this.timers.clear();
        for (const s of this.sockets) s.destroy();
    }

    private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
        let bodyLength = 0;
        req.on("data", (chunk: Buffer) => (bodyLength += chunk.length));
        req.on("end", () => {
            const path = (req.url ?? "/").split("?")[0];
            const method = req.method ?? "GET";
            const recorded: RecordedRequest = { method, path, headers: req.headers, bodyLength };
            this.requests.push(recorded);
            this.onRequest?.(recorded);
            const behaviour = this.behaviours.get(`${method} ${path}`) ?? NOT_CONFIGURED;
            if (behaviour.hang) return; // keep the socket open; dropConnections() ends it
            const answer = () => {
                if (behaviour.close) {
                    req.socket.destroy();
                    return;
                }
                const status = behaviour.status ?? 200;
                if (behaviour.body === undefined) {
                    res.writeHead(status).end();
                    return;
                }
                const isText = typeof behaviour.body === "string";
                const payload = Buffer.isBuffer(behaviour.body)
                    ? behaviour.body
                    : Buffer.from(isText ? (behaviour.body as string) : JSON.stringify(behaviour.body), "utf8");
                const headers: http.OutgoingHttpHeaders = {
                    "content-type": isText ? "text/plain; charset=utf-8" : "application/json",
                };
                // The client may hang up early (an answer it refuses by size): not an error of the fake.
                res.on("error", () => undefined);
                recorded.answer = { bytes: payload.length, chunked: behaviour.chunked === true };
                if (!behaviour.chunked) {
                    res.writeHead(status, { ...headers, "content-length": payload.length }).end(payload);
                    return;
                }
                // No Content-Length: Node sends HTTP/1.1 answers chunked.
                res.writeHead(status, headers);
                for (let i = 0; i < payload.length; i += CHUNK_BYTES) res.write(payload.subarray(i, i + CHUNK_BYTES));
                res.end();
            };
            if (behaviour.delayMs) {
                const t = setTimeout(() => {
                    this.timers.delete(t);
                    answer();
                }, behaviour.delayMs);
                this.timers.add(t);
            } else {
                answer();
            }
        });
    }
}

/** A TCP port on 127.0.0.1 with nothing listening (bound, read, released). */
export async function unusedPort(): Promise<number> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    return port;
}

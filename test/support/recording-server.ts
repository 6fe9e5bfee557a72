/**
 * An HTTPS server in a process of its own (a synchronous client blocks the test's event loop, so the
 * server cannot share it) that records every request — method, path, headers as sent (one entry per
 * header line), the client certificate's CN, body — and answers a few paths the way an API server
 * would: `/version` (200), `/forbidden` (403 Status), any POST (201, the body echoed), `/slow`
 * (never), anything else 404. A leading `/prefix` is ignored (a server URL with a path).
 */
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";

export interface SeenRequest {
    readonly method: string;
    readonly url: string;
    readonly headers: Record<string, string[]>;
    readonly peer?: string;
    readonly body: string;
}

export interface RecordingServer {
    /** `https://127.0.0.1:<port>` */
    readonly url: string;
    seen(): SeenRequest[];
    reset(): void;
    stop(): void;
}

/** Runs in the child: self-contained. argv: key, cert and CA files, the log file. */
function serve(): void {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const https = require("https") as typeof import("https");
    const fs = require("fs") as typeof import("fs");
    /* eslint-enable @typescript-eslint/no-require-imports */
    const [keyFile, certFile, caFile, log] = process.argv.slice(1);
    const server = https.createServer(
        {
            key: fs.readFileSync(keyFile),
            cert: fs.readFileSync(certFile),
            ca: fs.readFileSync(caFile),
            requestCert: true,
            rejectUnauthorized: false,
        },
        (req, res) => {
            let body = "";
            req.on("data", (d) => (body += d));
            req.on("end", () => {
                const peer = (req.socket as import("tls").TLSSocket).getPeerCertificate()?.subject?.CN;
                const entry = { method: req.method, url: req.url, headers: req.headersDistinct, peer, body };
                fs.appendFileSync(log, `${JSON.stringify(entry)}\n`);
                const answer = (status: number, o: unknown) => {
                    res.writeHead(status, { "Content-Type": "application/json" });
                    res.end(JSON.stringify(o));
                };
                const url = (req.url ?? "").replace(/^\/prefix/, "");
                if (url === "/slow") return;
                if (url === "/version") return answer(200, { gitVersion: "v1.99.0" });
                if (url === "/forbidden") return answer(403, { kind: "Status", message: "nope, not you" });
                if (req.method === "POST") return answer(201, { echo: JSON.parse(body) });
                answer(404, { kind: "Status", reason: "NotFound" });
            });
        },
    );
    server.listen(0, "127.0.0.1", () => {
        const address = server.address() as import("net").AddressInfo;
        process.stdout.write(`${address.port}\n`);
    });
}

/** Starts the server with the given PEM files; the log lives in `dir`. */
export async function startRecordingServer(files: {
    readonly key: string;
    readonly cert: string;
    readonly ca: string;
    readonly dir: string;
}): Promise<RecordingServer> {
    const log = path.join(files.dir, "requests.log");
    fs.writeFileSync(log, "");
    const child: ChildProcess = spawn(
        process.execPath,
        ["-e", `(${serve.toString()})()`, files.key, files.cert, files.ca, log],
        { stdio: ["ignore", "pipe", "inherit"] },
    );
    const port = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d: Buffer) => {
            out += d.toString();
            if (out.includes("\n")) resolve(out.trim());
        });
        child.on("exit", (code) => reject(new Error(`the recording server exited ${code}`)));
    });
    return {
        url: `https://127.0.0.1:${port}`,
        seen: () =>
            fs
                .readFileSync(log, "utf8")
                .split("\n")
                .filter(Boolean)
                .map((l) => JSON.parse(l) as SeenRequest),
        reset: () => fs.writeFileSync(log, ""),
        stop: () => child.kill(),
    };
}

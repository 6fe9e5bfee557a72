/**
 * Watches on a test API server (test/support/apiserver.ts) that record every event, for assertions
 * about what happened while something else ran: which objects were deleted, how many replicas were
 * available at every moment.
 *
 *   const w = watchEvents(kube(), ["/api/v1/namespaces/backline/secrets", "/apis/apps/v1/namespaces/backline/deployments"]);
 *   await w.ready;              // every watch is established
 *   … run something …
 *   w.stop();
 *   w.events.filter((e) => e.type === "DELETED")
 */
import * as https from "https";
import type { ApiServer } from "./apiserver";

export interface WatchEvent {
    readonly type: "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";
    readonly path: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly object: any;
    /** Milliseconds since the watch started. */
    readonly at: number;
}

export interface Watches {
    readonly events: WatchEvent[];
    /** Resolves once every watch got its response headers. */
    readonly ready: Promise<void>;
    /** Errors of the connections (a watch that ended early is one). */
    readonly errors: string[];
    stop(): void;
}

/** Watches these collection paths (from now on: the initial state comes as ADDED events). */
export function watchEvents(kube: ApiServer, paths: readonly string[]): Watches {
    const started = Date.now();
    const events: WatchEvent[] = [];
    const errors: string[] = [];
    const requests: ReturnType<typeof https.request>[] = [];
    let stopped = false;
    const ready = Promise.all(
        paths.map(
            (p) =>
                new Promise<void>((resolve, reject) => {
                    const url = new URL(`${kube.server}${p}?watch=true&allowWatchBookmarks=false`);
                    const req = https.request(
                        url,
                        { headers: { Authorization: `Bearer ${kube.token}` }, ca: kube.caPem, timeout: 0 },
                        (res) => {
                            if (res.statusCode !== 200) {
                                reject(new Error(`watch ${p}: HTTP ${res.statusCode}`));
                                return;
                            }
                            resolve();
                            let buffer = "";
                            res.setEncoding("utf8");
                            res.on("data", (chunk: string) => {
                                buffer += chunk;
                                let nl: number;
                                while ((nl = buffer.indexOf("\n")) >= 0) {
                                    const line = buffer.slice(0, nl).trim();
                                    buffer = buffer.slice(nl + 1);
                                    if (line) {
                                        const e = JSON.parse(line);
                                        events.push({
                                            type: e.type,
                                            path: p,
                                            object: e.object,
                                            at: Date.now() - started,
                                        });
                                    }
                                }
                            });
                            res.on("end", () => {
                                if (!stopped) errors.push(`watch ${p} ended early`);
                            });
                        },
                    );
                    req.on("error", (err) => {
                        if (!stopped) errors.push(`watch ${p}: ${err.message}`);
                        reject(err);
                    });
                    req.end();
                    requests.push(req);
                }),
        ),
    ).then(() => undefined);
    return {
        events,
        ready,
        errors,
        stop: () => {
            stopped = true;
            for (const r of requests) r.destroy();
        },
    };
}

/**
 * Reading the engine's gRPC log (`PULUMI_DEBUG_GRPC=<file>`): one JSON object per line, each call
 * logged when it starts and when it completes, with its request and response.
 */
import * as fs from "fs";

interface GrpcEntry {
    readonly method: string;
    readonly progress?: string;
    readonly timestamp: string;
    readonly duration?: number;
    readonly request?: Record<string, unknown>;
    readonly response?: Record<string, unknown>;
}

export interface GrpcCall {
    /** Full method, e.g. `/pulumirpc.ResourceProvider/Read`. */
    readonly method: string;
    /** Wall-clock start (ms since the epoch). */
    readonly start: number;
    readonly ms: number;
    readonly request: Record<string, unknown>;
    readonly response: Record<string, unknown>;
}

/**
 * The completed calls. Client-side entries (engine → language host, engine → provider or analyzer)
 * carry a start time and a duration; server-side ones (program → engine: ResourceMonitor) carry only
 * the completion time (the start is logged as year 1 and the duration as the largest int64), so
 * they count as points in time.
 */
export function readGrpc(file: string): GrpcCall[] {
    if (!fs.existsSync(file)) return [];
    return fs
        .readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as GrpcEntry)
        .filter((e) => e.progress === "response_completed")
        .map((e) => {
            const end = Date.parse(e.timestamp);
            const known = e.duration !== undefined && e.duration < 3_600e9;
            const ms = known ? (e.duration as number) / 1e6 : 0;
            return { method: e.method, start: end - ms, ms, request: e.request ?? {}, response: e.response ?? {} };
        });
}

/** The calls whose method ends with `/<name>` (e.g. `ResourceProvider/Read`). */
export function callsTo(calls: readonly GrpcCall[], name: string): GrpcCall[] {
    return calls.filter((c) => c.method.endsWith(`/${name}`) || c.method.endsWith(`.${name}`));
}

export interface Span {
    readonly startMs: number;
    readonly endMs: number;
    readonly calls: number;
    /** Sum of the calls' durations. */
    readonly msInCalls: number;
    /** The most calls in flight at once. */
    readonly maxInFlight: number;
}

/** First start to last end of `calls` (ms after `t0`), how many, and how many ran at once. */
export function span(calls: readonly GrpcCall[], t0: number): Span | undefined {
    if (calls.length === 0) return undefined;
    const edges = calls.flatMap((c) => [
        [c.start, 1],
        [c.start + c.ms, -1],
    ]);
    edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    let now = 0;
    let maxInFlight = 0;
    for (const [, d] of edges) maxInFlight = Math.max(maxInFlight, (now += d));
    return {
        startMs: Math.min(...calls.map((c) => c.start)) - t0,
        endMs: Math.max(...calls.map((c) => c.start + c.ms)) - t0,
        calls: calls.length,
        msInCalls: calls.reduce((a, c) => a + c.ms, 0),
        maxInFlight,
    };
}

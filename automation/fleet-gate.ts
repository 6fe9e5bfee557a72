/**
 * The machinery of fleet rollouts (./fleet.ts): bounded concurrency, the health gate's polling
 * with its timeout, and turning errors into the report's terms.
 */
import { BacklineAutomationError, ConcurrentUpdateError, EngineMissingError } from "./errors";
import { InvalidRolloutError } from "./fleet-plan";
import type { FleetProgressEvent, FleetStack, GateCheck, GateReport, HealthGate, RolloutOptions } from "./fleet-types";
import type { BacklineOutputs, BacklineSettings } from "./types";

/** Runs `fn` on each item, at most `limit` at once, in order of the items; stops taking new ones when `stop()`. */
export async function eachLimited<T>(
    items: readonly T[],
    limit: number,
    fn: (item: T) => Promise<void>,
    stop: () => boolean = () => false,
): Promise<void> {
    const queue = [...items];
    const worker = async (): Promise<void> => {
        while (queue.length > 0 && !stop()) {
            await fn(queue.shift() as T);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
        const timer = setTimeout(done, ms);
        function done(): void {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            resolve();
        }
        signal.addEventListener("abort", done, { once: true });
    });
}

export function errorInfo(err: unknown): { kind: string; message: string } {
    if (err instanceof BacklineAutomationError) return { kind: err.kind, message: err.message };
    return { kind: "error", message: err instanceof Error ? err.message : String(err) };
}

/** Whether an `up` that threw changed nothing, so there is nothing to revert. */
export function changedNothing(err: unknown): boolean {
    return (
        err instanceof ConcurrentUpdateError || err instanceof EngineMissingError || err instanceof InvalidRolloutError
    );
}

export interface Context {
    readonly opts: RolloutOptions;
    readonly gate: HealthGate;
    readonly gateTimeoutMs: number;
    readonly gateIntervalMs: number;
    readonly signal: AbortSignal;
    readonly emit: (event: FleetProgressEvent) => void;
}

/** Asks the gate until it says healthy, says waiting cannot help, or the timeout passes. */
export async function runGate(
    ctx: Context,
    stack: FleetStack,
    config: BacklineSettings,
    outputs: BacklineOutputs,
    phase: "rollout" | "revert",
): Promise<GateReport> {
    const started = Date.now();
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), ctx.gateTimeoutMs);
    const signal = AbortSignal.any([deadline.signal, ctx.signal]);
    let checks = 0;
    let last: GateCheck = { healthy: false, detail: "not checked" };
    const report = (healthy: boolean, detail: string): GateReport => ({
        healthy,
        detail,
        durationMs: Date.now() - started,
        checks,
    });
    try {
        for (;;) {
            checks++;
            try {
                last = await ctx.gate({
                    stackName: stack.stackName,
                    kubernetes: stack.kubernetes,
                    outputs,
                    config,
                    phase,
                    signal,
                    env: { ...process.env, ...ctx.opts.env, ...stack.env },
                });
            } catch (err) {
                last = { healthy: false, detail: `the gate could not look: ${errorInfo(err).message}` };
            }
            ctx.emit({ type: "gate", stackName: stack.stackName, phase, check: last });
            if (last.healthy) return report(true, last.detail);
            if (last.final) return report(false, last.detail);
            if (Date.now() + ctx.gateIntervalMs > started + ctx.gateTimeoutMs) break;
            await sleep(ctx.gateIntervalMs, signal);
            if (signal.aborted) break;
        }
        const why = ctx.signal.aborted ? "cancelled" : `not healthy after ${ctx.gateTimeoutMs} ms`;
        return report(false, `${why}: ${last.detail}`);
    } finally {
        clearTimeout(timer);
    }
}

/**
 * What every operation shares once prepared (./prepare.ts): one operation per stack in this
 * process, the stack opened, progress lines and events (secrets redacted), typed summaries, and
 * turning whatever the engine throws into a typed error.
 */
import * as fs from "fs";
import type * as automation from "@pulumi/pulumi/automation";
import { BacklineAutomationError, ConcurrentUpdateError, Operation, classifyEngineError } from "./errors";
import { policyViolationOf } from "./policy";
import type { PreparedStack } from "./prepare";
import { redact } from "./text";
import type { EngineStack, OperationSummary, PolicyViolation, StackOptions } from "./types";

/** The caller's callbacks and signal: what an operation gives the engine besides what was prepared. */
export type Callbacks = Pick<StackOptions, "onOutput" | "onEvent" | "signal">;

// ---------------------------------------------------------------------------------------------
// One operation at a time per stack in this process. Across processes the engine's own lock
// (the backend's) applies.
// ---------------------------------------------------------------------------------------------

const running = new Map<string, Operation>();

// ---------------------------------------------------------------------------------------------
// Output, events and summaries.
// ---------------------------------------------------------------------------------------------

export class Progress {
    readonly diagnostics: string[] = [];
    readonly policyViolations: PolicyViolation[] = [];
    stdout = "";
    stderr = "";
    private pending = "";
    private callbackError: unknown;

    constructor(
        private readonly callbacks: Callbacks,
        private readonly secrets: readonly string[],
    ) {}

    readonly onOutput = (chunk: string): void => {
        this.stdout += chunk;
        this.pending += chunk;
        const lines = this.pending.split(/\r?\n/);
        this.pending = lines.pop() ?? "";
        for (const line of lines) this.emitLine(line);
    };

    readonly onError = (chunk: string): void => {
        this.stderr += chunk;
    };

    readonly onEvent = (event: automation.EngineEvent): void => {
        if (event.policyEvent) {
            this.policyViolations.push(policyViolationOf(event.policyEvent, this.secrets));
        }
        const d = event.diagnosticEvent;
        if (d && d.severity === "error" && d.message) {
            this.diagnostics.push(redact(d.message, this.secrets));
        }
        this.call(() => this.callbacks.onEvent?.(event));
    };

    /** Flushes a last partial line and reports a throwing callback (once, as a warning). */
    finish(): void {
        if (this.pending !== "") {
            this.emitLine(this.pending);
            this.pending = "";
        }
        if (this.callbackError !== undefined) {
            const e = this.callbackError;
            this.callbackError = undefined;
            process.emitWarning(`a Backline automation callback threw: ${e instanceof Error ? e.message : String(e)}`);
        }
    }

    private emitLine(line: string): void {
        const text = redact(line, this.secrets);
        this.call(() => this.callbacks.onOutput?.(text));
    }

    private call(fn: () => void): void {
        try {
            fn();
        } catch (err) {
            this.callbackError ??= err;
        }
    }
}

export function summaryOf(changes: automation.OpMap | undefined, durationMs: number): OperationSummary {
    const c: Record<string, number> = { ...(changes ?? {}) } as Record<string, number>;
    return {
        created: c.create ?? 0,
        updated: c.update ?? 0,
        deleted: c.delete ?? 0,
        replaced: c.replace ?? 0,
        same: c.same ?? 0,
        durationMs,
        resourceChanges: c,
    };
}

// ---------------------------------------------------------------------------------------------
// The session: the stack open, for one operation.
// ---------------------------------------------------------------------------------------------

export interface Session {
    readonly stack: EngineStack;
    readonly progress: Progress;
    readonly classify: (err: unknown) => BacklineAutomationError;
    /** What each engine call takes: the progress, the caller's signal. */
    readonly engine: {
        readonly onOutput: (chunk: string) => void;
        readonly onError: (chunk: string) => void;
        readonly onEvent: (event: automation.EngineEvent) => void;
        readonly signal?: AbortSignal;
        readonly color: "never";
    };
}

/** Holds the stack (unless the operation is read-only), opens it and runs `body` on it. */
export async function withSession<T>(
    prepared: PreparedStack,
    callbacks: Callbacks,
    body: (session: Session) => Promise<T>,
): Promise<T> {
    const { lock, operation, stackName, secrets } = prepared;
    if (lock !== undefined) {
        const other = running.get(lock);
        if (other) {
            throw new ConcurrentUpdateError(stackName, `(\`${other}\` started from this process is still running.)`);
        }
        running.set(lock, operation);
    }
    const progress = new Progress(callbacks, secrets);
    const classify = (err: unknown): BacklineAutomationError =>
        classifyEngineError(err, {
            operation,
            stackName,
            secrets,
            diagnostics: progress.diagnostics,
            stdout: progress.stdout,
            stderr: progress.stderr,
            engineSearched: prepared.engineSearched,
            policyViolations: progress.policyViolations,
            stackFile: prepared.stackFile,
        });
    const engine = {
        onOutput: progress.onOutput,
        onError: progress.onError,
        onEvent: progress.onEvent,
        signal: callbacks.signal,
        color: "never" as const,
    };
    try {
        if (prepared.stateDir) {
            fs.mkdirSync(prepared.stateDir, { recursive: true });
        }
        let stack: EngineStack;
        try {
            stack = await prepared.openStack(prepared.request);
        } catch (err) {
            throw classify(err);
        }
        try {
            return await body({ stack, progress, classify, engine });
        } finally {
            progress.finish();
        }
    } finally {
        if (lock !== undefined) running.delete(lock);
    }
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
    const start = process.hrtime.bigint();
    const value = await fn();
    return { value, ms: Number((process.hrtime.bigint() - start) / 1_000_000n) };
}

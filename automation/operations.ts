/**
 * The operations of the Automation API. Each one prepares its options (./prepare.ts: everything
 * resolved and checked before any engine starts, every problem at once as an `InvalidConfigError`)
 * and executes what was prepared (./execute.ts). Nothing here calls `process.exit`; every failure
 * is a rejection with a typed error (./errors.ts).
 */
import type * as automation from "@pulumi/pulumi/automation";
import { InvalidConfigError, Operation, StackNotFoundError } from "./errors";
import { OperationResults, execute } from "./execute";
import { OperationOptions, prepare } from "./prepare";
import type {
    BacklineOutputs,
    DeployOptions,
    DestroyOptions,
    DestroyResult,
    PreviewResult,
    RefreshResult,
    StackOptions,
    UpResult,
} from "./types";

async function run<O extends Operation>(operation: O, opts: OperationOptions[O]): Promise<OperationResults[O]> {
    const prepared = prepare(operation, opts);
    if (!prepared.ok) {
        throw new InvalidConfigError(prepared.problems);
    }
    return execute(prepared.value, { onOutput: opts.onOutput, onEvent: opts.onEvent, signal: opts.signal });
}

/** Writes the configuration, refreshes and previews: what `up` would change. Changes no resources. */
export function preview(opts: DeployOptions): Promise<PreviewResult> {
    return run("preview", opts);
}

/** Writes the configuration, refreshes and updates the stack. */
export function up(opts: DeployOptions): Promise<UpResult> {
    return run("up", opts);
}

/** Reads the actual state of every resource into the stack state (no program run, no config change). */
export function refresh(opts: StackOptions): Promise<RefreshResult> {
    return run("refresh", opts);
}

/**
 * Deletes the stack's resources (data the program retains on destroy — the claim, the namespace,
 * EFS — stays unless `worker.storage.deleteOnDestroy` was set). With `removeStack`, also the stack.
 */
export function destroy(opts: DestroyOptions): Promise<DestroyResult> {
    return run("destroy", opts);
}

/** The stack's current outputs; `undefined` when it has none (never deployed, or destroyed). */
export function outputs(opts: StackOptions): Promise<BacklineOutputs | undefined> {
    return run("outputs", opts);
}

/** The stack's history in the backend, newest first; empty when the stack does not exist. */
export async function stackHistory(opts: StackOptions): Promise<automation.UpdateSummary[]> {
    try {
        return await run("history", opts);
    } catch (err) {
        if (err instanceof StackNotFoundError) return [];
        throw err;
    }
}

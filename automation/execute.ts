/**
 * Runs a prepared operation (./prepare.ts) on its stack. `preview` and `up` write the stack
 * configuration first (the access key encrypted, objects as objects, every key the caller did not
 * set removed), then refresh — the janitor changes the worker image behind Pulumi's back, see
 * docs/operate/ownership.md — and preview or update.
 */
import type * as automation from "@pulumi/pulumi/automation";
import { parseStackOutputs } from "../components/outputs";
import { PROJECT, StackConfigPlan, removingUnset, rendersManifests } from "./config";
import { ConcurrentUpdateError, Operation, PolicyViolationError, UpdateFailedError } from "./errors";
import type { PreparedDeployment, PreparedDestroy, PreparedOperations, PreparedStack } from "./prepare";
import { Callbacks, Session, summaryOf, timed, withSession } from "./session";
import type { BacklineOutputs, DestroyResult, PreviewResult, RefreshResult, UpResult } from "./types";

/** What each operation resolves with. */
export interface OperationResults {
    readonly preview: PreviewResult;
    readonly up: UpResult;
    readonly refresh: RefreshResult;
    readonly destroy: DestroyResult;
    readonly outputs: BacklineOutputs | undefined;
    readonly history: automation.UpdateSummary[];
}

/** History entries read per stack: enough to get past a few refreshes to the last update. */
const HISTORY_PAGE = 25;

type Executor<O extends Operation> = (
    prepared: PreparedOperations[O],
    session: Session,
) => Promise<OperationResults[O]>;

const executors: { readonly [O in Operation]: Executor<O> } = {
    preview: (p, s) => deploying(p, s, runPreview),
    up: (p, s) => deploying(p, s, runUp),
    refresh: runRefresh,
    destroy: runDestroy,
    outputs: async (_p, s) => parseOutputs(await engineCall(s, () => s.stack.outputs())),
    history: (_p, s) => engineCall(s, () => s.stack.history(HISTORY_PAGE)),
};

/** Runs the prepared operation; the callbacks get its output and events, the signal cancels it. */
export function execute<O extends Operation>(
    prepared: PreparedOperations[O],
    callbacks: Callbacks,
): Promise<OperationResults[O]> {
    const run: Executor<O> = executors[prepared.operation as O];
    return withSession(prepared, callbacks, (session) => run(prepared, session));
}

/** An engine call whose failure becomes a typed error. */
async function engineCall<T>(session: Session, call: () => Promise<T>): Promise<T> {
    try {
        return await call();
    } catch (err) {
        throw session.classify(err);
    }
}

/** The typed outputs of what the engine returned; `undefined` when the stack has none. */
function parseOutputs(map: automation.OutputMap | undefined): BacklineOutputs | undefined {
    return parseStackOutputs(map && Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v.value])));
}

/** Passes the refresh decision to the engine's next command, which reads `Pulumi.yaml`'s `options.refresh` too. */
function refreshing(session: Session, refresh: boolean): boolean {
    session.stack.setExtraArgs(refresh ? [] : ["--refresh=false"]);
    return refresh;
}

// ---------------------------------------------------------------------------------------------
// `preview` and `up`.
// ---------------------------------------------------------------------------------------------

/** Writes the stack configuration, runs `run`; puts the previous configuration back if the engine then refuses the stack as busy. */
async function deploying<P extends PreparedDeployment, T>(
    prepared: P,
    session: Session,
    run: (prepared: P, session: Session) => Promise<T>,
): Promise<T> {
    const restore = await writeConfig(session, prepared.configPlan);
    try {
        return await run(prepared, session);
    } catch (err) {
        const typed = session.classify(err);
        if (typed instanceof ConcurrentUpdateError) {
            // Another process holds the stack: leave its configuration as it was.
            await restore().catch(() => undefined);
        }
        throw typed;
    }
}

async function writeConfig(session: Session, planned: StackConfigPlan): Promise<() => Promise<void>> {
    const { stack } = session;
    return engineCall(session, async () => {
        const plan = removingUnset(planned, await stack.configKeys());
        const restore = await stack.snapshotConfig();
        await stack.removeConfig(plan.remove);
        await stack.setConfigJson(JSON.stringify(plan.plain));
        for (const s of plan.secrets) {
            await stack.setSecretConfig(s.key, s.value, s.path);
        }
        return restore;
    });
}

async function runPreview(prepared: PreparedDeployment<"preview">, session: Session): Promise<PreviewResult> {
    const { value, ms } = await timed(() =>
        session.stack.preview({
            ...session.engine,
            refresh: refreshing(session, prepared.refresh),
            parallel: prepared.parallel,
            message: prepared.message,
            policyPacks: [...prepared.policyPacks],
        }),
    );
    const outputs = parseOutputs(await session.stack.outputs());
    return {
        stackName: prepared.stackName,
        summary: summaryOf(value.changeSummary, ms),
        outputs,
        policyViolations: [...session.progress.policyViolations],
    };
}

async function runUp(prepared: PreparedDeployment<"up">, session: Session): Promise<UpResult> {
    if (prepared.policyPacks.length > 0) {
        await policyCheck(prepared, session);
    }
    const { value, ms } = await timed(() =>
        session.stack.up({
            ...session.engine,
            refresh: refreshing(session, prepared.refresh),
            parallel: prepared.parallel,
            message: prepared.message,
            policyPacks: [...prepared.policyPacks],
        }),
    );
    const failed = (engineMessage: string) =>
        new UpdateFailedError({
            operation: "up",
            stackName: prepared.stackName,
            engineMessage,
            stdoutTail: "",
            stderrTail: "",
        });
    let outputs: BacklineOutputs | undefined;
    try {
        outputs = parseOutputs(value.outputs);
    } catch (err) {
        throw failed((err as Error).message);
    }
    if (!outputs) {
        throw failed("the update succeeded but the stack has no `namespace` output");
    }
    return {
        stackName: prepared.stackName,
        summary: summaryOf(value.summary.resourceChanges, ms),
        outputs,
        policyViolations: [...session.progress.policyViolations],
    };
}

/**
 * Before `up` changes anything, the same packs on a preview: a stack they refuse is refused whole.
 * (The update runs them again, for values only known once resources exist.)
 */
async function policyCheck(prepared: PreparedDeployment<"up">, session: Session): Promise<void> {
    try {
        await session.stack.preview({
            ...session.engine,
            refresh: refreshing(session, prepared.refresh),
            parallel: prepared.parallel,
            policyPacks: [...prepared.policyPacks],
        });
    } catch (err) {
        const typed = session.classify(err);
        if (typed instanceof PolicyViolationError) {
            throw new PolicyViolationError({
                operation: "up",
                stackName: prepared.stackName,
                violations: typed.violations,
                stage: "preview",
            });
        }
        throw typed;
    }
    // The update reports its own violations (advisory ones again).
    session.progress.policyViolations.length = 0;
}

// ---------------------------------------------------------------------------------------------
// `refresh` and `destroy`: whether to refresh is the stack's own configuration's to say.
// ---------------------------------------------------------------------------------------------

/** Whether the stack's current configuration renders manifests. */
async function stackRenders(session: Session): Promise<boolean> {
    try {
        const text = await session.stack.configValue(`${PROJECT}:kubernetes`);
        return text !== undefined && rendersManifests(JSON.parse(text));
    } catch (err) {
        if (err instanceof SyntaxError) return false;
        throw session.classify(err);
    }
}

async function runRefresh(prepared: PreparedStack<"refresh">, session: Session): Promise<RefreshResult> {
    if (await stackRenders(session)) {
        return {
            stackName: prepared.stackName,
            summary: summaryOf({}, 0),
            skipped: "the stack renders manifests (kubernetes.renderYamlToDirectory): there is no cluster to read",
        };
    }
    const { value, ms } = await engineCall(session, () => timed(() => session.stack.refresh({ ...session.engine })));
    return { stackName: prepared.stackName, summary: summaryOf(value.summary.resourceChanges, ms) };
}

async function runDestroy(prepared: PreparedDestroy, session: Session): Promise<DestroyResult> {
    const refresh = refreshing(session, !(await stackRenders(session)));
    return engineCall(session, async () => {
        const { value, ms } = await timed(() => session.stack.destroy({ ...session.engine, refresh }));
        if (prepared.removeStack) {
            await session.stack.removeStack();
        }
        return {
            stackName: prepared.stackName,
            summary: summaryOf(value.summary.resourceChanges, ms),
            outputs: undefined,
        };
    });
}

/**
 * Fleet rollouts: one configuration change, many stacks (each its own cluster), in waves.
 *
 * ```ts
 * const report = await rollout({
 *     stacks: [{ stackName: "eu-1", config, kubernetes: { kubeconfig: "~/.kube/eu-1" } }, …],
 *     change: { worker: { image: { tag: "2faf8c5-1757332651" } } },
 *     waves: [1, "25%", "100%"],
 *     concurrency: 2,
 *     backendUrl, passphrase,
 *     onProgress: (e) => console.log(e),
 * });
 * ```
 *
 * 1. The input is checked whole before any engine starts (`InvalidRolloutError`, ./fleet-plan.ts).
 * 2. **Where it stands** is read from the state backend, not from a file of ours: each update
 *    records the stack configuration it deployed (`pulumi stack history`). A stack whose last
 *    successful update deployed the target configuration already has the change. That makes a
 *    stopped, crashed or killed rollout resumable by running it again, from any machine that
 *    reaches the backend, and a stack changed by hand in between is seen as such.
 * 3. Waves run one after the other; within a wave, up to `concurrency` stacks at once, each: `up`
 *    with the change (skipped when the backend says it is there: then only the gate runs, so a
 *    run killed between an `up` and its gate is checked on resume), then the health gate, polled
 *    until healthy or `gateTimeoutMs`.
 * 4. A failed `up` or gate: no further stack of that wave starts, the ones running finish, the
 *    failed stacks are reverted (`up` with their previous configuration, then the gate again),
 *    and no further wave starts. The report says what happened to every stack.
 */
import { Context, changedNothing, eachLimited, errorInfo, runGate } from "./fleet-gate";
import { InvalidRolloutError, checkRollout, deployedState, planFor, redactSettings } from "./fleet-plan";
import type {
    DeployedState,
    FleetBackendOptions,
    FleetReport,
    FleetStack,
    FleetStackReport,
    RolloutOptions,
    StackOutcome,
    StepReport,
    WaveReport,
} from "./fleet-types";
import { defaultHealthGate } from "./health";
import { outputs as stackOutputs, stackHistory, up } from "./operations";
import { prepare } from "./prepare";
import type { BacklineOutputs, BacklineSettings, StackOptions } from "./types";

export * from "./fleet-types";
export { InvalidRolloutError, mergePatch, resolveWaves } from "./fleet-plan";
export { combineChecks, defaultHealthGate, deploymentRolledOut, latestJanitorJob } from "./health";
export { KubeClient, KubeconfigError, resolveKubeAccess } from "../components/cluster";

/** The options every stack of the fleet shares: listed whole, the compiler checks, so none is dropped. */
const backendKeys = {
    dataDir: true,
    workDir: true,
    backendUrl: true,
    stateDir: true,
    secretsProvider: true,
    passphrase: true,
    engineBinDir: true,
    pulumiHome: true,
    env: true,
    workspaceFactory: true,
} as const satisfies Record<keyof FleetBackendOptions, true>;

/** The options of one stack's operations: the fleet's, with the stack's name, environment and callbacks. */
function stackOptions(opts: RolloutOptions, stack: FleetStack, signal: AbortSignal): StackOptions {
    const shared = Object.fromEntries(
        Object.keys(backendKeys)
            .filter((k) => k in opts)
            .map((k) => [k, opts[k as keyof FleetBackendOptions]]),
    ) as FleetBackendOptions;
    return {
        ...shared,
        stackName: stack.stackName,
        env: { ...opts.env, ...stack.env },
        onOutput: opts.onOutput && ((line) => opts.onOutput?.(stack.stackName, line)),
        onEvent: opts.onEvent && ((event) => opts.onEvent?.(stack.stackName, event)),
        signal,
    };
}

/** One `up` (the change or the revert) and its gate. */
async function step(
    ctx: Context,
    stack: FleetStack,
    config: BacklineSettings,
    phase: "rollout" | "revert",
    wave: number,
): Promise<StepReport & { threw?: unknown }> {
    const started = Date.now();
    let outputs: BacklineOutputs;
    let summary;
    try {
        const result = await up({
            ...stackOptions(ctx.opts, stack, ctx.signal),
            config,
            kubernetes: stack.kubernetes,
            aws: stack.aws,
            parallel: ctx.opts.parallel,
            message: `${ctx.opts.message ?? "backline fleet rollout"} (wave ${wave}${phase === "revert" ? ", revert" : ""})`,
        });
        outputs = result.outputs;
        summary = result.summary;
        ctx.emit({ type: "up-done", stackName: stack.stackName, phase, summary });
    } catch (err) {
        return { durationMs: Date.now() - started, error: errorInfo(err), threw: err };
    }
    const gate = await runGate(ctx, stack, config, outputs, phase);
    return { summary, durationMs: Date.now() - started, gate };
}

/** Verifies a stack the backend says has the change: its outputs, then the gate. */
async function verify(ctx: Context, stack: FleetStack, config: BacklineSettings): Promise<StepReport> {
    const started = Date.now();
    let outputs: BacklineOutputs | undefined;
    try {
        outputs = await stackOutputs(stackOptions(ctx.opts, stack, ctx.signal));
    } catch (err) {
        return { durationMs: Date.now() - started, error: errorInfo(err) };
    }
    if (!outputs) {
        return { durationMs: Date.now() - started, error: { kind: "no-outputs", message: "the stack has no outputs" } };
    }
    const gate = await runGate(ctx, stack, config, outputs, "rollout");
    return { durationMs: Date.now() - started, gate };
}

interface Entry {
    readonly stack: FleetStack;
    readonly after: BacklineSettings;
    readonly wave: number;
    deployed: DeployedState;
}

/** One stack of a wave, from its `up` (or verification) to its outcome. */
async function runStack(ctx: Context, e: Entry, failing: () => void): Promise<FleetStackReport> {
    const t0 = Date.now();
    const startedAt = new Date(t0).toISOString();
    const name = e.stack.stackName;
    const action = e.deployed === "target" ? "verify" : "up";
    ctx.emit({ type: "stack-start", wave: e.wave, stackName: name, action });
    const first =
        action === "verify"
            ? await verify(ctx, e.stack, e.after)
            : await step(ctx, e.stack, e.after, "rollout", e.wave);
    const { threw, ...rollout } = first as StepReport & { threw?: unknown };
    let outcome: StackOutcome;
    let detail: string;
    let revert: StepReport | undefined;
    const healthy = !rollout.error && rollout.gate?.healthy === true;
    if (!healthy) failing();
    if (healthy) {
        outcome = action === "verify" ? "verified" : "updated";
        detail = rollout.gate?.detail ?? "";
    } else if (ctx.signal.aborted) {
        outcome = "cancelled";
        detail = "the rollout was cancelled";
    } else if (rollout.error && changedNothing(threw)) {
        outcome = "failed";
        detail = rollout.error.message;
    } else {
        const reason = rollout.error?.message ?? `health gate: ${rollout.gate?.detail}`;
        ctx.emit({ type: "revert-start", stackName: name, reason });
        const { threw: _t, ...back } = await step(ctx, e.stack, e.stack.config, "revert", e.wave);
        revert = back;
        outcome = !back.error && back.gate?.healthy ? "reverted" : "revert-failed";
        detail = `${reason}; revert: ${back.error?.message ?? back.gate?.detail}`;
    }
    ctx.emit({ type: "stack-done", stackName: name, outcome, detail });
    return {
        stackName: name,
        wave: e.wave,
        outcome,
        deployed: e.deployed,
        before: redactSettings(e.stack.config),
        after: redactSettings(e.after),
        rollout,
        revert,
        startedAt,
        finishedAt: new Date().toISOString(),
        durationMs: Date.now() - t0,
    };
}

function skipped(e: Entry): FleetStackReport {
    return {
        stackName: e.stack.stackName,
        wave: e.wave,
        outcome: "skipped",
        deployed: e.deployed,
        before: redactSettings(e.stack.config),
        after: redactSettings(e.after),
        durationMs: 0,
    };
}

/**
 * Rolls `change` out to `stacks` in waves, with health gates and reverts; see the file header.
 * Rejects with `InvalidRolloutError` (nothing started) on bad input, and with the API's typed
 * errors when the backend cannot be read before the first wave (nothing changed); otherwise
 * resolves with the report, also when a stack failed (`outcome: "stopped"`).
 */
export async function rollout(opts: RolloutOptions): Promise<FleetReport> {
    const t0 = Date.now();
    const checked = checkRollout(opts);
    const signal = opts.signal ?? new AbortController().signal;
    // What every operation checks (project folder, passphrase), for every stack before any engine.
    const problems = checked.stacks.flatMap(({ stack }) => {
        const prepared = prepare("history", stackOptions(opts, stack, signal));
        return prepared.ok ? [] : prepared.problems;
    });
    if (problems.length > 0) throw new InvalidRolloutError(problems);

    const ctx: Context = {
        opts,
        gate: opts.healthGate ?? defaultHealthGate,
        gateTimeoutMs: checked.gateTimeoutMs,
        gateIntervalMs: checked.gateIntervalMs,
        signal,
        emit: (event) => {
            try {
                opts.onProgress?.(event);
            } catch (err) {
                process.emitWarning(`a fleet onProgress callback threw: ${errorInfo(err).message}`);
            }
        },
    };
    const entries: Entry[] = checked.stacks.map((s) => ({ ...s, deployed: "none" }));

    // Where it stands: each stack's last deployed configuration, from the backend. The first stack
    // alone: the first contact with an empty PostgreSQL backend creates its table, and two `pulumi`s
    // doing that at once fail (docs/backend.md, "Known problems").
    const where = async (e: Entry): Promise<void> => {
        const history = await stackHistory(stackOptions(opts, e.stack, signal));
        e.deployed = deployedState(history, planFor(e.stack, e.stack.config), planFor(e.stack, e.after));
    };
    await where(entries[0]);
    await eachLimited(entries.slice(1), checked.concurrency, where);
    ctx.emit({
        type: "plan",
        stacks: entries.map((e) => ({ stackName: e.stack.stackName, wave: e.wave, deployed: e.deployed })),
    });

    const reports = new Map<string, FleetStackReport>();
    const waves: WaveReport[] = [];
    let active = 0;
    let peak = 0;
    let stop: { outcome: "stopped" | "cancelled"; reason: string } | undefined;
    for (const [w, members] of checked.waves.entries()) {
        const wave = w + 1;
        const inWave = members.map((i) => entries[i]);
        const names = inWave.map((e) => e.stack.stackName);
        if (stop || signal.aborted) {
            stop ??= { outcome: "cancelled", reason: "the rollout was cancelled" };
            inWave.forEach((e) => reports.set(e.stack.stackName, skipped(e)));
            waves.push({ wave, stacks: names, outcome: "skipped", durationMs: 0 });
            continue;
        }
        const started = Date.now();
        ctx.emit({ type: "wave-start", wave, stacks: names });
        let failed = false;
        await eachLimited(
            inWave,
            checked.concurrency,
            async (e) => {
                active++;
                peak = Math.max(peak, active);
                try {
                    // A failure stops the wave as soon as it is known, not once its revert is done.
                    const r = await runStack(ctx, e, () => (failed = true));
                    reports.set(e.stack.stackName, r);
                    if (r.outcome !== "updated" && r.outcome !== "verified") failed = true;
                } finally {
                    active--;
                }
            },
            () => failed || signal.aborted,
        );
        inWave
            .filter((e) => !reports.has(e.stack.stackName))
            .forEach((e) => reports.set(e.stack.stackName, skipped(e)));
        const bad = inWave
            .map((e) => reports.get(e.stack.stackName)!)
            .filter((r) => r.outcome !== "updated" && r.outcome !== "verified" && r.outcome !== "skipped");
        const outcome = signal.aborted ? "cancelled" : bad.length > 0 ? "failed" : "passed";
        waves.push({ wave, stacks: names, outcome, durationMs: Date.now() - started });
        ctx.emit({ type: "wave-done", wave, outcome });
        if (outcome === "cancelled") {
            stop = { outcome: "cancelled", reason: `cancelled during wave ${wave}` };
        } else if (outcome === "failed") {
            stop = {
                outcome: "stopped",
                reason: `wave ${wave} failed: ${bad.map((r) => `${r.stackName} (${r.outcome})`).join(", ")}; later waves were not started`,
            };
        }
    }
    const report: FleetReport = {
        outcome: stop?.outcome ?? "completed",
        reason: stop?.reason,
        waves,
        stacks: entries.map((e) => reports.get(e.stack.stackName)!),
        peakConcurrency: peak,
        durationMs: Date.now() - t0,
    };
    ctx.emit({ type: "done", outcome: report.outcome, reason: report.reason });
    return report;
}

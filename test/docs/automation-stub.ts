/**
 * The Automation API as the documentation's examples meet it when they run in a test: the real
 * module, with the operations that would start an engine replaced by ones that check their input
 * exactly as the real ones do before any engine starts (`validateDeployment`: the configuration
 * by the program's own schema and rules, the stack name, the target) and answer with a result of
 * the real shape. Every call is recorded for the test to read.
 */
import {
    BacklineOutputs,
    ConfigProblem,
    DeployOptions,
    FleetReport,
    InvalidConfigError,
    RolloutOptions,
    StackOptions,
    UpResult,
    validateDeployment,
} from "../../automation";

export * from "../../automation";

export interface RecordedCall {
    readonly operation: string;
    readonly stackName: string;
    readonly problems: readonly ConfigProblem[];
}

export const calls: RecordedCall[] = [];

/** Every output a stack can have, so an example that reads one gets a value. */
export const exampleOutputs: Required<BacklineOutputs> = {
    namespace: "backline",
    workerDeployment: "worker",
    workerService: "worker",
    janitorCronJob: "janitor",
    claimName: "worker-storage",
    workerImageUpdates: "janitor",
    storageClassName: "nfs-rwx",
    efsFileSystemId: "fs-0123456789abcdef0",
    collectorRoleArn: "arn:aws:iam::123456789012:role/backline-otel",
    logGroupName: "/backline/backline/worker",
    jobAdmissionPolicy: "backline-worker-jobs-backline",
    helmAdoption: { revisions: [1], backups: ["backline-helm-backup.backline.v1"], removed: [], kept: [] },
} as Required<BacklineOutputs>;

const summary = { created: 0, updated: 0, deleted: 0, replaced: 0, same: 0, durationMs: 0 };

function check(operation: string, opts: DeployOptions): void {
    const problems = validateDeployment({
        stackName: opts.stackName,
        config: opts.config,
        kubernetes: opts.kubernetes,
        aws: opts.aws,
    } as Parameters<typeof validateDeployment>[0]);
    calls.push({ operation, stackName: opts.stackName, problems });
    if (problems.length > 0) throw new InvalidConfigError(problems);
}

export async function up(opts: DeployOptions): Promise<UpResult> {
    check("up", opts);
    return { stackName: opts.stackName, summary, outputs: exampleOutputs, policyViolations: [] } as unknown as UpResult;
}

export async function preview(opts: DeployOptions): Promise<unknown> {
    check("preview", opts);
    return { stackName: opts.stackName, summary, outputs: exampleOutputs, policyViolations: [] };
}

export async function outputs(opts: StackOptions): Promise<BacklineOutputs | undefined> {
    calls.push({ operation: "outputs", stackName: opts.stackName, problems: [] });
    return exampleOutputs;
}

function merge(target: unknown, patch: unknown): unknown {
    if (!patch || typeof patch !== "object" || Array.isArray(patch)) return patch;
    const out: Record<string, unknown> = { ...((target as Record<string, unknown>) ?? {}) };
    for (const [k, v] of Object.entries(patch)) out[k] = v === null ? undefined : merge(out[k], v);
    return out;
}

export async function rollout(opts: RolloutOptions): Promise<FleetReport> {
    for (const stack of opts.stacks) {
        check("rollout", {
            ...stack,
            config: merge(stack.config, opts.change),
        } as unknown as DeployOptions);
    }
    return { outcome: "completed", reason: "", stacks: [], waves: [] } as unknown as FleetReport;
}

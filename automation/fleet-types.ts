/**
 * The public types of fleet rollouts (`rollout` in ./fleet.ts): the stacks, the change, the waves,
 * the health gate, the progress events and the report.
 */
import type {
    AwsSettings,
    BacklineOutputs,
    BacklineSettings,
    EventCallback,
    KubernetesTarget,
    OperationSummary,
    StackOptions,
} from "./types";

/**
 * A change to roll out: a JSON merge patch (RFC 7396) of the configuration. Objects merge key by
 * key, lists and values replace, `null` removes a key (its default applies again).
 *
 * ```ts
 * { worker: { image: { tag: "2faf8c5-1757332651" } } }   // pin the worker image
 * { janitor: { schedule: "*\/5 * * * *" } }                // run the janitor every 5 minutes
 * { worker: { image: null } }                             // back to the default image, kept fresh by the janitor
 * ```
 *
 * Secret keys (`accessKey`) and `kubernetes` (each stack's own target) cannot be part of a change.
 */
export type ConfigPatch<T = BacklineSettings> = {
    readonly [K in keyof T]?:
        | (NonNullable<T[K]> extends readonly unknown[]
              ? T[K]
              : NonNullable<T[K]> extends object
                ? ConfigPatch<NonNullable<T[K]>>
                : T[K])
        | null;
};

/** One stack of the fleet: its own cluster and its configuration as it is now (before the change). */
export interface FleetStack {
    /** The stack's name in the backend (use `-`, not `_`, with the PostgreSQL backend). */
    readonly stackName: string;
    /** The stack's configuration before the change: what a failed stack is reverted to. */
    readonly config: BacklineSettings;
    /** Where this stack deploys (its cluster). The default health gate reads the same cluster. */
    readonly kubernetes: KubernetesTarget;
    readonly aws?: AwsSettings;
    /** Extra environment for this stack's engine (e.g. `AWS_PROFILE`); wins over the fleet's `env`. */
    readonly env?: Readonly<Record<string, string>>;
}

/**
 * How many stacks have the change once a wave is done (cumulative): a count (`1`, `4`) or a share
 * of the fleet (`"25%"`, rounded up). `[1, "25%", "100%"]` on 20 stacks: 1, then 4 more, then 15.
 * A share that rounds to the previous wave's size adds no wave (25% of 4 stacks is the canary).
 */
export type WaveSize = number | `${number}%`;

/** What the health gate is given: the stack just updated (or reverted) and where it runs. */
export interface GateTarget {
    readonly stackName: string;
    readonly kubernetes: KubernetesTarget;
    /** The stack's outputs after its `up`: namespace, Deployment and CronJob names. */
    readonly outputs: BacklineOutputs;
    /** The configuration the stack now runs with (secrets included: the gate is the caller's own code). */
    readonly config: BacklineSettings;
    /** `rollout`: after the change; `revert`: after the revert to the previous configuration. */
    readonly phase: "rollout" | "revert";
    /** The environment the stack's engine runs with (this process's, the fleet's `env`, the stack's `env`): `KUBECONFIG`, `AWS_PROFILE`, … */
    readonly env: Readonly<Record<string, string | undefined>>;
    /** Aborted when the gate's timeout passes or the rollout is cancelled. */
    readonly signal: AbortSignal;
}

/**
 * One look at a stack's health. `healthy: false` is retried every `gateIntervalMs` until the
 * timeout, unless `final` says waiting cannot help (a Job that failed). `detail` says what was seen,
 * in words (it ends up in the report; never put a secret in it).
 */
export type GateCheck =
    | { readonly healthy: true; readonly detail: string }
    | { readonly healthy: false; readonly detail: string; readonly final?: boolean };

export type HealthGate = (target: GateTarget) => Promise<GateCheck>;

/** What every stack of the fleet shares: the project, the backend, the secrets provider, the engine. */
export type FleetBackendOptions = Omit<StackOptions, "stackName" | "onOutput" | "onEvent" | "signal">;

export interface RolloutOptions extends FleetBackendOptions {
    /** The stacks, in rollout order: the first wave takes the first ones. */
    readonly stacks: readonly FleetStack[];
    /** The change, merged over each stack's `config`. */
    readonly change: ConfigPatch;
    /** Cumulative wave sizes; the last must be the whole fleet. @default [1, "25%", "100%"] */
    readonly waves?: readonly WaveSize[];
    /** Stacks updated at once within a wave (each: `up`, then its gate). @default 2 */
    readonly concurrency?: number;
    /** Judges a stack after its `up`. @default `defaultHealthGate` (./health.ts) */
    readonly healthGate?: HealthGate;
    /** How long a stack may take to become healthy after its `up`, ms. @default 300000 */
    readonly gateTimeoutMs?: number;
    /** Pause between two looks of the gate, ms. @default 2000 */
    readonly gateIntervalMs?: number;
    /** A message recorded with each update in the stack history. @default "backline fleet rollout" */
    readonly message?: string;
    /** Number of resource operations the engine runs in parallel, per stack. */
    readonly parallel?: number;
    /** Each step of the rollout, as it happens. */
    readonly onProgress?: (event: FleetProgressEvent) => void;
    /** Each stdout line of each stack's engine. Secrets are shown as `[secret]`. */
    readonly onOutput?: (stackName: string, line: string) => void;
    /** Each engine event of each stack. */
    readonly onEvent?: (stackName: string, event: Parameters<EventCallback>[0]) => void;
    /** Stops the rollout: running updates are interrupted, nothing else starts, nothing is reverted. */
    readonly signal?: AbortSignal;
}

/**
 * What the backend says a stack runs, from the configuration its last update recorded:
 * `target` (the change is there), `before` (the stack's given configuration), `other` (neither:
 * changed by hand, a failed update, …) or `none` (never deployed, or destroyed).
 */
export type DeployedState = "target" | "before" | "other" | "none";

/**
 * - `updated`: `up` with the change, then the gate passed.
 * - `verified`: the backend says the change was already there (an earlier run); no `up`, the gate passed.
 * - `reverted`: the `up` or the gate failed; the stack was put back to its configuration and passed the gate again.
 * - `revert-failed`: as `reverted`, but the revert's `up` or gate failed too: look at this stack now.
 * - `failed`: the `up` failed without changing anything (another update held the stack, no engine): nothing to revert.
 * - `cancelled`: interrupted by the caller's signal; not reverted (run again to resume).
 * - `skipped`: not started: the rollout stopped first.
 */
export type StackOutcome = "updated" | "verified" | "reverted" | "revert-failed" | "failed" | "cancelled" | "skipped";

export interface GateReport {
    readonly healthy: boolean;
    /** The gate's last word (or why it was not asked: timeout, no outputs, …). */
    readonly detail: string;
    readonly durationMs: number;
    /** How many times the gate looked. */
    readonly checks: number;
}

export interface StepReport {
    /** The engine's summary when the `up` ran to the end. */
    readonly summary?: OperationSummary;
    readonly durationMs: number;
    /** Why it failed (secrets redacted), with the error's `kind`. */
    readonly error?: { readonly kind: string; readonly message: string };
    readonly gate?: GateReport;
}

export interface FleetStackReport {
    readonly stackName: string;
    /** 1-based. */
    readonly wave: number;
    readonly outcome: StackOutcome;
    /** What the backend said before this run. */
    readonly deployed: DeployedState;
    /** The configuration before and after the change, secrets as `[secret]`. */
    readonly before: BacklineSettings;
    readonly after: BacklineSettings;
    /** The rollout's `up` and its gate; no `summary` when `verified` (no `up` ran); absent when `skipped`. */
    readonly rollout?: StepReport;
    /** The revert's `up` and gate, when one ran. */
    readonly revert?: StepReport;
    /** ISO times and the whole stack's wall time (0 when skipped). */
    readonly startedAt?: string;
    readonly finishedAt?: string;
    readonly durationMs: number;
}

export interface WaveReport {
    /** 1-based. */
    readonly wave: number;
    readonly stacks: readonly string[];
    readonly outcome: "passed" | "failed" | "cancelled" | "skipped";
    readonly durationMs: number;
}

export interface FleetReport {
    /** `completed`: every stack has the change and is healthy; `stopped`: a stack failed; `cancelled`: the signal. */
    readonly outcome: "completed" | "stopped" | "cancelled";
    /** Why the rollout stopped, naming the stacks. */
    readonly reason?: string;
    readonly waves: readonly WaveReport[];
    /** In rollout order. */
    readonly stacks: readonly FleetStackReport[];
    /** The most stacks that were being worked on at once. */
    readonly peakConcurrency: number;
    readonly durationMs: number;
}

export type FleetProgressEvent =
    | {
          readonly type: "plan";
          readonly stacks: readonly { stackName: string; wave: number; deployed: DeployedState }[];
      }
    | { readonly type: "wave-start"; readonly wave: number; readonly stacks: readonly string[] }
    | {
          readonly type: "stack-start";
          readonly wave: number;
          readonly stackName: string;
          readonly action: "up" | "verify";
      }
    | {
          readonly type: "up-done";
          readonly stackName: string;
          readonly phase: "rollout" | "revert";
          readonly summary: OperationSummary;
      }
    | {
          readonly type: "gate";
          readonly stackName: string;
          readonly phase: "rollout" | "revert";
          readonly check: GateCheck;
      }
    | { readonly type: "revert-start"; readonly stackName: string; readonly reason: string }
    | {
          readonly type: "stack-done";
          readonly stackName: string;
          readonly outcome: StackOutcome;
          readonly detail: string;
      }
    | { readonly type: "wave-done"; readonly wave: number; readonly outcome: WaveReport["outcome"] }
    | { readonly type: "done"; readonly outcome: FleetReport["outcome"]; readonly reason?: string };

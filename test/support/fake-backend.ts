/**
 * A fake state backend for unit tests of fleet rollouts, reached through the Automation API's
 * `workspaceFactory`: per stack, its configuration (as `pulumi config set-all --json` leaves it)
 * and its history, where each `up` records the configuration it ran with, as
 * `pulumi stack history --json` shows it (secrets without their value). Each `up` takes
 * `upMs` of (fake) time; `failUp` decides which ones fail; `timeline` says when each began and ended.
 */
import type * as automation from "@pulumi/pulumi/automation";
import type { EngineStack, WorkspaceFactory, WorkspaceRequest } from "../../automation";

export interface UpRecord {
    readonly stackName: string;
    readonly start: number;
    readonly end: number;
    /** `backline:*` plain values the `up` ran with (objects parsed). */
    readonly config: Readonly<Record<string, unknown>>;
    readonly ok: boolean;
}

interface StoredValue {
    readonly value?: string;
    readonly objectValue?: unknown;
    readonly secret: boolean;
}

export const fakeOutputs: automation.OutputMap = {
    namespace: { value: "backline", secret: false },
    workerDeployment: { value: "worker", secret: false },
    workerService: { value: "worker", secret: false },
    janitorCronJob: { value: "janitor", secret: false },
    claimName: { value: "worker-storage", secret: false },
    workerImageUpdates: { value: "pinned", secret: false },
};

export class FakeBackend {
    readonly config = new Map<string, Map<string, StoredValue>>();
    readonly history = new Map<string, automation.UpdateSummary[]>();
    readonly timeline: UpRecord[] = [];
    readonly requests: WorkspaceRequest[] = [];
    /** Operations the engine ran, per stack: `up`, `history`, `outputs`. */
    readonly ops: { stackName: string; op: string }[] = [];
    upMs = 20;
    inFlight = 0;
    peak = 0;
    /** Throw from this `up` (after `upMs`) instead of succeeding. */
    failUp: (stackName: string, config: Readonly<Record<string, unknown>>) => Error | undefined = () => undefined;

    /** The plain `backline:*` values a stack's configuration holds now (objects parsed). */
    current(stackName: string): Record<string, unknown> {
        const out: Record<string, unknown> = {};
        for (const [k, v] of this.config.get(stackName) ?? []) {
            if (!v.secret) out[k] = v.objectValue ?? v.value;
        }
        return out;
    }

    upsOf(stackName: string): UpRecord[] {
        return this.timeline.filter((u) => u.stackName === stackName);
    }

    readonly factory: WorkspaceFactory = async (request) => {
        this.requests.push(request);
        const name = request.stackName;
        if (!this.history.has(name)) {
            if (!request.create) {
                const err = new Error(`no stack named '${name}' found`);
                err.name = "StackNotFoundError";
                throw err;
            }
            this.history.set(name, []);
            this.config.set(name, new Map());
        }
        return this.stack(name);
    };

    private stack(name: string): EngineStack {
        const cfg = (): Map<string, StoredValue> => this.config.get(name)!;
        const history = (): automation.UpdateSummary[] => this.history.get(name)!;
        return {
            name,
            configKeys: async () => [...cfg().keys()],
            setConfigJson: async (json) => {
                for (const [k, v] of Object.entries(JSON.parse(json) as Record<string, StoredValue>)) cfg().set(k, v);
            },
            setSecretConfig: async (key, _value, isPath) => {
                if (isPath) {
                    const top = key.slice(0, key.indexOf("."));
                    cfg().set(top, { ...cfg().get(top), secret: true, value: undefined, objectValue: undefined });
                } else {
                    cfg().set(key, { secret: true });
                }
            },
            removeConfig: async (keys) => keys.forEach((k) => cfg().delete(k)),
            configValue: async (key) => cfg().get(key)?.value,
            setExtraArgs: () => undefined,
            snapshotConfig: async () => {
                const saved = new Map(cfg());
                return async () => void this.config.set(name, saved);
            },
            up: async (o) => {
                this.ops.push({ stackName: name, op: "up" });
                const start = Date.now();
                this.inFlight++;
                this.peak = Math.max(this.peak, this.inFlight);
                const recorded: automation.ConfigMap = {};
                for (const [k, v] of cfg()) {
                    recorded[k] = {
                        value: v.secret ? (undefined as unknown as string) : (v.value as string),
                        secret: v.secret,
                    };
                    if (v.objectValue !== undefined && !v.secret) {
                        (recorded[k] as unknown as StoredValue & { objectValue: unknown }).objectValue = v.objectValue;
                    }
                }
                const plain = this.current(name);
                try {
                    await new Promise((r) => setTimeout(r, this.upMs));
                    o.onOutput?.(`Updating (${name})\n`);
                    const err = this.failUp(name, plain);
                    const end = Date.now();
                    history().unshift({
                        kind: "update",
                        startTime: new Date(start),
                        endTime: new Date(end),
                        message: o.message ?? "",
                        environment: {},
                        config: recorded,
                        result: err ? "failed" : "succeeded",
                        resourceChanges: { update: 1, same: 20 },
                    } as automation.UpdateSummary);
                    this.timeline.push({ stackName: name, start, end, config: plain, ok: !err });
                    if (err) throw err;
                    return {
                        stdout: "",
                        stderr: "",
                        outputs: fakeOutputs,
                        summary: history()[0],
                    };
                } finally {
                    this.inFlight--;
                }
            },
            preview: async () => ({ stdout: "", stderr: "", changeSummary: {} }),
            refresh: async () => {
                throw new Error("not used");
            },
            destroy: async () => {
                throw new Error("not used");
            },
            outputs: async () => {
                this.ops.push({ stackName: name, op: "outputs" });
                return history().length > 0 ? fakeOutputs : {};
            },
            history: async (pageSize) => {
                this.ops.push({ stackName: name, op: "history" });
                return history().slice(0, pageSize);
            },
            removeStack: async () => undefined,
        };
    }
}

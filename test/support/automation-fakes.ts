/**
 * What the Automation API unit specs share, so that no engine runs: a fake stack that records
 * every call (injected through `workspaceFactory`), the settings they deploy, one state folder for
 * the whole run, and helpers to catch a rejection and to look for secrets in an error.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type * as automation from "@pulumi/pulumi/automation";
import {
    BacklineSettings,
    DeployOptions,
    EngineStack,
    KubernetesTarget,
    WorkspaceFactory,
    WorkspaceRequest,
} from "../../automation";
import { topLevelKeys } from "../../components/config";

/**
 * The managed keys a deployment of `minimal` removes when the stack holds them: every key it does
 * not set (the enterprise-cluster top-level keys included), sorted as the plan lists them.
 */
export const removedUnlessSet = (...more: string[]): string[] =>
    [
        "aws:profile",
        "aws:region",
        ...topLevelKeys
            .filter((k) => !["baseUrl", "accessKey", "worker", "kubernetes"].includes(k))
            .map((k) => `backline:${k}`),
        ...more,
    ].sort();

export const ACCESS_KEY = "bk_live_0123456789abcdefSECRET";
export const PASSPHRASE = "correct horse battery staple";

export const minimal: BacklineSettings = {
    baseUrl: "https://app.backline.ai",
    accessKey: ACCESS_KEY,
    worker: { otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-rwx" } } },
};

export const render: KubernetesTarget = { renderToDirectory: "/tmp/backline-rendered" };

// ---------------------------------------------------------------------------------------------
// A fake stack.
// ---------------------------------------------------------------------------------------------

export interface Call {
    readonly method: string;
    readonly args: unknown[];
}

export class FakeStack implements EngineStack {
    readonly calls: Call[] = [];
    configKeysNow: string[] = [];
    configValues: Record<string, string> = {};
    extraArgs: string[] = [];
    restored = 0;
    upImpl: (o: automation.UpOptions) => Promise<automation.UpResult> = async (o) => {
        o.onOutput?.("Updating (dev)\n  + kubernetes:core/v1:Namespace backline created\nResources:\n    + 20 cre");
        o.onOutput?.("ated\nDuration: 3s\n");
        o.onEvent?.({
            sequence: 1,
            timestamp: 0,
            diagnosticEvent: { message: "hello", color: "never", severity: "info" },
        });
        return {
            stdout: "",
            stderr: "",
            outputs: deployedOutputs,
            summary: {
                kind: "update",
                startTime: new Date(0),
                endTime: new Date(1000),
                message: "",
                environment: {},
                config: {},
                result: "succeeded",
                resourceChanges: { create: 20, same: 1 },
            } as automation.UpdateSummary,
        };
    };

    constructor(readonly name: string) {}

    private record(method: string, ...args: unknown[]): void {
        this.calls.push({ method, args });
    }
    methods(): string[] {
        return this.calls.map((c) => c.method);
    }
    async configKeys(): Promise<string[]> {
        this.record("configKeys");
        return this.configKeysNow;
    }
    async setConfigJson(json: string): Promise<void> {
        this.record("setConfigJson", json);
    }
    async setSecretConfig(key: string, value: string, isPath: boolean): Promise<void> {
        this.record("setSecretConfig", key, value, isPath);
    }
    async removeConfig(keys: readonly string[]): Promise<void> {
        this.record("removeConfig", [...keys]);
    }
    async configValue(key: string): Promise<string | undefined> {
        this.record("configValue", key);
        return this.configValues[key];
    }
    setExtraArgs(args: readonly string[]): void {
        this.extraArgs = [...args];
    }
    async snapshotConfig(): Promise<() => Promise<void>> {
        this.record("snapshotConfig");
        return async () => {
            this.restored++;
        };
    }
    up(o: automation.UpOptions): Promise<automation.UpResult> {
        this.record("up", o);
        return this.upImpl(o);
    }
    async preview(o: automation.PreviewOptions): Promise<automation.PreviewResult> {
        this.record("preview", o);
        return { stdout: "", stderr: "", changeSummary: { create: 3, update: 1, same: 17 } };
    }
    async refresh(o: automation.RefreshOptions): Promise<automation.RefreshResult> {
        this.record("refresh", o);
        return {
            stdout: "",
            stderr: "",
            summary: { resourceChanges: { same: 21 } } as unknown as automation.UpdateSummary,
        };
    }
    async destroy(o: automation.DestroyOptions): Promise<automation.DestroyResult> {
        this.record("destroy", o);
        return {
            stdout: "",
            stderr: "",
            summary: { resourceChanges: { delete: 19 } } as unknown as automation.UpdateSummary,
        };
    }
    async outputs(): Promise<automation.OutputMap> {
        this.record("outputs");
        return deployedOutputs;
    }
    async history(pageSize: number): Promise<automation.UpdateSummary[]> {
        this.record("history", pageSize);
        return [];
    }
    async removeStack(): Promise<void> {
        this.record("removeStack");
    }
}

export const deployedOutputs: automation.OutputMap = {
    namespace: { value: "backline", secret: false },
    workerDeployment: { value: "worker", secret: false },
    workerService: { value: "worker", secret: false },
    janitorCronJob: { value: "janitor", secret: false },
    claimName: { value: "worker-storage", secret: false },
    storageClassName: { value: "nfs-rwx", secret: false },
    workerImageUpdates: { value: "janitor", secret: false },
    jobAdmissionPolicy: { value: "backline-worker-jobs-backline", secret: false },
};

export function fakeFactory(stack: FakeStack = new FakeStack("dev")): {
    factory: WorkspaceFactory;
    requests: WorkspaceRequest[];
    stack: FakeStack;
} {
    const requests: WorkspaceRequest[] = [];
    return {
        stack,
        requests,
        factory: async (r) => {
            requests.push(r);
            return stack;
        },
    };
}

export function neverCalled(): WorkspaceFactory {
    return async () => {
        throw new Error("the workspace factory must not be called");
    };
}

export let stateDir: string;

export function deploy(overrides: Partial<DeployOptions> = {}): DeployOptions {
    return {
        stackName: "dev",
        stateDir,
        dataDir: stateDir,
        passphrase: PASSPHRASE,
        config: minimal,
        kubernetes: render,
        ...overrides,
    };
}

export async function rejection(p: Promise<unknown>): Promise<Error> {
    try {
        await p;
    } catch (err) {
        return err as Error;
    }
    throw new Error("expected a rejection");
}

/** Everything an error exposes, for "no secret in it" checks. */
export function everythingIn(err: Error): string {
    return `${err.message}\n${err.stack ?? ""}\n${JSON.stringify(err)}\n${String(err)}`;
}

// Root hooks, registered once when the first spec imports this module: one state folder for the
// whole run, as when these specs were one file.
before(function () {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "automation-spec-"));
});

after(function () {
    fs.rmSync(stateDir, { recursive: true, force: true });
});

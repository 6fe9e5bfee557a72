/**
 * Unit tests of the Automation API (automation/): the typed configuration → stack configuration
 * mapping, validation before the engine, and the classification of engine errors. No engine:
 * stacks are fakes injected through `workspaceFactory` (test/e2e/automation.e2e.ts runs the real one).
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as automation from "@pulumi/pulumi/automation";
import {
    BacklineSettings,
    ConcurrentUpdateError,
    DeployOptions,
    EngineMissingError,
    EngineStack,
    InvalidConfigError,
    KubernetesTarget,
    StackNotFoundError,
    UpdateFailedError,
    WorkspaceFactory,
    WorkspaceRequest,
    classifyEngineError,
    destroy,
    locateEngine,
    outputs,
    planStackConfig,
    preview,
    refresh,
    toStackConfigValues,
    up,
    validateDeployment,
} from "../automation";
import { parseBacklineConfig } from "../components/config";
import { enterpriseSections } from "../components/config/enterprise";

/**
 * The managed keys a deployment of `minimal` removes when the stack holds them: every key it does
 * not set (issue 12's top-level keys included), sorted as the plan lists them.
 */
const removedUnlessSet = (...more: string[]): string[] =>
    [
        "aws:profile",
        "aws:region",
        "backline:efs",
        "backline:janitor",
        "backline:logging",
        "backline:namespaceOverride",
        "backline:security",
        "backline:adopt",
        ...Object.keys(enterpriseSections).map((k) => `backline:${k}`),
        ...more,
    ].sort();

const ACCESS_KEY = "bk_live_0123456789abcdefSECRET";
const PASSPHRASE = "correct horse battery staple";

const minimal: BacklineSettings = {
    baseUrl: "https://app.backline.ai",
    accessKey: ACCESS_KEY,
    worker: { otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-rwx" } } },
};

const render: KubernetesTarget = { renderToDirectory: "/tmp/backline-rendered" };

// ---------------------------------------------------------------------------------------------
// The SDK's own errors, built the way the SDK builds them from a failed CLI run.
// ---------------------------------------------------------------------------------------------

interface SdkInternals {
    CommandResult: new (stdout: string, stderr: string, code: number, err?: Error) => unknown;
    createCommandError: (result: unknown) => Error;
}

function sdkCommandError(stdout: string, stderr: string, code = 255, err?: Error): Error {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { CommandResult } = require("@pulumi/pulumi/automation/cmd") as Pick<SdkInternals, "CommandResult">;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { createCommandError } = require("@pulumi/pulumi/automation/errors") as Pick<
        SdkInternals,
        "createCommandError"
    >;
    return createCommandError(new CommandResult(stdout, stderr, code, err));
}

const lockedStderr =
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
    "  file:///state/.pulumi/locks/organization/backline/dev/abc.json: created by root@host (pid 42) at 2026-01-01T00:00:00Z\n";

// ---------------------------------------------------------------------------------------------
// A fake stack.
// ---------------------------------------------------------------------------------------------

interface Call {
    readonly method: string;
    readonly args: unknown[];
}

class FakeStack implements EngineStack {
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

const deployedOutputs: automation.OutputMap = {
    namespace: { value: "backline", secret: false },
    workerDeployment: { value: "worker", secret: false },
    workerService: { value: "worker", secret: false },
    janitorCronJob: { value: "janitor", secret: false },
    claimName: { value: "worker-storage", secret: false },
    storageClassName: { value: "nfs-rwx", secret: false },
    workerImageUpdates: { value: "janitor", secret: false },
    jobAdmissionPolicy: { value: "backline-worker-jobs-backline", secret: false },
};

function fakeFactory(stack: FakeStack = new FakeStack("dev")): {
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

function neverCalled(): WorkspaceFactory {
    return async () => {
        throw new Error("the workspace factory must not be called");
    };
}

let stateDir: string;

function deploy(overrides: Partial<DeployOptions> = {}): DeployOptions {
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

async function rejection(p: Promise<unknown>): Promise<Error> {
    try {
        await p;
    } catch (err) {
        return err as Error;
    }
    throw new Error("expected a rejection");
}

/** Everything an error exposes, for "no secret in it" checks. */
function everythingIn(err: Error): string {
    return `${err.message}\n${err.stack ?? ""}\n${JSON.stringify(err)}\n${String(err)}`;
}

before(function () {
    stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "automation-spec-"));
});

after(function () {
    fs.rmSync(stateDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe("automation: typed config → stack config", function () {
    const ctx = { cwd: "/work/here", home: "/home/op" };

    it("stores the access key only as a secret, and scalars and objects as plaintext values", function () {
        const plan = planStackConfig({ config: minimal, kubernetes: render, pathContext: ctx });
        assert.deepStrictEqual(plan.secrets, [{ key: "backline:accessKey", path: false, value: ACCESS_KEY }]);
        assert.ok(!JSON.stringify(plan.plain).includes(ACCESS_KEY), "the access key is among the plaintext values");
        assert.deepStrictEqual(plan.plain["backline:baseUrl"], { value: "https://app.backline.ai", secret: false });
        assert.deepStrictEqual(plan.plain["backline:worker"], {
            value: JSON.stringify(minimal.worker),
            objectValue: minimal.worker,
            secret: false,
        });
        assert.deepStrictEqual(Object.keys(plan.plain).sort(), [
            "backline:baseUrl",
            "backline:kubernetes",
            "backline:worker",
        ]);
    });

    it("keeps structured values exactly: string-looking numbers, empty lists and maps, keys with dots", function () {
        const config: BacklineSettings = {
            ...minimal,
            namespaceOverride: "backline-a",
            janitor: { image: { tag: "0123" }, schedule: "*/5 * * * *", runOnInstall: false },
            worker: {
                replicaCount: 2,
                image: { tag: "1.10", autoUpdate: true },
                env: [],
                tolerations: [],
                nodeSelector: { "kubernetes.io/os": "linux", "node.example.com/pool": "true" },
                affinity: {},
                otel: { enabled: false },
            },
        };
        const plan = planStackConfig({ config, kubernetes: render, pathContext: ctx });
        assert.deepStrictEqual(plan.plain["backline:namespaceOverride"], { value: "backline-a", secret: false });
        for (const section of ["janitor", "worker"] as const) {
            const v = plan.plain[`backline:${section}`];
            assert.deepStrictEqual(v.objectValue, config[section]);
            // The program reads `getConfig("backline:<section>")` (the JSON text) and parses it.
            assert.deepStrictEqual(JSON.parse(v.value), config[section]);
        }
        const worker = plan.plain["backline:worker"].objectValue as {
            image: { tag: unknown };
            nodeSelector: Record<string, unknown>;
        };
        assert.strictEqual(worker.image.tag, "1.10");
        assert.strictEqual(worker.nodeSelector["node.example.com/pool"], "true");
    });

    it("drops undefined members, as the stack file cannot hold them", function () {
        const config = {
            ...minimal,
            worker: { replicaCount: 1, image: undefined, otel: { enabled: false } },
        } as BacklineSettings;
        const plan = planStackConfig({ config, kubernetes: render });
        assert.deepStrictEqual(plan.plain["backline:worker"].objectValue, {
            replicaCount: 1,
            otel: { enabled: false },
        });
    });

    it("what it writes is what the program accepts: parseBacklineConfig on the stored values", function () {
        const plan = planStackConfig({ config: minimal, kubernetes: render, pathContext: ctx });
        // The program reads `getConfig("backline:<key>")`: text, or JSON for objects.
        const values: Record<string, unknown> = Object.fromEntries(
            Object.entries(plan.plain).map(([k, v]) => [
                k.replace(/^backline:/, ""),
                v.objectValue !== undefined ? JSON.parse(v.value) : v.value,
            ]),
        );
        values.accessKey = plan.secrets[0].value;
        const result = parseBacklineConfig(values);
        assert.ok(result.ok, JSON.stringify(result.problems));
        assert.deepStrictEqual(result.config.storage.claim, {
            kind: "storageClass",
            name: "worker-storage",
            size: "10Gi",
            storageClassName: "nfs-rwx",
        });
        assert.strictEqual(result.config.kubernetes.renderYamlToDirectory, "/tmp/backline-rendered");
        assert.strictEqual(result.config.observability, undefined);
    });

    it("removes every managed key the caller did not set, including unknown backline keys found in the stack", function () {
        const plan = planStackConfig({
            config: minimal,
            kubernetes: render,
            currentKeys: [
                "backline:baseUrl",
                "backline:janitor",
                "backline:workers",
                "aws:region",
                "kubernetes:context",
                "other:key",
            ],
        });
        assert.deepStrictEqual(plan.remove, removedUnlessSet("backline:workers"));
        for (const k of Object.keys(plan.plain)) assert.ok(!plan.remove.includes(k), `${k} is both set and removed`);
        assert.ok(!plan.remove.includes("backline:accessKey"));
        assert.ok(
            !plan.remove.includes("kubernetes:context") && !plan.remove.includes("other:key"),
            "keys of other namespaces are not ours",
        );
    });

    it("sets aws:region and aws:profile when given, and removes them otherwise", function () {
        const plan = planStackConfig({
            config: minimal,
            kubernetes: render,
            aws: { region: "us-west-1", profile: "ops" },
        });
        assert.deepStrictEqual(plan.plain["aws:region"], { value: "us-west-1", secret: false });
        assert.deepStrictEqual(plan.plain["aws:profile"], { value: "ops", secret: false });
        assert.ok(!plan.remove.includes("aws:region"));
    });

    describe("Kubernetes target", function () {
        const kube = (target: KubernetesTarget) =>
            planStackConfig({ config: minimal, kubernetes: target, pathContext: ctx });

        it("{ renderToDirectory } → renderYamlToDirectory, resolved against the current directory", function () {
            assert.deepStrictEqual(
                kube({ renderToDirectory: "out/manifests" }).plain["backline:kubernetes"].objectValue,
                {
                    renderYamlToDirectory: "/work/here/out/manifests",
                },
            );
        });

        it("{ kubeconfig } path → kubeconfig, with ~ expanded; plus context and skipAwait", function () {
            assert.deepStrictEqual(
                kube({ kubeconfig: "~/.kube/customer-a", context: "admin@a", skipAwait: true }).plain[
                    "backline:kubernetes"
                ].objectValue,
                {
                    kubeconfig: "/home/op/.kube/customer-a",
                    context: "admin@a",
                    skipAwait: true,
                },
            );
        });

        it("{ context } → context only", function () {
            const plan = kube({ context: "prod" });
            assert.deepStrictEqual(plan.plain["backline:kubernetes"].objectValue, { context: "prod" });
            assert.strictEqual(plan.secrets.length, 1);
        });

        it("an inline kubeconfig is a secret leaf inside the kubernetes object, never plaintext", function () {
            const contents =
                "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    token: sha256~SECRETTOKEN0123456789\n";
            const plan = kube({ kubeconfig: contents, context: "a" });
            assert.deepStrictEqual(plan.plain["backline:kubernetes"].objectValue, { context: "a" });
            assert.deepStrictEqual(plan.secrets[1], {
                key: "backline:kubernetes.kubeconfig",
                path: true,
                value: contents,
            });
            assert.ok(!JSON.stringify(plan.plain).includes("SECRETTOKEN"));
        });
    });
});

describe("automation: validation before the engine", function () {
    const broken = {
        baseUrl: "ftp://example.com",
        accessKey: `${ACCESS_KEY} with spaces`,
        janitor: { schedule: "*/3 * * *" },
        workers: { replicaCount: 2 },
        worker: { replicaCount: -1, otel: { enabled: false } },
    } as unknown as BacklineSettings;

    it("rejects with InvalidConfigError listing every problem, with the stack's own messages, and never opens a workspace", async function () {
        const err = await rejection(up(deploy({ config: broken, workspaceFactory: neverCalled() })));
        assert.ok(err instanceof InvalidConfigError, `got ${err.name}: ${err.message}`);
        const expected = parseBacklineConfig(toStackConfigValues(broken, render));
        assert.ok(!expected.ok);
        assert.deepStrictEqual(err.problems, expected.problems);
        const keys = err.problems.map((p) => p.key);
        for (const k of ["workers", "baseUrl", "accessKey", "janitor.schedule", "worker.replicaCount"]) {
            assert.ok(keys.includes(k), `no problem for ${k}: ${keys.join(", ")}`);
        }
        assert.match(err.message, /Invalid Backline configuration \(5 problems\)/);
        assert.match(err.message, /did you mean `worker`/);
        assert.ok(!everythingIn(err).includes(ACCESS_KEY), "the access key appears in the error");
    });

    it("preview rejects the same way", async function () {
        const err = await rejection(preview(deploy({ config: broken, workspaceFactory: neverCalled() })));
        assert.ok(err instanceof InvalidConfigError);
    });

    it("refuses a missing target, kubernetes inside config, render mode with a context, a bad stack name", async function () {
        const problems = validateDeployment({
            stackName: "bad name!",
            config: { ...minimal, kubernetes: { context: "x" } } as unknown as BacklineSettings,
            kubernetes: { renderToDirectory: "/tmp/x", context: "prod" } as unknown as KubernetesTarget,
        });
        const keys = problems.map((p) => p.key);
        assert.deepStrictEqual(keys.sort(), ["kubernetes", "kubernetes.renderToDirectory", "stackName"]);
        assert.match(problems.find((p) => p.key === "kubernetes")!.message, /not part of `config`/);

        const err = await rejection(
            up({
                ...deploy({ workspaceFactory: neverCalled() }),
                kubernetes: undefined as unknown as KubernetesTarget,
            }),
        );
        assert.ok(err instanceof InvalidConfigError);
        assert.deepStrictEqual(
            err.problems.map((p) => p.key),
            ["kubernetes"],
        );
    });

    it("asks for a passphrase when the passphrase provider has none", async function () {
        const saved = { p: process.env.PULUMI_CONFIG_PASSPHRASE, f: process.env.PULUMI_CONFIG_PASSPHRASE_FILE };
        delete process.env.PULUMI_CONFIG_PASSPHRASE;
        delete process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
        try {
            const err = await rejection(up({ ...deploy({ workspaceFactory: neverCalled() }), passphrase: undefined }));
            assert.ok(err instanceof InvalidConfigError);
            assert.deepStrictEqual(
                err.problems.map((p) => p.key),
                ["passphrase"],
            );
            // Another provider needs none.
            const { factory } = fakeFactory();
            await up({
                ...deploy({ workspaceFactory: factory }),
                passphrase: undefined,
                secretsProvider: "awskms://alias/backline",
            });
        } finally {
            if (saved.p !== undefined) process.env.PULUMI_CONFIG_PASSPHRASE = saved.p;
            if (saved.f !== undefined) process.env.PULUMI_CONFIG_PASSPHRASE_FILE = saved.f;
        }
    });
});

describe("automation: operations on a fake stack", function () {
    it("up: writes the config (remove, plain, then secrets), refreshes, and returns the summary and typed outputs", async function () {
        const { factory, requests, stack } = fakeFactory();
        stack.configKeysNow = ["backline:baseUrl", "backline:janitor", "backline:typo"];
        const lines: string[] = [];
        const events: automation.EngineEvent[] = [];
        const result = await up(
            deploy({
                workspaceFactory: factory,
                config: { ...minimal, janitor: undefined },
                onOutput: (l) => lines.push(l),
                onEvent: (e) => events.push(e),
            }),
        );
        assert.deepStrictEqual(stack.methods(), [
            "configKeys",
            "snapshotConfig",
            "removeConfig",
            "setConfigJson",
            "setSecretConfig",
            "up",
        ]);
        assert.deepStrictEqual(stack.calls[2].args[0], removedUnlessSet("backline:typo"));
        const json = JSON.parse(stack.calls[3].args[0] as string);
        assert.deepStrictEqual(json["backline:worker"].objectValue, minimal.worker);
        assert.deepStrictEqual(stack.calls[4].args, ["backline:accessKey", ACCESS_KEY, false]);
        const upOpts = stack.calls[5].args[0] as automation.UpOptions;
        assert.strictEqual(upOpts.refresh, false, "render mode: no cluster to refresh from");

        assert.strictEqual(requests.length, 1);
        assert.strictEqual(requests[0].create, true);
        assert.strictEqual(requests[0].backendUrl, `file://${stateDir}`);
        assert.strictEqual(requests[0].envVars.PULUMI_CONFIG_PASSPHRASE, PASSPHRASE);
        assert.strictEqual(requests[0].envVars.PULUMI_SKIP_UPDATE_CHECK, "true");
        assert.strictEqual(requests[0].workDir, path.join(stateDir, "project"), "the project folder under dataDir");
        assert.strictEqual(requests[0].generateProject, true, "the default project folder is generated");

        assert.strictEqual(result.stackName, "dev");
        assert.strictEqual(result.summary.created, 20);
        assert.strictEqual(result.summary.same, 1);
        assert.strictEqual(result.summary.updated, 0);
        assert.ok(result.summary.durationMs >= 0);
        assert.deepStrictEqual(result.outputs, {
            namespace: "backline",
            workerDeployment: "worker",
            workerService: "worker",
            janitorCronJob: "janitor",
            claimName: "worker-storage",
            storageClassName: "nfs-rwx",
            workerImageUpdates: "janitor",
            jobAdmissionPolicy: "backline-worker-jobs-backline",
        });
        // Chunks become lines.
        assert.deepStrictEqual(lines, [
            "Updating (dev)",
            "  + kubernetes:core/v1:Namespace backline created",
            "Resources:",
            "    + 20 created",
            "Duration: 3s",
        ]);
        assert.strictEqual(events.length, 1);
    });

    it("onOutput never sees the access key, and a throwing callback does not fail the update", async function () {
        const { factory, stack } = fakeFactory();
        stack.upImpl = async (o) => {
            o.onOutput?.(`echo ${ACCESS_KEY}\n`);
            return {
                stdout: "",
                stderr: "",
                outputs: deployedOutputs,
                summary: { resourceChanges: {} } as unknown as automation.UpdateSummary,
            };
        };
        const lines: string[] = [];
        const warnings: string[] = [];
        const onWarning = (w: Error) => warnings.push(w.message);
        process.on("warning", onWarning);
        try {
            await up(deploy({ workspaceFactory: factory, onOutput: (l) => lines.push(l) }));
            await up(
                deploy({
                    workspaceFactory: factory,
                    onOutput: () => {
                        throw new Error("host bug");
                    },
                }),
            );
            await new Promise((r) => setImmediate(r));
        } finally {
            process.off("warning", onWarning);
        }
        assert.deepStrictEqual(lines, ["echo [secret]"]);
        assert.ok(
            warnings.some((w) => w.includes("host bug")),
            JSON.stringify(warnings),
        );
    });

    it("preview: summary of what up would do, the current outputs", async function () {
        const { factory, stack } = fakeFactory();
        const result = await preview(
            deploy({ workspaceFactory: factory, kubernetes: { kubeconfig: "/etc/kube/config" } }),
        );
        assert.strictEqual(
            (stack.calls.find((c) => c.method === "preview")!.args[0] as automation.PreviewOptions).refresh,
            true,
        );
        assert.deepStrictEqual([result.summary.created, result.summary.updated, result.summary.same], [3, 1, 17]);
        assert.strictEqual(result.outputs?.namespace, "backline");
    });

    it("destroy (with removeStack) and outputs need no configuration", async function () {
        const { factory, requests, stack } = fakeFactory();
        const d = await destroy({
            stackName: "dev",
            stateDir,
            passphrase: PASSPHRASE,
            workspaceFactory: factory,
            removeStack: true,
        });
        assert.strictEqual(d.summary.deleted, 19);
        assert.deepStrictEqual(stack.methods(), ["configValue", "destroy", "removeStack"]);
        assert.strictEqual(requests[0].create, false);
        const o = await outputs({ stackName: "dev", stateDir, passphrase: PASSPHRASE, workspaceFactory: factory });
        assert.strictEqual(o?.claimName, "worker-storage");
    });
});

describe("automation: render mode", function () {
    // No cluster to refresh from: the provider would fail every read (see automation/index.ts).
    it("up/preview of a rendering stack run with --refresh=false; with a cluster they refresh", async function () {
        const rendering = fakeFactory();
        await up(deploy({ workspaceFactory: rendering.factory }));
        assert.deepStrictEqual(rendering.stack.extraArgs, ["--refresh=false"]);
        assert.strictEqual(
            (rendering.stack.calls.find((c) => c.method === "up")!.args[0] as automation.UpOptions).refresh,
            false,
        );
        const cluster = fakeFactory();
        await preview(deploy({ workspaceFactory: cluster.factory, kubernetes: { context: "prod" } }));
        assert.deepStrictEqual(cluster.stack.extraArgs, []);
        assert.strictEqual(
            (cluster.stack.calls.find((c) => c.method === "preview")!.args[0] as automation.PreviewOptions).refresh,
            true,
        );
    });

    it("destroy looks at the stack's kubernetes config to know; refresh of a rendering stack runs nothing", async function () {
        const rendering = fakeFactory();
        rendering.stack.configValues["backline:kubernetes"] = JSON.stringify({ renderYamlToDirectory: "/tmp/r" });
        await destroy({ stackName: "dev", stateDir, passphrase: PASSPHRASE, workspaceFactory: rendering.factory });
        assert.deepStrictEqual(rendering.stack.extraArgs, ["--refresh=false"]);
        const r = await refresh({
            stackName: "dev",
            stateDir,
            passphrase: PASSPHRASE,
            workspaceFactory: rendering.factory,
        });
        assert.match(r.skipped ?? "", /renders manifests/);
        assert.ok(!rendering.stack.methods().includes("refresh"));

        const cluster = fakeFactory();
        cluster.stack.configValues["backline:kubernetes"] = JSON.stringify({ kubeconfig: "/k", context: "prod" });
        await destroy({ stackName: "dev", stateDir, passphrase: PASSPHRASE, workspaceFactory: cluster.factory });
        assert.deepStrictEqual(cluster.stack.extraArgs, []);
        assert.strictEqual(
            (cluster.stack.calls.find((c) => c.method === "destroy")!.args[0] as automation.DestroyOptions).refresh,
            true,
        );
        const r2 = await refresh({
            stackName: "dev",
            stateDir,
            passphrase: PASSPHRASE,
            workspaceFactory: cluster.factory,
        });
        assert.strictEqual(r2.skipped, undefined);
        assert.strictEqual(r2.summary.same, 21);
    });
});

describe("automation: error classification", function () {
    it("maps the SDK's ConcurrentUpdateError (stack locked by another process) and restores the stack config", async function () {
        const sdkErr = sdkCommandError("", lockedStderr);
        assert.ok(
            sdkErr instanceof automation.ConcurrentUpdateError,
            "the SDK classifies this stderr as ConcurrentUpdateError",
        );
        const { factory, stack } = fakeFactory();
        stack.upImpl = async () => {
            throw sdkErr;
        };
        const err = await rejection(up(deploy({ workspaceFactory: factory })));
        assert.ok(err instanceof ConcurrentUpdateError, `got ${err.name}: ${err.message}`);
        assert.strictEqual(err.stackName, "dev");
        assert.match(err.detail, /currently locked by 1 lock/);
        assert.strictEqual(stack.restored, 1, "the configuration written for the refused update was not put back");
    });

    it("a second operation on the same stack in this process is refused at once; other stacks run", async function () {
        let release!: () => void;
        const gate = new Promise<void>((r) => (release = r));
        const { factory, requests, stack } = fakeFactory();
        const original = stack.upImpl;
        stack.upImpl = async (o) => {
            await gate;
            return original(o);
        };
        const first = up(deploy({ workspaceFactory: factory }));
        await new Promise((r) => setImmediate(r));
        const second = await rejection(up(deploy({ workspaceFactory: factory })));
        assert.ok(second instanceof ConcurrentUpdateError);
        assert.match(second.message, /`up` started from this process/);
        const other = await up(
            deploy({ stackName: "other", workspaceFactory: fakeFactory(new FakeStack("other")).factory }),
        );
        assert.strictEqual(other.stackName, "other");
        release();
        assert.strictEqual((await first).summary.created, 20);
        assert.strictEqual(requests.length, 1, "the refused call opened a workspace");
        // Released: the stack can be updated again.
        await up(deploy({ workspaceFactory: factory }));
    });

    it("EngineMissingError when no pulumi CLI is found, saying where it looked and how to build one", async function () {
        const empty = fs.mkdtempSync(path.join(os.tmpdir(), "no-engine-"));
        try {
            assert.throws(
                () => locateEngine({ env: { PATH: empty }, root: empty }),
                (e: unknown) => e instanceof EngineMissingError && e.missing === "pulumi" && e.searched.includes(empty),
            );
            // Through the API with the default factory: rejected before any engine call.
            const err = await rejection(up(deploy({ engineBinDir: empty })));
            assert.ok(err instanceof EngineMissingError, `got ${err.name}: ${err.message}`);
            assert.match(err.message, /No Pulumi CLI found/);
            assert.match(err.message, /scripts\/build-engine\.sh/);
            assert.match(err.message, /install Pulumi/);
        } finally {
            fs.rmSync(empty, { recursive: true, force: true });
        }
    });

    it("EngineMissingError when the CLI cannot be spawned, or a language host or plugin is missing", function () {
        const ctx = { operation: "up" as const, stackName: "dev", secrets: [ACCESS_KEY] };
        const spawnErr = Object.assign(new Error("spawn pulumi ENOENT"), { code: "ENOENT" });
        const e1 = classifyEngineError(sdkCommandError("", "spawn pulumi ENOENT", -2, spawnErr), ctx);
        assert.ok(e1 instanceof EngineMissingError && e1.missing === "pulumi");
        const e2 = classifyEngineError(
            sdkCommandError(
                "",
                "error: failed to load language plugin nodejs: no language plugin 'pulumi-language-nodejs' found in the workspace or on your $PATH",
            ),
            ctx,
        );
        assert.ok(e2 instanceof EngineMissingError && e2.missing === "pulumi-language-nodejs", e2.message);
        const e3 = classifyEngineError(
            sdkCommandError(
                "    error: no resource plugin 'pulumi-resource-aws' found in the workspace at version v7.48.0 or on your $PATH\n",
                "",
            ),
            ctx,
        );
        assert.ok(e3 instanceof EngineMissingError && e3.missing === "pulumi-resource-aws", e3.message);
    });

    it("UpdateFailedError with the engine's message and output tails, never the access key or passphrase", async function () {
        const stdout = `Updating (dev)\n  kubernetes:apps/v1:Deployment worker **failed** BACKLINE_ACCESS_KEY=${ACCESS_KEY}\nResources:\n    1 errored\n`;
        const stderr = `error: update failed: Deployment "worker" is invalid (key ${ACCESS_KEY}, passphrase ${PASSPHRASE})\n`;
        const { factory, stack } = fakeFactory();
        stack.upImpl = async (o) => {
            o.onEvent?.({
                sequence: 2,
                timestamp: 0,
                diagnosticEvent: {
                    message: `<{%reset%}>Deployment "worker" is invalid: ${ACCESS_KEY}<{%reset%}>\n`,
                    color: "raw",
                    severity: "error",
                },
            });
            throw sdkCommandError(stdout, stderr);
        };
        const err = await rejection(up(deploy({ workspaceFactory: factory })));
        assert.ok(err instanceof UpdateFailedError, `got ${err.name}: ${err.message}`);
        assert.strictEqual(err.operation, "up");
        assert.strictEqual(err.exitCode, 255);
        assert.strictEqual(err.engineMessage, 'Deployment "worker" is invalid: [secret]');
        assert.match(err.message, /up of stack "dev" failed: Deployment "worker" is invalid/);
        assert.match(err.stdoutTail, /1 errored/);
        assert.match(err.stderrTail, /update failed/);
        const all = everythingIn(err) + err.stdoutTail + err.stderrTail + err.engineMessage;
        assert.ok(!all.includes(ACCESS_KEY), "the access key appears in the error");
        assert.ok(!all.includes(PASSPHRASE), "the passphrase appears in the error");
        assert.strictEqual(stack.restored, 0, "a failed update keeps the configuration it ran with");
    });

    it("UpdateFailedError falls back to the engine's `error:` lines when it sent no diagnostics", function () {
        const err = classifyEngineError(
            sdkCommandError("Previewing update (dev)\n", `warning: x\nerror: something broke with ${ACCESS_KEY}\n`),
            {
                operation: "preview",
                stackName: "dev",
                secrets: [ACCESS_KEY],
            },
        );
        assert.ok(err instanceof UpdateFailedError);
        assert.strictEqual(err.engineMessage, "error: something broke with [secret]");
    });

    it("UpdateFailedError takes the real streams and exit code from the CLI's process error (the SDK reports code -2)", function () {
        const proc = Object.assign(
            new Error(`Command failed with exit code 1: pulumi up --yes\nUpdating (dev)\nerror: boom ${ACCESS_KEY}`),
            {
                exitCode: 1,
                stdout: "Updating (dev)\n    error: boom\nResources:\n    1 errored\n",
                stderr: `error: update failed ${ACCESS_KEY}\n`,
            },
        );
        const err = classifyEngineError(sdkCommandError("", proc.message, -2, proc), {
            operation: "up",
            stackName: "dev",
            secrets: [ACCESS_KEY],
        });
        assert.ok(err instanceof UpdateFailedError);
        assert.strictEqual(err.exitCode, 1);
        assert.strictEqual(err.stdoutTail, "Updating (dev)\n    error: boom\nResources:\n    1 errored");
        assert.strictEqual(err.stderrTail, "error: update failed [secret]");
        assert.strictEqual(err.engineMessage, "error: update failed [secret]\nerror: boom");
        assert.ok(!everythingIn(err).includes(ACCESS_KEY));
    });

    it("StackNotFoundError for outputs of a stack that does not exist", async function () {
        const factory: WorkspaceFactory = async () => {
            throw sdkCommandError("", "error: no stack named 'nope' found");
        };
        const err = await rejection(
            outputs({ stackName: "nope", stateDir, passphrase: PASSPHRASE, workspaceFactory: factory }),
        );
        assert.ok(err instanceof StackNotFoundError, `got ${err.name}: ${err.message}`);
    });
});

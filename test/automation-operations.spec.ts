/**
 * The Automation API's operations on a fake stack: the order in which `up` writes the stack's
 * configuration, what each operation returns and streams, that output never carries the access
 * key, and why a stack that renders manifests is never refreshed. No engine (see
 * test/support/automation-fakes.ts); test/e2e/automation.e2e.ts runs the real one.
 */
import * as assert from "assert";
import * as path from "path";
import type * as automation from "@pulumi/pulumi/automation";
import { destroy, outputs, preview, refresh, up } from "../automation";
import {
    ACCESS_KEY,
    PASSPHRASE,
    deploy,
    deployedOutputs,
    fakeFactory,
    minimal,
    removedUnlessSet,
    stateDir,
} from "./support/automation-fakes";

describe("automation: operations on a fake stack", function () {
    it("up: writes the config (remove, plain, then secrets), refreshes, and returns the summary and typed outputs", async function () {
        const { factory, requests, stack } = fakeFactory();
        stack.configKeysNow = ["backline:baseUrl", "backline:janitor", "backline:typo"];
        // The engine takes 25 ms here; its own summary claims 1000 ms (startTime 0, endTime 1 s).
        const engineUp = stack.upImpl;
        stack.upImpl = (o) => new Promise((resolve) => setTimeout(() => resolve(engineUp(o)), 25));
        const lines: string[] = [];
        const events: automation.EngineEvent[] = [];
        const called = Date.now();
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
        // durationMs is the wall time of the engine's operation, measured around it.
        const elapsed = Date.now() - called;
        assert.ok(
            result.summary.durationMs >= 20 && result.summary.durationMs <= elapsed,
            `durationMs ${result.summary.durationMs}, expected 20 to ${elapsed}`,
        );
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
    // No cluster to refresh from: the provider would fail every read (see `refresh` in automation/prepare.ts).
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

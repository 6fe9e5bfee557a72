/**
 * Fleet rollouts (automation/fleet.ts) against a fake backend reached through `workspaceFactory`
 * (test/support/fake-backend.ts) and a fake health gate: waves, the concurrency bound, stopping,
 * reverting, resuming from what the backend recorded, cancelling, the report.
 * test/e2e/fleet.e2e.ts runs the same on the real engine, PostgreSQL and two control planes.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    BacklineSettings,
    ConcurrentUpdateError,
    FleetProgressEvent,
    FleetStack,
    GateTarget,
    HealthGate,
    RolloutOptions,
    UpdateFailedError,
    rollout,
} from "../automation";
import { FakeBackend, UpRecord } from "./support/fake-backend";

const ACCESS_KEY = "bk_live_fleet_0123456789SECRET";
const PASSPHRASE = "fleet unit test passphrase";

function settings(replicaCount = 1): BacklineSettings {
    return {
        baseUrl: "https://app.backline.ai",
        accessKey: ACCESS_KEY,
        worker: { replicaCount, otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-rwx" } } },
    };
}

function fleet(n: number): FleetStack[] {
    return Array.from({ length: n }, (_, i) => ({
        stackName: `site-${i + 1}`,
        config: settings(),
        kubernetes: { kubeconfig: `/etc/kube/site-${i + 1}.yaml` },
    }));
}

const good = { worker: { image: { tag: "v2" } } };
const bad = { worker: { image: { tag: "never-ready" } } };

/** Healthy unless the stack now runs the image tag `never-ready` (or `unhealthy` says so). */
function fakeGate(backend: FakeBackend, seen: GateTarget[] = [], unhealthy = (_s: string) => false): HealthGate {
    return async (t) => {
        seen.push(t);
        const worker = backend.current(t.stackName)["backline:worker"] as { image?: { tag?: string } } | undefined;
        const tag = worker?.image?.tag;
        return tag === "never-ready" || unhealthy(t.stackName)
            ? { healthy: false, detail: `Deployment worker: 0 of 1 updated replicas available (${tag})` }
            : { healthy: true, detail: `Deployment worker available (${tag ?? "default"})` };
    };
}

describe("fleet rollouts (fake backend)", function () {
    let stateDir: string;
    let backend: FakeBackend;
    before(() => (stateDir = fs.mkdtempSync(path.join(os.tmpdir(), "fleet-spec-"))));
    after(() => fs.rmSync(stateDir, { recursive: true, force: true }));
    beforeEach(() => (backend = new FakeBackend()));

    function options(over: Partial<RolloutOptions> = {}): RolloutOptions {
        return {
            stacks: fleet(5),
            change: good,
            stateDir,
            passphrase: PASSPHRASE,
            workspaceFactory: backend.factory,
            healthGate: fakeGate(backend),
            gateIntervalMs: 5,
            gateTimeoutMs: 200,
            ...over,
        };
    }

    /** Deploys every stack with its own configuration first, as the fleet was before the change. */
    async function deployed(stacks: readonly FleetStack[]): Promise<void> {
        for (const s of stacks) {
            await rollout(options({ stacks: [s], change: { janitor: { schedule: "@hourly" } }, waves: ["100%"] }));
        }
        // The "before" of the tests below is that state.
        stacks.forEach(
            (s, i) =>
                ((stacks as FleetStack[])[i] = { ...s, config: { ...s.config, janitor: { schedule: "@hourly" } } }),
        );
        backend.timeline.length = 0;
        backend.ops.length = 0;
        backend.peak = 0;
    }

    function wavesOf(records: readonly UpRecord[], waves: readonly string[][]): void {
        for (let w = 1; w < waves.length; w++) {
            const endPrev = Math.max(...records.filter((r) => waves[w - 1].includes(r.stackName)).map((r) => r.end));
            const startNext = Math.min(...records.filter((r) => waves[w].includes(r.stackName)).map((r) => r.start));
            assert.ok(endPrev <= startNext, `wave ${w + 1} started before wave ${w} ended`);
        }
    }

    it("rolls a change out in waves, at most `concurrency` stacks at once, every stack updated and gated", async function () {
        const stacks = fleet(5);
        await deployed(stacks);
        const events: FleetProgressEvent[] = [];
        const seen: GateTarget[] = [];
        const report = await rollout(
            options({
                stacks,
                waves: [1, "50%", "100%"],
                concurrency: 2,
                healthGate: fakeGate(backend, seen),
                onProgress: (e) => events.push(e),
            }),
        );
        assert.strictEqual(report.outcome, "completed", report.reason);
        assert.deepStrictEqual(
            report.waves.map((w) => w.stacks),
            [["site-1"], ["site-2", "site-3"], ["site-4", "site-5"]],
        );
        assert.deepStrictEqual(
            report.stacks.map((s) => s.outcome),
            Array(5).fill("updated"),
        );
        assert.deepStrictEqual(
            report.stacks.map((s) => s.deployed),
            Array(5).fill("before"),
        );
        wavesOf(
            backend.timeline,
            report.waves.map((w) => [...w.stacks]),
        );
        assert.strictEqual(backend.peak, 2, "two stacks of a wave ran at once");
        assert.strictEqual(report.peakConcurrency, 2);
        for (const s of stacks) {
            assert.deepStrictEqual((backend.current(s.stackName)["backline:worker"] as { image: unknown }).image, {
                tag: "v2",
            });
        }
        assert.deepStrictEqual(
            seen.map((t) => t.phase),
            Array(5).fill("rollout"),
        );
        assert.strictEqual(seen[0].outputs.namespace, "backline");
        const s1 = report.stacks[0];
        assert.ok(s1.rollout?.summary && s1.rollout.gate?.healthy && s1.rollout.gate.checks === 1);
        assert.deepStrictEqual(s1.after.worker?.image, { tag: "v2" });
        assert.strictEqual(s1.before.worker?.image, undefined);
        assert.strictEqual(s1.after.accessKey, "[secret]");
        assert.ok(!JSON.stringify(report).includes(ACCESS_KEY), "the report holds the access key");
        assert.ok(!JSON.stringify(events).includes(ACCESS_KEY), "an event holds the access key");
        assert.deepStrictEqual(
            events.filter((e) => e.type === "wave-start" || e.type === "wave-done").map((e) => `${e.type} ${e.wave}`),
            ["wave-start 1", "wave-done 1", "wave-start 2", "wave-done 2", "wave-start 3", "wave-done 3"],
        );
        assert.strictEqual(events[0].type, "plan");
        assert.strictEqual(events.at(-1)?.type, "done");
    });

    it("concurrency 1 updates one stack at a time, in the given order", async function () {
        const report = await rollout(options({ stacks: fleet(3), waves: ["100%"], concurrency: 1 }));
        assert.strictEqual(report.outcome, "completed");
        assert.strictEqual(backend.peak, 1);
        assert.deepStrictEqual(
            backend.timeline.map((r) => r.stackName),
            ["site-1", "site-2", "site-3"],
        );
    });

    it("a bad change stops after the canary: the canary is reverted and healthy, the others never change", async function () {
        const stacks = fleet(4);
        await deployed(stacks);
        const seen: GateTarget[] = [];
        const report = await rollout(
            options({ stacks, change: bad, waves: [1, "100%"], healthGate: fakeGate(backend, seen) }),
        );
        assert.strictEqual(report.outcome, "stopped");
        assert.match(report.reason ?? "", /wave 1 failed: site-1 \(reverted\)/);
        assert.deepStrictEqual(
            report.stacks.map((s) => s.outcome),
            ["reverted", "skipped", "skipped", "skipped"],
        );
        assert.deepStrictEqual(
            report.waves.map((w) => w.outcome),
            ["failed", "skipped"],
        );
        const canary = report.stacks[0];
        assert.strictEqual(canary.rollout?.gate?.healthy, false);
        assert.match(canary.rollout?.gate?.detail ?? "", /not healthy after 200 ms: .*never-ready/);
        assert.ok((canary.rollout?.gate?.checks ?? 0) > 1, "the gate was asked again until the timeout");
        assert.strictEqual(canary.revert?.gate?.healthy, true);
        assert.deepStrictEqual(seen.map((t) => t.phase).at(-1), "revert");
        // The canary runs its previous configuration again; the others were never touched.
        assert.deepStrictEqual(
            backend.upsOf("site-1").map((u) => (u.config["backline:worker"] as { image?: unknown }).image),
            [{ tag: "never-ready" }, undefined],
        );
        assert.strictEqual((backend.current("site-1")["backline:janitor"] as { schedule: string }).schedule, "@hourly");
        for (const s of ["site-2", "site-3", "site-4"]) assert.deepStrictEqual(backend.upsOf(s), []);
    });

    it("a failed gate in a wave lets the running stacks finish and starts no other one", async function () {
        const report = await rollout(
            options({
                stacks: fleet(5),
                waves: [1, "100%"],
                concurrency: 2,
                // site-2 fails while site-3, slower, is still being looked at.
                healthGate: async (t) => {
                    if (t.stackName === "site-3") await new Promise((r) => setTimeout(r, 100));
                    return t.stackName === "site-2"
                        ? { healthy: false, final: true, detail: "Deployment worker exceeded its progress deadline" }
                        : { healthy: true, detail: "ok" };
                },
            }),
        );
        assert.strictEqual(report.outcome, "stopped");
        assert.deepStrictEqual(
            report.stacks.map((s) => s.outcome),
            ["updated", "revert-failed", "updated", "skipped", "skipped"],
        );
        // site-2 stays unhealthy after its revert too (the gate says so): revert-failed, to look at.
        assert.strictEqual(report.stacks[1].revert?.gate?.healthy, false);
        assert.deepStrictEqual(backend.upsOf("site-4"), []);
    });

    it("re-running a stopped rollout resumes it: stacks the backend shows with the change are verified, not updated", async function () {
        const stacks = fleet(4);
        let broken = "site-3";
        const gate = fakeGate(backend, [], (s) => s === broken);
        const first = await rollout(options({ stacks, waves: [1, 2, "100%"], concurrency: 1, healthGate: gate }));
        assert.strictEqual(first.outcome, "stopped");
        assert.deepStrictEqual(
            first.stacks.map((s) => s.outcome),
            ["updated", "updated", "revert-failed", "skipped"],
        );

        broken = "";
        backend.ops.length = 0;
        const second = await rollout(options({ stacks, waves: [1, 2, "100%"], concurrency: 1, healthGate: gate }));
        assert.strictEqual(second.outcome, "completed", second.reason);
        assert.deepStrictEqual(
            second.stacks.map((s) => s.deployed),
            ["target", "target", "before", "none"],
        );
        assert.deepStrictEqual(
            second.stacks.map((s) => s.outcome),
            ["verified", "verified", "updated", "updated"],
        );
        assert.deepStrictEqual(
            backend.ops.filter((o) => o.op === "up").map((o) => o.stackName),
            ["site-3", "site-4"],
        );
        assert.strictEqual(second.stacks[0].rollout?.summary, undefined, "a verified stack ran no up");

        // Nothing left to do: a third run only verifies.
        const third = await rollout(options({ stacks, waves: [1, 2, "100%"], concurrency: 1, healthGate: gate }));
        assert.deepStrictEqual(
            third.stacks.map((s) => s.outcome),
            Array(4).fill("verified"),
        );
    });

    it("a stack changed by hand since is neither `before` nor `target`: it is updated", async function () {
        const stacks = fleet(1);
        await deployed(stacks);
        await rollout(
            options({
                stacks: [{ ...stacks[0], config: settings(3) }],
                change: { janitor: { schedule: "@daily" } },
                waves: ["100%"],
            }),
        );
        const report = await rollout(options({ stacks, waves: ["100%"] }));
        assert.strictEqual(report.stacks[0].deployed, "other");
        assert.strictEqual(report.stacks[0].outcome, "updated");
    });

    it("an up the engine refuses (another update holds the stack) changed nothing: `failed`, no revert, the rollout stops", async function () {
        backend.failUp = (s) =>
            s === "site-1" ? new ConcurrentUpdateError(s, "the stack is currently locked by 1 lock(s)") : undefined;
        const report = await rollout(options({ stacks: fleet(3), waves: [1, "100%"] }));
        assert.strictEqual(report.outcome, "stopped");
        assert.deepStrictEqual(
            report.stacks.map((s) => s.outcome),
            ["failed", "skipped", "skipped"],
        );
        assert.strictEqual(report.stacks[0].revert, undefined);
        assert.strictEqual(report.stacks[0].rollout?.error?.kind, "concurrent-update");
        assert.strictEqual(backend.upsOf("site-1").length, 1);
    });

    it("an up that fails half-way is reverted", async function () {
        let calls = 0;
        backend.failUp = () =>
            calls++ === 0
                ? new UpdateFailedError({
                      operation: "up",
                      stackName: "site-1",
                      engineMessage: "boom",
                      stdoutTail: "",
                      stderrTail: "",
                  })
                : undefined;
        const report = await rollout(options({ stacks: fleet(2), waves: [1, "100%"] }));
        assert.deepStrictEqual(
            report.stacks.map((s) => s.outcome),
            ["reverted", "skipped"],
        );
        assert.strictEqual(report.stacks[0].rollout?.error?.kind, "update-failed");
        assert.ok(report.stacks[0].revert?.summary);
    });

    it("a gate that says waiting cannot help fails at once, not at the timeout", async function () {
        const report = await rollout(
            options({
                stacks: fleet(2),
                waves: [1, "100%"],
                gateTimeoutMs: 60_000,
                healthGate: async (t) =>
                    t.phase === "rollout"
                        ? { healthy: false, final: true, detail: "janitor Job janitor-install-x failed" }
                        : { healthy: true, detail: "ok" },
            }),
        );
        assert.deepStrictEqual(
            report.stacks.map((s) => s.outcome),
            ["reverted", "skipped"],
        );
        assert.strictEqual(report.stacks[0].rollout?.gate?.checks, 1);
        assert.ok(report.durationMs < 10_000);
    });

    it("a gate that throws is asked again; its error is the detail", async function () {
        let n = 0;
        const report = await rollout(
            options({
                stacks: fleet(1),
                waves: ["100%"],
                healthGate: async () => {
                    if (n++ < 2) throw new Error("connect ECONNREFUSED 127.0.0.1:6443");
                    return { healthy: true, detail: "ok" };
                },
            }),
        );
        assert.strictEqual(report.stacks[0].outcome, "updated");
        assert.strictEqual(report.stacks[0].rollout?.gate?.checks, 3);
    });

    it("the caller's signal cancels: running stacks are cancelled, not reverted; later waves are skipped", async function () {
        const ac = new AbortController();
        const report = await rollout(
            options({
                stacks: fleet(3),
                waves: [1, "100%"],
                gateTimeoutMs: 60_000,
                signal: ac.signal,
                healthGate: async () => {
                    setTimeout(() => ac.abort(), 10);
                    return { healthy: false, detail: "waiting" };
                },
            }),
        );
        assert.strictEqual(report.outcome, "cancelled");
        assert.deepStrictEqual(
            report.stacks.map((s) => s.outcome),
            ["cancelled", "skipped", "skipped"],
        );
        assert.strictEqual(report.stacks[0].revert, undefined);
    });

    it("the gate gets the stack's environment: this process's, the fleet's, the stack's", async function () {
        const seen: GateTarget[] = [];
        const stacks = fleet(2).map((s, i) => (i === 1 ? { ...s, env: { KUBECONFIG: "/etc/kube/second" } } : s));
        await rollout(
            options({
                stacks,
                waves: ["100%"],
                env: { KUBECONFIG: "/etc/kube/fleet" },
                healthGate: fakeGate(backend, seen),
            }),
        );
        const env = (name: string) => seen.find((t) => t.stackName === name)?.env;
        assert.strictEqual(env("site-1")?.KUBECONFIG, "/etc/kube/fleet");
        assert.strictEqual(env("site-2")?.KUBECONFIG, "/etc/kube/second");
        assert.strictEqual(env("site-1")?.PATH, process.env.PATH);
    });

    it("each stack's engine output reaches onOutput with the stack's name", async function () {
        const lines: string[] = [];
        await rollout(options({ stacks: fleet(2), waves: ["100%"], onOutput: (s, l) => lines.push(`${s}: ${l}`) }));
        assert.deepStrictEqual(lines.sort(), ["site-1: Updating (site-1)", "site-2: Updating (site-2)"]);
    });
});

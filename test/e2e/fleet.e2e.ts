/**
 * Fleet rollouts end to end (automation/fleet.ts): the real engine and program, four stacks in
 * Pulumi's PostgreSQL backend (test/support/postgres.ts), two control planes with simulated nodes
 * (test/support/apiserver.ts with kwok: pods become Ready, Jobs complete, except pods of the image
 * `never-ready`, which kwok keeps in ImagePullBackOff), and the default health gate reading them.
 *
 * When each update held its stack is read from the backend itself: a trigger on the engine's table
 * records, with microsecond times, when each lock row was written (the update began) and deleted (it
 * ended). The history rows (`updated_at`) confirm the order.
 *
 *   bash scripts/postgres-deps.sh && scripts/build-engine.sh && scripts/build-kube.sh
 *   npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 900000 test/e2e/fleet.e2e.ts
 */
import * as assert from "assert";
import {
    BacklineSettings,
    FleetReport,
    FleetStack,
    FleetBackendOptions,
    mergePatch,
    rollout,
    stackHistory,
    up,
} from "../../automation";
import { deployedState, planFor, recordedForm } from "../../automation/fleet-plan";
import { ApiServer, findKubeBinaries, useApiServer } from "../support/apiserver";
import { usePostgres } from "../support/postgres";
import { Engine, EngineEnv, engineEnv, findEngine } from "./support/engine";
import { ProjectCopy, copyProject } from "./support/project";
import { stateRows } from "./support/state-table";

const PROJECT = "backline";
const ACCESS_KEY = "bk_e2e_fleet_0123456789SECRET";
const PASSPHRASE = "e2e fleet passphrase";
const WORKER = "580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker";
const BAD_TAG = "never-ready";

interface Interval {
    readonly stack: string;
    readonly start: number;
    readonly end: number;
}

/** Records insertions and deletions of the engine's rows, with the database's clock. */
const AUDIT_SQL = `
CREATE TABLE fleet_audit (at timestamptz NOT NULL DEFAULT clock_timestamp(), op text NOT NULL, key text NOT NULL);
CREATE FUNCTION fleet_audit_row() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN INSERT INTO fleet_audit(op, key) VALUES ('delete', OLD.key); RETURN OLD; END IF;
    INSERT INTO fleet_audit(op, key) VALUES ('insert', NEW.key); RETURN NEW;
END $$;
CREATE TRIGGER fleet_audit AFTER INSERT OR DELETE ON pulumi_state FOR EACH ROW EXECUTE FUNCTION fleet_audit_row();
`;

describe("fleet rollouts (e2e: real engine, PostgreSQL backend, two clusters with simulated nodes)", function () {
    this.timeout(600_000);
    this.slow(240_000);

    let engine: Engine;
    before(function () {
        const found = findEngine((reason) => console.log(`      skipped: Pulumi engine not found: ${reason}`));
        const kube = findKubeBinaries({ kwok: true });
        if (found === null || found.kubernetesPlugin === null || kube.binaries === null) {
            if (found && !found.kubernetesPlugin) console.log("      skipped: no pulumi-resource-kubernetes");
            if (kube.reason) console.log(`      skipped: ${kube.reason}`);
            this.skip();
        }
        engine = found as Engine;
    });
    const pg = usePostgres();
    const kwok = { nodes: 1, neverReadyImages: [`${WORKER}:${BAD_TAG}`] };
    const clusterA = useApiServer({ kwok });
    const clusterB = useApiServer({ kwok });

    let project: ProjectCopy;
    let home: EngineEnv;
    let stacks: FleetStack[];
    const t0 = Date.now();

    function base(namespace: string): BacklineSettings {
        return {
            baseUrl: "https://app.backline.ai",
            accessKey: ACCESS_KEY,
            namespaceOverride: namespace,
            janitor: { schedule: "@hourly" },
            worker: { otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-rwx" } } },
        };
    }

    function shared(): FleetBackendOptions {
        return {
            workDir: project.dir,
            backendUrl: pg().url,
            pulumiHome: home.pulumiHome,
            passphrase: PASSPHRASE,
            engineBinDir: engine.binDir,
            env: {
                PGPASSWORD: pg().password,
                // Without it `pulumi stack ls` can hang on this backend (docs/backend.md); one at a time never does.
                PULUMI_DIY_BACKEND_PARALLEL: "1",
                PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            },
        };
    }

    const clusterOf = (s: FleetStack): ApiServer =>
        (s.kubernetes as { kubeconfig: string }).kubeconfig === clusterA().kubeconfig ? clusterA() : clusterB();

    function worker(s: FleetStack): { image: string; generation: number; ready: string } {
        const r = clusterOf(s).run(["get", "deployment", "worker", "-n", s.config.namespaceOverride!, "-o", "json"]);
        assert.strictEqual(r.status, 0, r.stderr);
        const d = JSON.parse(r.stdout);
        return {
            image: d.spec.template.spec.containers[0].image,
            generation: d.metadata.generation,
            ready: `${d.status.availableReplicas ?? 0}/${d.spec.replicas}`,
        };
    }

    /** Every lock of the project's stacks since `since`: when each update held its stack. */
    function locksSince(since: string): Interval[] {
        const rows = pg().queryJson<{ op: string; key: string; at: string }>(
            `SELECT op, key, to_char(at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at FROM fleet_audit ` +
                `WHERE at > '${since}' AND key LIKE '%/.pulumi/locks/%' ORDER BY at`,
            pg().database,
        );
        const open = new Map<string, number>();
        const out: Interval[] = [];
        for (const r of rows) {
            if (r.op === "insert") open.set(r.key, Date.parse(r.at));
            else if (open.has(r.key)) {
                out.push({ stack: r.key.split("/").at(-2) as string, start: open.get(r.key)!, end: Date.parse(r.at) });
                open.delete(r.key);
            }
        }
        assert.deepStrictEqual([...open.keys()], [], "a lock was never released");
        return out;
    }

    const now = (): string => pg().psql('SELECT to_char(clock_timestamp(), \'YYYY-MM-DD"T"HH24:MI:SS.US"Z"\')');

    function maxOverlap(intervals: readonly Interval[]): number {
        const edges = intervals.flatMap((i) => [
            [i.start, 1],
            [i.end, -1],
        ]);
        edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        let n = 0;
        let max = 0;
        for (const [, d] of edges) max = Math.max(max, (n += d));
        return max;
    }

    function summary(r: FleetReport): string {
        return JSON.stringify(
            r.stacks.map((s) => ({
                s: s.stackName,
                o: s.outcome,
                gate: s.rollout?.gate?.detail,
                err: s.rollout?.error,
                rev: s.revert,
            })),
            null,
            1,
        );
    }

    before(async function () {
        project = copyProject();
        home = engineEnv(engine, { passphrase: PASSPHRASE });
        const target = (c: ApiServer) => ({ kubeconfig: c.kubeconfig, skipAwait: true });
        // Two stacks per cluster, each in its own namespace. `-`, not `_`: docs/backend.md.
        stacks = [
            { stackName: "eu-a", config: base("fleet-a"), kubernetes: target(clusterA()) },
            { stackName: "eu-b", config: base("fleet-b"), kubernetes: target(clusterA()) },
            { stackName: "us-a", config: base("fleet-a"), kubernetes: target(clusterB()) },
            { stackName: "us-b", config: base("fleet-b"), kubernetes: target(clusterB()) },
        ];
        // The fleet as it is before any change: deployed with plain `up`s, two at a time, once the
        // backend's table exists (two `pulumi`s creating it at once fail: docs/backend.md).
        const t = Date.now();
        assert.deepStrictEqual(await stackHistory({ ...shared(), stackName: "eu-a" }), []);
        for (const pair of [stacks.slice(0, 2), stacks.slice(2)]) {
            await Promise.all(
                pair.map((s) =>
                    up({ ...shared(), stackName: s.stackName, config: s.config, kubernetes: s.kubernetes }),
                ),
            );
        }
        pg().psql(AUDIT_SQL, pg().database);
        console.log(
            `      setup: PostgreSQL, two clusters, four stacks deployed in ${Date.now() - t0} ms (ups ${Date.now() - t} ms)`,
        );
    });

    after(() => {
        project?.cleanup();
        home?.cleanup();
    });

    const good = { worker: { image: { tag: "v2-good" } } };
    let goodReport: FleetReport;

    it("rolls a good change out in waves: the canary first, then the rest at most two at a time, every stack healthy", async function () {
        const since = now();
        const events: string[] = [];
        goodReport = await rollout({
            ...shared(),
            stacks,
            change: good,
            waves: [1, "100%"],
            concurrency: 2,
            gateTimeoutMs: 120_000,
            gateIntervalMs: 1_000,
            onProgress: (e) => events.push(e.type === "stack-done" ? `${e.stackName} ${e.outcome}` : e.type),
        });
        console.log(
            `      good change: ${goodReport.durationMs} ms, waves ${goodReport.waves.map((w) => w.durationMs).join(" + ")} ms`,
        );
        assert.strictEqual(goodReport.outcome, "completed", `${goodReport.reason}\n${summary(goodReport)}`);
        assert.deepStrictEqual(
            goodReport.stacks.map((s) => s.outcome),
            ["updated", "updated", "updated", "updated"],
        );
        assert.deepStrictEqual(
            goodReport.stacks.map((s) => s.deployed),
            ["before", "before", "before", "before"],
            // What the backend recorded against what the rollout expected, when they differ.
            JSON.stringify({
                recorded: (await stackHistory({ ...shared(), stackName: "eu-b" }))[1]?.config,
                expected: recordedForm(planFor(stacks[1], stacks[1].config)),
            }),
        );
        assert.deepStrictEqual(
            goodReport.waves.map((w) => w.stacks),
            [["eu-a"], ["eu-b", "us-a", "us-b"]],
        );
        for (const s of goodReport.stacks) {
            assert.match(
                s.rollout?.gate?.detail ?? "",
                /Deployment worker: generation \d+, 1\/1 replicas updated and available; janitor Job janitor-install-\w+ succeeded/,
            );
        }
        assert.ok(!JSON.stringify(goodReport).includes(ACCESS_KEY), "the report holds the access key");

        // The order and the bound, from the backend's own rows.
        const locks = locksSince(since);
        assert.deepStrictEqual(
            locks.map((l) => l.stack).sort(),
            ["eu-a", "eu-b", "us-a", "us-b"],
            JSON.stringify(locks),
        );
        const canary = locks.find((l) => l.stack === "eu-a")!;
        const rest = locks.filter((l) => l.stack !== "eu-a");
        assert.ok(
            rest.every((l) => l.start > canary.end),
            `a stack of wave 2 began before the canary's update ended: ${JSON.stringify(locks)}`,
        );
        assert.strictEqual(
            maxOverlap(rest),
            2,
            `wave 2 held ${maxOverlap(rest)} stacks at once (bound 2): ${JSON.stringify(rest)}`,
        );
        const history = (stack: string) =>
            stateRows(pg(), `history/${PROJECT}/${stack}/`)
                .filter((r) => r.key.endsWith(".history.json"))
                .at(-1)!;
        for (const l of rest)
            assert.ok(
                Date.parse(history("eu-a").updated_at) < l.start,
                "the canary's history row came after wave 2 began",
            );
        // The gate of the canary passed before wave 2 began: it is in the events, in that order.
        assert.ok(
            events.indexOf("eu-a updated") < events.indexOf("wave-start", events.indexOf("wave-done")),
            events.join(", "),
        );

        for (const s of stacks) {
            const w = worker(s);
            assert.strictEqual(w.image, `${WORKER}:v2-good`);
            assert.strictEqual(w.ready, "1/1");
        }
    });

    it("run again, it resumes from what the backend recorded: every stack verified, no update", async function () {
        const since = now();
        const report = await rollout({
            ...shared(),
            stacks,
            change: good,
            waves: [1, "100%"],
            concurrency: 2,
            gateTimeoutMs: 60_000,
        });
        assert.strictEqual(report.outcome, "completed", summary(report));
        assert.deepStrictEqual(
            report.stacks.map((s) => `${s.deployed} ${s.outcome}`),
            Array(4).fill("target verified"),
        );
        assert.deepStrictEqual(locksSince(since), [], "a verified stack was updated");
    });

    it("a bad change (an image that never becomes ready) stops after the canary, which is reverted and available; the other three never change", async function () {
        assert.ok(goodReport, "the good change did not roll out");
        const current = stacks.map((s) => ({ ...s, config: mergePatch(s.config, good) as BacklineSettings }));
        const untouched = current.slice(1).map((s) => ({ name: s.stackName, worker: worker(s) }));
        const since = now();
        const report = await rollout({
            ...shared(),
            stacks: current,
            change: { worker: { image: { tag: BAD_TAG } } },
            waves: [1, "100%"],
            concurrency: 2,
            gateTimeoutMs: 20_000,
            gateIntervalMs: 1_000,
        });
        console.log(
            `      bad change: ${report.durationMs} ms; canary: ${JSON.stringify({ up: report.stacks[0].rollout?.durationMs, revert: report.stacks[0].revert?.durationMs })}`,
        );
        assert.strictEqual(report.outcome, "stopped", summary(report));
        assert.match(report.reason ?? "", /wave 1 failed: eu-a \(reverted\)/);
        assert.deepStrictEqual(
            report.stacks.map((s) => s.outcome),
            ["reverted", "skipped", "skipped", "skipped"],
        );
        const canary = report.stacks[0];
        assert.match(
            canary.rollout?.gate?.detail ?? "",
            /^not healthy after 20000 ms: Deployment worker: (1 old replica\(s\) pending termination|0 of 1 updated replicas available)/,
        );
        assert.strictEqual(canary.revert?.gate?.healthy, true, JSON.stringify(canary.revert));
        assert.deepStrictEqual(canary.after.worker?.image, { tag: BAD_TAG });
        assert.deepStrictEqual(canary.before.worker?.image, { tag: "v2-good" });

        // The canary: two updates (the change, the revert), back on the good image and available.
        assert.deepStrictEqual(
            locksSince(since).map((l) => l.stack),
            ["eu-a", "eu-a"],
        );
        const w = worker(current[0]);
        assert.strictEqual(w.image, `${WORKER}:v2-good`);
        assert.strictEqual(w.ready, "1/1");
        const history = await stackHistory({ ...shared(), stackName: "eu-a" });
        assert.strictEqual(
            deployedState(
                history,
                planFor(current[0], current[0].config),
                planFor(
                    current[0],
                    mergePatch(current[0].config, { worker: { image: { tag: BAD_TAG } } }) as BacklineSettings,
                ),
            ),
            "before",
        );
        // The others: no update, the same Deployment generation and image.
        assert.deepStrictEqual(
            current.slice(1).map((s) => ({ name: s.stackName, worker: worker(s) })),
            untouched,
        );
        console.log(`      suite so far: ${Date.now() - t0} ms`);
    });
});

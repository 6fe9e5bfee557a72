/**
 * The team backend, end to end: Pulumi's DIY `postgres://` backend on a real PostgreSQL server
 * (test/support/postgres.ts), the real engine and program, deploying to a real API server
 * (test/support/apiserver.ts). The cluster has no nodes, so a Deployment rollout never finishes:
 * an `up` that waits for one can be killed half-way, reliably.
 *
 * Two "machines" share the stack `team`, each with its own PULUMI_HOME and its own copy of the
 * project: A uses the CLI (`pulumi login postgres://…`, the password in PGPASSWORD), B the Automation
 * API (`backendUrl`). Assertions read the backend's own rows (test/e2e/support/state-table.ts),
 * `pulumi stack export` and the API server's objects.
 *
 *   bash scripts/postgres-deps.sh && scripts/build-engine.sh && scripts/build-kube.sh
 *   npx mocha --config .mocharc.e2e.json test/e2e/backend.e2e.ts
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { BacklineSettings, ConcurrentUpdateError, DeployOptions, StackOptions, refresh, up } from "../../automation";
import { useApiServer } from "../support/apiserver";
import { PostgresServer, startPostgres, usePostgres } from "../support/postgres";
import { Engine, EngineEnv, RunResult, describeRun, engineEnv, findEngine, runPulumi } from "./support/engine";
import { ProjectCopy, copyProject } from "./support/project";
import { descendants, running } from "./support/proc";
import { checkpoint, historyKeys, locks, stackNames, stateRows, tables } from "./support/state-table";

const PROJECT = "backline";
const STACK = "team";
const ACCESS_KEY = "bk_e2e_backend_0123456789SECRET";
const PASSPHRASE = "e2e team backend passphrase";

interface Machine {
    readonly name: string;
    readonly project: ProjectCopy;
    /** The CLI's environment: its own PULUMI_HOME, the database password in PGPASSWORD. */
    readonly engine: EngineEnv;
}

/** Exported state, as `pulumi stack export` prints it. */
interface Exported {
    readonly deployment: {
        readonly resources?: readonly { urn: string; type: string; outputs?: Record<string, unknown> }[];
        readonly pending_operations?: unknown[];
    };
}

function urns(e: Exported): string[] {
    return (e.deployment.resources ?? []).map((r) => r.urn).sort();
}

function deploymentSpec(e: Exported): unknown {
    return e.deployment.resources?.find((r) => r.type === "kubernetes:apps/v1:Deployment")?.outputs?.spec;
}

/** Polls `fn` until it returns a value; fails early, with its output, when `run` ends first. */
async function waitFor<T>(
    what: string,
    run: { done?: RunResult },
    fn: () => T | undefined,
    timeoutMs = 180_000,
): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const v = fn();
        if (v !== undefined) return v;
        if (run.done) throw new Error(`waiting for ${what}: ${describeRun(["up"], run.done)}`);
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

describe("A team backend: PostgreSQL (e2e, real engine, PostgreSQL and API server)", function () {
    this.timeout(600_000);
    this.slow(120_000);

    let engine: Engine;
    before(function () {
        const found = findEngine((reason) => console.log(`      skipped: Pulumi engine not found: ${reason}`));
        if (found === null || found.kubernetesPlugin === null) {
            if (found) console.log("      skipped: no pulumi-resource-kubernetes (scripts/build-engine.sh)");
            this.skip();
        }
        engine = found as Engine;
    });
    const pg = usePostgres();
    const kube = useApiServer();
    const machines: Machine[] = [];
    /** `pulumi` processes of A's updates, and plugins of a killed one: none outlives the suite. */
    const engines: number[] = [];
    const orphans: number[] = [];
    let A: Machine;
    let B: Machine;

    before(function () {
        console.log(
            `      PostgreSQL: ${JSON.stringify(pg().timings)} ms; API server: ${JSON.stringify(kube().timings)} ms`,
        );
        const machine = (name: string, backendUrl?: string): Machine => {
            const env = engineEnv(engine, {
                passphrase: PASSPHRASE,
                extra: {
                    PGPASSWORD: pg().password,
                    // A logs in (`pulumi login`); B's CLI commands name the backend in the environment.
                    PULUMI_BACKEND_URL: backendUrl,
                    // `pulumi stack ls` deadlocks on this backend once it lists as many stacks at once as
                    // the driver has connections (2 × GOMAXPROCS); one at a time never does. docs/backend.md.
                    PULUMI_DIY_BACKEND_PARALLEL: "1",
                    // Type-checking the program is not what these tests are about; it costs seconds per run.
                    PULUMI_NODEJS_TRANSPILE_ONLY: "true",
                },
            });
            const m = { name, project: copyProject(), engine: env };
            machines.push(m);
            return m;
        };
        A = machine("A");
        B = machine("B", pg().url);
    });

    after(function () {
        const live = engines.filter((pid) => running(pid)).flatMap((pid) => [pid, ...descendants(pid)]);
        [...live, ...orphans].filter((pid) => running(pid)).forEach((pid) => process.kill(pid, "SIGKILL"));
        for (const m of machines) {
            m.project.cleanup();
            m.engine.cleanup();
        }
    });

    async function cli(
        m: Machine,
        args: string[],
        opts: { input?: string; env?: NodeJS.ProcessEnv; ok?: boolean } = {},
    ): Promise<RunResult> {
        const r = await runPulumi(args, {
            cwd: m.project.dir,
            env: { ...m.engine.env, ...opts.env },
            input: opts.input,
            pulumi: engine.pulumi,
        });
        if (opts.ok !== false) assert.strictEqual(r.code, 0, `${m.name}: ${describeRun(args, r)}`);
        return r;
    }

    async function exported(m: Machine, env?: NodeJS.ProcessEnv): Promise<Exported> {
        const text = (await cli(m, ["stack", "export", "--stack", STACK], { env })).stdout;
        return JSON.parse(text) as Exported;
    }

    /** Machine B's options: the Automation API with `backendUrl`, the password in the engine's environment. */
    function bOptions(): StackOptions {
        return {
            stackName: STACK,
            workDir: B.project.dir,
            backendUrl: pg().url,
            pulumiHome: B.engine.pulumiHome,
            passphrase: PASSPHRASE,
            engineBinDir: engine.binDir,
            env: { PGPASSWORD: pg().password, PULUMI_DIY_BACKEND_PARALLEL: "1", PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
        };
    }

    function bDeploy(replicaCount: number): DeployOptions {
        const config: BacklineSettings = {
            baseUrl: "https://app.backline.ai",
            accessKey: ACCESS_KEY,
            worker: { replicaCount, otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-rwx" } } },
        };
        return { ...bOptions(), config, kubernetes: { kubeconfig: kube().kubeconfig, skipAwait: true } };
    }

    function clusterReplicas(): number {
        const r = kube().run(["get", "deployment", "worker", "-n", "backline", "-o", "jsonpath={.spec.replicas}"]);
        assert.strictEqual(r.status, 0, r.stderr);
        return Number(r.stdout);
    }

    it("two machines update one stack: A's update holds the lock, B gets ConcurrentUpdateError, A wins, the state is valid", async function () {
        // A: the CLI flow of docs/backend.md. The password only in PGPASSWORD: not in argv, not in credentials.json.
        await cli(A, ["login", pg().url]);
        const credentials = fs.readFileSync(path.join(A.engine.pulumiHome, "credentials.json"), "utf8");
        assert.ok(credentials.includes(pg().url) && !credentials.includes(pg().password), credentials);
        assert.deepStrictEqual(tables(pg()), ["pulumi_state"]);

        await cli(A, ["stack", "init", STACK]);
        await cli(A, ["config", "set", "--secret", "backline:accessKey"], { input: ACCESS_KEY });
        await cli(A, [
            "config",
            "set-all",
            "--path",
            "--plaintext",
            "backline:baseUrl=https://app.backline.ai",
            "--plaintext",
            "backline:worker.replicaCount=2",
            "--plaintext",
            "backline:worker.otel.enabled=false",
            "--plaintext",
            "backline:worker.storage.pvc.storageClassName=nfs-rwx",
            "--plaintext",
            `backline:kubernetes.kubeconfig=${kube().kubeconfig}`,
            "--plaintext",
            "backline:kubernetes.skipAwait=true",
        ]);

        const t0 = Date.now();
        const aRun: { done?: RunResult } = {};
        const aUp = cli(A, ["up", "--yes", "--skip-preview"], { ok: false }).then((r) => (aRun.done = r));
        const lock = await waitFor("A's lock row", aRun, () => locks(pg(), PROJECT, STACK)[0]);
        engines.push(lock.pid);
        assert.strictEqual(fs.readlinkSync(`/proc/${lock.pid}/cwd`), A.project.dir, "the lock is not A's pulumi");
        // Freeze A mid-update: its lock stays in the table for as long as B needs.
        process.kill(lock.pid, "SIGSTOP");
        const historyBefore = historyKeys(pg(), PROJECT, STACK);
        let refused: unknown;
        try {
            refused = await up(bDeploy(3)).then(
                () => assert.fail("B's up was not refused"),
                (e: unknown) => e,
            );
        } finally {
            process.kill(lock.pid, "SIGCONT");
        }
        assert.ok(refused instanceof ConcurrentUpdateError, `got ${String(refused)}`);
        assert.match(refused.detail, /the stack is currently locked by 1 lock\(s\)/);
        assert.ok(!refused.message.includes(pg().password));
        assert.deepStrictEqual(historyKeys(pg(), PROJECT, STACK), historyBefore, "B's refused update left a record");
        assert.ok(
            !fs.existsSync(path.join(B.project.dir, `Pulumi.${STACK}.yaml`)),
            "B's refused update left its configuration",
        );

        const a = await aUp;
        assert.strictEqual(a.code, 0, describeRun(["up"], a));
        console.log(`      A's up (B refused meanwhile): ${Date.now() - t0} ms`);
        assert.deepStrictEqual(locks(pg(), PROJECT, STACK), [], "A's lock was not released");
        assert.strictEqual(historyKeys(pg(), PROJECT, STACK).length, historyBefore.length + 1);

        // The state: the export parses, equals the row in the table, and A's values won.
        const state = await exported(B);
        const row = checkpoint(pg(), PROJECT, STACK);
        assert.ok(urns(state).length >= 10, urns(state).join("\n"));
        assert.deepStrictEqual((row?.checkpoint.latest?.resources ?? []).map((r) => r.urn).sort(), urns(state));
        assert.deepStrictEqual(state.deployment.pending_operations ?? [], []);
        assert.strictEqual((deploymentSpec(state) as { replicas?: number }).replicas, 2);
        assert.strictEqual(clusterReplicas(), 2);
    });

    it("both machines see each other's stacks", async function () {
        const mine = ["b-one", "b-two", "b-three"];
        for (const s of mine) await cli(B, ["stack", "init", s]);
        const want = [STACK, ...mine].sort();
        assert.deepStrictEqual(stackNames(pg(), PROJECT), want);
        for (const m of [A, B]) {
            const listed = JSON.parse((await cli(m, ["stack", "ls", "--json"])).stdout) as { name: string }[];
            assert.deepStrictEqual(listed.map((s) => s.name).sort(), want, `${m.name}'s stack ls`);
        }
        for (const s of mine) await cli(B, ["stack", "rm", "--yes", s]);
        assert.deepStrictEqual(stackNames(pg(), PROJECT), [STACK]);
    });

    it("a PostgreSQL restart between two operations costs nothing", async function () {
        const before = await exported(A);
        const fastMs = await pg().restart("fast");
        // B, same values as A: the update changes nothing.
        const r = await up(bDeploy(2));
        assert.deepStrictEqual(
            [r.summary.created, r.summary.updated, r.summary.deleted, r.summary.replaced],
            [0, 0, 0, 0],
            JSON.stringify(r.summary),
        );
        const immediateMs = await pg().restart("immediate"); // as after a crash: recovery from the WAL
        const after = await exported(A);
        console.log(
            `      restarts: fast ${fastMs} ms, immediate ${immediateMs} ms; B's up: ${r.summary.durationMs} ms`,
        );
        assert.deepStrictEqual(urns(after), urns(before));
        assert.deepStrictEqual(deploymentSpec(after), deploymentSpec(before));
    });

    it("a pg_dump of the database, restored on another server, holds the stack", async function () {
        const dump = spawnSync(pg().binaries.pgDump, ["--format=custom", "--no-owner", "--dbname", pg().url], {
            env: { ...process.env, PGPASSWORD: pg().password },
            maxBuffer: 64 << 20,
        });
        assert.strictEqual(dump.status, 0, dump.stderr?.toString());
        const other: PostgresServer = await startPostgres({ database: pg().database, user: pg().user });
        try {
            const restore = spawnSync(other.binaries.pgRestore, ["--no-owner", "--dbname", other.url], {
                input: dump.stdout,
                env: { ...process.env, PGPASSWORD: other.password },
            });
            assert.strictEqual(restore.status, 0, restore.stderr?.toString());
            const env = { PULUMI_BACKEND_URL: other.url, PGPASSWORD: other.password };
            assert.deepStrictEqual(urns(await exported(B, env)), urns(await exported(B)));
            assert.deepStrictEqual(
                stateRows(other, "stacks/").map((r) => r.key),
                stateRows(pg(), "stacks/").map((r) => r.key),
            );
        } finally {
            await other.stop();
        }
    });

    it("an up killed with SIGKILL leaves a lock; `pulumi cancel`, then refresh, recover it with nothing lost", async function () {
        const before = await exported(A);
        // Waiting for readiness changes the provider's configuration: every object is updated, and waited for.
        await cli(A, ["config", "set", "--path", "backline:kubernetes.skipAwait", "false"]);
        const aRun: { done?: RunResult } = {};
        const aUp = cli(A, ["up", "--yes", "--skip-preview"], { ok: false }).then((r) => (aRun.done = r));
        // Mid-up: waiting for objects that never get ready (the claim is never bound, the install Job
        // never runs: no nodes, no storage), with their updates pending in the checkpoint.
        const lock = await waitFor("A's lock row", aRun, () => locks(pg(), PROJECT, STACK)[0]);
        engines.push(lock.pid);
        const pending = await waitFor("a Kubernetes object's update pending in the checkpoint", aRun, () => {
            const ops = checkpoint(pg(), PROJECT, STACK)?.checkpoint.latest?.pending_operations ?? [];
            return ops.some((o) => o.resource.type.startsWith("kubernetes:")) ? ops : undefined;
        });
        orphans.push(...descendants(lock.pid));
        process.kill(lock.pid, "SIGKILL");
        const killedAt = Date.now();
        const killed = await aUp;
        assert.strictEqual(killed.code, null, describeRun(["up"], killed));
        console.log(
            `      killed pulumi ${lock.pid} with ${pending.map((p) => `${p.type} ${p.resource.type}`).join(", ")} pending`,
        );

        // The lock outlives its process and keeps everyone out.
        assert.deepStrictEqual(
            locks(pg(), PROJECT, STACK).map((l) => l.pid),
            [lock.pid],
        );
        const refused = await up(bDeploy(3)).then(
            () => assert.fail("B's up was not refused"),
            (e: unknown) => e,
        );
        assert.ok(refused instanceof ConcurrentUpdateError, `got ${String(refused)}`);

        // The documented recovery: cancel (deletes the lock), then refresh (reads the cluster).
        await cli(B, ["cancel", "--yes", "--stack", STACK]);
        assert.deepStrictEqual(locks(pg(), PROJECT, STACK), []);
        await refresh(bOptions());
        const after = await exported(A);
        assert.deepStrictEqual(after.deployment.pending_operations ?? [], []);
        assert.deepStrictEqual(urns(after), urns(before), "resources were lost or added");
        // And the stack is usable again: an update from B replaces nothing.
        const next = await up(bDeploy(3));
        assert.deepStrictEqual(
            [next.summary.created, next.summary.deleted, next.summary.replaced],
            [0, 0, 0],
            JSON.stringify(next.summary),
        );
        assert.strictEqual(clusterReplicas(), 3);
        assert.deepStrictEqual(urns(await exported(A)), urns(before));
        for (const [kind, name] of [
            ["namespace", "backline"],
            ["cronjob", "janitor"],
            ["pvc", "worker-storage"],
            ["service", "worker"],
        ]) {
            const r = kube().run(["get", kind, name, ...(kind === "namespace" ? [] : ["-n", "backline"])]);
            assert.strictEqual(r.status, 0, `${kind}/${name}: ${r.stderr}`);
        }

        // What the killed engine had started, and whether it outlived it (stopped in `after`).
        const secs = Math.round((Date.now() - killedAt) / 1000);
        const names = orphans.map(running).filter((n) => n !== undefined);
        console.log(`      the killed pulumi's children still running ${secs} s later: ${names.join(", ") || "none"}`);
    });
});

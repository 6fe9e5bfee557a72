/**
 * Benchmark (not a test): how fleet rollouts (automation/fleet.ts) scale. For N stacks and a
 * concurrency C, the wall time of rolling one change out to all N (one wave, the default health
 * gate) and the peak memory of this process and every process the rollout starts under it (the
 * engines, language hosts, programs and providers; not PostgreSQL and the control plane), sampled
 * from /proc every 200 ms (bench/support.ts). Prints medians and min–max.
 *
 *   npm run bench:fleet -- [--runs=3] [--max=8] [--concurrency=1,2,4] [--json=FILE]
 *
 * The stacks live in a throw-away PostgreSQL backend (test/support/postgres.ts) and deploy into
 * their own namespaces of one control plane with a simulated node (test/support/apiserver.ts with
 * kwok), with `skipAwait` (the gate waits). The change alternates the pinned worker image between
 * tags, so every rollout updates every stack's Deployment and the gate waits for its new pod.
 * Concurrency above N is measured once, at the smallest such C (it changes nothing).
 * Needs the engine (scripts/build-engine.sh), the control plane with kwok (scripts/build-kube.sh)
 * and PostgreSQL (scripts/postgres-deps.sh). The figures also go to a JSON file (bench/report.ts).
 */
import { BacklineSettings, FleetBackendOptions, FleetStack, rollout, stackHistory, up } from "../automation";
import { startApiServer } from "../test/support/apiserver";
import { startPostgres } from "../test/support/postgres";
import { engineEnv, findEngine } from "../test/e2e/support/engine";
import { copyProject } from "../test/e2e/support/project";
import {
    childrenOf,
    conditions,
    fmtMiB,
    fmtSeconds,
    loadAverage,
    numberFlag,
    printTable,
    sampleTree,
    stats,
} from "./support";
import { BenchReport, sample } from "./report";

const runs = numberFlag("runs", 3);
const sizes = [1, 2, 4, 8].filter((n) => n <= numberFlag("max", 8));
const concurrencies = (process.argv.find((a) => a.startsWith("--concurrency="))?.slice(14) ?? "1,2,4")
    .split(",")
    .map(Number);

async function main(): Promise<void> {
    const engine = findEngine((reason) => console.error(`no engine: ${reason}`));
    if (!engine) process.exit(2);
    const t0 = Date.now();
    const report = new BenchReport("fleet");
    const [pg, kube] = await Promise.all([startPostgres(), startApiServer({ kwok: {} })]);
    // PostgreSQL and the control plane run as children of this process: not the rollout's cost.
    const infrastructure = new Set(childrenOf(process.pid));
    const project = copyProject();
    const home = engineEnv(engine, { passphrase: "bench" });
    const shared: FleetBackendOptions = {
        workDir: project.dir,
        backendUrl: pg.url,
        pulumiHome: home.pulumiHome,
        passphrase: "bench passphrase",
        engineBinDir: engine.binDir,
        env: { PGPASSWORD: pg.password, PULUMI_DIY_BACKEND_PARALLEL: "1", PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
    };
    const kubernetes = { kubeconfig: kube.kubeconfig, skipAwait: true };
    const config = (i: number, tag: string): BacklineSettings => ({
        baseUrl: "https://app.backline.ai",
        accessKey: "bk_bench_0123456789",
        namespaceOverride: `bench-${i}`,
        janitor: { schedule: "@hourly" },
        worker: { image: { tag }, otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-rwx" } } },
    });
    const all = Math.max(...sizes);
    const tags = new Map<number, string>();
    try {
        // The backend's table first: two `pulumi`s creating it at once fail (docs/backend.md).
        await stackHistory({ ...shared, stackName: "bench-0" });
        // Every stack deployed once, two at a time (not measured).
        for (let i = 0; i < all; i += 2) {
            const pair = [i, i + 1].filter((j) => j < all);
            await Promise.all(
                pair.map((j) => up({ ...shared, stackName: `bench-${j}`, config: config(j, "bench-0"), kubernetes })),
            );
            pair.forEach((j) => tags.set(j, "bench-0"));
        }
        console.log(`setup: ${all} stacks deployed in ${Math.round((Date.now() - t0) / 1000)} s; ${conditions()}`);
        report.begin();
        const results = new Map<string, { wall: number[]; rss: number[] }>();
        let n = 0;
        for (let run = 1; run <= runs; run++) {
            for (const size of sizes) {
                for (const c of concurrencies) {
                    if (c > size && concurrencies.some((x) => x >= size && x < c)) continue;
                    const next = `bench-${++n}`;
                    const stacks: FleetStack[] = Array.from({ length: size }, (_, i) => ({
                        stackName: `bench-${i}`,
                        config: config(i, tags.get(i) as string),
                        kubernetes,
                    }));
                    const sampler = sampleTree(process.pid, 200, infrastructure);
                    const report = await rollout({
                        ...shared,
                        stacks,
                        change: { worker: { image: { tag: next } } },
                        waves: ["100%"],
                        concurrency: c,
                        gateTimeoutMs: 300_000,
                        gateIntervalMs: 500,
                    });
                    const peak = sampler.stop().peakBytes;
                    if (report.outcome !== "completed") throw new Error(`N=${size} C=${c}: ${report.reason}`);
                    stacks.forEach((_, i) => tags.set(i, next));
                    const r = results.get(`${size}/${c}`) ?? { wall: [], rss: [] };
                    r.wall.push(report.durationMs);
                    r.rss.push(peak);
                    results.set(`${size}/${c}`, r);
                    console.log(
                        `run ${run} N=${size} C=${c}: ${(report.durationMs / 1000).toFixed(1)} s, ` +
                            `peak ${(peak / 2 ** 20).toFixed(0)} MiB; load ${loadAverage()}`,
                    );
                }
            }
        }
        console.log(`\n${conditions()}`);
        const rows = sizes.flatMap((size) =>
            concurrencies
                .filter((c) => results.has(`${size}/${c}`))
                .map((c) => {
                    const r = results.get(`${size}/${c}`)!;
                    return [String(size), String(c), fmtSeconds(stats(r.wall)), fmtMiB(stats(r.rss))];
                }),
        );
        printTable(["N stacks", "concurrency", "wall time", "peak RSS of the rollout's processes"], rows);
        report.write({
            command: "rollout() of one change to N stacks at concurrency C, one wave, default gate",
            engine: { version: engine.version, source: engine.source },
            runs,
            rollouts: sizes.flatMap((size) =>
                concurrencies
                    .filter((c) => results.has(`${size}/${c}`))
                    .map((c) => ({
                        stacks: size,
                        concurrency: c,
                        wallMs: sample(results.get(`${size}/${c}`)!.wall),
                        peakRssTreeBytes: sample(results.get(`${size}/${c}`)!.rss),
                    })),
            ),
        });
    } finally {
        await Promise.all([pg.stop(), kube.stop()]);
        project.cleanup();
        home.cleanup();
    }
}

main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
});

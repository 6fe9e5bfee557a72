/**
 * Benchmark (not a test): how fleet rollouts (automation/fleet.ts) scale. For N stacks and a
 * concurrency C, the wall time of rolling one change out to all N (one wave, the default health
 * gate) and the peak memory of this process and every process the rollout starts under it (the
 * engines, language hosts, programs and providers; not PostgreSQL and the control plane), sampled
 * from /proc every 200 ms. Prints medians and min–max.
 *
 *   npx ts-node --transpile-only bench/fleet.ts [--runs 3] [--sizes 1,2,4,8] [--concurrency 1,2,4]
 *
 * The stacks live in a throw-away PostgreSQL backend (test/support/postgres.ts) and deploy into
 * their own namespaces of one control plane with a simulated node (test/support/apiserver.ts with
 * kwok), with `skipAwait` (the gate waits). The change alternates the pinned worker image between
 * two tags, so every rollout updates every stack's Deployment and the gate waits for its pods.
 * Needs the engine (scripts/build-engine.sh), the control plane with kwok (scripts/build-kube.sh)
 * and PostgreSQL (scripts/postgres-deps.sh).
 */
import * as fs from "fs";
import { BacklineSettings, FleetStack, FleetBackendOptions, rollout, up } from "../automation";
import { startApiServer } from "../test/support/apiserver";
import { startPostgres } from "../test/support/postgres";
import { engineEnv, findEngine } from "../test/e2e/support/engine";
import { descendants } from "../test/e2e/support/proc";
import { copyProject } from "../test/e2e/support/project";

function arg(name: string, fallback: string): string {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : fallback;
}
const runs = Number(arg("runs", "3"));
const sizes = arg("sizes", "1,2,4,8").split(",").map(Number);
const concurrencies = arg("concurrency", "1,2,4").split(",").map(Number);

/**
 * Resident memory of this process and its descendants, in bytes, less the processes in `exclude`
 * (the backend's and the control plane's, started before the rollout) and theirs.
 */
function treeRss(exclude: ReadonlySet<number>): number {
    let total = 0;
    for (const pid of [process.pid, ...descendants(process.pid)]) {
        if (exclude.has(pid)) continue;
        try {
            const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
            total += m ? Number(m[1]) * 1024 : 0;
        } catch {
            /* gone */
        }
    }
    return total;
}

function stats(xs: number[]): string {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    const median = s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
    return s.length > 1 ? `${median.toFixed(1)} (${s[0].toFixed(1)}–${s[s.length - 1].toFixed(1)})` : median.toFixed(1);
}

async function main(): Promise<void> {
    const engine = findEngine((reason) => console.error(`no engine: ${reason}`));
    if (!engine) process.exit(2);
    const t0 = Date.now();
    const [pg, kube] = await Promise.all([startPostgres(), startApiServer({ kwok: {} })]);
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
    const config = (i: number, tag: string): BacklineSettings => ({
        baseUrl: "https://app.backline.ai",
        accessKey: "bk_bench_0123456789",
        namespaceOverride: `bench-${i}`,
        janitor: { schedule: "@hourly" },
        worker: { image: { tag }, otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-rwx" } } },
    });
    const all = Math.max(...sizes);
    let tag = "bench-0";
    const tags = new Map<number, string>();
    try {
        for (let i = 0; i < all; i += 2) {
            await Promise.all(
                [i, i + 1]
                    .filter((j) => j < all)
                    .map((j) =>
                        up({
                            ...shared,
                            stackName: `bench-${j}`,
                            config: config(j, tag),
                            kubernetes: { kubeconfig: kube.kubeconfig, skipAwait: true },
                        }),
                    ),
            );
            tags.set(i, tag).set(i + 1, tag);
        }
        console.log(
            `setup: ${all} stacks deployed in ${Math.round((Date.now() - t0) / 1000)} s; load ${os().join(" ")}`,
        );
        const results = new Map<string, { wall: number[]; rss: number[] }>();
        let n = 0;
        for (let run = 1; run <= runs; run++) {
            for (const size of sizes) {
                for (const c of concurrencies) {
                    // More concurrency than stacks changes nothing: measured once, at the smallest such C.
                    if (c > size && concurrencies.some((x) => x >= size && x < c)) continue;
                    const next = `bench-${++n}`;
                    const stacks: FleetStack[] = Array.from({ length: size }, (_, i) => ({
                        stackName: `bench-${i}`,
                        config: config(i, tags.get(i) ?? tag),
                        kubernetes: { kubeconfig: kube.kubeconfig, skipAwait: true },
                    }));
                    // PostgreSQL and the control plane run under this process too: not the rollout's cost.
                    const infrastructure = new Set(descendants(process.pid));
                    let peak = 0;
                    const sampler = setInterval(() => (peak = Math.max(peak, treeRss(infrastructure))), 200);
                    const report = await rollout({
                        ...shared,
                        stacks,
                        change: { worker: { image: { tag: next } } },
                        waves: ["100%"],
                        concurrency: c,
                        gateTimeoutMs: 300_000,
                        gateIntervalMs: 500,
                    });
                    clearInterval(sampler);
                    if (report.outcome !== "completed") throw new Error(`N=${size} C=${c}: ${report.reason}`);
                    stacks.forEach((_, i) => tags.set(i, next));
                    tag = next;
                    const key = `${size}\u0000${c}`;
                    const r = results.get(key) ?? { wall: [], rss: [] };
                    r.wall.push(report.durationMs / 1000);
                    r.rss.push(peak / 2 ** 20);
                    results.set(key, r);
                    console.log(
                        `run ${run} N=${size} C=${c}: ${(report.durationMs / 1000).toFixed(1)} s, peak ${(peak / 2 ** 20).toFixed(0)} MiB; load ${os().join(" ")}`,
                    );
                }
            }
        }
        console.log(
            "\n| N stacks | concurrency | wall time, s: median (min–max) | peak RSS of the process tree, MiB: median (min–max) |",
        );
        console.log("| --- | --- | --- | --- |");
        for (const size of sizes) {
            for (const c of concurrencies) {
                const r = results.get(`${size}\u0000${c}`);
                if (r) console.log(`| ${size} | ${c} | ${stats(r.wall)} | ${stats(r.rss)} |`);
            }
        }
    } finally {
        await Promise.all([pg.stop(), kube.stop()]);
        project.cleanup();
        home.cleanup();
    }
}

function os(): string[] {
    return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3);
}

main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
});

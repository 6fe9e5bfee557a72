/**
 * Benchmark (not a test): N Backline stacks deployed at once from one process through the
 * Automation API (`up` of `@backline/pulumi/automation`), N = 1, 2, 4, 8, on a real kube-apiserver
 * (skipAwait: no nodes yet). Each trial deploys N fresh stacks in their own namespaces, then
 * destroys them (not measured). Prints the total wall time, the throughput relative to N = 1, the
 * peak RSS of this process's tree — this process and the engine processes the ups start, not the
 * test control plane (its own RSS at the start is printed) — and the CPU time of the engine
 * processes per stack.
 *
 *   npm run bench:concurrency -- [--runs=2] [--max=8] [--json=FILE]
 *
 * The figures also go to a JSON file (bench/report.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { destroy, up } from "../automation";
import { startApiServer } from "../test/support/apiserver";
import { findEngine, pulumiHomeWithPlugins } from "../test/e2e/support/engine";
import { copyProject } from "../test/e2e/support/project";
import {
    childrenOf,
    conditions,
    fmtMiB,
    fmtSeconds,
    numberFlag,
    printTable,
    sampleTree,
    stats,
    treeRss,
} from "./support";
import { BenchReport, sample } from "./report";

async function main(): Promise<void> {
    const runs = numberFlag("runs", 2);
    const max = numberFlag("max", 8);
    const sizes = [1, 2, 4, 8].filter((n) => n <= max);
    const engine = findEngine((reason) => console.error(`no engine: ${reason}`));
    if (!engine) process.exit(2);
    // The control plane runs as children of this process: leave its processes out of every figure.
    const before = new Set(childrenOf(process.pid));
    const kube = await startApiServer();
    const controlPlane = new Set(childrenOf(process.pid).filter((p) => !before.has(p)));
    const project = copyProject();
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-concurrency-"));
    const base = (stackName: string) => ({
        stackName,
        workDir: project.dir,
        stateDir: path.join(tmp, "state"),
        pulumiHome: pulumiHomeWithPlugins(path.join(tmp, "home")),
        passphrase: "bench-concurrency",
        engineBinDir: engine.binDir,
        env: { PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true" },
    });
    const deploy = (stackName: string, namespace: string) =>
        up({
            ...base(stackName),
            config: {
                baseUrl: "https://staging-app.backline.ai",
                accessKey: "bench-key",
                namespaceOverride: namespace,
                logging: { region: "us-west-1", roleArn: "arn:aws:iam::123456789012:role/YourOtelRole" },
            },
            kubernetes: { kubeconfig: kube.kubeconfig, skipAwait: true },
        });
    const wall = new Map<number, number[]>();
    const peak = new Map<number, number[]>();
    const cpu = new Map<number, number[]>();
    const push = (m: Map<number, number[]>, n: number, x: number) => m.set(n, [...(m.get(n) ?? []), x]);
    const selfRss = treeRss(process.pid, controlPlane).bytes;
    const start = conditions();
    const report = new BenchReport("concurrency");
    try {
        // Trial 0 (one stack) warms the caches and is not counted.
        const trials: number[] = [1];
        for (let r = 0; r < runs; r++) trials.push(...(r % 2 === 0 ? sizes : [...sizes].reverse()));
        for (const [t, n] of trials.entries()) {
            const names = Array.from({ length: n }, (_, i) => `c${t}-${i}`);
            const sampler = sampleTree(process.pid, 50, controlPlane);
            const t0 = performance.now();
            await Promise.all(names.map((s) => deploy(s, `bench-${s}`)));
            const ms = performance.now() - t0;
            const tree = sampler.stop();
            await Promise.all(names.map((s) => destroy({ ...base(s), removeStack: true })));
            if (t === 0) continue;
            push(wall, n, ms);
            push(peak, n, tree.peakBytes);
            // CPU of the engine processes the ups started (not this process's own).
            push(cpu, n, tree.processes.filter((p) => p.pid !== process.pid).reduce((a, p) => a + p.cpuMs, 0) / n);
        }
        console.log(
            `Automation API: N concurrent \`up\`s of fresh stacks on a kube-apiserver (skipAwait), engine ${engine.version}, ${runs} trials per N after a warm-up`,
        );
        console.log(`start: ${start}`);
        console.log(`end:   ${conditions()}`);
        console.log(
            `this process's RSS before the trials (included in the peaks; the control plane is not): ${(selfRss / 2 ** 20).toFixed(0)} MiB`,
        );
        const one = stats(wall.get(1) ?? [NaN]).median;
        printTable(
            [
                "N",
                "total wall",
                "stacks per minute",
                "throughput vs N=1",
                "peak RSS of the tree",
                "CPU per stack (child processes)",
            ],
            sizes.map((n) => {
                const w = stats(wall.get(n) ?? []);
                return [
                    String(n),
                    fmtSeconds(w),
                    ((60_000 * n) / w.median).toFixed(1),
                    `${((n * one) / w.median).toFixed(2)}×`,
                    fmtMiB(stats(peak.get(n) ?? [])),
                    fmtSeconds(stats(cpu.get(n) ?? [])),
                ];
            }),
        );
        report.write({
            command: "Automation API up() of N fresh stacks at once",
            engine: { version: engine.version, source: engine.source },
            runs,
            benchProcessRssBytes: selfRss,
            sizes: sizes.map((n) => ({
                n,
                wallMs: sample(wall.get(n) ?? []),
                stacksPerMinute: (60_000 * n) / stats(wall.get(n) ?? []).median,
                throughputVsOne: (n * one) / stats(wall.get(n) ?? []).median,
                peakRssTreeBytes: sample(peak.get(n) ?? []),
                cpuMsPerStack: sample(cpu.get(n) ?? []),
            })),
        });
    } finally {
        project.cleanup();
        fs.rmSync(tmp, { recursive: true, force: true });
        await kube.stop();
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});

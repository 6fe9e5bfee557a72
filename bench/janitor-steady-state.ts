/**
 * Benchmark: janitor.sh in steady state (both secrets fresh, the worker already on the latest
 * image) against the loopback fakes: the fake SaaS on 127.0.0.1 and the kubectl stand-in, with
 * BusyBox applets first on PATH, exactly as the e2e tests run it.
 *
 *   npm run bench:janitor -- [RUNS] [--json=FILE]     (RUNS default 30)
 *
 * Reports median/min/max wall time, CPU time (user+sys of the script and all its children),
 * SaaS requests, Kubernetes writes and kubectl calls per run; then the cost of the largest answers
 * the janitor reads (issue 16): the image answer padded to exactly 1 MiB (accepted, nothing to do),
 * and a 1 MiB image value (refused by its bound), 5 runs each. Not part of `npm test`.
 * Note: the kubectl stand-in is a bash+jq script, far cheaper than real kubectl (a Go binary
 * that loads a kubeconfig and talks TLS), so these figures are the janitor's own cost. The figures
 * also go to a JSON file (bench/report.ts).
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";

import { FakeSaas } from "../test/support/fake-saas";
import { KubeObject, hostTool, runJanitor, standinBackendFactory } from "../test/support/kube-backend";
import { BenchReport, sample } from "./report";

/** The first argument that is not a flag (nor the value of `--json FILE`). */
const runsArg = process.argv.slice(2).find((a, i, all) => !a.startsWith("--") && all[i - 1] !== "--json");
const RUNS = Number(runsArg ?? process.env.BENCH_RUNS ?? 30);
const NS = "backline-bench";
const IMAGE = "580550010989.dkr.ecr.us-west-1.amazonaws.com/prod-worker:2faf8c5-1757332651";

/** CPU time (ms) used by reaped children of this process (user + sys), from /proc/self/stat. */
function childrenCpuMs(): number {
    const stat = fs.readFileSync("/proc/self/stat", "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // fields[0] is field 3 (state); cutime and cstime are fields 16 and 17.
    const ticks = Number(fields[13]) + Number(fields[14]);
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
}

const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (ms: number): string => `${ms.toFixed(0)} ms`;

function version(tool: string, args: string[]): string {
    const bin = hostTool(tool);
    if (!bin) return "missing";
    try {
        return execFileSync(bin, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })
            .split("\n")[0]
            .trim();
    } catch (e) {
        return String((e as { stdout?: string }).stdout ?? e).split("\n")[0];
    }
}

async function main(): Promise<void> {
    if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error(`RUNS must be a positive integer, got ${RUNS}`);
    const reason = standinBackendFactory.unavailableReason();
    if (reason) throw new Error(reason);

    const report = new BenchReport("janitor");
    const saas = await FakeSaas.start();
    const kube = await standinBackendFactory.create(NS);
    try {
        const deployment: KubeObject = {
            apiVersion: "apps/v1",
            kind: "Deployment",
            metadata: { name: "worker" },
            spec: { template: { spec: { containers: [{ name: "worker", image: IMAGE }] } } },
        };
        await kube.seed(deployment);
        const expiresAt = new Date(Date.now() + 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
        saas.set("POST", "/api/v1/onprem/token", { body: { token: "bench-token", expiresAt } });
        saas.set("GET", "/api/v1/onprem/registry-credentials", {
            body: { registry: "registry.example.com", username: "AWS", password: "bench-password", expiresAt },
        });
        saas.set("GET", "/api/v1/onprem/worker-image", { body: { image: IMAGE } });
        const env = {
            BACKLINE_BASE_URL: saas.baseUrl,
            BACKLINE_ACCESS_KEY: "bench-access-key",
            JANITOR_NAMESPACE: NS,
        };

        // The first run creates the secrets (3 SaaS requests, 2 writes); it is reported, not counted.
        let cpu0 = childrenCpuMs();
        const first = await runJanitor(kube, env);
        const firstCpu = childrenCpuMs() - cpu0;
        if (first.code !== 0) throw new Error(`first run failed:\n${first.stdout}${first.stderr}`);
        const firstWrites = (await kube.writes()).length;
        const firstRequests = saas.requests.length;

        const wall: number[] = [];
        const cpu: number[] = [];
        const requests: number[] = [];
        const writes: number[] = [];
        const calls: number[] = [];
        const loadBefore = os.loadavg()[0];
        for (let i = 0; i < RUNS; i++) {
            const w0 = (await kube.writes()).length;
            const c0 = (await kube.kubectlCalls())?.length ?? 0;
            const r0 = saas.requests.length;
            cpu0 = childrenCpuMs();
            const r = await runJanitor(kube, env);
            cpu.push(childrenCpuMs() - cpu0);
            if (r.code !== 0) throw new Error(`steady run ${i + 1} failed:\n${r.stdout}${r.stderr}`);
            wall.push(r.durationMs);
            requests.push(saas.requests.length - r0);
            writes.push((await kube.writes()).length - w0);
            calls.push(((await kube.kubectlCalls())?.length ?? 0) - c0);
        }

        // The largest answers: 1 MiB, sent chunked (the form an older curl cannot cap by itself).
        const MIB = 1024 * 1024;
        const fill = (prefix: string, suffix: string): Buffer =>
            Buffer.from(`${prefix}${"0".repeat(MIB - Buffer.byteLength(prefix + suffix))}${suffix}`);
        const large = async (body: Buffer, code: number): Promise<{ wall: number[]; cpu: number[] }> => {
            saas.set("GET", "/api/v1/onprem/worker-image", { body, chunked: true });
            const out = { wall: [] as number[], cpu: [] as number[] };
            for (let i = 0; i < 5; i++) {
                const c0 = childrenCpuMs();
                const r = await runJanitor(kube, env);
                out.cpu.push(childrenCpuMs() - c0);
                if (r.code !== code)
                    throw new Error(`1 MiB run: exit ${r.code}, expected ${code}:\n${r.stdout}${r.stderr}`);
                out.wall.push(r.durationMs);
            }
            return out;
        };
        const padded = await large(fill('{"padding":"', `","image":"${IMAGE}"}`), 0);
        const huge = await large(fill('{"image":"registry.example.com/w', ':v1"}'), 1);
        const loadAfter = os.loadavg()[0];

        const cpus = os.cpus();
        const perRun = (xs: number[]): string =>
            Math.min(...xs) === Math.max(...xs) ? String(xs[0]) : `${Math.min(...xs)}–${Math.max(...xs)}`;
        console.log(`janitor steady state, ${RUNS} runs (after one first run that created the secrets)`);
        console.log(
            `machine: ${cpus.length} cores (${cpus[0]?.model ?? "?"}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
                `${os.type()} ${os.release()}, load average ${loadBefore.toFixed(2)} before / ${loadAfter.toFixed(2)} after`,
        );
        console.log(
            `tools: ${version("bash", ["--version"])}; ${version("jq", ["--version"])}; ` +
                `${version("curl", ["--version"])}; ${version("busybox", ["--help"])}; node ${process.version}`,
        );
        console.log("");
        console.log("| measure | median | min | max |");
        console.log("| --- | --- | --- | --- |");
        console.log(
            `| wall time per run | ${fmt(median(wall))} | ${fmt(Math.min(...wall))} | ${fmt(Math.max(...wall))} |`,
        );
        console.log(
            `| CPU time per run (user+sys, all processes) | ${fmt(median(cpu))} | ${fmt(Math.min(...cpu))} | ${fmt(Math.max(...cpu))} |`,
        );
        console.log("");
        console.log(
            `SaaS requests per run: ${perRun(requests)}; Kubernetes writes per run: ${perRun(writes)}; ` +
                `kubectl calls per run: ${perRun(calls)} (all reads)`,
        );
        console.log(
            `first run: ${fmt(first.durationMs)} wall, ${fmt(firstCpu)} CPU, ${firstRequests} SaaS requests, ${firstWrites} writes`,
        );
        const medians = (m: { wall: number[]; cpu: number[] }): string =>
            `${fmt(median(m.wall))} wall, ${fmt(median(m.cpu))} CPU`;
        console.log(`1 MiB image answer (padding, same image; accepted): median of 5 runs ${medians(padded)}`);
        console.log(`1 MiB image value (refused by its bound): median of 5 runs ${medians(huge)}`);
        const ok = requests.every((n) => n === 1) && writes.every((n) => n === 0);
        console.log(
            ok
                ? "steady-state contract holds: 1 SaaS request and 0 writes in every run"
                : "STEADY-STATE CONTRACT BROKEN",
        );
        report.write({
            runs: RUNS,
            tools: {
                bash: version("bash", ["--version"]),
                jq: version("jq", ["--version"]),
                curl: version("curl", ["--version"]),
                busybox: version("busybox", ["--help"]),
            },
            steadyState: {
                wallMs: sample(wall),
                cpuMs: sample(cpu),
                saasRequests: sample(requests),
                kubernetesWrites: sample(writes),
                kubectlCalls: sample(calls),
            },
            firstRun: { wallMs: first.durationMs, cpuMs: firstCpu, saasRequests: firstRequests, writes: firstWrites },
            largeAnswers: {
                paddedImageAnswer1MiB: { wallMs: sample(padded.wall), cpuMs: sample(padded.cpu) },
                imageValue1MiBRefused: { wallMs: sample(huge.wall), cpuMs: sample(huge.cpu) },
            },
            contractHolds: ok,
        });
        process.exitCode = ok ? 0 : 1;
    } finally {
        await saas.close();
        await kube.close();
    }
}

main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});

/**
 * What every benchmark in bench/ shares: statistics, the peak memory of a process tree, the load of
 * the machine, the two reference programs (empty, one ConfigMap), and printing a table.
 *
 * Memory is the sum of the resident set sizes (`/proc/<pid>/statm`) of a process and all its
 * descendants, sampled every `intervalMs` (default 20 ms); the peak is the largest sum seen. That
 * is what the machine has to hold at once for one `pulumi` command: the CLI, its language host,
 * the Node.js program and every provider plugin. Shared pages are counted once per process, as
 * `ps` does.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { REPO_ROOT } from "../test/e2e/support/engine";

const PAGE_SIZE = 4096;

export interface Stats {
    readonly median: number;
    readonly min: number;
    readonly max: number;
    readonly n: number;
}

export function stats(xs: readonly number[]): Stats {
    if (xs.length === 0) throw new Error("stats of no samples");
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return { median: s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2, min: s[0], max: s[s.length - 1], n: s.length };
}

/** "2.41 s (2.30–2.77)" */
export function fmtSeconds(s: Stats): string {
    const f = (ms: number) => (ms / 1000).toFixed(2);
    return `${f(s.median)} s (${f(s.min)}–${f(s.max)})`;
}

/** "212 MiB (205–230)" */
export function fmtMiB(s: Stats): string {
    const f = (b: number) => (b / 2 ** 20).toFixed(0);
    return `${f(s.median)} MiB (${f(s.min)}–${f(s.max)})`;
}

export function ratio(a: Stats, b: Stats): string {
    return `${(a.median / b.median).toFixed(2)}×`;
}

/** `/proc/loadavg`'s three averages, e.g. "3.10 2.80 2.51". */
export function loadAverage(): string {
    return fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
}

/** One line saying when, where and under what load a benchmark ran. */
export function conditions(extra = ""): string {
    return (
        `${new Date().toISOString()}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ` +
        `node ${process.version}, load ${loadAverage()}${extra ? `, ${extra}` : ""}`
    );
}

export function childrenOf(pid: number): number[] {
    // A process's children are listed per thread (`task/<tid>/children`): Go programs fork from any thread.
    let tasks: string[];
    try {
        tasks = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
        return [];
    }
    const out: number[] = [];
    for (const tid of tasks) {
        try {
            for (const c of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, "utf8").split(" ")) {
                if (c.trim() !== "") out.push(Number(c));
            }
        } catch {
            // the thread or the process ended while we looked
        }
    }
    return out;
}

/** One process of a sampled tree, as last seen: its name, CPU time so far and peak RSS. */
export interface ProcessSample {
    readonly pid: number;
    readonly name: string;
    readonly cpuMs: number;
    readonly peakBytes: number;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** `comm`, user+system CPU time (ms) and RSS (bytes) of a process, or undefined once it is gone. */
function readProcess(pid: number): { name: string; cpuMs: number; rss: number } | undefined {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        // comm is in parentheses and may hold spaces; the fields after it are space-separated.
        const close = stat.lastIndexOf(")");
        const name = stat.slice(stat.indexOf("(") + 1, close);
        const f = stat.slice(close + 2).split(" ");
        // After comm: state(0) ppid(1) ... utime(11) stime(12) ... rss(21), in pages.
        return { name, cpuMs: (Number(f[11]) + Number(f[12])) * TICK_MS, rss: Number(f[21]) * PAGE_SIZE };
    } catch {
        return undefined;
    }
}

/** The RSS of `pid` and all its descendants (but the subtrees of `exclude`), in bytes, and each process seen. */
export function treeRss(
    pid: number,
    exclude: ReadonlySet<number> = new Set(),
): { bytes: number; processes: Map<number, { name: string; cpuMs: number; rss: number }> } {
    let bytes = 0;
    const processes = new Map<number, { name: string; cpuMs: number; rss: number }>();
    const todo = [pid];
    while (todo.length > 0) {
        const p = todo.pop() as number;
        if (processes.has(p) || exclude.has(p)) continue;
        const info = readProcess(p);
        if (info === undefined) continue;
        bytes += info.rss;
        processes.set(p, info);
        todo.push(...childrenOf(p));
    }
    return { bytes, processes };
}

export interface TreeSample {
    /** The largest sum of the tree's RSS seen at once. */
    readonly peakBytes: number;
    /** Every process seen in the tree, with its CPU time as last seen (up to one interval short). */
    readonly processes: readonly ProcessSample[];
}

/** Samples the tree under `pid` (without the subtrees of `exclude`) every `intervalMs` until `stop()`. */
export function sampleTree(
    pid: number,
    intervalMs = 20,
    exclude: ReadonlySet<number> = new Set(),
): { stop(): TreeSample } {
    let peakBytes = 0;
    const seen = new Map<number, ProcessSample>();
    const sample = () => {
        const t = treeRss(pid, exclude);
        peakBytes = Math.max(peakBytes, t.bytes);
        for (const [p, info] of t.processes) {
            const prev = seen.get(p);
            seen.set(p, {
                pid: p,
                name: info.name,
                cpuMs: info.cpuMs,
                peakBytes: Math.max(prev?.peakBytes ?? 0, info.rss),
            });
        }
    };
    sample();
    const timer = setInterval(sample, intervalMs);
    return {
        stop: () => {
            clearInterval(timer);
            sample();
            return { peakBytes, processes: [...seen.values()] };
        },
    };
}

export interface Measured {
    /** Wall-clock time of the spawn (ms since the epoch). */
    readonly startedAt: number;
    readonly code: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly ms: number;
    readonly peakBytes: number;
    readonly processes: readonly ProcessSample[];
}

/** The peak RSS of the largest single process: what `/usr/bin/time -f %M` reports for a command. */
export function largestProcess(m: { readonly processes: readonly ProcessSample[] }): number {
    return Math.max(0, ...m.processes.map((p) => p.peakBytes));
}

/** Runs a command to the end, timing it and sampling the peak RSS of its process tree. */
export function measure(
    command: string,
    args: readonly string[],
    opts: { cwd: string; env: NodeJS.ProcessEnv; input?: string },
): Promise<Measured> {
    return new Promise((resolve, reject) => {
        const startedAt = performance.timeOrigin + performance.now();
        const started = process.hrtime.bigint();
        const child = spawn(command, [...args], { cwd: opts.cwd, env: opts.env, stdio: ["pipe", "pipe", "pipe"] });
        const sampler = sampleTree(child.pid as number);
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.stdin.on("error", () => undefined);
        child.stdin.end(opts.input ?? "");
        // The last sample must see the tree before it exits: sample on exit, before 'close'.
        let tree: TreeSample = { peakBytes: 0, processes: [] };
        child.on("exit", () => (tree = sampler.stop()));
        child.on("error", (err) => {
            sampler.stop();
            reject(err);
        });
        child.on("close", (code) => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            resolve({ startedAt, code, stdout, stderr, ms, ...tree });
        });
    });
}

export interface ProgramDir {
    readonly dir: string;
    cleanup(): void;
}

/**
 * A throw-away TypeScript Pulumi project using this repository's node_modules and tsconfig.json
 * (so it compiles exactly as the Backline program does).
 */
export function tsProgram(name: string, source: string): ProgramDir {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-${name}-`));
    fs.writeFileSync(
        path.join(dir, "Pulumi.yaml"),
        `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n`,
    );
    fs.writeFileSync(path.join(dir, "index.ts"), source);
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, main: "index.ts" }));
    fs.copyFileSync(path.join(REPO_ROOT, "tsconfig.json"), path.join(dir, "tsconfig.json"));
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The floor of any Pulumi program: engine, language host, Node.js, the SDK. */
export function emptyProgram(): ProgramDir {
    return tsProgram("empty", "export {};\n");
}

/**
 * The floor of any Kubernetes program: the above plus `@pulumi/kubernetes` and its provider
 * plugin: one ConfigMap (config `name`, default `one`, in namespace `default`; data from config
 * `value`) through an explicit provider configured from config `kubeconfig` or
 * `renderYamlToDirectory`.
 */
export function configMapProgram(): ProgramDir {
    return tsProgram(
        "configmap",
        [
            'import * as pulumi from "@pulumi/pulumi";',
            'import * as k8s from "@pulumi/kubernetes";',
            "const config = new pulumi.Config();",
            'const provider = new k8s.Provider("kubernetes", {',
            '    kubeconfig: config.get("kubeconfig"),',
            '    renderYamlToDirectory: config.get("renderYamlToDirectory"),',
            "    enableServerSideApply: true,",
            "});",
            "const cm = new k8s.core.v1.ConfigMap(",
            '    "one",',
            '    { metadata: { name: config.get("name") ?? "one", namespace: "default" }, data: { key: config.get("value") ?? "1" } },',
            "    { provider },",
            ");",
            "export const name = cm.metadata.name;",
            "",
        ].join("\n"),
    );
}

/** Prints a Markdown table. */
export function printTable(header: readonly string[], rows: readonly (readonly string[])[]): void {
    console.log(`| ${header.join(" | ")} |`);
    console.log(`| ${header.map(() => "---").join(" | ")} |`);
    for (const r of rows) console.log(`| ${r.join(" | ")} |`);
}

/** `--runs=N`-style numeric flags, with a default. */
export function numberFlag(name: string, fallback: number): number {
    const arg = process.argv.find((a) => a.startsWith(`--${name}=`));
    if (arg === undefined) return fallback;
    const n = Number(arg.slice(name.length + 3));
    if (!Number.isInteger(n) || n < 1)
        throw new Error(`--${name} must be a positive integer, got ${JSON.stringify(arg)}`);
    return n;
}

export function hasFlag(name: string): boolean {
    return process.argv.includes(`--${name}`);
}

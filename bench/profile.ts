/**
 * Where a `pulumi preview` of the Backline stack spends its time (not a test): one warm-up run,
 * then one profiled run of the same preview as bench/preview.ts (dev stack, render mode), and a
 * report built from three sources that all carry wall-clock times:
 *
 * - the engine's gRPC log (PULUMI_DEBUG_GRPC): every call between the engine, the language host,
 *   the program (ResourceMonitor) and the provider plugins, with start and duration;
 * - bench/node-timeline.js, preloaded into the program's Node.js process: its start, the first load
 *   of each package and of each of our files (self time: compiling and running that module), its
 *   exit;
 * - a V8 CPU profile of that process (started by the same preload), self time grouped by package;
 * - and, from /proc, the CPU time and peak RSS of every process of the tree.
 *
 *   npm run bench:profile -- [--tsconfig=FILE] [--keep] [--json=FILE]
 *
 * `--tsconfig=FILE` profiles the program compiled as FILE (in the project copy) says, through
 * PULUMI_NODEJS_TSCONFIG_PATH; `--keep` keeps the raw files (the .cpuprofile opens in Chrome
 * DevTools). The figures also go to a JSON file (bench/report.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { describeRun, engineEnv, findEngine, runPulumi } from "../test/e2e/support/engine";
import { copyProject } from "../test/e2e/support/project";
import { devStackConfig } from "./preview";
import { conditions, hasFlag, measure, printTable } from "./support";
import { BenchReport } from "./report";
import { readGrpc } from "./grpc-log";

interface Timeline {
    readonly pid: number;
    readonly start: number;
    readonly exit: number;
    readonly loads: { module: string; start: number; end: number; selfMs: number }[];
}

interface CpuProfile {
    readonly nodes: { id: number; callFrame: { url: string; functionName: string } }[];
    readonly samples: number[];
    readonly timeDeltas: number[];
    readonly startTime: number;
    readonly endTime: number;
}

/** V8 CPU profile self time (ms) grouped by package (or "our code", "node internals", V8's own entries). */
function cpuByPackage(profile: CpuProfile, root: string): Map<string, number> {
    const groupOf = new Map<number, string>();
    for (const n of profile.nodes) {
        const url = n.callFrame.url;
        let g: string;
        const nm = url.lastIndexOf("/node_modules/");
        if (nm >= 0) {
            const rest = url.slice(nm + "/node_modules/".length).split("/");
            g = rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
        } else if (
            url.startsWith("node:") ||
            (url === "" && n.callFrame.functionName !== "" && !n.callFrame.functionName.startsWith("("))
        ) {
            g = "node internals (module loader, fs, …)";
        } else if (url.includes(root) || url.includes("/backline-project-")) {
            g = "our code (index.ts, components/)";
        } else if (url === "") {
            g = n.callFrame.functionName; // (program), (garbage collector), (idle), (root)
        } else {
            g = url;
        }
        groupOf.set(n.id, g);
    }
    const out = new Map<string, number>();
    profile.samples.forEach((id, i) => {
        const g = groupOf.get(id) ?? "?";
        out.set(g, (out.get(g) ?? 0) + profile.timeDeltas[i] / 1000);
    });
    return out;
}

const ms = (x: number) => `${Math.round(x)} ms`;

async function main(): Promise<void> {
    const engine = findEngine((reason) => console.error(`no engine: ${reason}`));
    if (!engine) process.exit(2);
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "bench-profile-"));
    const env = engineEnv(engine, { passphrase: "bench" });
    const backline = copyProject();
    const run = async (args: string[]) => {
        const r = await runPulumi(args, { cwd: backline.dir, env: env.env, pulumi: engine.pulumi });
        if (r.code !== 0) throw new Error(describeRun(args, r));
    };
    try {
        await run(["stack", "init", "bench"]);
        for (const args of devStackConfig(path.join(out, "render"))) await run(args);
        const preview = ["preview", "--refresh=false", "--non-interactive"];
        const tsconfigArg = process.argv.find((a) => a.startsWith("--tsconfig="));
        if (tsconfigArg)
            fs.copyFileSync(
                path.resolve(tsconfigArg.slice("--tsconfig=".length)),
                path.join(backline.dir, "tsconfig.profile.json"),
            );
        const tsconfigEnv = tsconfigArg ? { PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.profile.json" } : {};
        await measure(engine.pulumi, preview, { cwd: backline.dir, env: { ...env.env, ...tsconfigEnv } });

        const grpcLog = path.join(out, "grpc.jsonl");
        const profEnv = {
            ...env.env,
            ...tsconfigEnv,
            PULUMI_DEBUG_GRPC: grpcLog,
            BENCH_TIMELINE_DIR: out,
            NODE_OPTIONS: `--require ${path.join(__dirname, "node-timeline.js")}`,
        };
        const load = conditions();
        const report = new BenchReport("profile");
        const r = await measure(engine.pulumi, preview, { cwd: backline.dir, env: profEnv });
        if (r.code !== 0) throw new Error(`preview failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
        const t0 = r.startedAt;
        const at = (t: number) => ms(t - t0);

        console.log(
            `profile of pulumi preview --refresh=false (backline dev stack, render mode${tsconfigArg ? `, ${tsconfigArg}` : ""}), engine ${engine.version}`,
        );
        console.log(`conditions: ${load}`);
        console.log(`wall ${ms(r.ms)}, peak RSS of the tree ${(r.peakBytes / 2 ** 20).toFixed(0)} MiB\n`);

        console.log("CPU and peak RSS per process (from /proc; CPU up to 20 ms short):");
        printTable(
            ["process", "CPU", "peak RSS"],
            r.processes.map((p) => [`${p.name} (${p.pid})`, ms(p.cpuMs), `${(p.peakBytes / 2 ** 20).toFixed(0)} MiB`]),
        );

        const timelines = fs
            .readdirSync(out)
            .filter((f) => f.startsWith("timeline-"))
            .map((f) => JSON.parse(fs.readFileSync(path.join(out, f), "utf8")) as Timeline);
        const program = timelines.find((t) => t.loads.some((l) => l.module.endsWith("index.ts")));
        const grpc = readGrpc(grpcLog);
        const calls = (re: RegExp) => grpc.filter((c) => re.test(c.method));

        console.log("\nTimeline (ms after `pulumi preview` was spawned):");
        const rows: string[][] = [];
        const phases: { phase: string; startMs?: number; endMs: number; calls?: number; msInCalls?: number }[] = [];
        const span = (name: string, cs: { start: number; ms: number }[]) => {
            if (cs.length === 0) return;
            const start = Math.min(...cs.map((c) => c.start));
            const end = Math.max(...cs.map((c) => c.start + c.ms));
            const sum = cs.reduce((a, c) => a + c.ms, 0);
            rows.push([name, at(start), at(end), `${cs.length} call(s), ${ms(sum)} in calls`]);
            phases.push({ phase: name, startMs: start - t0, endMs: end - t0, calls: cs.length, msInCalls: sum });
        };
        span("language host: GetRequiredPlugins/Packages", calls(/LanguageRuntime\/GetRequired(Plugins|Packages)$/));
        span("language host: Run (the program)", calls(/LanguageRuntime\/Run$/));
        if (program) {
            rows.push(["Node.js process of the program", at(program.start), at(program.exit), ""]);
            phases.push({
                phase: "Node.js process of the program",
                startMs: program.start - t0,
                endMs: program.exit - t0,
            });
            const index = program.loads.find((l) => l.module.endsWith("index.ts"));
            if (index) {
                rows.push(["program module (index.ts and all it loads)", at(index.start), at(index.end), ""]);
                phases.push({ phase: "program module", startMs: index.start - t0, endMs: index.end - t0 });
            }
        }
        span("ResourceMonitor.RegisterResource", calls(/ResourceMonitor\/RegisterResource$/));
        span("ResourceMonitor.RegisterResourceOutputs", calls(/ResourceMonitor\/RegisterResourceOutputs$/));
        span("ResourceMonitor (all other)", calls(/ResourceMonitor\/(?!RegisterResource)/));
        for (const m of [...new Set(grpc.map((c) => c.method))].filter((m) => /ResourceProvider\//.test(m))) {
            span(`provider ${m.split("/").pop()}`, calls(new RegExp(`${m.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`)));
        }
        rows.push(["`pulumi preview` exits", "", at(t0 + r.ms), ""]);
        phases.push({ phase: "pulumi preview exits", endMs: r.ms });
        printTable(["phase", "start", "end", "calls"], rows);

        const loads = program ? [...program.loads].sort((a, b) => b.selfMs - a.selfMs) : [];
        if (program) {
            console.log(
                "\nIn the program's Node.js process: first loads, self time (compiling and running that module):",
            );
            printTable(
                ["module", "at", "self"],
                loads.slice(0, 16).map((l) => [l.module.replace(backline.dir, "<project>"), at(l.start), ms(l.selfMs)]),
            );
        }
        const profiles = program
            ? [`cpu-${program.pid}.cpuprofile`].filter((f) => fs.existsSync(path.join(out, f)))
            : [];
        const cpuProfiles: { file: string; profiledMs: number; selfMsByPackage: Record<string, number> }[] = [];
        for (const f of profiles) {
            const prof = JSON.parse(fs.readFileSync(path.join(out, f), "utf8")) as CpuProfile;
            const groups = [...cpuByPackage(prof, backline.dir)].sort((a, b) => b[1] - a[1]);
            const total = (prof.endTime - prof.startTime) / 1000;
            cpuProfiles.push({ file: f, profiledMs: total, selfMsByPackage: Object.fromEntries(groups) });
            console.log(`\nV8 CPU profile of the program (${f}, ${ms(total)} profiled), self time by package:`);
            printTable(
                ["package", "self time", "share"],
                groups.slice(0, 14).map(([g, t]) => [g, ms(t), `${((100 * t) / total).toFixed(0)}%`]),
            );
        }
        if (hasFlag("keep")) console.log(`\nraw files kept in ${out}`);
        report.write({
            command: "pulumi preview --refresh=false",
            engine: { version: engine.version, source: engine.source },
            conditions: load,
            wallMs: r.ms,
            peakRssTreeBytes: r.peakBytes,
            processes: r.processes.map((p) => ({
                name: p.name,
                pid: p.pid,
                cpuMs: p.cpuMs,
                peakRssBytes: p.peakBytes,
            })),
            phases,
            programLoads: loads.map((l) => ({
                module: l.module.replace(backline.dir, "<project>"),
                atMs: l.start - t0,
                selfMs: l.selfMs,
            })),
            cpuProfiles,
            ...(hasFlag("keep") ? { rawFiles: out } : {}),
        });
    } finally {
        backline.cleanup();
        env.cleanup();
        if (!hasFlag("keep")) fs.rmSync(out, { recursive: true, force: true });
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});

/**
 * Benchmark (not a test): `pulumi preview --refresh=false` of the Backline stack against the two
 * floors it cannot go below — a program with one ConfigMap through an explicit Kubernetes provider,
 * and an empty program — on the same engine, alternating the programs within each round. Prints
 * wall time and peak RSS of the whole process tree (CLI, language hosts, Node.js, plugins) and of
 * its largest process (what `/usr/bin/time -f %M` reports): median, min–max, and the ratios of
 * the medians.
 *
 *   npm run bench:preview -- [--runs=5] [--compare] [--policy[=PACK,...]] [--json=FILE]
 *
 * The Backline stack is the dev stack's configuration (the chart's minimal installation: collector
 * on with an existing role, the cluster's default storage class) in render mode (manifests to a temp
 * folder; no cluster), the other two render too. All three compile as tsconfig.json says (ts-node
 * with swc). `--compare` adds the stack compiled the two earlier ways, through a tsconfig that
 * differs only in its "ts-node" section (selected with PULUMI_NODEJS_TSCONFIG_PATH): TypeScript's
 * own transpiler (`transpileOnly`), and type-checked (no section: ts-node's default, as before
 * issue 10). `--policy` adds the stack previewed with Backline's policy pack
 * (`--policy-pack policy/analyzer`, docs/operate/policies.md);
 * `--policy=PACK,...` with each of the packs given instead (e.g. another checkout's, to compare).
 * The figures also go to a JSON file (bench/report.ts).
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, describeRun, engineEnv, findEngine, runPulumi } from "../test/e2e/support/engine";
import { copyProject } from "../test/e2e/support/project";
import {
    conditions,
    configMapProgram,
    emptyProgram,
    fmtMiB,
    fmtSeconds,
    hasFlag,
    largestProcess,
    measure,
    numberFlag,
    printTable,
    ratio,
    stats,
} from "./support";
import { BenchReport, sample } from "./report";

/** The dev stack's settings (Pulumi.dev.yaml), rendering instead of applying. */
export function devStackConfig(renderDir: string): string[][] {
    return [
        ["config", "set", "--secret", "accessKey", "bench-key"],
        ["config", "set", "baseUrl", "https://staging-app.backline.ai"],
        ["config", "set", "--path", "logging.region", "us-west-1"],
        ["config", "set", "--path", "logging.roleArn", "arn:aws:iam::123456789012:role/YourOtelRole"],
        ["config", "set", "--path", "kubernetes.renderYamlToDirectory", renderDir],
    ];
}

/** `--policy` (Backline's pack) or `--policy=PACK,...`: absolute paths of the packs to preview with. */
function policyPacks(): string[] {
    if (hasFlag("policy")) return [path.join(REPO_ROOT, "policy", "analyzer")];
    const arg = process.argv.find((a) => a.startsWith("--policy="));
    return arg === undefined
        ? []
        : arg
              .slice("--policy=".length)
              .split(",")
              .map((p) => path.resolve(p));
}

async function main(): Promise<void> {
    const runs = numberFlag("runs", 5);
    const engine = findEngine((reason) => console.error(`no engine: ${reason}`));
    if (!engine) process.exit(2);
    const env = engineEnv(engine, { passphrase: "bench" });
    const render = fs.mkdtempSync(path.join(os.tmpdir(), "bench-render-"));
    const backline = copyProject();
    const configmap = configMapProgram();
    const empty = emptyProgram();
    const run = async (cwd: string, args: string[]) => {
        const r = await runPulumi(args, { cwd, env: env.env, pulumi: engine.pulumi });
        if (r.code !== 0) throw new Error(describeRun(args, r));
    };
    const report = new BenchReport("preview");
    const programs: { name: string; dir: string; env: NodeJS.ProcessEnv; extraArgs?: string[] }[] = [
        { name: "backline", dir: backline.dir, env: env.env },
        { name: "one ConfigMap", dir: configmap.dir, env: env.env },
        { name: "empty", dir: empty.dir, env: env.env },
    ];
    const packs = policyPacks();
    packs.forEach((pack, i) =>
        programs.splice(1 + i, 0, {
            name: `backline with ${path.relative(process.cwd(), pack) || pack}`,
            dir: backline.dir,
            env: env.env,
            extraArgs: ["--policy-pack", pack],
        }),
    );
    if (hasFlag("compare")) {
        const tsconfig = fs.readFileSync(path.join(backline.dir, "tsconfig.json"), "utf8");
        const section = /"ts-node": \{[^}]*\},\n/;
        if (!section.test(tsconfig)) throw new Error('tsconfig.json has no "ts-node" section to vary');
        fs.writeFileSync(
            path.join(backline.dir, "tsconfig.tsc.json"),
            tsconfig.replace(section, '"ts-node": { "transpileOnly": true },\n'),
        );
        fs.writeFileSync(path.join(backline.dir, "tsconfig.check.json"), tsconfig.replace(section, ""));
        programs.push(
            {
                name: "backline, TypeScript transpiler",
                dir: backline.dir,
                env: { ...env.env, PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.tsc.json" },
            },
            {
                name: "backline, type-checked",
                dir: backline.dir,
                env: { ...env.env, PULUMI_NODEJS_TSCONFIG_PATH: "tsconfig.check.json" },
            },
        );
    }
    try {
        for (const p of [backline, configmap, empty]) await run(p.dir, ["stack", "init", "bench"]);
        for (const args of devStackConfig(path.join(render, "backline"))) await run(backline.dir, args);
        await run(configmap.dir, ["config", "set", "renderYamlToDirectory", path.join(render, "configmap")]);

        const preview = ["preview", "--refresh=false", "--non-interactive"];
        const once = async (p: (typeof programs)[number]) => {
            const r = await measure(engine.pulumi, [...preview, ...(p.extraArgs ?? [])], { cwd: p.dir, env: p.env });
            if (r.code !== 0) throw new Error(`${p.name}: preview failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
            return r;
        };
        // One unmeasured run each: the first start of Node, ts-node and the plugins fills OS caches.
        for (const p of programs) await once(p);
        const before = conditions();
        report.begin();
        const ms = new Map<string, number[]>(programs.map((p) => [p.name, []]));
        const rss = new Map<string, number[]>(programs.map((p) => [p.name, []]));
        const largest = new Map<string, number[]>(programs.map((p) => [p.name, []]));
        const cpu = new Map<string, number[]>(programs.map((p) => [p.name, []]));
        for (let i = 0; i < runs; i++) {
            // Rotate the order so that no program always runs first (or right after the heaviest).
            for (let j = 0; j < programs.length; j++) {
                const p = programs[(i + j) % programs.length];
                const r = await once(p);
                ms.get(p.name)?.push(r.ms);
                rss.get(p.name)?.push(r.peakBytes);
                largest.get(p.name)?.push(largestProcess(r));
                cpu.get(p.name)?.push(r.processes.reduce((sum, x) => sum + x.cpuMs, 0));
            }
        }
        console.log(
            `pulumi preview --refresh=false, engine ${engine.version} (${engine.source}), ${runs} runs each, alternating`,
        );
        console.log(`start: ${before}`);
        console.log(`end:   ${conditions()}`);
        const t = (n: string) => stats(ms.get(n) ?? []);
        // Each round runs every program once, back to back: the ratio within a round shares its load.
        const pairedRatios = (n: string) => (ms.get(n) ?? []).map((x, i) => x / (ms.get("backline") ?? [])[i]);
        const m = (n: string) => stats(rss.get(n) ?? []);
        printTable(
            [
                "program",
                "wall: median (min–max)",
                "peak RSS, process tree",
                "peak RSS, largest process",
                "CPU, process tree",
                "time / one ConfigMap",
                "time / empty",
            ],
            programs.map((p) => [
                p.name,
                fmtSeconds(t(p.name)),
                fmtMiB(m(p.name)),
                fmtMiB(stats(largest.get(p.name) ?? [])),
                fmtSeconds(stats(cpu.get(p.name) ?? [])),
                ratio(t(p.name), t("one ConfigMap")),
                ratio(t(p.name), t("empty")),
            ]),
        );
        for (const p of programs.filter((x) => x.extraArgs)) {
            const c = (n: string) => stats(cpu.get(n) ?? []);
            const paired = stats(pairedRatios(p.name));
            console.log(
                `${p.name} / without a pack: wall ${ratio(t(p.name), t("backline"))} ` +
                    `(paired by round: ${paired.median.toFixed(2)}×, ${paired.min.toFixed(2)}–${paired.max.toFixed(2)}), ` +
                    `CPU ${ratio(c(p.name), c("backline"))}`,
            );
        }
        report.write({
            command: "pulumi preview --refresh=false",
            engine: { version: engine.version, source: engine.source },
            runs,
            programs: programs.map((p) => ({
                name: p.name,
                extraArgs: p.extraArgs ?? [],
                wallMs: sample(ms.get(p.name) ?? []),
                peakRssTreeBytes: sample(rss.get(p.name) ?? []),
                peakRssLargestProcessBytes: sample(largest.get(p.name) ?? []),
                cpuTreeMs: sample(cpu.get(p.name) ?? []),
                wallRatioToOneConfigMap: t(p.name).median / t("one ConfigMap").median,
                wallRatioToEmpty: t(p.name).median / t("empty").median,
                wallRatioToBacklineByRound: sample(pairedRatios(p.name)),
            })),
        });
    } finally {
        backline.cleanup();
        configmap.cleanup();
        empty.cleanup();
        env.cleanup();
        fs.rmSync(render, { recursive: true, force: true });
    }
}

if (require.main === module) {
    main().catch((err) => {
        console.error(err);
        process.exit(1);
    });
}

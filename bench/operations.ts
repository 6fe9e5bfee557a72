/**
 * Benchmark (not a test): every operation a user runs, on a real kube-apiserver (with the
 * controller-manager; no nodes yet, so the stacks set `kubernetes.skipAwait` and nothing waits for
 * pods or the install Job): a fresh `up`, a no-op `up` (refresh included, as `Pulumi.yaml` makes
 * users run it), an `up` after one changed value, and `destroy`. Each round deploys a new stack per
 * program in its own namespace, and runs each operation for every program before the next one,
 * rotating the order. Prints wall time and peak RSS of the `pulumi` process tree per operation.
 *
 *   npm run bench:operations -- [--runs=3]   the Backline stack vs a one-ConfigMap program
 *   npm run bench:growth -- [--runs=3]       the Backline stack with 1, 4, 16 `worker.env` entries,
 *                                            `worker.replicaCount` 1 and 10
 *
 * `up` runs as the Automation API runs it (`--yes --skip-preview`), with `--refresh`. The figures
 * also go to a JSON file (`--json=FILE`, bench/report.ts).
 */
import { startApiServer } from "../test/support/apiserver";
import { describeRun, engineEnv, findEngine, runPulumi } from "../test/e2e/support/engine";
import { copyProject } from "../test/e2e/support/project";
import {
    conditions,
    configMapProgram,
    fmtMiB,
    fmtSeconds,
    measure,
    numberFlag,
    printTable,
    ProgramDir,
    ratio,
    stats,
    Stats,
} from "./support";
import { BenchReport, sample } from "./report";

interface Variant {
    readonly name: string;
    readonly program: "backline" | "configmap";
    /** `pulumi config set-all --path` arguments for round `round`. */
    readonly config: (round: number, kubeconfig: string) => string[];
    /** The one value the third operation changes. */
    readonly change: string[];
}

function backline(name: string, extra: string[]): Variant {
    return {
        name,
        program: "backline",
        config: (round, kubeconfig) => [
            "--secret",
            "accessKey=bench-key",
            "--plaintext",
            "baseUrl=https://staging-app.backline.ai",
            "--plaintext",
            `namespaceOverride=bench-${name.replace(/[^a-z0-9]+/g, "-")}-${round}`,
            "--plaintext",
            "logging.region=us-west-1",
            "--plaintext",
            "logging.roleArn=arn:aws:iam::123456789012:role/YourOtelRole",
            "--plaintext",
            `kubernetes.kubeconfig=${kubeconfig}`,
            "--plaintext",
            "kubernetes.skipAwait=true",
            ...extra,
        ],
        change: ["config", "set", "--path", "janitor.schedule", "*/5 * * * *"],
    };
}

function envEntries(n: number): string[] {
    return Array.from({ length: n }, (_, i) => [
        "--plaintext",
        `worker.env[${i}].name=BENCH_${i}`,
        "--plaintext",
        `worker.env[${i}].value=v${i}`,
    ]).flat();
}

const configmap: Variant = {
    name: "one ConfigMap",
    program: "configmap",
    config: (round, kubeconfig) => ["--plaintext", `kubeconfig=${kubeconfig}`, "--plaintext", `name=bench-${round}`],
    change: ["config", "set", "value", "2"],
};

const MODES: Record<string, { variants: Variant[]; baseline: string }> = {
    operations: { variants: [backline("backline", []), configmap], baseline: "one ConfigMap" },
    growth: {
        variants: [
            backline("env 1", envEntries(1)),
            backline("env 4", envEntries(4)),
            backline("env 16", envEntries(16)),
            backline("replicas 1", ["--plaintext", "worker.replicaCount=1"]),
            backline("replicas 10", ["--plaintext", "worker.replicaCount=10"]),
        ],
        baseline: "env 1",
    },
};

const OPERATIONS = ["fresh up", "no-op up", "one-value up", "destroy"] as const;
type Operation = (typeof OPERATIONS)[number];

async function main(): Promise<void> {
    const modeName = process.argv[2] ?? "operations";
    const mode = MODES[modeName];
    if (!mode) throw new Error(`mode must be one of ${Object.keys(MODES).join(", ")}; got ${JSON.stringify(modeName)}`);
    const runs = numberFlag("runs", 3);
    const engine = findEngine((reason) => console.error(`no engine: ${reason}`));
    if (!engine) process.exit(2);
    const kube = await startApiServer();
    const env = engineEnv(engine, { passphrase: "bench" });
    const projects: Record<Variant["program"], ProgramDir> = { backline: copyProject(), configmap: configMapProgram() };
    const cli = async (dir: string, args: string[]) => {
        const r = await runPulumi(args, { cwd: dir, env: env.env, pulumi: engine.pulumi, timeoutMs: 900_000 });
        if (r.code !== 0) throw new Error(describeRun(args, r));
    };
    const opArgs: Record<Operation, string[]> = {
        "fresh up": ["up", "--yes", "--skip-preview", "--refresh"],
        "no-op up": ["up", "--yes", "--skip-preview", "--refresh"],
        "one-value up": ["up", "--yes", "--skip-preview", "--refresh"],
        destroy: ["destroy", "--yes", "--skip-preview", "--refresh"],
    };
    const key = (v: Variant, op: Operation) => `${v.name}\u0000${op}`;
    const times = new Map<string, number[]>();
    const peaks = new Map<string, number[]>();
    const push = (m: Map<string, number[]>, k: string, x: number) => m.set(k, [...(m.get(k) ?? []), x]);
    const start = conditions();
    const report = new BenchReport(modeName);
    try {
        // Round 0 warms the caches and is not counted.
        for (let round = 0; round <= runs; round++) {
            const stack = (v: Variant) => `${v.name.replace(/[^a-z0-9]+/gi, "-")}-${round}`;
            for (const v of mode.variants) {
                const dir = projects[v.program].dir;
                await cli(dir, ["stack", "init", stack(v)]);
                await cli(dir, [
                    "config",
                    "set-all",
                    "--path",
                    "--stack",
                    stack(v),
                    ...v.config(round, kube.kubeconfig),
                ]);
            }
            for (const op of OPERATIONS) {
                for (let j = 0; j < mode.variants.length; j++) {
                    const v = mode.variants[(round + j) % mode.variants.length];
                    const dir = projects[v.program].dir;
                    if (op === "one-value up") await cli(dir, [...v.change, "--stack", stack(v)]);
                    const r = await measure(engine.pulumi, [...opArgs[op], "--stack", stack(v), "--non-interactive"], {
                        cwd: dir,
                        env: env.env,
                    });
                    if (r.code !== 0)
                        throw new Error(`${v.name}: ${op} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
                    if (round > 0) {
                        push(times, key(v, op), r.ms);
                        push(peaks, key(v, op), r.peakBytes);
                    }
                }
            }
            for (const v of mode.variants)
                await cli(projects[v.program].dir, ["stack", "rm", "--yes", "--force", stack(v)]);
        }
        console.log(
            `${modeName}: pulumi up/destroy on a real kube-apiserver (skipAwait, no nodes), engine ${engine.version}, ${runs} rounds after a warm-up round`,
        );
        console.log(`start: ${start}`);
        console.log(`end:   ${conditions()}`);
        const t = (v: Variant, op: Operation): Stats => stats(times.get(key(v, op)) ?? []);
        const base = mode.variants.find((v) => v.name === mode.baseline) as Variant;
        printTable(
            [
                "operation",
                ...mode.variants.map((v) => `${v.name}: wall`),
                ...mode.variants.map((v) => `${v.name}: peak RSS`),
                ...mode.variants.filter((v) => v !== base).map((v) => `${v.name} / ${base.name}`),
            ],
            OPERATIONS.map((op) => [
                op,
                ...mode.variants.map((v) => fmtSeconds(t(v, op))),
                ...mode.variants.map((v) => fmtMiB(stats(peaks.get(key(v, op)) ?? []))),
                ...mode.variants.filter((v) => v !== base).map((v) => ratio(t(v, op), t(base, op))),
            ]),
        );
        report.write({
            command: "pulumi up|destroy --yes --skip-preview --refresh",
            engine: { version: engine.version, source: engine.source },
            runs,
            baseline: base.name,
            operations: OPERATIONS.map((op) => ({
                operation: op,
                variants: mode.variants.map((v) => ({
                    name: v.name,
                    wallMs: sample(times.get(key(v, op)) ?? []),
                    peakRssTreeBytes: sample(peaks.get(key(v, op)) ?? []),
                    wallRatioToBaseline: t(v, op).median / t(base, op).median,
                })),
            })),
        });
    } finally {
        for (const p of Object.values(projects)) p.cleanup();
        env.cleanup();
        await kube.stop();
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});

/**
 * Benchmark (not a test): the program under Pulumi's mocks, as `npm test` runs it
 * (test/support/mocks.ts `runProgram`), against the floor of importing the bare SDK, each in a
 * fresh Node.js process with ts-node (transpile-only, as .mocharc.json registers it), alternating.
 * Prints wall time and peak RSS per process, and, for the program, the time of its first run
 * (imports included) and of a second run in the same process (what each further test pays).
 *
 *   npm run bench:mocked -- [--runs=7] [--json=FILE]
 *
 * The figures also go to a JSON file (bench/report.ts).
 */
import * as path from "path";
import { conditions, fmtMiB, fmtSeconds, measure, numberFlag, printTable, ratio, stats } from "./support";
import { BenchReport, sample } from "./report";

async function main(): Promise<void> {
    const runs = numberFlag("runs", 7);
    const kinds = ["sdk", "sdk+kubernetes", "program"] as const;
    const wall = new Map<string, number[]>();
    const rss = new Map<string, number[]>();
    const first = new Map<string, number[]>();
    const warm: number[] = [];
    const push = (m: Map<string, number[]>, k: string, x: number) => m.set(k, [...(m.get(k) ?? []), x]);
    const start = conditions();
    const report = new BenchReport("mocked");
    let resources = 0;
    for (let i = 0; i <= runs; i++) {
        for (let j = 0; j < kinds.length; j++) {
            const kind = kinds[(i + j) % kinds.length];
            const r = await measure(
                process.execPath,
                ["-r", "ts-node/register/transpile-only", path.join(__dirname, "mocked-child.ts"), kind],
                {
                    cwd: process.cwd(),
                    env: process.env,
                },
            );
            if (r.code !== 0) throw new Error(`${kind} failed (exit ${r.code}):\n${r.stderr}\n${r.stdout}`);
            if (i === 0) continue; // warm-up round
            const out = JSON.parse(r.stdout.trim().split("\n").pop() as string) as {
                firstMs: number;
                warmMs?: number;
                resources?: number;
            };
            push(wall, kind, r.ms);
            push(rss, kind, r.peakBytes);
            push(first, kind, out.firstMs);
            if (out.warmMs !== undefined) warm.push(out.warmMs);
            resources = out.resources ?? resources;
        }
    }
    console.log(
        `mocked evaluation vs bare SDK import, fresh node + ts-node (transpile-only) per run, ${runs} runs each, alternating`,
    );
    console.log(`start: ${start}`);
    console.log(`end:   ${conditions()}`);
    const w = (k: string) => stats(wall.get(k) ?? []);
    printTable(
        ["process", "wall (whole process)", "import / first run inside it", "peak RSS", "wall / sdk"],
        kinds.map((k) => [
            k === "program" ? `program under mocks (minimal example, ${resources} resources)` : `import ${k}`,
            fmtSeconds(w(k)),
            fmtSeconds(stats(first.get(k) ?? [])),
            fmtMiB(stats(rss.get(k) ?? [])),
            ratio(w(k), w("sdk")),
        ]),
    );
    console.log(
        `second run of the program in the same process (what each further test pays): ${fmtSeconds(stats(warm))}`,
    );
    report.write({
        command: "node -r ts-node/register/transpile-only bench/mocked-child.ts <kind>",
        runs,
        resources,
        kinds: kinds.map((k) => ({
            kind: k,
            wallMs: sample(wall.get(k) ?? []),
            firstRunMs: sample(first.get(k) ?? []),
            peakRssTreeBytes: sample(rss.get(k) ?? []),
            wallRatioToSdk: w(k).median / w("sdk").median,
        })),
        secondRunMs: sample(warm),
    });
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});

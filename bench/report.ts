/**
 * The machine-readable side of every benchmark: the same figures as its printed tables, as one JSON
 * document, from which the documentation's charts are drawn. Each `npm run bench:*` writes it to
 * `--json=FILE` (or `--json FILE`), by default `.cache/bench/<benchmark>-<time>.json`, and prints
 * the path as its last line.
 *
 * Units are in the keys (`wallMs`, `peakRssTreeBytes`); every measured quantity is a `Sample`:
 * median, min, max, n and the samples themselves, in the order they were taken. The machine's state
 * (cores, memory, load averages) is recorded when the benchmark starts and when it ends: on a
 * shared machine the load says how far absolute times can be trusted, ratios of alternating runs
 * less so.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../test/e2e/support/engine";
import { Stats, stats } from "./support";

export interface MachineState {
    /** ISO 8601. */
    readonly time: string;
    readonly cores: number;
    readonly memoryBytes: number;
    readonly node: string;
    /** `/proc/loadavg`: 1, 5 and 15 minutes. */
    readonly load: readonly [number, number, number];
}

export function machineState(now = new Date()): MachineState {
    const [a, b, c] = fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).map(Number);
    return {
        time: now.toISOString(),
        cores: os.cpus().length,
        memoryBytes: os.totalmem(),
        node: process.version,
        load: [a, b, c],
    };
}

export interface Sample extends Stats {
    readonly samples: readonly number[];
}

/** The statistics of `xs` (as the tables print them) with the samples. */
export function sample(xs: readonly number[]): Sample {
    return { ...stats(xs), samples: [...xs] };
}

/** Where the JSON goes: `--json=FILE` / `--json FILE`, else `.cache/bench/<benchmark>-<time>.json`. */
export function jsonPath(benchmark: string, argv: readonly string[] = process.argv, now = new Date()): string {
    const i = argv.findIndex((a) => a === "--json" || a.startsWith("--json="));
    if (i >= 0) {
        const value = argv[i] === "--json" ? argv[i + 1] : argv[i].slice("--json=".length);
        if (!value || value.startsWith("--")) throw new Error("--json needs a file name: --json=FILE");
        return path.resolve(value);
    }
    const stamp = now.toISOString().replace(/[:.]/g, "-");
    return path.join(REPO_ROOT, ".cache", "bench", `${benchmark}-${stamp}.json`);
}

export interface BenchDocument<R> {
    readonly benchmark: string;
    /** The benchmark's own arguments (`--runs=3`, …). */
    readonly args: readonly string[];
    readonly start: MachineState;
    readonly end: MachineState;
    readonly results: R;
}

/**
 * Made when the benchmark starts (`begin` again after a warm-up); `write` records the end state,
 * writes the document and prints its path.
 */
export class BenchReport {
    private start = machineState();
    constructor(
        readonly benchmark: string,
        readonly argv: readonly string[] = process.argv,
    ) {}

    /** The measured part starts now (after set-up and warm-up runs). */
    begin(): void {
        this.start = machineState();
    }

    write<R>(results: R): string {
        const file = jsonPath(this.benchmark, this.argv);
        const doc: BenchDocument<R> = {
            benchmark: this.benchmark,
            args: this.argv.slice(2),
            start: this.start,
            end: machineState(),
            results,
        };
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
        console.log(`JSON: ${file}`);
        return file;
    }
}

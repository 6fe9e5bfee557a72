/**
 * The benchmarks' JSON (bench/report.ts): where it goes, and that it holds the printed statistics
 * with their samples and the machine's load at the start and the end.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { BenchDocument, BenchReport, jsonPath, sample } from "../bench/report";
import { REPO_ROOT } from "./e2e/support/engine";

describe("benchmark JSON", () => {
    const now = new Date("2026-12-01T10:20:30.456Z");
    const table: [string, string[], string][] = [
        ["--json=FILE", ["node", "b.ts", "--runs=3", "--json=out/p.json"], path.resolve("out/p.json")],
        ["--json FILE", ["node", "b.ts", "--json", "/tmp/x.json", "--runs=3"], "/tmp/x.json"],
        [
            "no flag: .cache/bench/<benchmark>-<time>.json",
            ["node", "b.ts", "--runs=3"],
            path.join(REPO_ROOT, ".cache", "bench", "preview-2026-12-01T10-20-30-456Z.json"),
        ],
    ];
    for (const [title, argv, expected] of table) {
        it(`goes to ${title}`, () => assert.equal(jsonPath("preview", argv, now), expected));
    }

    for (const argv of [
        ["node", "b.ts", "--json"],
        ["node", "b.ts", "--json", "--runs=3"],
        ["node", "b.ts", "--json="],
    ]) {
        it(`refuses ${argv.slice(2).join(" ")} without a file name`, () =>
            assert.throws(() => jsonPath("preview", argv, now), /--json needs a file name/));
    }

    it("a sample holds the table's median, min, max and every sample in order", () => {
        assert.deepEqual(sample([30, 10, 20, 40]), { median: 25, min: 10, max: 40, n: 4, samples: [30, 10, 20, 40] });
        assert.deepEqual(sample([5]), { median: 5, min: 5, max: 5, n: 1, samples: [5] });
        assert.throws(() => sample([]), /no samples/);
    });

    it("writes the results with the arguments and the machine's state at the start and the end", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bench-json-"));
        const file = path.join(dir, "nested", "r.json");
        const logged: string[] = [];
        const log = console.log;
        console.log = (line: string) => logged.push(line);
        try {
            const report = new BenchReport("preview", ["node", "preview.ts", "--runs=2", `--json=${file}`]);
            report.begin();
            assert.equal(report.write({ programs: [{ name: "a", wallMs: sample([1, 2]) }] }), file);
        } finally {
            console.log = log;
        }
        const doc = JSON.parse(fs.readFileSync(file, "utf8")) as BenchDocument<unknown>;
        fs.rmSync(dir, { recursive: true, force: true });
        assert.deepEqual(logged, [`JSON: ${file}`]);
        assert.equal(doc.benchmark, "preview");
        assert.deepEqual(doc.args, ["--runs=2", `--json=${file}`]);
        assert.deepEqual(doc.results, { programs: [{ name: "a", wallMs: sample([1, 2]) }] });
        for (const state of [doc.start, doc.end]) {
            assert.equal(state.cores, os.cpus().length);
            assert.equal(state.load.length, 3);
            assert.ok(state.load.every((x) => Number.isFinite(x) && x >= 0));
            assert.ok(Date.parse(state.time) <= Date.parse(doc.end.time));
        }
    });
});

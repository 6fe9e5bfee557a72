/**
 * The benchmark charts of the documentation, drawn from the benchmarks' own JSON (bench/report.ts:
 * `npm run bench:* -- --json=docs/data/bench/<name>.json`) with Vega-Lite and rendered to SVG in
 * Node, so no figure on the site is typed by hand.
 *
 *   npm run docs:charts        # docs/data/bench/*.json -> docs/public/charts/*.svg
 *
 * Each chart says when and under what load its figures were measured (the document's start and
 * end state); a document made from older tables says so in its `seed` field, shown the same way.
 */
import * as fs from "fs";
import * as path from "path";

const repoRoot = path.resolve(__dirname, "..");
export const dataDir = path.join(repoRoot, "docs", "data", "bench");
export const chartDir = path.join(repoRoot, "docs", "public", "charts");

/** The parts of a benchmark's statistics the charts read (bench/report.ts `Sample`). */
export interface SampleStats {
    readonly median: number;
    readonly min: number;
    readonly max: number;
    readonly n: number;
}

/** The parts of a benchmark document the charts read (bench/report.ts `BenchDocument`). */
export interface BenchDoc {
    readonly benchmark: string;
    readonly start: { readonly time: string; readonly cores: number; readonly load: readonly number[] };
    readonly end: { readonly time: string; readonly load: readonly number[] };
    /** Set on a document made from earlier printed tables instead of a run's own output. */
    readonly seed?: string;
    readonly results: Record<string, unknown>;
}

export interface Chart {
    /** File name under docs/public/charts/, without `.svg`. */
    readonly name: string;
    readonly spec: Record<string, unknown>;
}

type Row = Record<string, string | number>;

const seconds = (ms: number) => Math.round(ms) / 1000;
const mib = (bytes: number) => Math.round(bytes / 1024 / 1024);

/** "1 Dec 2026 · 2 cores · load 7.1–11.8", the conditions a reader needs to judge the figures. */
export function conditionsOf(doc: BenchDoc): string {
    const day = new Date(doc.start.time).toLocaleDateString("en-GB", {
        day: "numeric",
        month: "short",
        year: "numeric",
        timeZone: "UTC",
    });
    const loads = [doc.start.load[0], doc.end.load[0]];
    const load =
        loads[0] === loads[1] ? `${loads[0]}` : `${Math.min(...loads)}–${Math.max(...loads)}`.replace(/\.0\b/g, "");
    return `${day} · ${doc.start.cores} cores · load ${load}${doc.seed ? " · from the printed tables" : ""}`;
}

function base(title: string, doc: BenchDoc, rows: Row[]): Record<string, unknown> {
    return {
        $schema: "https://vega.github.io/schema/vega-lite/v6.json",
        title: { text: title, subtitle: conditionsOf(doc), anchor: "start" },
        data: { values: rows },
        config: { font: "sans-serif", view: { stroke: null }, axis: { grid: true, gridOpacity: 0.4 } },
    };
}

/** Horizontal bars of medians with min–max whiskers, one per `label`. */
function medianBars(title: string, doc: BenchDoc, rows: Row[], unit: string): Record<string, unknown> {
    const y = { field: "label", type: "nominal", sort: null, title: null, axis: { labelLimit: 260 } };
    return {
        ...base(title, doc, rows),
        width: 420,
        height: { step: 26 },
        layer: [
            {
                mark: { type: "bar", color: "#3c6fd1" },
                encoding: { y, x: { field: "median", type: "quantitative", title: `median ${unit}` } },
            },
            {
                mark: { type: "rule", color: "#222" },
                encoding: { y, x: { field: "min", type: "quantitative" }, x2: { field: "max" } },
            },
            {
                mark: { type: "text", align: "left", dx: 4, dy: -8, fontSize: 10 },
                encoding: { y, x: { field: "max", type: "quantitative" }, text: { field: "median" } },
            },
        ],
    };
}

/** Bars per group (`group` on x), one per `series`, with whiskers. */
function groupedBars(title: string, doc: BenchDoc, rows: Row[], unit: string): Record<string, unknown> {
    const x = { field: "group", type: "nominal", sort: null, title: null, axis: { labelAngle: 0 } };
    return {
        ...base(title, doc, rows),
        width: 460,
        height: 220,
        encoding: { x, xOffset: { field: "series", sort: null } },
        layer: [
            {
                mark: "bar",
                encoding: {
                    y: { field: "median", type: "quantitative", title: `median ${unit}` },
                    color: { field: "series", type: "nominal", sort: null, title: null },
                },
            },
            {
                mark: { type: "rule", color: "#222" },
                encoding: { y: { field: "min", type: "quantitative" }, y2: { field: "max" } },
            },
        ],
    };
}

/** Lines over `x`, one per `series`. */
function lines(title: string, doc: BenchDoc, rows: Row[], xTitle: string, yTitle: string): Record<string, unknown> {
    return {
        ...base(title, doc, rows),
        width: 420,
        height: 220,
        mark: { type: "line", point: true },
        encoding: {
            x: { field: "x", type: "quantitative", title: xTitle, axis: { tickMinStep: 1 } },
            y: { field: "y", type: "quantitative", title: yTitle },
            color: { field: "series", type: "nominal", sort: null, title: null },
        },
    };
}

interface Stat {
    median: number;
    min: number;
    max: number;
}
const statRow = (s: SampleStats, scale: (v: number) => number): Stat => ({
    median: scale(s.median),
    min: scale(s.min),
    max: scale(s.max),
});

type Results<T> = { readonly [K in keyof T]: T[K] };
const resultsOf = <T>(doc: BenchDoc) => doc.results as unknown as Results<T>;

/** The charts one benchmark document gives (none for a benchmark without a chart). */
export function chartsOf(doc: BenchDoc, file: string): Chart[] {
    const name = path.basename(file, ".json");
    switch (doc.benchmark) {
        case "preview": {
            const r = resultsOf<{ programs: { name: string; wallMs: SampleStats; peakRssTreeBytes: SampleStats }[] }>(
                doc,
            );
            return [
                {
                    name,
                    spec: medianBars(
                        "pulumi preview, render mode: wall time (s)",
                        doc,
                        r.programs.map((p) => ({ label: p.name, ...statRow(p.wallMs, seconds) })),
                        "s",
                    ),
                },
                {
                    name: `${name}-memory`,
                    spec: medianBars(
                        "pulumi preview: peak memory of the process tree (MiB)",
                        doc,
                        r.programs.map((p) => ({ label: p.name, ...statRow(p.peakRssTreeBytes, mib) })),
                        "MiB",
                    ),
                },
            ];
        }
        case "operations":
        case "growth": {
            const r = resultsOf<{
                operations: { operation: string; variants: { name: string; wallMs: SampleStats }[] }[];
            }>(doc);
            const rows = r.operations.flatMap((o) =>
                o.variants.map((v) => ({ group: o.operation, series: v.name, ...statRow(v.wallMs, seconds) })),
            );
            const title =
                doc.benchmark === "operations"
                    ? "Operations on a real API server: wall time (s)"
                    : "How cost grows with worker.env entries and replicas: wall time (s)";
            return [{ name, spec: groupedBars(title, doc, rows, "s") }];
        }
        case "concurrency": {
            const r = resultsOf<{ sizes: { n: number; wallMs: SampleStats; peakRssTreeBytes: SampleStats }[] }>(doc);
            return [
                {
                    name,
                    spec: lines(
                        "N stacks deployed at once: total wall time (s)",
                        doc,
                        r.sizes.map((s) => ({ x: s.n, y: seconds(s.wallMs.median), series: "wall time" })),
                        "stacks at once (N)",
                        "median s",
                    ),
                },
                {
                    name: `${name}-memory`,
                    spec: lines(
                        "N stacks deployed at once: peak memory (MiB)",
                        doc,
                        r.sizes.map((s) => ({ x: s.n, y: mib(s.peakRssTreeBytes.median), series: "peak RSS" })),
                        "stacks at once (N)",
                        "MiB",
                    ),
                },
            ];
        }
        case "fleet": {
            const r = resultsOf<{
                rollouts: { stacks: number; concurrency: number; wallMs: SampleStats; peakRssTreeBytes: SampleStats }[];
            }>(doc);
            const series = (c: number) => `concurrency ${c}`;
            return [
                {
                    name,
                    spec: lines(
                        "Fleet rollout of one change: wall time (s)",
                        doc,
                        r.rollouts.map((x) => ({
                            x: x.stacks,
                            y: seconds(x.wallMs.median),
                            series: series(x.concurrency),
                        })),
                        "stacks in the fleet (N)",
                        "median s",
                    ),
                },
                {
                    name: `${name}-memory`,
                    spec: lines(
                        "Fleet rollout: peak memory (MiB)",
                        doc,
                        r.rollouts.map((x) => ({
                            x: x.stacks,
                            y: mib(x.peakRssTreeBytes.median),
                            series: series(x.concurrency),
                        })),
                        "stacks in the fleet (N)",
                        "MiB",
                    ),
                },
            ];
        }
        case "mocked": {
            const r = resultsOf<{ kinds: { kind: string; wallMs: SampleStats }[] }>(doc);
            const label: Record<string, string> = {
                sdk: "import @pulumi/pulumi",
                "sdk+kubernetes": "import @pulumi/pulumi + @pulumi/kubernetes",
                program: "the program under mocks",
            };
            return [
                {
                    name,
                    spec: medianBars(
                        "A process running the program under Pulumi's mocks: wall time (s)",
                        doc,
                        r.kinds.map((k) => ({ label: label[k.kind] ?? k.kind, ...statRow(k.wallMs, seconds) })),
                        "s",
                    ),
                },
            ];
        }
        case "profile": {
            const r = resultsOf<{ phases: { phase: string; startMs?: number; endMs: number }[] }>(doc);
            const rows = r.phases
                .filter((p) => p.startMs !== undefined)
                .map((p) => ({ phase: p.phase, start: p.startMs ?? 0, end: p.endMs }));
            return [
                {
                    name,
                    spec: {
                        ...base("Where one preview's time goes (ms after it starts)", doc, rows),
                        width: 420,
                        height: { step: 24 },
                        mark: { type: "bar", color: "#3c6fd1" },
                        encoding: {
                            y: { field: "phase", type: "nominal", sort: null, title: null, axis: { labelLimit: 360 } },
                            x: { field: "start", type: "quantitative", title: "ms" },
                            x2: { field: "end" },
                        },
                    },
                },
            ];
        }
        default:
            return [];
    }
}

/** The janitor's documents (one per jq version) make one chart together. */
export function janitorChart(docs: readonly BenchDoc[]): Chart | undefined {
    const janitor = docs.filter((d) => d.benchmark === "janitor");
    if (janitor.length === 0) return undefined;
    type J = { tools: { jq: string }; steadyState: { wallMs: SampleStats; cpuMs: SampleStats } };
    const rows = janitor.flatMap((d) => {
        const r = resultsOf<J>(d);
        return [
            { group: r.tools.jq, series: "wall", ...statRow(r.steadyState.wallMs, (v) => v) },
            { group: r.tools.jq, series: "CPU", ...statRow(r.steadyState.cpuMs, (v) => v) },
        ];
    });
    return {
        name: "janitor",
        spec: groupedBars("The janitor's steady-state run, by jq version (ms)", janitor[0], rows, "ms"),
    };
}

export function readDocs(dir = dataDir): { file: string; doc: BenchDoc }[] {
    return fs
        .readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .sort()
        .map((f) => ({ file: f, doc: JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as BenchDoc }));
}

export function allCharts(dir = dataDir): Chart[] {
    const docs = readDocs(dir);
    const janitor = janitorChart(docs.map((d) => d.doc));
    return [...docs.flatMap((d) => chartsOf(d.doc, d.file)), ...(janitor ? [janitor] : [])];
}

/** vega and vega-lite are ES modules with top-level await: `import()`, which CommonJS cannot `require`. */
const importEsm = new Function("specifier", "return import(specifier)") as <T>(specifier: string) => Promise<T>;

interface VegaModule {
    View: new (runtime: unknown, opts: { renderer: "none" }) => { toSVG(): Promise<string>; finalize(): void };
    parse(spec: unknown): unknown;
}

export async function renderSvg(spec: Record<string, unknown>): Promise<string> {
    const vega = await importEsm<VegaModule>("vega");
    const vl = await importEsm<{ compile(spec: unknown): { spec: unknown } }>("vega-lite");
    const view = new vega.View(vega.parse(vl.compile(spec).spec), { renderer: "none" });
    try {
        return await view.toSVG();
    } finally {
        view.finalize();
    }
}

async function main(): Promise<void> {
    fs.mkdirSync(chartDir, { recursive: true });
    const charts = allCharts();
    for (const chart of charts) {
        fs.writeFileSync(path.join(chartDir, `${chart.name}.svg`), await renderSvg(chart.spec));
    }
    console.log(`docs-charts: ${charts.length} charts in ${path.relative(repoRoot, chartDir)}`);
}

if (require.main === module) {
    main().catch((err) => {
        console.error(err);
        process.exitCode = 1;
    });
}

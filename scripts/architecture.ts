/**
 * The structure of the code base, read from its imports: which layer each file belongs to, which
 * imports run against the layering of docs/architecture.md, which files import each other in a
 * circle, and the drawing of the folders (a mermaid flowchart) that docs/architecture.md embeds.
 *
 * `npx ts-node --transpile-only scripts/architecture.ts` rewrites the drawing;
 * `… --check` fails when it is stale or when a rule is broken (test/architecture.spec.ts runs the
 * same checks in `npm test`).
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";

const repoRoot = path.resolve(__dirname, "..");

/**
 * The layers, lowest first. A file may import files of its own group and of groups of a lower
 * rank; groups of the same rank are siblings and never import each other.
 */
export const groups = [
    { name: "model", rank: 0, match: /^components\/(model\/|package-root\.ts$)/ },
    { name: "config", rank: 1, match: /^components\/config\// },
    { name: "specs", rank: 1, match: /^components\/specs\// },
    { name: "cluster", rank: 1, match: /^components\/cluster\// },
    { name: "core components", rank: 2, match: /^components\/[a-z-]+\.ts$/ },
    { name: "preflight", rank: 3, match: /^components\/preflight\// },
    { name: "adoption", rank: 3, match: /^components\/adoption\// },
    { name: "stack", rank: 4, match: /^components\/(backline-stack|outputs|index)\.ts$/ },
    { name: "program", rank: 5, match: /^index\.ts$/ },
    { name: "automation", rank: 5, match: /^automation\// },
    { name: "provider", rank: 5, match: /^provider\// },
    { name: "policy pack", rank: 0, match: /^policy\/(index\.ts|src\/)/ },
] as const;

export type GroupName = (typeof groups)[number]["name"];

/** The group of a repository path; `undefined` for files outside the layering (tests, scripts). */
export function groupOf(file: string): (typeof groups)[number] | undefined {
    // The more specific patterns come first in `groups`, except "core components", whose pattern
    // also matches the stack's files: those are checked before it.
    const stack = groups.find((g) => g.name === "stack");
    if (stack?.match.test(file)) return stack;
    return groups.find((g) => g.match.test(file));
}

/** Our TypeScript files under the layering, relative to the repository. */
function layeredFiles(): string[] {
    const out: string[] = [];
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(path.join(repoRoot, dir), { withFileTypes: true })) {
            const rel = dir === "." ? entry.name : `${dir}/${entry.name}`;
            if (entry.isDirectory()) {
                if (entry.name !== "node_modules" && entry.name !== "test") walk(rel);
            } else if (rel.endsWith(".ts") && !rel.endsWith(".d.ts") && groupOf(rel)) {
                out.push(rel);
            }
        }
    };
    for (const dir of ["components", "automation", "policy", "provider"]) walk(dir);
    out.push("index.ts");
    return out.sort();
}

/** The files of ours a file imports (static imports, re-exports and `require`s of relative paths). */
function importsOf(file: string): string[] {
    const text = fs.readFileSync(path.join(repoRoot, file), "utf8");
    const info = ts.preProcessFile(text, true, true);
    const found = new Set<string>();
    for (const ref of info.importedFiles) {
        if (!ref.fileName.startsWith(".")) continue;
        const base = path.join(path.dirname(file), ref.fileName);
        const target = [`${base}.ts`, `${base}/index.ts`, base].find(
            (c) => fs.existsSync(path.join(repoRoot, c)) && fs.statSync(path.join(repoRoot, c)).isFile(),
        );
        if (target) found.add(target.split(path.sep).join("/"));
    }
    return [...found].sort();
}

export interface Structure {
    /** Every layered file and the files of ours it imports. */
    readonly imports: Readonly<Record<string, readonly string[]>>;
    /** Imports that run against the layering: `from → to (why)`. */
    readonly violations: readonly string[];
    /** Sets of files that import each other in a circle. */
    readonly circles: readonly (readonly string[])[];
    /** The folders' drawing: one edge per pair of groups that import each other. */
    readonly drawing: string;
}

/** Strongly connected components of more than one file (Tarjan). */
function circlesOf(graph: Readonly<Record<string, readonly string[]>>): string[][] {
    let next = 0;
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const out: string[][] = [];
    const visit = (v: string) => {
        index.set(v, next);
        low.set(v, next++);
        stack.push(v);
        onStack.add(v);
        for (const w of graph[v] ?? []) {
            if (!index.has(w)) {
                visit(w);
                low.set(v, Math.min(low.get(v)!, low.get(w)!));
            } else if (onStack.has(w)) {
                low.set(v, Math.min(low.get(v)!, index.get(w)!));
            }
        }
        if (low.get(v) === index.get(v)) {
            const component: string[] = [];
            let w: string;
            do {
                w = stack.pop()!;
                onStack.delete(w);
                component.push(w);
            } while (w !== v);
            if (component.length > 1) out.push(component.sort());
        }
    };
    for (const v of Object.keys(graph)) if (!index.has(v)) visit(v);
    return out;
}

/** Why an import from one file to another runs against the layering, or `undefined`. */
export function ruleBroken(from: string, to: string): string | undefined {
    const a = groupOf(from);
    const b = groupOf(to);
    if (!a || !b) return `${to} is outside the layering`;
    if (a.name === b.name) return undefined;
    if (a.name === "policy pack" || b.name === "policy pack") {
        return "the policy pack is a package of its own: it imports nothing of the program and nothing imports it";
    }
    if (b.rank > a.rank) return `${a.name} (layer ${a.rank}) may not import ${b.name} (layer ${b.rank})`;
    if (b.rank === a.rank) return `${a.name} and ${b.name} are siblings (layer ${a.rank}) and never import each other`;
    return undefined;
}

function drawingOf(imports: Readonly<Record<string, readonly string[]>>): string {
    const edges = new Map<string, number>();
    for (const [from, targets] of Object.entries(imports)) {
        for (const to of targets) {
            const a = groupOf(from)!.name;
            const b = groupOf(to)!.name;
            if (a !== b) edges.set(`${a}\u0000${b}`, (edges.get(`${a}\u0000${b}`) ?? 0) + 1);
        }
    }
    const id = (name: string) => name.replace(/[^a-z]/g, "_");
    const lines = ["flowchart BT"];
    for (const g of groups) lines.push(`    ${id(g.name)}["${g.name}"]`);
    for (const key of [...edges.keys()].sort()) {
        const [a, b] = key.split("\u0000");
        lines.push(`    ${id(a)} -->|${edges.get(key)}| ${id(b)}`);
    }
    return lines.join("\n");
}

/** Reads every layered file's imports and checks them. */
export function readStructure(): Structure {
    const imports: Record<string, string[]> = {};
    for (const file of layeredFiles()) imports[file] = importsOf(file);
    const violations = Object.entries(imports).flatMap(([from, targets]) =>
        targets.flatMap((to) => {
            const why = ruleBroken(from, to);
            return why ? [`${from} → ${to} (${why})`] : [];
        }),
    );
    return { imports, violations, circles: circlesOf(imports), drawing: drawingOf(imports) };
}

export const architectureDoc = path.join(repoRoot, "docs", "architecture.md");
const begin = "<!-- structure: generated by scripts/architecture.ts -->";
const end = "<!-- /structure -->";

/** docs/architecture.md with the drawing replaced by `drawing`. */
export function withDrawing(doc: string, drawing: string): string {
    const from = doc.indexOf(begin);
    const to = doc.indexOf(end);
    if (from < 0 || to < from) throw new Error(`docs/architecture.md lacks the markers ${begin} … ${end}`);
    return `${doc.slice(0, from + begin.length)}\n\n\`\`\`mermaid\n${drawing}\n\`\`\`\n\n${doc.slice(to)}`;
}

if (require.main === module) {
    const structure = readStructure();
    const doc = fs.readFileSync(architectureDoc, "utf8");
    const wanted = withDrawing(doc, structure.drawing);
    const problems = [
        ...structure.violations.map((v) => `import against the layering: ${v}`),
        ...structure.circles.map((c) => `import circle: ${c.join(" → ")}`),
    ];
    if (process.argv.includes("--check")) {
        if (wanted !== doc) problems.push("docs/architecture.md's drawing is stale: run scripts/architecture.ts");
    } else if (wanted !== doc) {
        fs.writeFileSync(architectureDoc, wanted);
        console.log("docs/architecture.md: drawing updated");
    }
    for (const p of problems) console.error(p);
    process.exitCode = problems.length > 0 ? 1 : 0;
}

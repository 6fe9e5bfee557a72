/**
 * A throw-away copy of this Pulumi project for end-to-end runs, so stacks the tests create never
 * touch the checkout, plus helpers to read what render mode wrote.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parseAllDocuments } from "yaml";
import { REPO_ROOT } from "./engine";

/** What a user's checkout holds that the program needs. node_modules is linked, not copied. */
const projectFiles = ["index.ts", "components", "janitor", "Pulumi.yaml", "package.json", "tsconfig.json"];

export interface ProjectCopy {
    readonly dir: string;
    cleanup(): void;
}

export function copyProject(extraFiles: readonly string[] = []): ProjectCopy {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-project-"));
    for (const f of [...projectFiles, ...extraFiles]) {
        fs.cpSync(path.join(REPO_ROOT, f), path.join(dir, f), { recursive: true });
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface RenderedObject {
    readonly file: string;
    readonly apiVersion: string;
    readonly kind: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly metadata: any;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly [key: string]: any;
}

function walk(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? walk(p) : [p];
    });
}

/** Every object in the YAML files under a render directory. */
export function readRendered(dir: string): RenderedObject[] {
    return walk(dir)
        .filter((f) => /\.ya?ml$/.test(f))
        .sort()
        .flatMap((file) =>
            parseAllDocuments(fs.readFileSync(file, "utf8"))
                .map((d) => d.toJSON())
                .filter((o) => o && typeof o === "object")
                .map((o) => ({ ...o, file: path.relative(dir, file) })),
        );
}

/** `Kind/name` of each rendered object, sorted: easy to compare whole sets. */
export function kindsAndNames(objects: readonly RenderedObject[]): string[] {
    return objects.map((o) => `${o.kind}/${o.metadata?.name}`).sort();
}

/** File → content of every rendered file, to see which ones an update touched. */
export function snapshot(dir: string): Map<string, string> {
    return new Map(walk(dir).map((f) => [path.relative(dir, f), fs.readFileSync(f, "utf8")]));
}

export function changedFiles(before: Map<string, string>, after: Map<string, string>): string[] {
    const names = new Set([...before.keys(), ...after.keys()]);
    return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}

/**
 * Every TypeScript block of README.md and docs/ that imports the package type-checks against it
 * (the sources of `@backline/pulumi`, `/components` and `/automation`, with the project's strict
 * compiler options) and runs: a program of one's own under Pulumi's mocks, registering the stack's
 * resources; an Automation API call against the real configuration check (test/docs/automation-
 * stub.ts), which refuses what `up` would refuse before starting an engine.
 *
 * Each block is wrapped in an async function (so top-level `await` and `export =` work the same in
 * a CommonJS check), its package imports pointed at the sources. A few pages use placeholders for
 * what the surrounding text explains (`config`, `passphrase`, …): they are declared below with
 * their types, and given valid values when the block runs.
 *
 *   npm run test:docs   (with the site's build and browser test)
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";
import { RecordingMocks } from "../support/mocks";
import { REPO_ROOT, Snippet, allSnippets, entryPoints, isPackageSpecifier, isTypeScript, where } from "./snippets";

const workDir = path.join(REPO_ROOT, ".cache", "doc-snippets");
const stubPath = path.join(__dirname, "automation-stub");

/** Pages about the project's own tests and tools, whose TypeScript fragments show internal helpers. */
const internalPages = /^docs\/(engine|kube-apiserver|helm-adoption-research)\.md$|^docs\/(contributing|decisions)\//;

const placeholders = `
type Settings = import("${path.join(REPO_ROOT, "automation", "index")}").BacklineSettings;
type Target = import("${path.join(REPO_ROOT, "automation", "index")}").KubernetesTarget;
declare const accessKey: string;
declare const passphrase: string;
declare const config: Settings;
declare const kubernetes: Target;
declare const eu1Config: Settings;
declare const eu2Config: Settings;
`;

function placeholderValues(): Record<string, unknown> {
    const config = {
        baseUrl: "https://app.backline.ai",
        accessKey: "bk_docs_0123456789",
        worker: { otel: { enabled: false } },
    };
    return {
        accessKey: "bk_docs_0123456789",
        passphrase: "docs",
        config,
        kubernetes: { renderToDirectory: path.join(workDir, "rendered") },
        eu1Config: config,
        eu2Config: config,
    };
}

/** The stack configuration the programs of one's own are run with. */
const programConfig = {
    "backline:baseUrl": "https://app.backline.ai",
    "backline:accessKey": "bk_docs_0123456789",
    "backline:collectorRoleArn": "arn:aws:iam::123456789012:role/docs",
};

interface Prepared {
    readonly snippet: Snippet;
    readonly name: string;
    readonly kind: "program" | "automation";
}

/** The block as a module: imports kept (pointed at `target(specifier)`), the rest in `__snippet()`. */
export function wrap(code: string, target: (specifier: string) => string): string {
    const source = ts.createSourceFile("s.ts", code, ts.ScriptTarget.ES2022, true);
    const imports: string[] = [];
    let body = code;
    for (const st of source.statements) {
        if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
        const text = st.getText(source);
        const specifier = st.moduleSpecifier.text;
        imports.push(isPackageSpecifier(specifier) ? text.replace(specifier, target(specifier)) : text);
        body = body.replace(text, text.replace(/[^\n]/g, " "));
    }
    body = body.replace(/^export = /m, "return ");
    // A program's stack outputs (`export const`) are locals of the function.
    body = body.replace(/^export (?=(const|let|function|class) )/gm, "");
    return `${imports.join("\n")}\nexport async function __snippet(): Promise<any> {\n${body}\n}\n`;
}

const sourceOf = (specifier: string) => path.join(REPO_ROOT, entryPoints[specifier] ?? "missing").replace(/\.ts$/, "");

describe("documentation snippets: type-checked and run", function () {
    this.timeout(300_000);
    const snippets = allSnippets().filter(isTypeScript);
    const prepared: Prepared[] = [];

    before(() => {
        fs.rmSync(workDir, { recursive: true, force: true });
        fs.mkdirSync(workDir, { recursive: true });
        fs.writeFileSync(path.join(workDir, "placeholders.d.ts"), placeholders);
        snippets.forEach((snippet, i) => {
            if (!/from\s+["'](@backline\/pulumi|backline-pulumi)/.test(snippet.code)) return;
            const name = `snippet-${String(i).padStart(2, "0")}`;
            fs.writeFileSync(path.join(workDir, `${name}.ts`), wrap(snippet.code, sourceOf));
            const kind = /["'](@backline\/pulumi|backline-pulumi)\/automation["']/.test(snippet.code)
                ? "automation"
                : "program";
            prepared.push({ snippet, name, kind });
        });
    });

    it("every TypeScript block of a user's page imports the package", () => {
        const loose = snippets.filter(
            (s) => !internalPages.test(s.file) && !/from\s+["'](@backline\/pulumi|backline-pulumi)/.test(s.code),
        );
        assert.deepEqual(loose.map(where), [], "blocks that cannot be checked against the package");
        assert.ok(prepared.length >= 8, `only ${prepared.length} blocks found`);
    });

    it("type-check against the package", () => {
        const configFile = ts.readConfigFile(path.join(REPO_ROOT, "tsconfig.json"), ts.sys.readFile);
        const { options } = ts.parseJsonConfigFileContent(configFile.config, ts.sys, REPO_ROOT);
        const program = ts.createProgram({
            rootNames: [
                path.join(workDir, "placeholders.d.ts"),
                ...prepared.map((p) => path.join(workDir, `${p.name}.ts`)),
            ],
            options: { ...options, noEmit: true, noUnusedLocals: false, noUnusedParameters: false, types: ["node"] },
        });
        const byFile = new Map(prepared.map((p) => [path.join(workDir, `${p.name}.ts`), p]));
        const problems = ts
            .getPreEmitDiagnostics(program)
            .filter((d) => d.file && byFile.has(d.file.fileName))
            .map((d) => {
                const p = byFile.get(d.file!.fileName)!;
                const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
                const text = d.file!.text.split("\n")[line].trim();
                return `${where(p.snippet)}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")} (at: ${text})`;
            });
        assert.deepEqual(problems, []);
    });

    it("run: programs under Pulumi's mocks, Automation API calls against the configuration check", async () => {
        const failures: string[] = [];
        const globals = placeholderValues();
        Object.assign(globalThis, globals);
        process.env.BACKLINE_ACCESS_KEY ??= "bk_docs_0123456789";
        const stub = (await import(stubPath)) as typeof import("./automation-stub");
        const rejections: unknown[] = [];
        const onRejection = (reason: unknown) => rejections.push(reason);
        process.on("unhandledRejection", onRejection);
        try {
            for (const p of prepared) {
                const target = (specifier: string) =>
                    p.kind === "automation" && specifier.endsWith("/automation") ? stubPath : sourceOf(specifier);
                const file = path.join(workDir, `${p.name}.run.ts`);
                fs.writeFileSync(file, wrap(p.snippet.code, target));
                const mocks = new RecordingMocks();
                pulumi.runtime.setMocks(mocks, "backline", "docs", false);
                // What the programs of one's own read with `new pulumi.Config()`.
                pulumi.runtime.setAllConfig(programConfig, ["backline:accessKey"]);
                stub.calls.length = 0;
                rejections.length = 0;
                try {
                    const mod = (await import(file)) as { __snippet(): Promise<unknown> };
                    await mod.__snippet();
                    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
                } catch (err) {
                    failures.push(`${where(p.snippet)}: ${(err as Error).message}`);
                    continue;
                }
                for (const message of new Set(rejections.map((r) => (r as Error)?.message ?? String(r)))) {
                    failures.push(`${where(p.snippet)}: ${message}`);
                }
                if (p.kind === "automation") {
                    if (stub.calls.length === 0) failures.push(`${where(p.snippet)}: called no operation`);
                } else if (!mocks.resources.some((r) => r.type === "kubernetes:apps/v1:Deployment")) {
                    failures.push(`${where(p.snippet)}: registered no worker Deployment`);
                }
            }
        } finally {
            process.off("unhandledRejection", onRejection);
            for (const k of Object.keys(globals)) delete (globalThis as Record<string, unknown>)[k];
        }
        assert.deepEqual(failures, []);
    });
});

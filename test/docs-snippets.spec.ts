/**
 * What the code blocks of README.md and docs/ claim about the package holds: every configuration
 * key they set (`pulumi config set`, YAML stack files, TypeScript configuration objects) is in the
 * schema, and every name they import from the package is exported by that entry point. Syntactic
 * and quick; the type-check and the runs are `npm run test:docs` (test/docs/).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { configJsonSchema } from "../components/config/reference";
import {
    REPO_ROOT,
    Snippet,
    allSnippets,
    configSetKeys,
    entryPoints,
    exportedNames,
    isShell,
    isTypeScript,
    packageImports,
    schemaProblem,
    snippetsOf,
    typeScriptConfigKeys,
    where,
    yamlConfigKeys,
} from "./docs/snippets";

const schema = configJsonSchema();
const snippets = allSnippets();

function keyProblems(uses: ReturnType<typeof configSetKeys>): string[] {
    return uses.flatMap((u) => {
        const problem = u.problem ?? schemaProblem(schema, u.path);
        return problem ? [`${where(u.snippet)} (${u.written}): ${problem}`] : [];
    });
}

const shellKeys = () => snippets.filter(isShell).flatMap(configSetKeys);
const yamlKeys = () => snippets.filter((s) => s.lang === "yaml").flatMap(yamlConfigKeys);
const tsKeys = () => snippets.filter(isTypeScript).flatMap(typeScriptConfigKeys);

describe("documentation snippets: configuration keys", () => {
    it("finds the blocks it checks", () => {
        // Fewer would mean the extraction broke and the checks below pass on nothing.
        assert.ok(shellKeys().length >= 40, `only ${shellKeys().length} \`pulumi config set\` keys found`);
        assert.ok(yamlKeys().length >= 20, `only ${yamlKeys().length} YAML stack-file keys found`);
        assert.ok(tsKeys().length >= 10, `only ${tsKeys().length} TypeScript configuration keys found`);
    });

    it("`pulumi config set` sets keys the schema has (dotted ones with --path)", () => {
        assert.deepEqual(keyProblems(shellKeys()), []);
    });

    it("YAML stack files use keys the schema has", () => {
        assert.deepEqual(keyProblems(yamlKeys()), []);
    });

    it("TypeScript configuration objects use keys the schema has", () => {
        assert.deepEqual(keyProblems(tsKeys()), []);
    });

    const fake = (lang: string, code: string): Snippet => ({ file: "fake.md", line: 1, lang, code });
    const table: [string, Snippet, (s: Snippet) => ReturnType<typeof configSetKeys>, RegExp | undefined][] = [
        [
            "a known --path key",
            fake("bash", "pulumi config set --path worker.replicaCount 2"),
            configSetKeys,
            undefined,
        ],
        ["a list index", fake("bash", "pulumi config set --path 'worker.env[0].name' X"), configSetKeys, undefined],
        ["a secret top-level key", fake("bash", "pulumi config set --secret accessKey"), configSetKeys, undefined],
        ["a free-form map", fake("bash", "pulumi config set --path commonLabels.team x"), configSetKeys, undefined],
        [
            "an unknown key",
            fake("bash", "pulumi config set --path worker.replicas 2"),
            configSetKeys,
            /worker\.replicas/,
        ],
        [
            "a dotted key without --path",
            fake("bash", "pulumi config set worker.replicaCount 2"),
            configSetKeys,
            /--path/,
        ],
        ["an unknown section", fake("bash", "x && pulumi config set --path wroker.a 1"), configSetKeys, /wroker/],
        [
            "an unknown YAML key",
            fake("yaml", "config:\n  backline:worker:\n    replicas: 2\n"),
            yamlConfigKeys,
            /worker\.replicas/,
        ],
        ["an unknown top-level YAML key", fake("yaml", "config:\n  backline:baseURL: x\n"), yamlConfigKeys, /baseURL/],
        [
            "an unknown TypeScript key",
            fake("ts", 'up({ config: { baseUrl: "x", logging: { regoin: "us-east-1" } } });'),
            typeScriptConfigKeys,
            /logging\.regoin/,
        ],
        [
            "an unknown key given to parseBacklineConfig",
            fake("ts", "parseBacklineConfig({ worker: { replica: 2 } });"),
            typeScriptConfigKeys,
            /worker\.replica/,
        ],
    ];
    it("leaves other namespaces alone", () => {
        assert.deepEqual(configSetKeys(fake("bash", "pulumi config set aws:region us-east-1")), []);
    });

    for (const [title, snippet, extract, expected] of table) {
        it(`${expected ? "refuses" : "accepts"} ${title}`, () => {
            const uses = extract(snippet);
            assert.ok(uses.length > 0, "no key found");
            const problems = keyProblems(uses);
            if (expected) assert.match(problems.join("\n"), expected);
            else assert.deepEqual(problems, []);
        });
    }
});

describe("documentation snippets: imports from the package", () => {
    const exported = new Map(Object.entries(entryPoints).map(([spec, file]) => [spec, exportedNames(file)]));

    function importProblems(list: Snippet[]): string[] {
        return list.filter(isTypeScript).flatMap((s) =>
            packageImports(s).flatMap((i) => {
                const names = exported.get(i.specifier);
                if (!names) return [`${where(s)}: \`${i.specifier}\` is not an entry point of the package`];
                return i.names
                    .filter((n) => !names.has(n))
                    .map((n) => `${where(s)}: \`${i.specifier}\` has no export \`${n}\``);
            }),
        );
    }

    it("reads the entry points' exports, types included", () => {
        const components = exported.get("@backline/pulumi")!;
        const automation = exported.get("@backline/pulumi/automation")!;
        for (const name of ["BacklineStack", "parseBacklineConfig", "BacklineStackOutputs", "preflightCluster"]) {
            assert.ok(components.has(name), name);
        }
        for (const name of ["up", "rollout", "InvalidConfigError", "BacklineSettings", "BacklineOutputs"]) {
            assert.ok(automation.has(name), name);
        }
        assert.ok(!automation.has("BacklineStack"));
    });

    it("every import names an export of its entry point", () => {
        const imports = snippets.filter(isTypeScript).flatMap(packageImports);
        assert.ok(imports.length >= 6, `only ${imports.length} imports from the package found`);
        assert.deepEqual(importProblems(snippets), []);
    });

    it("refuses an export that does not exist, a path that is not an entry point, and the unscoped name", () => {
        const [bad] = snippetsOf(
            "fake.md",
            '```ts\nimport { up, BacklineStackOutputz } from "@backline/pulumi/automation";\nimport { x } from "@backline/pulumi/internal";\nimport { up as old } from "backline-pulumi/automation";\n```\n',
        );
        assert.deepEqual(importProblems([bad]), [
            "fake.md:1: `@backline/pulumi/automation` has no export `BacklineStackOutputz`",
            "fake.md:1: `@backline/pulumi/internal` is not an entry point of the package",
            "fake.md:1: `backline-pulumi/automation` is not an entry point of the package",
        ]);
    });
});

describe("documentation snippets: whole files", () => {
    /** A code block right after `<!-- file: <path> -->` shows that file of the repository, whole. */
    function tiedFiles(list: Snippet[]): { snippet: Snippet; file: string }[] {
        return list.flatMap((snippet) => {
            const lines = fs.readFileSync(path.join(REPO_ROOT, snippet.file), "utf8").split("\n");
            const m = /^<!-- file: (\S+) -->$/.exec(lines[snippet.line - 2] ?? "");
            return m ? [{ snippet, file: m[1] }] : [];
        });
    }

    it("finds the programs the other languages' page shows, which test/e2e/languages.e2e.ts runs", () => {
        const files = tiedFiles(snippets).map((t) => `${t.snippet.file} → ${t.file}`);
        for (const program of ["examples/yaml/Pulumi.yaml", "examples/python/__main__.py"]) {
            assert.ok(files.includes(`docs/embed/languages.md → ${program}`), files.join("\n"));
        }
    });

    it("each is its file as it is", () => {
        for (const { snippet, file } of tiedFiles(snippets)) {
            assert.equal(
                `${snippet.code}\n`,
                fs.readFileSync(path.join(REPO_ROOT, file), "utf8"),
                `${where(snippet)} is not ${file}`,
            );
        }
    });
});

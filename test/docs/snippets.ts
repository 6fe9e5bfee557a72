/**
 * The code blocks of README.md and docs/ as the documentation tests read them: where each is,
 * its language, and what it claims about the package — the configuration keys it sets
 * (`pulumi config set`, YAML stack files, TypeScript configuration objects) and the names it
 * imports. Pure and syntactic (no type-check, nothing loaded), so `npm test` can afford it.
 */
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { parse as parseYaml } from "yaml";
import type { JsonSchema } from "../../components/config/reference";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface Snippet {
    /** Relative to the repository root. */
    readonly file: string;
    /** 1-based line of the opening fence. */
    readonly line: number;
    readonly lang: string;
    readonly code: string;
}

/** Where a snippet is, as an editor jumps to it. */
export const where = (s: Snippet) => `${s.file}:${s.line}`;

/** README.md and every page of docs/ (not the generated API reference or the site's build output). */
export function documentationFiles(root = REPO_ROOT): string[] {
    const out = ["README.md"];
    const walk = (dir: string) => {
        for (const e of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
            const rel = path.posix.join(dir, e.name);
            if (e.isDirectory()) {
                if (!["api", ".vitepress", "node_modules", "data", "public"].includes(e.name)) walk(rel);
            } else if (e.name.endsWith(".md")) out.push(rel);
        }
    };
    walk("docs");
    return out.sort();
}

/** Every fenced code block of a Markdown text, and every `pulumi config set` in its prose. */
export function snippetsOf(file: string, text: string): Snippet[] {
    const out: Snippet[] = [];
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
        const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
        if (!open) {
            // Commands in the prose count too: `pulumi config set --path worker.replicaCount 2`.
            for (const m of lines[i].matchAll(/`(pulumi config set [^`]*)`/g)) {
                out.push({ file, line: i + 1, lang: "inline-shell", code: m[1] });
            }
            continue;
        }
        const [, indent, fence, lang] = open;
        const body: string[] = [];
        let j = i + 1;
        for (; j < lines.length && !lines[j].startsWith(indent + fence); j++) body.push(lines[j].slice(indent.length));
        out.push({ file, line: i + 1, lang: lang.toLowerCase(), code: body.join("\n") });
        i = j;
    }
    return out;
}

export function allSnippets(root = REPO_ROOT): Snippet[] {
    return documentationFiles(root).flatMap((f) => snippetsOf(f, fs.readFileSync(path.join(root, f), "utf8")));
}

export const isTypeScript = (s: Snippet) => ["ts", "typescript"].includes(s.lang);
export const isShell = (s: Snippet) => ["bash", "sh", "shell", "console", "inline-shell"].includes(s.lang);

// ---------------------------------------------------------------------------------------------
// Configuration keys.
// ---------------------------------------------------------------------------------------------

/** A key path a snippet uses, and where. */
export interface KeyUse {
    readonly snippet: Snippet;
    /** As written, for the message. */
    readonly written: string;
    /** Object keys and list indices. */
    readonly path: readonly (string | number)[];
    /** A reason the use is wrong whatever the schema says (a dotted key without `--path`). */
    readonly problem?: string;
}

/** `worker.env[0].name` → `["worker", "env", 0, "name"]`. */
export function parseKeyPath(key: string): (string | number)[] {
    const out: (string | number)[] = [];
    for (const m of key.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
    return out;
}

/** The commands of a shell text: continuations joined, split at `&&`, `||`, `;`, `|` and newlines. */
function shellCommands(code: string): string[][] {
    const joined = code.replace(/\\\n/g, " ");
    return joined
        .split("\n")
        .map((l) => l.replace(/(^|\s)#.*$/, ""))
        .flatMap((l) => l.split(/&&|\|\||;|\|/))
        .map((c) => [...c.matchAll(/'[^']*'|"[^"]*"|\S+/g)].map((m) => m[0].replace(/^(['"])(.*)\1$/, "$2")))
        .filter((words) => words.length > 0);
}

const valueFlags = new Set(["--stack", "-s", "--cwd", "-C", "--config-file"]);

/** Every `pulumi config set` of a shell block: the key in the `backline` namespace. */
export function configSetKeys(snippet: Snippet): KeyUse[] {
    const out: KeyUse[] = [];
    for (const words of shellCommands(snippet.code)) {
        const at = words.findIndex((w, i) => w === "pulumi" && words[i + 1] === "config" && words[i + 2] === "set");
        if (at < 0) continue;
        const args = words.slice(at + 3);
        let usesPath = false;
        const positional: string[] = [];
        for (let i = 0; i < args.length; i++) {
            if (args[i] === "--path") usesPath = true;
            else if (valueFlags.has(args[i])) i++;
            else if (!args[i].startsWith("-")) positional.push(args[i]);
        }
        const key = positional[0];
        // A placeholder (`<key>`, `worker.<same path>`) names no key.
        if (key === undefined || /[<…]/.test(key)) continue;
        const [namespace, name] = key.includes(":") ? key.split(/:(.*)/s) : ["backline", key];
        if (namespace !== "backline") continue;
        const dotted = /[.[]/.test(name);
        out.push({
            snippet,
            written: key,
            path: usesPath ? parseKeyPath(name) : [name],
            problem:
                dotted && !usesPath
                    ? `\`pulumi config set ${key}\` without --path sets a top-level key named "${name}"`
                    : undefined,
        });
    }
    return out;
}

/** The leaf paths of a value (objects and lists walked; anything else a leaf). */
function leafPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
    if (Array.isArray(value))
        return value.length === 0 ? [prefix] : value.flatMap((v, i) => leafPaths(v, [...prefix, i]));
    if (value && typeof value === "object") {
        const entries = Object.entries(value);
        return entries.length === 0 ? [prefix] : entries.flatMap(([k, v]) => leafPaths(v, [...prefix, k]));
    }
    return [prefix];
}

/** The `backline:` keys of a YAML stack file (`config:`), as leaf paths. */
export function yamlConfigKeys(snippet: Snippet): KeyUse[] {
    let doc: unknown;
    try {
        doc = parseYaml(snippet.code.replace(/…/g, "x"));
    } catch {
        return [];
    }
    const config = (doc as { config?: unknown } | null)?.config;
    if (!config || typeof config !== "object") return [];
    return Object.entries(config).flatMap(([key, value]) => {
        if (!key.startsWith("backline:")) return [];
        const top = key.slice("backline:".length);
        return leafPaths(value, [top]).map((p) => ({ snippet, written: `${key} → ${p.slice(1).join(".")}`, path: p }));
    });
}

/** The keys of an object literal, as leaf paths (computed keys and spreads skipped). */
function literalPaths(node: ts.Expression, prefix: (string | number)[] = []): (string | number)[][] {
    if (ts.isObjectLiteralExpression(node)) {
        const out: (string | number)[][] = [];
        for (const p of node.properties) {
            const name = p.name && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) ? p.name.text : undefined;
            if (name === undefined) continue;
            if (ts.isPropertyAssignment(p)) out.push(...literalPaths(p.initializer, [...prefix, name]));
            else out.push([...prefix, name]);
        }
        return out.length === 0 ? [prefix] : out;
    }
    if (ts.isArrayLiteralExpression(node)) {
        return node.elements.length === 0 ? [prefix] : node.elements.flatMap((e, i) => literalPaths(e, [...prefix, i]));
    }
    return [prefix];
}

/** Configuration objects in TypeScript: `config: {…}`, `change: {…}`, `parseBacklineConfig({…})`. */
export function typeScriptConfigKeys(snippet: Snippet): KeyUse[] {
    const source = ts.createSourceFile("snippet.ts", snippet.code, ts.ScriptTarget.ES2022, true);
    const found: ts.Expression[] = [];
    const visit = (node: ts.Node) => {
        if (
            ts.isPropertyAssignment(node) &&
            ts.isIdentifier(node.name) &&
            ["config", "change"].includes(node.name.text) &&
            ts.isObjectLiteralExpression(node.initializer)
        ) {
            found.push(node.initializer);
        } else if (
            ts.isCallExpression(node) &&
            ts.isIdentifier(node.expression) &&
            node.expression.text === "parseBacklineConfig" &&
            node.arguments[0] &&
            ts.isObjectLiteralExpression(node.arguments[0])
        ) {
            found.push(node.arguments[0]);
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found.flatMap((literal) => literalPaths(literal).map((p) => ({ snippet, written: p.join("."), path: p })));
}

/**
 * Why a key path is not in the schema, or `undefined` when it is. A node without `properties`
 * (a free-form map such as `commonLabels`, a Kubernetes shape such as `affinity`, a leaf) takes
 * whatever lies below it.
 */
export function schemaProblem(schema: JsonSchema, keyPath: readonly (string | number)[]): string | undefined {
    let node: JsonSchema | undefined = schema;
    for (let i = 0; i < keyPath.length; i++) {
        const part = keyPath[i];
        const shown = keyPath.slice(0, i + 1).join(".");
        if (node === undefined) return `\`${shown}\`: not in the schema`;
        const options: JsonSchema[] = [node, ...((node.anyOf as JsonSchema[] | undefined) ?? [])];
        if (typeof part === "number") {
            const items = options.map((o) => o.items as JsonSchema | undefined).find((x) => x !== undefined);
            if (items === undefined) {
                if (options.some((o) => o.properties)) return `\`${shown}\`: not a list`;
                return undefined;
            }
            node = items;
            continue;
        }
        const withProperties = options.find((o) => o.properties);
        if (!withProperties) return undefined;
        const next: JsonSchema | undefined = withProperties.properties?.[part];
        if (next === undefined) {
            if (withProperties.additionalProperties && typeof withProperties.additionalProperties === "object") {
                node = withProperties.additionalProperties as JsonSchema;
                continue;
            }
            const known = Object.keys(withProperties.properties ?? {}).join(", ");
            return `\`${shown}\`: not in the schema (known here: ${known})`;
        }
        node = next;
    }
    return undefined;
}

// ---------------------------------------------------------------------------------------------
// Imports from the package.
// ---------------------------------------------------------------------------------------------

/** The package's entry points, as users import them, and the sources they are built from. */
export const entryPoints: Readonly<Record<string, string>> = {
    "@backline/pulumi": "components/index.ts",
    "@backline/pulumi/components": "components/index.ts",
    "@backline/pulumi/automation": "automation/index.ts",
};

/** Also the package's name before it was scoped, so that a page still using it is refused, not skipped. */
export const isPackageSpecifier = (s: string) => /^(@backline\/pulumi|backline-pulumi)(\/|$)/.test(s);

export interface ImportUse {
    readonly snippet: Snippet;
    readonly specifier: string;
    readonly names: readonly string[];
}

export function packageImports(snippet: Snippet): ImportUse[] {
    const source = ts.createSourceFile("snippet.ts", snippet.code, ts.ScriptTarget.ES2022, true);
    const out: ImportUse[] = [];
    for (const st of source.statements) {
        if (!ts.isImportDeclaration(st) || !ts.isStringLiteral(st.moduleSpecifier)) continue;
        const specifier = st.moduleSpecifier.text;
        if (!isPackageSpecifier(specifier)) continue;
        const bindings = st.importClause?.namedBindings;
        const names =
            bindings && ts.isNamedImports(bindings)
                ? bindings.elements.map((e) => (e.propertyName ?? e.name).text)
                : [];
        out.push({ snippet, specifier, names });
    }
    return out;
}

/** Every name a module exports, read from the sources (`export *` and re-exports followed). */
export function exportedNames(file: string, root = REPO_ROOT, seen = new Set<string>()): Set<string> {
    const out = new Set<string>();
    if (seen.has(file)) return out;
    seen.add(file);
    const abs = path.join(root, file);
    const source = ts.createSourceFile(abs, fs.readFileSync(abs, "utf8"), ts.ScriptTarget.ES2022, true);
    const resolve = (specifier: string) => {
        const base = path.join(path.dirname(file), specifier);
        for (const candidate of [`${base}.ts`, path.join(base, "index.ts")]) {
            if (fs.existsSync(path.join(root, candidate))) return candidate;
        }
        return undefined;
    };
    for (const st of source.statements) {
        if (ts.isExportDeclaration(st)) {
            const target =
                st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier) && st.moduleSpecifier.text.startsWith(".")
                    ? resolve(st.moduleSpecifier.text)
                    : undefined;
            if (st.exportClause && ts.isNamedExports(st.exportClause)) {
                st.exportClause.elements.forEach((e) => out.add(e.name.text));
            } else if (!st.exportClause && target) {
                exportedNames(target, root, seen).forEach((n) => out.add(n));
            }
            continue;
        }
        const exported =
            ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
        if (!exported) continue;
        if (ts.isVariableStatement(st)) {
            st.declarationList.declarations.forEach((d) => ts.isIdentifier(d.name) && out.add(d.name.text));
        } else if (
            (ts.isFunctionDeclaration(st) ||
                ts.isClassDeclaration(st) ||
                ts.isInterfaceDeclaration(st) ||
                ts.isTypeAliasDeclaration(st) ||
                ts.isEnumDeclaration(st)) &&
            st.name
        ) {
            out.add(st.name.text);
        }
    }
    return out;
}

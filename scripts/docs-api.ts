/**
 * The API reference of the documentation site: TypeDoc reads the TSDoc of the package's two entry
 * points (`components/index.ts`, `automation/index.ts`; options in docs/typedoc.json) and
 * typedoc-plugin-markdown writes it as Markdown pages into docs/api/, which VitePress builds like
 * every other page. Then this script titles the pages by the import path users type and writes the
 * sidebar (docs/api/typedoc-sidebar.json, read by docs/.vitepress/config.mts).
 *
 *   npm run docs:api
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const repoRoot = path.resolve(__dirname, "..");
const docsDir = path.join(repoRoot, "docs");
export const apiDir = path.join(docsDir, "api");

/** The import path of each entry point, by TypeDoc's module name. */
export const entryPoints: Readonly<Record<string, { importPath: string; what: string }>> = {
    components: {
        importPath: "@backline/pulumi",
        what: "the components, the configuration parser and its types, for a Pulumi program of your own (also `@backline/pulumi/components`)",
    },
    automation: {
        importPath: "@backline/pulumi/automation",
        what: "deploy, preview, refresh, destroy and roll out stacks from your own tool",
    },
};

export function indexPage(): string {
    return [
        "# API reference",
        "",
        "Generated from the TSDoc of the package's entry points when the site is built.",
        "",
        "| Import | What |",
        "| --- | --- |",
        ...Object.entries(entryPoints).map(
            ([module, e]) => `| [\`${e.importPath}\`](${module}/index.md) | ${e.what} |`,
        ),
        "",
    ].join("\n");
}

/** The first line of a module page names the module as TypeDoc knows it; users know the import path. */
export function retitle(page: string, module: string): string {
    return page.replace(/^# .*$/m, `# \`${entryPoints[module].importPath}\``);
}

function main(): void {
    fs.rmSync(apiDir, { recursive: true, force: true });
    const typedoc = path.join(repoRoot, "node_modules", ".bin", "typedoc");
    const r = spawnSync(typedoc, ["--options", "typedoc.json"], { cwd: docsDir, stdio: "inherit" });
    if (r.status !== 0) {
        process.exitCode = r.status ?? 1;
        return;
    }
    fs.writeFileSync(path.join(apiDir, "index.md"), indexPage());
    for (const module of Object.keys(entryPoints)) {
        const file = path.join(apiDir, module, "index.md");
        fs.writeFileSync(file, retitle(fs.readFileSync(file, "utf8"), module));
    }
    const sidebar = Object.entries(entryPoints).map(([module, e]) => ({
        text: e.importPath,
        link: `/api/${module}/`,
    }));
    fs.writeFileSync(path.join(apiDir, "typedoc-sidebar.json"), `${JSON.stringify(sidebar, null, 2)}\n`);
    console.log(`docs-api: ${path.relative(repoRoot, apiDir)}`);
}

if (require.main === module) main();

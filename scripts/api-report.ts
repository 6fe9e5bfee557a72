/**
 * The package's public API as API Extractor reports it, one report per entry point, checked in under
 * `api/`:
 *
 *   npm run api        # rewrite api/components.api.md and api/automation.api.md
 *   npm run api:check  # exit 1 when the API differs from the reports, with the diff
 *
 * The reports are made from the declarations the package ships: the same `tsc -p tsconfig.build.json`
 * as scripts/build.sh, declarations only, into out/api-dts (so `dist/` is left alone). Types that an
 * export uses but the entry point does not export are in the report too (without `export`): a
 * change to them changes what a consumer's code compiles against. docs/versioning.md says how to
 * read a change of the report and which version it needs.
 */
import { Extractor, ExtractorConfig, ExtractorLogLevel, ExtractorMessage } from "@microsoft/api-extractor";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

const repoRoot = path.resolve(__dirname, "..");

/** Each entry point: its name as users import it, its source, and its API Extractor config. */
export const reports = [
    { entry: "@backline/pulumi (and @backline/pulumi/components)", source: "components/index.ts", name: "components" },
    { entry: "@backline/pulumi/automation", source: "automation/index.ts", name: "automation" },
] as const;

export const reportFile = (name: string) => `api/${name}.api.md`;
const tempReport = (name: string) => path.join(repoRoot, "out", "api-report", `${name}.api.md`);
const configFile = (name: string) => path.join(repoRoot, "api", `api-extractor.${name}.json`);

/** Lines shown of a changed report's diff; the rest is in the file `npm run api` writes. */
const diffLines = 150;

function emitDeclarations(): void {
    const outDir = path.join(repoRoot, "out", "api-dts");
    fs.rmSync(outDir, { recursive: true, force: true });
    const tsc = path.join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    const r = spawnSync(
        process.execPath,
        [tsc, "-p", "tsconfig.build.json", "--emitDeclarationOnly", "--outDir", outDir, "--pretty", "false"],
        { cwd: repoRoot, encoding: "utf8" },
    );
    if (r.status !== 0) {
        process.stderr.write(r.stdout + r.stderr);
        throw new Error("tsc -p tsconfig.build.json failed: fix the type errors first (npm run typecheck)");
    }
}

function diff(name: string): string {
    const labels = ["--label", `${reportFile(name)} (checked in)`, "--label", `${reportFile(name)} (the API now)`];
    const r = spawnSync("diff", ["-u", ...labels, reportFile(name), tempReport(name)], {
        cwd: repoRoot,
        encoding: "utf8",
    });
    const lines = r.stdout.split("\n");
    return lines.length > diffLines
        ? [...lines.slice(0, diffLines), `… ${lines.length - diffLines} more lines`].join("\n")
        : r.stdout;
}

/** API Extractor's own messages, less the ones this script says better (what to run). */
function report(message: ExtractorMessage): void {
    const ours = ["console-api-report-not-copied", "console-api-report-diff", "console-api-report-created"];
    if (ours.includes(message.messageId) || message.logLevel === ExtractorLogLevel.Verbose) message.handled = true;
}

export function run(check: boolean): number {
    emitDeclarations();
    let failed = 0;
    for (const r of reports) {
        const config = ExtractorConfig.loadFileAndPrepare(configFile(r.name));
        const result = Extractor.invoke(config, { localBuild: !check, messageCallback: report });
        if (result.errorCount > 0) {
            console.error(`api: API Extractor failed on ${r.source} (${result.errorCount} errors above)`);
            failed++;
        } else if (check && result.apiReportChanged) {
            const exists = fs.existsSync(path.join(repoRoot, reportFile(r.name)));
            console.error(
                exists
                    ? `api: the public API of ${r.entry} differs from ${reportFile(r.name)}:\n\n${diff(r.name)}\n`
                    : `api: ${reportFile(r.name)} is missing.\n`,
            );
            failed++;
        } else {
            const what = check ? "matches" : result.apiReportChanged ? "written to" : "unchanged in";
            console.log(`api: the public API of ${r.entry} ${what} ${reportFile(r.name)}`);
        }
    }
    if (check && failed > 0) {
        console.error(
            "api: if the change is meant, run `npm run api` and commit the report with it, with its line in\n" +
                "CHANGELOG.md. A removed or changed export needs a major version or a deprecation first\n" +
                '(docs/versioning.md, "Reading the API report").',
        );
    }
    return failed > 0 ? 1 : 0;
}

if (require.main === module) {
    const args = process.argv.slice(2);
    const unknown = args.filter((a) => a !== "--check");
    if (unknown.length > 0) {
        console.error(`api: unknown argument ${unknown.join(" ")}; accepted: --check`);
        process.exit(2);
    }
    process.exit(run(args.includes("--check")));
}

/**
 * Prepares a release, or checks that the repository could be released as it is:
 *
 *   npm run release -- <version> [--date YYYY-MM-DD]
 *   npm run release:check
 *
 * `release` refuses a version that does not follow the current one (semver; no skipped version)
 * and a working tree with changes, runs the API report and generated-files checks, then writes the
 * version into package.json, policy/package.json and their lockfiles, moves CHANGELOG.md's
 * Unreleased entries under `## [<version>] - <date>` (with a fresh Unreleased section and the
 * compare links), renames docs/upgrading.md's "Upgrading to Unreleased", moves SECURITY.md's
 * supported versions on for a new minor or major line, and sets the version of the install lines
 * (README.md, docs/embed/index.md). Last, the checks of `release:check`. It commits, tags and
 * publishes nothing: it prints the commands.
 *
 * `release:check` (CI): the files above agree on the version, and `npm publish --dry-run` (which
 * builds the package) passes with a tarball holding what a consumer needs and nothing else.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import {
    nextVersionProblem,
    parseVersion,
    releaseChangelog,
    releaseSupportedVersions,
    releaseUpgradeNotes,
    setInstallVersion,
    setJsonVersion,
    tarballProblems,
    versionedFiles,
    versionProblems,
} from "./release-files";

const repoRoot = path.resolve(__dirname, "..");
const read = (file: string) => fs.readFileSync(path.join(repoRoot, file), "utf8");
const write = (file: string, text: string) => fs.writeFileSync(path.join(repoRoot, file), text);

class Refused extends Error {}

function run(cmd: string, args: string[], capture = false): { status: number; stdout: string } {
    const r = spawnSync(cmd, args, {
        cwd: repoRoot,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
        stdio: capture ? ["ignore", "pipe", "inherit"] : "inherit",
    });
    return { status: r.status ?? 1, stdout: r.stdout ?? "" };
}

function step(what: string, cmd: string, args: string[]): void {
    console.log(`release: ${what} (${cmd} ${args.join(" ")})`);
    if (run(cmd, args).status !== 0) throw new Refused(`${what} failed (above)`);
}

function check(): void {
    const problems = versionProblems(Object.fromEntries(versionedFiles.map((f) => [f, read(f)])));
    if (problems.length > 0) {
        throw new Refused(`the version is not the same everywhere:\n  ${problems.join("\n  ")}`);
    }
    console.log("release: npm publish --dry-run (builds the package)");
    const publish = run("npm", ["publish", "--dry-run", "--json"], true);
    if (publish.status !== 0) {
        process.stdout.write(publish.stdout);
        throw new Refused("npm publish --dry-run failed (above)");
    }
    // The JSON follows what the prepack build printed, if anything.
    const json = JSON.parse(publish.stdout.slice(publish.stdout.indexOf("{")));
    const result = (json[JSON.parse(read("package.json")).name] ?? json) as { files: { path: string }[] };
    const files = result.files.map((f) => f.path);
    const wrong = tarballProblems(JSON.parse(read("package.json")), files);
    if (wrong.length > 0) throw new Refused(`the tarball is not what consumers need:\n  ${wrong.join("\n  ")}`);
    console.log(`release: the package and its ${files.length} files are ready to publish`);
}

function today(): string {
    return new Date().toISOString().slice(0, 10);
}

function prepare(versionText: string, date: string): void {
    const pkg = JSON.parse(read("package.json"));
    const problem = nextVersionProblem(pkg.version, versionText);
    if (problem) throw new Refused(problem);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new Refused(`--date: got ${date}, expected YYYY-MM-DD`);
    const status = run("git", ["status", "--porcelain"], true);
    if (status.status !== 0) throw new Refused("git status failed");
    if (status.stdout.trim() !== "") {
        throw new Refused(`the working tree has changes; commit or stash them first:\n${status.stdout.trimEnd()}`);
    }
    const problems = versionProblems(Object.fromEntries(versionedFiles.map((f) => [f, read(f)])));
    if (problems.length > 0) {
        throw new Refused(`the version is not the same everywhere before the release:\n  ${problems.join("\n  ")}`);
    }
    step("the API report is current", "npm", ["run", "--silent", "api:check"]);
    step("the generated files are current", "npm", ["run", "--silent", "gen", "--", "--check"]);

    const previous = parseVersion(pkg.version)!;
    const next = parseVersion(versionText)!;
    const upgrading = releaseUpgradeNotes(read("docs/upgrading.md"), previous, next);
    const changelog = releaseChangelog(read("CHANGELOG.md"), {
        version: next.text,
        date,
        previous: previous.text,
        upgradeHeading: upgrading.heading,
    });
    for (const f of ["package.json", "package-lock.json", "policy/package.json", "policy/package-lock.json"]) {
        write(f, setJsonVersion(read(f), next.text));
    }
    write("CHANGELOG.md", changelog);
    write("docs/upgrading.md", upgrading.text);
    write("SECURITY.md", releaseSupportedVersions(read("SECURITY.md"), previous, next));
    for (const f of ["README.md", "docs/embed/index.md"]) write(f, setInstallVersion(read(f), next.text));
    console.log(`release: ${previous.text} -> ${next.text}, CHANGELOG.md dated ${date}`);
    if (!upgrading.heading) console.log("release: docs/upgrading.md had no notes for it: no section added");

    try {
        check();
    } catch (err) {
        if (err instanceof Refused) err.message += "\nUndo the release's changes with `git checkout -- .`";
        throw err;
    }
    const tag = `v${next.text}`;
    const npmTag = next.prerelease.length > 0 ? " --tag next" : "";
    console.log(
        [
            "",
            `Review the changes (git diff), then:`,
            "",
            `  git commit -am "Release ${next.text}"`,
            `  git tag -a ${tag} -m "${next.text}"`,
            `  git push origin HEAD ${tag}`,
            `  npm publish${npmTag}       # from a clean checkout of ${tag}; prepack builds dist/`,
            "",
        ].join("\n"),
    );
}

function main(args: string[]): void {
    const dateAt = args.indexOf("--date");
    const date = dateAt >= 0 ? args[dateAt + 1] : today();
    const rest = dateAt >= 0 ? args.filter((_, i) => i !== dateAt && i !== dateAt + 1) : args;
    if (rest.length === 1 && rest[0] === "--check") return check();
    if (rest.length !== 1 || rest[0].startsWith("--")) {
        throw new Refused(`usage: npm run release -- <version> [--date YYYY-MM-DD] | npm run release:check`);
    }
    prepare(rest[0], date ?? "");
}

if (require.main === module) {
    try {
        main(process.argv.slice(2));
    } catch (err) {
        if (!(err instanceof Refused)) throw err;
        console.error(`release: ${err.message}`);
        process.exit(1);
    }
}

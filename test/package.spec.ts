/**
 * The package as it is, as `npm run release` and consumers need it: publishable, its Pulumi SDKs
 * peers whose ranges cover what we test, its version the same in every file that names it (and
 * those files in the shape the release rewrites), and its tarball holding what a consumer needs
 * and nothing else (scripts/release-files.ts; `npm run release:check` checks the real tarball).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    nextVersions,
    parseVersion,
    releaseChangelog,
    releaseSupportedVersions,
    releaseUpgradeNotes,
    setInstallVersion,
    setJsonVersion,
    tarballProblems,
    upgradingComment,
    versionedFiles,
    versionProblems,
} from "../scripts/release-files";

const repoRoot = path.resolve(__dirname, "..");
const read = (f: string) => fs.readFileSync(path.join(repoRoot, f), "utf8");
const v = (text: string) => parseVersion(text)!;
const repoFiles = () => Object.fromEntries(versionedFiles.map((f) => [f, read(f)]));

describe("package: the repository as it is", () => {
    const pkg = JSON.parse(read("package.json"));

    it("the version is the same everywhere: package, policy pack, lockfiles, changelog, install lines", () => {
        assert.deepEqual(versionProblems(repoFiles()), []);
    });

    const drifts: [string, (files: Record<string, string>) => void, RegExp][] = [
        [
            "another version in the policy pack",
            (f) => (f["policy/package.json"] = setJsonVersion(f["policy/package.json"], "9.9.9")),
            /^policy\/package\.json: `version` is 9\.9\.9, package\.json says/,
        ],
        [
            "another version of the lockfile's root package",
            (f) =>
                (f["package-lock.json"] = f["package-lock.json"].replace(
                    /("packages": \{\s*"": \{\s*"name": "[^"]+",\s*"version": )"[^"]+"/,
                    '$1"9.9.9"',
                )),
            /^package-lock\.json: `packages\[""\]\.version` is 9\.9\.9/,
        ],
        [
            "another version in the README's install line",
            (f) => (f["README.md"] = setInstallVersion(f["README.md"], "9.9.9")),
            /^README\.md: `npm install @backline\/pulumi@…` is 9\.9\.9/,
        ],
        [
            "a page without its install line",
            (f) => (f["docs/embed/index.md"] = "# Embed\n"),
            /^docs\/embed\/index\.md: no line `npm install @backline\/pulumi@/,
        ],
        [
            "another latest release in the changelog",
            (f) => (f["CHANGELOG.md"] = f["CHANGELOG.md"].replace(/^## \[\d[^\]]*\]/m, "## [9.9.9]")),
            /^CHANGELOG\.md: the latest release is 9\.9\.9/,
        ],
    ];
    for (const [what, change, expected] of drifts) {
        it(`finds ${what}`, () => {
            const files = repoFiles();
            change(files);
            const problems = versionProblems(files);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], expected);
        });
    }

    it("a release of the files as they are leaves them consistent (the release's rewrites fit them)", () => {
        const next = nextVersions(v(pkg.version))[1];
        const files = repoFiles();
        const upgrading = releaseUpgradeNotes(read("docs/upgrading.md"), v(pkg.version), v(next));
        // An entry, in case the release has just been made and Unreleased is empty.
        const withEntry = files["CHANGELOG.md"].replace(
            "## [Unreleased]\n\n### Added\n",
            "## [Unreleased]\n\n### Added\n\n- A change.\n",
        );
        assert.notEqual(
            withEntry,
            files["CHANGELOG.md"],
            "CHANGELOG.md's Unreleased section does not start with Added",
        );
        files["CHANGELOG.md"] = releaseChangelog(withEntry, {
            version: next,
            date: "2099-01-01",
            previous: pkg.version,
            upgradeHeading: upgrading.heading,
        });
        for (const f of ["package.json", "package-lock.json", "policy/package.json", "policy/package-lock.json"]) {
            files[f] = setJsonVersion(files[f], next);
        }
        for (const f of ["README.md", "docs/embed/index.md"]) files[f] = setInstallVersion(files[f], next);
        assert.deepEqual(versionProblems(files), []);
        assert.ok(
            read("docs/upgrading.md").includes(upgradingComment(pkg.version)),
            "upgrading.md's comment names another version",
        );
        assert.notEqual(releaseSupportedVersions(read("SECURITY.md"), v(pkg.version), v(next)), read("SECURITY.md"));
    });

    it("setJsonVersion keeps each file's indentation and key order", () => {
        for (const f of ["package.json", "package-lock.json", "policy/package.json", "policy/package-lock.json"]) {
            assert.equal(setJsonVersion(read(f), pkg.version), read(f), f);
        }
    });

    it("is publishable: public, Apache-2.0 with its LICENSE, a repository", () => {
        assert.equal(pkg.name, "@backline/pulumi");
        assert.equal(pkg.private, undefined);
        assert.equal(pkg.license, "Apache-2.0");
        assert.match(read("LICENSE"), /^\s*Apache License\s+Version 2\.0/);
        assert.equal(pkg.publishConfig.access, "public");
        assert.match(pkg.repository.url, /^git\+https:\/\/github\.com\/.+\.git$/);
    });

    it("the Pulumi SDKs are peers whose ranges cover the versions we test, and are not dependencies too", () => {
        for (const [name, range] of Object.entries(pkg.peerDependencies as Record<string, string>)) {
            const pin = pkg.devDependencies[name];
            assert.ok(parseVersion(pin), `${name}: devDependencies pins ${pin}, not an exact version`);
            // ^pin: the tested version and every later one of its major (the SDKs follow semver).
            assert.equal(range, `^${pin}`, name);
            assert.equal(pkg.dependencies[name], undefined, `${name} is a dependency and a peer`);
        }
        assert.deepEqual(Object.keys(pkg.peerDependencies).sort(), [
            "@pulumi/aws",
            "@pulumi/kubernetes",
            "@pulumi/pulumi",
        ]);
        const policy = JSON.parse(read("policy/package.json"));
        assert.equal(
            policy.dependencies["@pulumi/pulumi"],
            pkg.devDependencies["@pulumi/pulumi"],
            "the policy pack tests another SDK",
        );
    });

    it("the Node.js running the tests (CI's) is one engines.node accepts", () => {
        const m = /^>=(\d+)\.(\d+)$/.exec(pkg.engines.node);
        assert.ok(m, `engines.node is ${pkg.engines.node}, not >=MAJOR.MINOR`);
        const [major, minor] = process.versions.node.split(".").map(Number);
        assert.ok(
            major > Number(m[1]) || (major === Number(m[1]) && minor >= Number(m[2])),
            `${process.versions.node} vs ${pkg.engines.node}`,
        );
        assert.equal(
            pkg.devDependencies["@types/node"].split(".")[0],
            m[1],
            "the declarations we build against are another Node.js major",
        );
    });
});

describe("package: the tarball", () => {
    const pkg = JSON.parse(read("package.json"));
    const good = [
        "CHANGELOG.md",
        "LICENSE",
        "README.md",
        "package.json",
        "Pulumi.yaml",
        "janitor/janitor.sh",
        "dist/index.js",
        "dist/components/index.js",
        "dist/components/index.d.ts",
        "dist/components/config/schema.js",
        "dist/automation/index.js",
        "dist/automation/index.d.ts",
        "dist/policy/index.js",
        "dist/policy/src/kubernetes.js",
        "dist/policy/package.json",
        "dist/policy/PulumiPolicy.yaml",
        "dist/policy/analyzer",
        "dist/provider/main.js",
        "dist/provider/pulumi-resource-backline",
        "provider/schema.json",
    ];
    const table: [string, string[], string[]][] = [
        ["what a consumer needs", good, []],
        [
            "without the policy pack's launcher",
            good.filter((f) => f !== "dist/policy/analyzer"),
            ["missing: dist/policy/analyzer"],
        ],
        [
            "without an entry point's declarations",
            good.filter((f) => f !== "dist/automation/index.d.ts"),
            ["missing: dist/automation/index.d.ts"],
        ],
        ["without the LICENSE", good.filter((f) => f !== "LICENSE"), ["missing: LICENSE"]],
        [
            "without the component provider's schema",
            good.filter((f) => f !== "provider/schema.json"),
            ["missing: provider/schema.json"],
        ],
        [
            "with tests and sources",
            [...good, "test/release.spec.ts", "components/index.ts", "dist/policy/index.d.ts"],
            [
                "not for consumers: test/release.spec.ts",
                "not for consumers: components/index.ts",
                "not for consumers: dist/policy/index.d.ts",
            ],
        ],
    ];
    for (const [what, files, expected] of table) {
        it(`${what}: ${expected.length === 0 ? "accepted" : expected.join(", ")}`, () => {
            assert.deepEqual(tarballProblems(pkg, files), expected);
        });
    }
});

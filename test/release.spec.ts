/**
 * The release (scripts/release-files.ts, run by `npm run release`): which version may follow which,
 * CHANGELOG.md's Unreleased section becoming a release, the upgrade notes, SECURITY.md's supported
 * versions, the places the version must agree, the tarball's contents; and the package as it is:
 * publishable, its peers covering what we test, its version the same everywhere, and its files in
 * the shape the release rewrites.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import {
    compareVersions,
    githubAnchor,
    nextVersionProblem,
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

describe("release: versions", () => {
    const table: [string, string, RegExp | undefined][] = [
        ["0.2.0", "0.2.1", undefined],
        ["0.2.0", "0.3.0", undefined],
        ["0.2.0", "1.0.0", undefined],
        ["0.2.0", "0.3.0-rc.1", undefined],
        ["1.0.0-rc.1", "1.0.0-rc.2", undefined],
        ["1.0.0-rc.1", "1.0.0", undefined],
        ["1.0.0-alpha", "1.0.0-beta", undefined],
        ["1.4.2", "2.0.0", undefined],
        ["0.2.0", "v0.3.0", /without the "v" \(0\.3\.0\)/],
        ["0.2.0", "0.3", /not a version MAJOR\.MINOR\.PATCH; accepted after 0\.2\.0: 0\.2\.1, 0\.3\.0, 1\.0\.0/],
        ["0.2.0", "", /not a version/],
        ["0.2.0", "00.3.0", /not a version/],
        ["0.2.0", "0.3.0-", /not a version/],
        ["0.2.0", "0.3.0+build.7", /build metadata/],
        ["0.2.0", "0.2.0", /got 0\.2\.0, not after 0\.2\.0/],
        ["0.2.0", "0.1.9", /not after/],
        ["0.2.0", "0.2.0-rc.1", /not after/],
        ["1.0.0-rc.2", "1.0.0-rc.1", /not after/],
        ["0.2.0", "0.4.0", /skips a version/],
        ["0.2.0", "0.2.2", /skips a version/],
        ["0.2.0", "2.0.0", /skips a version/],
        ["0.2.0", "0.4.0-rc.1", /skips a version/],
        ["zero", "0.3.0", /current version in package\.json, zero, is not a semantic version/],
    ];
    for (const [current, next, refused] of table) {
        it(`${current} -> ${JSON.stringify(next)}: ${refused ? "refused" : "accepted"}`, () => {
            const problem = nextVersionProblem(current, next);
            if (refused) assert.match(problem ?? "(accepted)", refused);
            else assert.equal(problem, undefined);
        });
    }

    it("orders versions as semver.org does, prereleases before their release", () => {
        const ordered = [
            "0.9.9",
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.1.0",
            "2.0.0",
        ].map(v);
        for (let i = 0; i < ordered.length; i++) {
            for (let j = 0; j < ordered.length; j++) {
                const want = Math.sign(i - j);
                assert.equal(compareVersions(ordered[i], ordered[j]), want, `${ordered[i].text} vs ${ordered[j].text}`);
            }
        }
    });
});

const changelog = `# Changelog

Intro.

## [Unreleased]

### Added

- A new key \`x\`.

### Changed

- **Breaking:** \`y\` is gone. See [docs/upgrading.md](docs/upgrading.md#upgrading-to-unreleased).


- Another change.

### Deprecated

### Removed

### Fixed

### Security

## [0.2.0] - 2026-12-01

### Added

- Old.

[Unreleased]: https://github.com/o/r/compare/v0.2.0...HEAD
[0.2.0]: https://github.com/o/r/compare/v0.1.0...v0.2.0
[0.1.0]: https://github.com/o/r/releases/tag/v0.1.0
`;

const released = `# Changelog

Intro.

## [Unreleased]

### Added

### Changed

### Deprecated

### Removed

### Fixed

### Security

## [0.3.0] - 2027-01-15

### Added

- A new key \`x\`.

### Changed

- **Breaking:** \`y\` is gone. See [docs/upgrading.md](docs/upgrading.md#upgrading-from-02-to-03).

- Another change.

## [0.2.0] - 2026-12-01

### Added

- Old.

[Unreleased]: https://github.com/o/r/compare/v0.3.0...HEAD
[0.3.0]: https://github.com/o/r/compare/v0.2.0...v0.3.0
[0.2.0]: https://github.com/o/r/compare/v0.1.0...v0.2.0
[0.1.0]: https://github.com/o/r/releases/tag/v0.1.0
`;

describe("release: CHANGELOG.md", () => {
    const release = { version: "0.3.0", date: "2027-01-15", previous: "0.2.0" };

    it("moves Unreleased under the version (empty types left out), leaves a fresh Unreleased, adds the links", () => {
        const out = releaseChangelog(changelog, { ...release, upgradeHeading: "Upgrading from 0.2 to 0.3" });
        assert.equal(out, released);
    });

    it("a second release starts from the first one's output", () => {
        const more = released.replace("## [Unreleased]\n\n### Added\n", "## [Unreleased]\n\n### Added\n\n- More.\n");
        const out = releaseChangelog(more, { version: "0.3.1", date: "2027-02-01", previous: "0.3.0" });
        assert.match(
            out,
            /## \[Unreleased\]\n\n### Added\n\n### Changed\n[\s\S]*### Security\n\n## \[0\.3\.1\] - 2027-02-01\n\n### Added\n\n- More\.\n\n## \[0\.3\.0\]/,
        );
        assert.match(
            out,
            /^\[Unreleased\]: https:\/\/github\.com\/o\/r\/compare\/v0\.3\.1\.\.\.HEAD\n\[0\.3\.1\]: https:\/\/github\.com\/o\/r\/compare\/v0\.3\.0\.\.\.v0\.3\.1\n\[0\.3\.0\]/m,
        );
    });

    const refusals: [string, string, RegExp][] = [
        [
            "no Unreleased section",
            changelog.replace("## [Unreleased]", "## Unreleased"),
            /exactly one "## \[Unreleased\]"/,
        ],
        ["two Unreleased sections", changelog.replace("## [0.2.0]", "## [Unreleased]\n\n## [0.2.0]"), /exactly one/],
        [
            "nothing to release",
            changelog
                .replace(/- A new key[^\n]*\n/, "")
                .replace(/- \*\*Breaking[^\n]*\n/, "")
                .replace("- Another change.\n", ""),
            /nothing under \[Unreleased\]/,
        ],
        [
            "the version released already",
            changelog.replace("## [0.2.0]", "## [0.3.0]"),
            /already has a section \[0\.3\.0\]/,
        ],
        [
            "no compare link",
            changelog.replace(/^\[Unreleased\]:.*\n/m, ""),
            /no link `\[Unreleased\]: <repository>\/compare/,
        ],
        [
            "a compare link from another version",
            changelog.replace("compare/v0.2.0...HEAD", "compare/v0.1.0...HEAD"),
            /compares from v0\.1\.0, not from v0\.2\.0/,
        ],
    ];
    for (const [what, text, refused] of refusals) {
        it(`refuses ${what}`, () => {
            assert.throws(() => releaseChangelog(text, release), refused);
        });
    }

    it("anchors are GitHub's", () => {
        assert.equal(githubAnchor("Upgrading from 0.2 to 0.3"), "upgrading-from-02-to-03");
        assert.equal(githubAnchor("[0.2.0] - 2026-12-01"), "020---2026-12-01");
        assert.equal(githubAnchor("Upgrading to Unreleased"), "upgrading-to-unreleased");
    });
});

describe("release: docs/upgrading.md and SECURITY.md", () => {
    const notes = [
        "# Upgrading",
        "",
        "## In every upgrade",
        "",
        "1. Back up.",
        "",
        "## Upgrading to Unreleased",
        "",
        upgradingComment("0.2.0"),
        "",
        "**A note.** Do this.",
        "",
        "## Upgrading from 0.1 to 0.2",
        "",
        "Old notes.",
        "",
    ].join("\n");

    it("renames Upgrading to Unreleased and starts a fresh one naming the new version", () => {
        const out = releaseUpgradeNotes(notes, v("0.2.0"), v("0.3.0"));
        assert.equal(out.heading, "Upgrading from 0.2 to 0.3");
        assert.equal(
            out.text,
            notes.replace(
                `${upgradingComment("0.2.0")}\n\n**A note.**`,
                `${upgradingComment("0.3.0")}\n\n## Upgrading from 0.2 to 0.3\n\n**A note.**`,
            ),
        );
        assert.match(upgradingComment("0.3.0"), /becomes "Upgrading from 0\.3 to X\.Y"/);
    });

    it("a patch release's notes name the patch versions", () => {
        assert.equal(releaseUpgradeNotes(notes, v("0.3.0"), v("0.3.1")).heading, "Upgrading from 0.3.0 to 0.3.1");
    });

    it("no notes: no section, only the comment moves on", () => {
        const empty = notes.replace("**A note.** Do this.\n\n", "");
        const out = releaseUpgradeNotes(empty, v("0.2.0"), v("0.3.0"));
        assert.equal(out.heading, undefined);
        assert.equal(out.text, empty.replace(upgradingComment("0.2.0"), upgradingComment("0.3.0")));
    });

    it("refuses a file without the heading", () => {
        assert.throws(
            () => releaseUpgradeNotes("# Upgrading\n", v("0.2.0"), v("0.3.0")),
            /no "## Upgrading to Unreleased"/,
        );
    });

    const security =
        "## Supported versions\n\n| Version | Supported |\n| --- | --- |\n| 0.2.x | a |\n| 0.1.x | b |\n| < 0.1 | ❌ |\n\n## Scope\n";
    const moved: [string, string, string[] | undefined][] = [
        [
            "0.2.0",
            "0.3.0",
            ["| 0.3.x | ✅ bug and security fixes |", "| 0.2.x | ✅ security fixes only |", "| < 0.2 | ❌ |"],
        ],
        [
            "0.9.1",
            "1.0.0",
            ["| 1.0.x | ✅ bug and security fixes |", "| 0.9.x | ✅ security fixes only |", "| < 0.9 | ❌ |"],
        ],
        ["0.2.0", "0.2.1", undefined],
        ["0.2.0", "0.3.0-rc.1", undefined],
    ];
    for (const [from, to, rows] of moved) {
        it(`SECURITY.md after ${from} -> ${to}: ${rows ? "the table moves on" : "unchanged"}`, () => {
            const out = releaseSupportedVersions(security, v(from), v(to));
            if (!rows) return assert.equal(out, security);
            assert.equal(out, security.replace(/\| 0\.2\.x[\s\S]*❌ \|/, rows.join("\n")));
        });
    }

    it("refuses a SECURITY.md without its table", () => {
        assert.throws(() => releaseSupportedVersions("## Supported versions\n", v("0.2.0"), v("0.3.0")), /no table/);
    });
});

describe("release: the repository as it is", () => {
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

describe("release: the tarball", () => {
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

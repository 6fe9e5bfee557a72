/**
 * The release's rewrites (scripts/release-files.ts, run by `npm run release`): which version may
 * follow which, CHANGELOG.md's Unreleased section becoming a release, the upgrade notes' heading and
 * SECURITY.md's supported versions. The package as it is: test/package.spec.ts.
 */
import { strict as assert } from "assert";
import {
    compareVersions,
    githubAnchor,
    nextVersionProblem,
    parseVersion,
    releaseChangelog,
    releaseSupportedVersions,
    releaseUpgradeNotes,
    upgradingComment,
} from "../scripts/release-files";

const v = (text: string) => parseVersion(text)!;

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

/**
 * The releases the upgrade suite (test/e2e/upgrade.e2e.ts) starts from come from CHANGELOG.md
 * (test/e2e/support/releases.ts): every release heading has a commit, by its tag or by its line in
 * UNTAGGED_RELEASES, the table names no release the changelog lacks, and a tag never contradicts it.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { UNTAGGED_RELEASES, changelogVersions, hasCommit, releasesOf, tagCommit } from "./e2e/support/releases";

const REPO_ROOT = path.resolve(__dirname, "..");
const changelog = fs.readFileSync(path.join(REPO_ROOT, "CHANGELOG.md"), "utf8");

/** A folder with only a CHANGELOG.md and a package.json (not a repository: no tags, no commits). */
function folderWithChangelog(text: string, version = "0.0.1"): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-releases-"));
    fs.writeFileSync(path.join(dir, "CHANGELOG.md"), text);
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ version }));
    return dir;
}

describe("the releases the upgrade suite starts from", () => {
    it("reads the release headings of a Keep a Changelog file, newest first, without Unreleased", () => {
        const text = [
            "# Changelog",
            "## [Unreleased]",
            "### Added",
            "## [1.0.0-rc.1] - 2027-02-01",
            "## [0.10.2] - 2027-01-01",
            "### [0.9.0] is not a release heading",
            "## [0.2.0] - 2026-12-01",
            "[0.2.0]: https://example.com/compare/v0.1.0...v0.2.0",
        ].join("\n");
        assert.deepEqual(changelogVersions(text), ["1.0.0-rc.1", "0.10.2", "0.2.0"]);
    });

    it("every release of CHANGELOG.md has a commit in this repository (0.1.0 and 0.2.0 at least)", () => {
        const releases = releasesOf(REPO_ROOT);
        assert.deepEqual(
            releases.map((r) => r.version),
            changelogVersions(changelog),
        );
        for (const v of ["0.1.0", "0.2.0"])
            assert.ok(
                releases.some((r) => r.version === v),
                `no ${v}`,
            );
        for (const r of releases) assert.match(r.commit, /^[0-9a-f]{40}$/, r.version);
    });

    it("UNTAGGED_RELEASES lists only releases of CHANGELOG.md, with commits this repository has", () => {
        const versions = changelogVersions(changelog);
        for (const [version, commit] of Object.entries(UNTAGGED_RELEASES)) {
            assert.ok(versions.includes(version), `UNTAGGED_RELEASES names ${version}, which CHANGELOG.md does not`);
            assert.match(commit, /^[0-9a-f]{40}$/, `${version}: a full commit hash`);
            assert.ok(hasCommit(REPO_ROOT, commit), `${version}: commit ${commit} is not in this repository`);
        }
    });

    it("a release's tag, when there is one, names the commit UNTAGGED_RELEASES gives", () => {
        for (const [version, commit] of Object.entries(UNTAGGED_RELEASES)) {
            const tagged = tagCommit(REPO_ROOT, version);
            if (tagged !== undefined) assert.equal(tagged, commit, `tag v${version} and UNTAGGED_RELEASES disagree`);
        }
    });

    it("a release without a tag or a line is an error that names it and says what to do", () => {
        const dir = folderWithChangelog("## [Unreleased]\n## [9.9.9] - 2030-01-01\n## [0.1.0] - 2026-11-25\n");
        try {
            assert.throws(
                () => releasesOf(dir, { "0.1.0": "f".repeat(40) }),
                /CHANGELOG\.md names release\(s\) 9\.9\.9 without a commit: tag each release .*UNTAGGED_RELEASES/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("the release being made (package.json's version, no tag yet) is the working tree, not a release to start from", () => {
        const making = folderWithChangelog("## [Unreleased]\n## [0.3.0] - 2027-01-01\n", "0.3.0");
        const older = folderWithChangelog("## [0.3.0] - 2027-01-01\n## [0.2.0] - 2026-12-01\n", "0.3.0");
        try {
            assert.deepEqual(releasesOf(making, {}), []);
            // 0.2.0 is still looked for (its commit is not in this folder), 0.3.0 is not.
            assert.throws(
                () => releasesOf(older, { "0.2.0": "f".repeat(40) }),
                /lacks the commit of release\(s\) 0\.2\.0 \(/,
            );
        } finally {
            fs.rmSync(making, { recursive: true, force: true });
            fs.rmSync(older, { recursive: true, force: true });
        }
    });

    it("a clone without a release's commit is an error that names it and says how to fetch it", () => {
        const dir = folderWithChangelog("## [0.1.0] - 2026-11-25\n");
        try {
            assert.throws(
                () => releasesOf(dir, { "0.1.0": "f".repeat(40) }),
                /lacks the commit of release\(s\) 0\.1\.0 \(f{40}\).*git fetch --unshallow --tags/,
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});

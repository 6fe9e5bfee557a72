/**
 * The releases the upgrade suite (test/e2e/upgrade.e2e.ts) starts from: every `## [X.Y.Z]` heading
 * of CHANGELOG.md, each with the commit it was released from. A release made from now on is tagged
 * `vX.Y.Z` (docs/versioning.md), and the tag names its commit; the releases made before there were
 * tags are in `UNTAGGED_RELEASES`, the one table of them. So adding a release to the changelog is
 * all it takes for the suite to test upgrades from it, and test/releases.spec.ts fails when a
 * release of the changelog has neither a tag nor a line here.
 */
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";

/** Releases made before tags were: version → the commit of its program (CHANGELOG.md says what it held). */
export const UNTAGGED_RELEASES: Readonly<Record<string, string>> = {
    "0.1.0": "f1193d69a5d0efd07953c918cac6efe3b4f86de2",
    "0.2.0": "6db1a6ce97e9710f3fa4ff0f49475ffa9b3adb8a",
};

export interface Release {
    /** `X.Y.Z` as CHANGELOG.md's heading writes it. */
    readonly version: string;
    /** The full commit hash of the release's program. */
    readonly commit: string;
    /** Where the commit came from: the release's tag, or `UNTAGGED_RELEASES`. */
    readonly source: "tag" | "table";
}

/** A Keep a Changelog release heading: `## [1.2.3] - 2026-12-01` (not `## [Unreleased]`). */
const RELEASE_HEADING = /^## \[(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\](?: - \d{4}-\d{2}-\d{2})?\s*$/gm;

/** The versions CHANGELOG.md's headings name, in the file's order (newest first). */
export function changelogVersions(changelog: string): string[] {
    return [...changelog.matchAll(RELEASE_HEADING)].map((m) => m[1]);
}

/** `git` in `repo`: the trimmed output, or undefined when it fails (no such ref, not a repository). */
function git(repo: string, args: string[]): string | undefined {
    const r = spawnSync("git", args, { cwd: repo, encoding: "utf8" });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The commit a release's tag `v<version>` points to, or undefined without that tag. */
export function tagCommit(repo: string, version: string): string | undefined {
    return git(repo, ["rev-parse", "-q", "--verify", `refs/tags/v${version}^{commit}`]);
}

/** Whether the repository holds the commit (a shallow clone may not). */
export function hasCommit(repo: string, commit: string): boolean {
    return git(repo, ["cat-file", "-e", `${commit}^{commit}`]) !== undefined;
}

/**
 * Every release of `repo`'s CHANGELOG.md with its commit, newest first. Throws, naming the
 * versions, when a release has neither a tag nor a line in `UNTAGGED_RELEASES`, or when this
 * clone lacks a release's commit. The release being made (`npm run release` has written its
 * heading and package.json's version, and the tag comes once it is committed) is the working tree
 * itself: it is left out until it has its tag.
 */
export function releasesOf(repo: string, table: Readonly<Record<string, string>> = UNTAGGED_RELEASES): Release[] {
    const inTheMaking = (JSON.parse(fs.readFileSync(path.join(repo, "package.json"), "utf8")) as { version?: string })
        .version;
    const versions = changelogVersions(fs.readFileSync(path.join(repo, "CHANGELOG.md"), "utf8")).filter(
        (v) => v !== inTheMaking || tagCommit(repo, v) !== undefined || table[v] !== undefined,
    );
    const releases = versions.map((version): Release | { version: string; commit?: undefined } => {
        const tagged = tagCommit(repo, version);
        if (tagged !== undefined) return { version, commit: tagged, source: "tag" };
        const listed = table[version];
        return listed !== undefined ? { version, commit: listed, source: "table" } : { version };
    });
    const unmapped = releases.filter((r) => r.commit === undefined).map((r) => r.version);
    if (unmapped.length > 0) {
        throw new Error(
            `CHANGELOG.md names release(s) ${unmapped.join(", ")} without a commit: tag each release ` +
                `(git tag v<version> <commit>), or list it in UNTAGGED_RELEASES in test/e2e/support/releases.ts`,
        );
    }
    const found = releases as Release[];
    const missing = found.filter((r) => !hasCommit(repo, r.commit));
    if (missing.length > 0) {
        throw new Error(
            `this clone lacks the commit of release(s) ${missing.map((r) => `${r.version} (${r.commit})`).join(", ")}; ` +
                "the upgrade suite checks each release out: clone with the whole history (git fetch --unshallow --tags)",
        );
    }
    return found;
}

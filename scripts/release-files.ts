/**
 * What `npm run release -- <version>` changes and checks, as pure functions of the files' text
 * (scripts/release.ts reads and writes them; test/release.spec.ts tests these): the version rules,
 * CHANGELOG.md's Unreleased section becoming a release, the upgrade notes' heading, SECURITY.md's
 * supported versions, the install lines, and the places the version must agree.
 */

export interface Version {
    readonly major: number;
    readonly minor: number;
    readonly patch: number;
    /** Dot-separated identifiers after `-`; empty for a release. */
    readonly prerelease: readonly (string | number)[];
    readonly text: string;
}

// semver.org's own pattern, without build metadata (npm drops it, so two versions would collide).
const semverPattern =
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?$/;

export function parseVersion(text: string): Version | undefined {
    const m = semverPattern.exec(text);
    if (!m) return undefined;
    const prerelease = m[4] ? m[4].split(".").map((id) => (/^\d+$/.test(id) ? Number(id) : id)) : [];
    return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease, text };
}

/** Semver precedence: negative when `a` comes before `b`. */
export function compareVersions(a: Version, b: Version): number {
    const core = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
    if (core !== 0) return Math.sign(core);
    // A release comes after its prereleases.
    if (a.prerelease.length === 0 || b.prerelease.length === 0) {
        return Math.sign(b.prerelease.length - a.prerelease.length);
    }
    for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
        const x = a.prerelease[i];
        const y = b.prerelease[i];
        if (x === y) continue;
        if (typeof x === "number" && typeof y === "number") return Math.sign(x - y);
        // Numeric identifiers come before alphanumeric ones.
        if (typeof x === "number") return -1;
        if (typeof y === "number") return 1;
        return x < y ? -1 : 1;
    }
    return Math.sign(a.prerelease.length - b.prerelease.length);
}

const core = (v: Version) => `${v.major}.${v.minor}.${v.patch}`;

/** The versions that may follow `current` (their prereleases too). */
export function nextVersions(current: Version): string[] {
    const out = [
        `${current.major}.${current.minor}.${current.patch + 1}`,
        `${current.major}.${current.minor + 1}.0`,
        `${current.major + 1}.0.0`,
    ];
    // After 1.0.0-rc.1 comes 1.0.0 itself.
    return current.prerelease.length > 0 ? [core(current), ...out] : out;
}

/** Why `next` cannot follow `current`, or undefined when it can. */
export function nextVersionProblem(currentText: string, nextText: string): string | undefined {
    const current = parseVersion(currentText);
    if (!current) return `the current version in package.json, ${currentText}, is not a semantic version`;
    const allowed = nextVersions(current);
    const accepted = `accepted after ${current.text}: ${allowed.join(", ")}, or a prerelease of one (${allowed[1]}-rc.1)`;
    if (/^v\d/.test(nextText) && parseVersion(nextText.slice(1))) {
        return `got ${nextText}: give the version without the "v" (${nextText.slice(1)}); the tag gets it`;
    }
    if (/^[^+]+\+/.test(nextText) && parseVersion(nextText.split("+")[0])) {
        return `got ${nextText}: build metadata (+…) is dropped by npm; ${accepted}`;
    }
    const next = parseVersion(nextText);
    if (!next) return `got ${JSON.stringify(nextText)}, not a version MAJOR.MINOR.PATCH; ${accepted}`;
    if (compareVersions(next, current) <= 0) return `got ${next.text}, not after ${current.text}; ${accepted}`;
    if (!allowed.includes(core(next))) return `got ${next.text}, which skips a version; ${accepted}`;
    return undefined;
}

/** `true` when `next` starts a new minor or major line (SECURITY.md's table moves on). */
export function isNewLine(previous: Version, next: Version): boolean {
    return next.prerelease.length === 0 && (next.major !== previous.major || next.minor !== previous.minor);
}

// ---------------------------------------------------------------------------------------------
// CHANGELOG.md (Keep a Changelog 1.1.0).
// ---------------------------------------------------------------------------------------------

export const changeTypes = ["Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"] as const;

const unreleasedHeading = "## [Unreleased]";
const releaseHeading = /^## \[([^\]]+)\]/;

/** The heading of each version section, newest first, as `[name, line index]`. */
function sections(lines: readonly string[]): [string, number][] {
    return lines.flatMap((l, i) => {
        const m = releaseHeading.exec(l);
        return m ? [[m[1], i] as [string, number]] : [];
    });
}

/** The newest released version the changelog lists. */
export function latestRelease(changelog: string): string | undefined {
    return sections(changelog.split("\n")).find(([name]) => name !== "Unreleased")?.[0];
}

/** The Unreleased section's body with its empty `### ...` subsections left out, trimmed. */
function withoutEmptySubsections(body: readonly string[]): string[] {
    const out: string[] = [];
    let heading: string | undefined;
    let pending: string[] = [];
    const flush = () => {
        if (heading === undefined) out.push(...pending);
        else if (pending.some((l) => l.trim() !== "")) out.push(heading, ...pending);
        pending = [];
    };
    for (const line of body) {
        if (line.startsWith("### ")) {
            flush();
            heading = line;
        } else {
            pending.push(line);
        }
    }
    flush();
    // One blank line between blocks, none at the ends.
    const text = out
        .join("\n")
        .replace(/\n{3,}/g, "\n\n")
        .trim();
    return text === "" ? [] : text.split("\n");
}

/** The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens. */
export function githubAnchor(heading: string): string {
    return heading
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, "")
        .replace(/\s/g, "-");
}

export interface ChangelogRelease {
    readonly version: string;
    /** YYYY-MM-DD. */
    readonly date: string;
    /** The version released before, whose compare link the new one starts from. */
    readonly previous: string;
    /** The heading of the upgrade notes for this version in docs/upgrading.md, when it has them. */
    readonly upgradeHeading?: string;
}

/**
 * Moves the Unreleased section under `## [version] - date`, leaves a fresh empty Unreleased section
 * with the six change types, and updates the compare links at the bottom. Throws when the file is
 * not in the expected shape or there is nothing to release.
 */
export function releaseChangelog(changelog: string, r: ChangelogRelease): string {
    const lines = changelog.split("\n");
    const heads = sections(lines);
    const unreleased = heads.filter(([name]) => name === "Unreleased");
    if (unreleased.length !== 1 || lines[unreleased[0][1]] !== unreleasedHeading) {
        throw new Error(`CHANGELOG.md must have exactly one "${unreleasedHeading}" heading`);
    }
    if (heads.some(([name]) => name === r.version))
        throw new Error(`CHANGELOG.md already has a section [${r.version}]`);
    const start = unreleased[0][1];
    const next = heads.find(([, i]) => i > start);
    const linksAt = lines.findIndex((l, i) => i > start && /^\[[^\]]+\]: /.test(l));
    const end = next ? next[1] : linksAt >= 0 ? linksAt : lines.length;
    let body = withoutEmptySubsections(lines.slice(start + 1, end));
    if (!body.some((l) => l.trim() !== "" && !l.startsWith("### "))) {
        throw new Error("CHANGELOG.md: nothing under [Unreleased] to release");
    }
    if (r.upgradeHeading) {
        const anchor = `upgrading.md#${githubAnchor(r.upgradeHeading)}`;
        body = body.map((l) => l.replace(/upgrading\.md#upgrading-to-unreleased/g, anchor));
    }
    const fresh = [unreleasedHeading, "", ...changeTypes.flatMap((t) => [`### ${t}`, ""])];
    const released = [`## [${r.version}] - ${r.date}`, "", ...body, ""];
    const out = [...lines.slice(0, start), ...fresh, ...released, ...lines.slice(end)];

    const unreleasedLink = out.findIndex((l) => l.startsWith("[Unreleased]: "));
    const m =
        unreleasedLink >= 0 ? /^\[Unreleased\]: (\S+)\/compare\/v(\S+)\.\.\.HEAD$/.exec(out[unreleasedLink]) : null;
    if (!m) throw new Error("CHANGELOG.md: no link `[Unreleased]: <repository>/compare/v<version>...HEAD` at the end");
    if (m[2] !== r.previous) {
        throw new Error(`CHANGELOG.md: the [Unreleased] link compares from v${m[2]}, not from v${r.previous}`);
    }
    out.splice(
        unreleasedLink,
        1,
        `[Unreleased]: ${m[1]}/compare/v${r.version}...HEAD`,
        `[${r.version}]: ${m[1]}/compare/v${r.previous}...v${r.version}`,
    );
    return out.join("\n");
}

// ---------------------------------------------------------------------------------------------
// docs/upgrading.md and SECURITY.md.
// ---------------------------------------------------------------------------------------------

const upgradingUnreleased = "## Upgrading to Unreleased";

/** The comment under "Upgrading to Unreleased", naming the version it will start from. */
export function upgradingComment(current: string): string {
    const from = parseVersion(current);
    const line = from ? `${from.major}.${from.minor}` : current;
    return (
        "<!-- Every **Breaking** line under [Unreleased] in CHANGELOG.md gets its steps here, in the same\n" +
        `change. At the release, this heading becomes "Upgrading from ${line} to X.Y". -->`
    );
}

/** "Upgrading from 0.2 to 0.3", or with the patch versions when the minor line stays. */
export function upgradeHeading(previous: Version, next: Version): string {
    return next.major !== previous.major || next.minor !== previous.minor
        ? `Upgrading from ${previous.major}.${previous.minor} to ${next.major}.${next.minor}`
        : `Upgrading from ${previous.text} to ${next.text}`;
}

/**
 * Renames "Upgrading to Unreleased" to the release's heading and starts a fresh, empty one above
 * it. `heading` is undefined when the section holds no notes: then only its comment changes.
 */
export function releaseUpgradeNotes(
    text: string,
    previous: Version,
    next: Version,
): { readonly text: string; readonly heading?: string } {
    const lines = text.split("\n");
    const start = lines.indexOf(upgradingUnreleased);
    if (start < 0) throw new Error(`docs/upgrading.md has no "${upgradingUnreleased}" heading`);
    let end = lines.findIndex((l, i) => i > start && l.startsWith("## "));
    if (end < 0) end = lines.length;
    const notes = lines
        .slice(start + 1, end)
        .join("\n")
        .replace(/<!--[\s\S]*?-->/g, "")
        .trim();
    const fresh = [upgradingUnreleased, "", upgradingComment(next.text), ""];
    if (notes === "") return { text: [...lines.slice(0, start), ...fresh, ...lines.slice(end)].join("\n") };
    const heading = upgradeHeading(previous, next);
    const out = [...lines.slice(0, start), ...fresh, `## ${heading}`, "", notes, "", ...lines.slice(end)];
    return { text: out.join("\n"), heading };
}

/** SECURITY.md's supported versions for the new line: it gets every fix, the one before it security fixes. */
export function releaseSupportedVersions(text: string, previous: Version, next: Version): string {
    if (!isNewLine(previous, next)) return text;
    const lines = text.split("\n");
    const header = lines.findIndex((l) => /^\| Version \| Supported \|$/.test(l));
    if (header < 0 || !/^\| -+ \| -+ \|$/.test(lines[header + 1] ?? "")) {
        throw new Error('SECURITY.md has no table "| Version | Supported |"');
    }
    let end = header + 2;
    while (end < lines.length && lines[end].startsWith("|")) end++;
    const line = (v: Version) => `${v.major}.${v.minor}`;
    const rows = [
        `| ${line(next)}.x | ✅ bug and security fixes |`,
        `| ${line(previous)}.x | ✅ security fixes only |`,
        `| < ${line(previous)} | ❌ |`,
    ];
    return [...lines.slice(0, header + 2), ...rows, ...lines.slice(end)].join("\n");
}

// ---------------------------------------------------------------------------------------------
// Install lines and the places the version must agree.
// ---------------------------------------------------------------------------------------------

export const packageName = "@backline/pulumi";
const installLine = /npm install @backline\/pulumi@(\S+)/g;

/** The versions the text's `npm install @backline/pulumi@<version>` lines name. */
export function installVersions(text: string): string[] {
    return [...text.matchAll(installLine)].map((m) => m[1]);
}

export function setInstallVersion(text: string, version: string): string {
    return text.replace(installLine, `npm install ${packageName}@${version}`);
}

/** A JSON file's text with its own `version` (and, for a lockfile, the root package's) set. */
export function setJsonVersion(text: string, version: string): string {
    const indent = /^\{\n( +)"/.exec(text)?.[1] ?? "  ";
    const json = JSON.parse(text);
    json.version = version;
    if (json.packages?.[""]) json.packages[""].version = version;
    return JSON.stringify(json, null, indent) + "\n";
}

export interface VersionedFiles {
    readonly [file: string]: string;
}

/** The files whose version must be the package's, and where each keeps it. */
export const versionedFiles = [
    "package.json",
    "package-lock.json",
    "policy/package.json",
    "policy/package-lock.json",
    "CHANGELOG.md",
    "README.md",
    "docs/embed/index.md",
] as const;

/** Where the files disagree with package.json's version; empty when they agree. */
export function versionProblems(files: VersionedFiles): string[] {
    const version = JSON.parse(files["package.json"]).version as string;
    const problems: string[] = [];
    const expect = (file: string, got: string | undefined, what: string) => {
        if (got !== version) problems.push(`${file}: ${what} is ${got ?? "missing"}, package.json says ${version}`);
    };
    for (const file of ["package-lock.json", "policy/package.json", "policy/package-lock.json"]) {
        const json = JSON.parse(files[file]);
        expect(file, json.version, "`version`");
        if (file.endsWith("lock.json")) expect(file, json.packages?.[""]?.version, '`packages[""].version`');
    }
    if (JSON.parse(files["package.json"]).name !== packageName) {
        problems.push(`package.json: \`name\` is not ${packageName}`);
    }
    expect("CHANGELOG.md", latestRelease(files["CHANGELOG.md"]), "the latest release");
    const link = /^\[Unreleased\]: \S+\/compare\/v(\S+)\.\.\.HEAD$/m.exec(files["CHANGELOG.md"]);
    expect("CHANGELOG.md", link?.[1], "the version the [Unreleased] link compares from");
    if (!files["CHANGELOG.md"].split("\n").some((l) => l.startsWith(`[${version}]: `))) {
        problems.push(`CHANGELOG.md: no link [${version}] at the end`);
    }
    for (const file of ["README.md", "docs/embed/index.md"]) {
        const found = installVersions(files[file]);
        if (found.length === 0) problems.push(`${file}: no line \`npm install ${packageName}@${version}\``);
        for (const v of found) expect(file, v, `\`npm install ${packageName}@…\``);
    }
    return problems;
}

// ---------------------------------------------------------------------------------------------
// The tarball.
// ---------------------------------------------------------------------------------------------

/** Every file the tarball may hold: what a consumer needs at run time, and npm's own. */
export const tarballAllowed: readonly RegExp[] = [
    /^dist\/(index|components\/.+|automation\/.+)\.(js|d\.ts)$/,
    /^dist\/policy\/(index|src\/[a-z][a-z-]*)\.js$/,
    /^dist\/policy\/(analyzer|package\.json|PulumiPolicy\.yaml)$/,
    /^dist\/provider\/([a-z-]+\.js|pulumi-resource-backline)$/,
    /^(janitor\/janitor\.sh|Pulumi\.yaml|README\.md|CHANGELOG\.md|LICENSE|package\.json|provider\/schema\.json)$/,
];

/** What the tarball lacks or should not hold, given package.json and the tarball's file list. */
export function tarballProblems(pkg: { exports: Record<string, unknown> }, files: readonly string[]): string[] {
    const targets = Object.values(pkg.exports).flatMap((t) =>
        typeof t === "string" ? [t] : Object.values(t as Record<string, string>),
    );
    const needed = [
        ...targets.map((t) => t.replace(/^\.\//, "")),
        "dist/index.js",
        "dist/policy/index.js",
        "dist/policy/package.json",
        "dist/policy/PulumiPolicy.yaml",
        "dist/policy/analyzer",
        "dist/provider/pulumi-resource-backline",
        "provider/schema.json",
        "janitor/janitor.sh",
        "Pulumi.yaml",
        "LICENSE",
    ];
    return [
        ...[...new Set(needed)].filter((f) => !files.includes(f)).map((f) => `missing: ${f}`),
        ...files.filter((f) => !tarballAllowed.some((a) => a.test(f))).map((f) => `not for consumers: ${f}`),
    ];
}

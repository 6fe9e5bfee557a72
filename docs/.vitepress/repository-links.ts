/**
 * Pages link to the repository's files the way GitHub shows them (`../components/config/schema.ts`,
 * `../CHANGELOG.md`), so they read the same in a checkout and on GitHub. On the site such a file is
 * not a page: a link that leaves `docs/` goes to the file in the repository instead.
 */
import * as path from "node:path";
import type MarkdownIt from "markdown-it";

export const REPOSITORY_URL = "https://github.com/backline/backline-pulumi";

/** The repository URL of `href` when it resolves outside `docsDir`, else `undefined`. */
export function repositoryUrl(href: string, pageFile: string, docsDir: string): string | undefined {
    if (/^([a-z]+:|#|\/)/i.test(href)) return undefined;
    const [target, hash = ""] = href.split(/(?=#)/);
    const resolved = path.resolve(path.dirname(pageFile), decodeURIComponent(target));
    const repoRoot = path.dirname(docsDir);
    if (resolved === docsDir || resolved.startsWith(docsDir + path.sep)) return undefined;
    const relative = path.relative(repoRoot, resolved).split(path.sep).join("/");
    const kind = /\.[a-z0-9]+$/i.test(relative) || relative === "LICENSE" ? "blob" : "tree";
    return `${REPOSITORY_URL}/${kind}/main/${relative}${hash}`;
}

export function repositoryLinks(md: MarkdownIt, docsDir: string): void {
    md.core.ruler.push("repository-links", (state) => {
        const page = (state.env as { path?: string }).path;
        if (!page) return;
        for (const block of state.tokens) {
            for (const token of block.children ?? []) {
                if (token.type !== "link_open") continue;
                const href = token.attrGet("href");
                const url = href === null ? undefined : repositoryUrl(href, page, docsDir);
                if (url) token.attrSet("href", url);
            }
        }
    });
}

/**
 * Heading anchors as GitHub makes them (lower case, punctuation dropped, each space a hyphen), so a
 * link to `page.md#a-section` works on the site and on GitHub alike.
 */
export function githubSlug(text: string): string {
    return text
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
        .replace(/ /g, "-");
}

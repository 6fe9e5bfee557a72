/**
 * The documentation site (VitePress; why: docs/decisions/0004-docs-site.md). Built offline by
 * `npm run docs:build` into docs/.vitepress/dist, served by `npm run docs:dev`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitepress";
import { withMermaid } from "vitepress-plugin-mermaid";
import { githubSlug, repositoryLinks, REPOSITORY_URL } from "./repository-links";

const docsDir = path.resolve(__dirname, "..");

/** The API reference's sidebar, written by TypeDoc (scripts/docs-api.ts); absent until it ran. */
function apiSidebar(): { text: string; link: string }[] {
    const file = path.join(docsDir, "api", "typedoc-sidebar.json");
    if (!fs.existsSync(file)) return [];
    const items = JSON.parse(fs.readFileSync(file, "utf8")) as { text: string; link: string }[];
    return items.map((i) => ({ text: i.text, link: i.link }));
}

export default withMermaid(
    defineConfig({
        title: "Backline on Pulumi",
        description: "The Backline on-premises stack as a Pulumi program and component library.",
        lang: "en",
        srcExclude: ["**/README.md", "data/**"],
        lastUpdated: false,
        cleanUrls: false,
        ignoreDeadLinks: false,
        markdown: {
            anchor: { slugify: githubSlug },
            config: (md) => repositoryLinks(md, docsDir),
        },
        // Mermaid is one large chunk; it loads only on pages with a diagram.
        vite: {
            build: { chunkSizeWarningLimit: 4096 },
            // Our diagram component instead of the plugin's (why: theme/mermaid-diagram.vue).
            resolve: {
                alias: {
                    "vitepress-plugin-mermaid/Mermaid.vue": fileURLToPath(
                        new URL("./theme/mermaid-diagram.vue", import.meta.url),
                    ),
                },
            },
        },
        themeConfig: {
            search: { provider: "local" },
            outline: [2, 3],
            socialLinks: [{ icon: "github", link: REPOSITORY_URL }],
            nav: [
                { text: "Get started", link: "/get-started/" },
                { text: "Move from Helm", link: "/move-from-helm" },
                { text: "Configuration", link: "/configuration" },
                { text: "Operate", link: "/operate/ownership" },
                { text: "Embed", link: "/embed/" },
                { text: "Contributing", link: "/contributing/" },
            ],
            sidebar: [
                {
                    text: "Get started",
                    items: [
                        { text: "Choose a path", link: "/get-started/" },
                        { text: "Try it: render mode", link: "/get-started/render-mode" },
                        { text: "Try it: a local cluster", link: "/get-started/local-cluster" },
                        { text: "Deploy to your cluster", link: "/get-started/your-cluster" },
                    ],
                },
                {
                    text: "Move from Helm",
                    items: [
                        { text: "Move a release", link: "/move-from-helm" },
                        { text: "How adoption works", link: "/helm-adoption" },
                        { text: "Research notes", link: "/helm-adoption-research" },
                    ],
                },
                {
                    text: "Configuration",
                    items: [
                        { text: "Reference", link: "/configuration" },
                        { text: "Enterprise clusters", link: "/enterprise" },
                    ],
                },
                {
                    text: "Operate",
                    items: [
                        { text: "Who owns what", link: "/operate/ownership" },
                        { text: "Upgrading", link: "/upgrading" },
                        { text: "Removing a stack", link: "/operate/removal" },
                        { text: "Troubleshooting", link: "/operate/troubleshooting" },
                        { text: "A team backend", link: "/backend" },
                        { text: "Policies", link: "/operate/policies" },
                        { text: "The worker's Jobs: admission", link: "/job-admission" },
                    ],
                },
                {
                    text: "Embed",
                    items: [
                        { text: "The package", link: "/embed/" },
                        { text: "Automation API", link: "/automation" },
                        { text: "Components", link: "/embed/components" },
                        { text: "YAML, Python", link: "/embed/languages" },
                        { text: "Fleet rollouts", link: "/fleet" },
                        { text: "API reference", link: "/api/", collapsed: true, items: apiSidebar() },
                    ],
                },
                {
                    text: "Project",
                    items: [
                        { text: "Versioning", link: "/versioning" },
                        { text: "Contributing", link: "/contributing/" },
                        { text: "Architecture", link: "/architecture" },
                        { text: "Tests", link: "/contributing/tests" },
                        { text: "Benchmarks", link: "/contributing/benchmarks" },
                        { text: "The engine, built here", link: "/engine" },
                        { text: "The test API server", link: "/kube-apiserver" },
                        { text: "Decisions", link: "/decisions/" },
                    ],
                },
            ],
        },
        mermaid: {},
    }),
);

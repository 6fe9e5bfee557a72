/**
 * The built documentation site (`npm run docs:build`, docs/.vitepress/dist) as a reader's browser
 * shows it: Debian's Chromium, headless, driven by playwright-core, loading the site from a small
 * static server on 127.0.0.1. Every internal link of every page goes to a page that exists (and to
 * an anchor on it, when it names one); every page loads without a script error; every diagram
 * renders to an SVG and every chart image loads; the search finds the Helm move. Screenshots of the
 * front page and the adoption page go to test-output/docs/.
 *
 * Chromium gets a fresh profile and the flags that keep it from reaching for the network (the
 * machine has none; without them it waits on connections). Skips, saying why, when Chromium or
 * the built site is missing.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import type { AddressInfo } from "net";
import * as os from "os";
import * as path from "path";
import { chromium, type BrowserContext } from "playwright-core";
import { REPO_ROOT } from "./snippets";

export const DIST = path.join(REPO_ROOT, "docs", ".vitepress", "dist");
const OUT = path.join(REPO_ROOT, "test-output", "docs");
const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

const types: Record<string, string> = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".json": "application/json",
    ".woff2": "font/woff2",
    ".png": "image/png",
};

/** The file a URL path names: `/a/` is `/a/index.html`, `/a` may be `/a.html`. */
export function fileFor(urlPath: string, root = DIST): string | undefined {
    const clean = decodeURIComponent(urlPath.split(/[?#]/)[0]);
    const candidates = clean.endsWith("/")
        ? [path.join(root, clean, "index.html")]
        : [path.join(root, clean), `${path.join(root, clean)}.html`, path.join(root, clean, "index.html")];
    return candidates.find((f) => f.startsWith(root) && fs.existsSync(f) && fs.statSync(f).isFile());
}

function serve(root: string): Promise<http.Server> {
    const server = http.createServer((req, res) => {
        const file = fileFor(req.url ?? "/", root);
        res.writeHead(file ? 200 : 404, {
            "content-type": types[path.extname(file ?? ".html")] ?? "application/octet-stream",
        });
        res.end(fs.readFileSync(file ?? path.join(root, "404.html")));
    });
    return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(server)));
}

function htmlFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? htmlFiles(p) : e.name.endsWith(".html") && e.name !== "404.html" ? [p] : [];
    });
}

/** `/get-started/render-mode.html` for dist/get-started/render-mode.html. */
const urlOf = (file: string) => `/${path.relative(DIST, file).split(path.sep).join("/")}`;

/** Every internal link of the built pages that goes nowhere, as `page -> href`. */
export function brokenLinks(files: readonly string[]): string[] {
    const ids = new Map<string, Set<string>>();
    const idsOf = (file: string) => {
        if (!ids.has(file)) {
            const html = fs.readFileSync(file, "utf8");
            ids.set(file, new Set([...html.matchAll(/\sid="([^"]+)"/g)].map((m) => m[1])));
        }
        return ids.get(file)!;
    };
    const broken: string[] = [];
    for (const file of files) {
        const html = fs.readFileSync(file, "utf8");
        for (const m of html.matchAll(/<a\s[^>]*href="([^"]+)"/g)) {
            const href = m[1].replace(/&amp;/g, "&");
            if (/^([a-z]+:|\/\/)/i.test(href)) continue;
            const [target, hash] = href.split("#");
            const page = target === "" ? file : fileFor(new URL(target, `http://x${urlOf(file)}`).pathname);
            if (!page) broken.push(`${urlOf(file)} -> ${href}`);
            else if (hash && page.endsWith(".html") && !idsOf(page).has(decodeURIComponent(hash))) {
                broken.push(`${urlOf(file)} -> ${href} (no such anchor)`);
            }
        }
    }
    return broken;
}

describe("documentation site in Chromium", function () {
    this.timeout(600_000);
    let server: http.Server;
    let base: string;
    let context: BrowserContext;
    let profile: string;

    before(async function () {
        if (!fs.existsSync(path.join(DIST, "index.html"))) {
            console.log("      skipped: no built site; run `npm run docs:build`");
            this.skip();
        }
        if (!fs.existsSync(CHROMIUM)) {
            console.log(`      skipped: no ${CHROMIUM}; bash scripts/setup.sh installs Debian's chromium`);
            this.skip();
        }
        server = await serve(DIST);
        base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        profile = fs.mkdtempSync(path.join(os.tmpdir(), "docs-chromium-"));
        context = await chromium.launchPersistentContext(profile, {
            executablePath: CHROMIUM,
            headless: true,
            args: FLAGS,
            viewport: { width: 1280, height: 900 },
        });
        fs.mkdirSync(OUT, { recursive: true });
    });

    after(async () => {
        await context?.close();
        server?.close();
        if (profile) fs.rmSync(profile, { recursive: true, force: true });
    });

    it("has no internal link to a missing page or anchor", () => {
        const files = htmlFiles(DIST);
        assert.ok(files.length >= 30, `only ${files.length} pages built`);
        assert.deepEqual(brokenLinks(files), []);
    });

    it("loads every page without a script error, with every diagram drawn and every chart loaded", async () => {
        const pages = htmlFiles(DIST)
            .map(urlOf)
            .filter((u) => !u.startsWith("/api/"));
        const problems: string[] = [];
        let diagrams = 0;
        let charts = 0;
        const page = await context.newPage();
        page.on("pageerror", (err) => problems.push(`${page.url()}: ${err.message}`));
        for (const url of pages) {
            await page.goto(base + url, { waitUntil: "load" });
            const expected = await page.locator(".mermaid").count();
            if (expected > 0) {
                await page
                    .waitForFunction(`document.querySelectorAll(".mermaid svg").length >= ${expected}`, undefined, {
                        timeout: 30_000,
                    })
                    .catch(() => problems.push(`${url}: ${expected} diagrams, not all drawn`));
                for (const text of await page.locator(".mermaid").allInnerTexts()) {
                    if (/Syntax error|Parse error/.test(text))
                        problems.push(`${url}: a diagram failed: ${text.slice(0, 120)}`);
                }
                diagrams += expected;
            }
            const images = await page.$$eval("main img", (imgs) =>
                imgs.map((i) => ({ src: i.getAttribute("src"), ok: i.complete && i.naturalWidth > 0 })),
            );
            for (const img of images) {
                if (!img.ok) problems.push(`${url}: image ${img.src} did not load`);
                if (img.src?.includes("/charts/")) charts++;
            }
        }
        await page.close();
        assert.deepEqual(problems, []);
        assert.ok(diagrams >= 5, `only ${diagrams} diagrams seen`);
        assert.ok(charts >= 10, `only ${charts} charts seen`);
    });

    it("finds the Helm move with the search", async () => {
        const page = await context.newPage();
        await page.goto(`${base}/index.html`, { waitUntil: "load" });
        await page.locator(".VPNavBarSearch button").first().click();
        const input = page.locator("input.search-input");
        await input.fill("adopt helmRelease");
        const results = page.locator(".VPLocalSearchBox .results li a");
        await results.first().waitFor({ timeout: 15_000 });
        const hrefs = await results.evaluateAll((as) => as.map((a) => a.getAttribute("href") ?? ""));
        await page.close();
        assert.ok(
            hrefs.some((h) => h.includes("move-from-helm")),
            hrefs.join("\n"),
        );
    });

    it("screenshots the front page and the adoption page", async () => {
        const page = await context.newPage();
        for (const [url, name, wait] of [
            ["/index.html", "front-page", 1],
            ["/move-from-helm.html", "adoption", 1],
            ["/contributing/benchmarks.html", "benchmarks", 0],
        ] as const) {
            await page.goto(base + url, { waitUntil: "load" });
            if (wait) await page.waitForSelector(".mermaid svg", { timeout: 30_000 });
            const file = path.join(OUT, `${name}.png`);
            await page.screenshot({ path: file, fullPage: true });
            assert.ok(fs.statSync(file).size > 10_000, `${file} is nearly empty`);
        }
        await page.close();
    });
});

/**
 * The render-mode walk-through of docs/get-started/render-mode.md, run as written on the real
 * engine: a new stack, its configuration, `pulumi up` writing the manifests, then `destroy` and
 * `stack rm`. It runs in a copy of the program (as `npm run local:up` deploys one), with its own
 * HOME and PULUMI_HOME, so the checkout and a developer's own state are left alone; `npm ci` is
 * the one line left out (the copy links the checkout's node_modules).
 *
 * Needs the engine (scripts/build-engine.sh); skips with the reason otherwise. Run:
 *   npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 600000 test/e2e/docs-render.e2e.ts
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT, findEngine } from "./support/engine";
import { pageBlock } from "./support/page-blocks";

const PAGE = "docs/get-started/render-mode.md";

describe("docs: render mode, as written (e2e)", function () {
    this.timeout(600_000);
    let dir: string;

    before(function () {
        if (!findEngine((reason) => console.log(`      skipped: ${reason}`))) this.skip();
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-docs-render-"));
        const project = path.join(dir, "project");
        fs.mkdirSync(project);
        for (const f of ["index.ts", "components", "janitor", "Pulumi.yaml", "package.json", "tsconfig.json"]) {
            fs.cpSync(path.join(REPO_ROOT, f), path.join(project, f), { recursive: true });
        }
        fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(project, "node_modules"));
    });

    after(() => {
        if (dir) fs.rmSync(dir, { recursive: true, force: true });
    });

    it("writes the manifests, destroys and removes the stack", () => {
        const page = fs.readFileSync(path.join(REPO_ROOT, PAGE), "utf8");
        const block = pageBlock(page, "render-walkthrough", PAGE).replace(/^npm ci\n/m, "");
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            HOME: dir,
            PULUMI_HOME: path.join(dir, "pulumi-home"),
            PULUMI_NODEJS_TRANSPILE_ONLY: "true",
            PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true",
        };
        for (const k of ["PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE", "KUBECONFIG"]) delete env[k];
        const script = `source ${path.join(REPO_ROOT, "scripts", "engine-env.sh")}\n${block}`;
        const r = spawnSync("bash", ["-euo", "pipefail", "-c", script], {
            cwd: path.join(dir, "project"),
            env,
            encoding: "utf8",
        });
        const out = `${r.stdout}${r.stderr}`;
        assert.equal(r.status, 0, out.slice(-6000));
        for (const name of ["worker", "janitor", "worker-storage"]) {
            assert.match(r.stdout, new RegExp(`\\b${name}\\b`), `ls rendered/1-manifest shows no ${name}`);
        }
        assert.ok(!out.includes("try-it-access-key"), "the access key was printed");
        assert.ok(!fs.existsSync(path.join(dir, "project", "Pulumi.try-it.yaml")), "the stack file was left behind");
    });
});

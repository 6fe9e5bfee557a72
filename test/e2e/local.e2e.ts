/**
 * `npm run local:up` / `npm run local:down` exactly as a newcomer runs them (scripts/local-up.sh,
 * scripts/local-down.sh): the dev stack deployed onto a local simulated cluster with real awaits,
 * the worker 1/1 available, a second `local:up` reusing everything, `local:down` leaving no process,
 * and the checkout untouched. State goes to a temp folder (`BACKLINE_LOCAL_DIR`) so a developer's
 * own `.cache/local` cluster is left alone.
 *
 * Needs the engine and the control plane (their build scripts are no-ops when up to date); skips
 * with the reason otherwise. Run:
 *   npx mocha --no-config -r ts-node/register/transpile-only --timeout 1200000 test/e2e/local.e2e.ts
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findKubeBinaries, pidsUsing, REPO_ROOT } from "../support/apiserver";
import { findEngine } from "./support/engine";

interface Run {
    code: number | null;
    out: string;
}

function npmRun(script: string, env: NodeJS.ProcessEnv, args: string[] = []): Promise<Run> {
    return new Promise((resolve, reject) => {
        const child = spawn("npm", ["run", "--silent", script, ...(args.length ? ["--", ...args] : [])], {
            cwd: REPO_ROOT,
            env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, out }));
    });
}

function gitStatus(): string | null {
    const r = spawnSync("git", ["status", "--porcelain", "--untracked-files=all"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
    });
    return r.status === 0 ? r.stdout : null;
}

describe("npm run local:up / local:down (e2e)", function () {
    this.timeout(1_200_000);

    let dir: string;
    let env: NodeJS.ProcessEnv;
    let gitBefore: string | null;

    before(function () {
        const kube = findKubeBinaries({ kwok: true });
        const engine = findEngine();
        if (!kube.binaries || !engine) {
            console.log(`      skipped: ${kube.reason ?? "no Pulumi engine: run scripts/build-engine.sh"}`);
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-local-"));
        env = { ...process.env, BACKLINE_LOCAL_DIR: dir };
        for (const k of [
            "KUBECONFIG",
            "PULUMI_HOME",
            "PULUMI_BACKEND_URL",
            "PULUMI_CONFIG_PASSPHRASE",
            "PULUMI_ACCESS_TOKEN",
        ]) {
            delete env[k];
        }
        gitBefore = gitStatus();
    });

    after(async function () {
        this.timeout(120_000);
        if (dir) {
            await npmRun("local:down", env, ["--purge"]); // whatever a failed test left running
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    const kubectl = (args: string[]): string => {
        const r = spawnSync(path.join(REPO_ROOT, ".cache", "kube", "bin", "kubectl"), args, {
            env: { ...env, KUBECONFIG: path.join(dir, "cluster", "kubeconfig") },
            encoding: "utf8",
        });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout;
    };

    it("local:up deploys the dev stack with the worker 1/1 available and says what to run next", async () => {
        const up = await npmRun("local:up", env);
        assert.equal(up.code, 0, up.out);
        assert.match(kubectl(["get", "deploy", "worker", "-n", "backline"]), /^worker\s+1\/1\s+1\s+1\s/m);
        const job = JSON.parse(
            kubectl(["get", "jobs", "-n", "backline", "-l", "backline.ai/run=install", "-o", "json"]),
        );
        assert.equal(job.items.length, 1);
        assert.equal(job.items[0].status.succeeded, 1);
        assert.match(up.out, /SIMULATED/);
        for (const next of ["get all -n backline", "stack output", "npm run local:down"]) {
            assert.ok(up.out.includes(next), `the next steps do not mention "${next}":\n${up.out.slice(-2000)}`);
        }
        assert.ok(!up.out.includes("your-secret-key"), "the dev access key was printed");
        assert.equal(pidsUsing(path.join(dir, "cluster")).length, 5, "expected five control-plane processes");
    });

    it("local:up again reuses the running cluster and changes nothing", async () => {
        const pidsBefore = pidsUsing(path.join(dir, "cluster")).sort();
        const again = await npmRun("local:up", env);
        assert.equal(again.code, 0, again.out);
        assert.match(again.out, /already running .*reusing it/);
        assert.match(again.out, /(\d+ unchanged|unchanged)/);
        assert.doesNotMatch(again.out, /\+ \d+ to create|~ \d+ updated|\d+ updated/, again.out.slice(-2000));
        assert.deepEqual(pidsUsing(path.join(dir, "cluster")).sort(), pidsBefore);
    });

    it("local:down stops every process it started and leaves the checkout clean", async () => {
        const down = await npmRun("local:down", env);
        assert.equal(down.code, 0, down.out);
        assert.match(down.out, /stopped kwok .*kube-scheduler .*kube-controller-manager .*kube-apiserver .*etcd/);
        assert.deepEqual(pidsUsing(dir), [], "a process of the local cluster survived local:down");
        if (gitBefore !== null) {
            assert.equal(gitStatus(), gitBefore, "local:up/local:down changed files in the checkout");
        }
    });
});

/**
 * The "Move from the Helm chart" page (docs/move-from-helm.md), run as written: the local release
 * block (`npm run local:up`, a `helm install` of the test chart), the walk-through block (a stack
 * with the release's values and `adopt.helmRelease`, preview, up, `helm list`, a second up with
 * `--expect-no-changes`), then the rollback block (the record restored from its backups, the stack
 * forgotten, `helm rollback` applying the release again). The blocks are taken from the page between
 * their markers and run with bash; the only change is the local cluster's folder (`.cache/local`,
 * here a temp folder through `BACKLINE_LOCAL_DIR`, so a developer's own local cluster is left alone).
 *
 * Needs the engine, the control plane with kwok and helm (their build scripts are no-ops when up to
 * date); skips with the reason otherwise. Run:
 *   npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 1200000 test/e2e/adopt-readme.e2e.ts
 */
import { strict as assert } from "assert";
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { findKubeBinaries, REPO_ROOT } from "../support/apiserver";
import { findHelm } from "../support/helm";
import { findEngine } from "./support/engine";
import { pageBlock } from "./support/page-blocks";

/** The page the walk-through lives on. */
const WALKTHROUGH_PAGE = "docs/move-from-helm.md";

function bash(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn("bash", ["-euo", "pipefail", "-c", script], { cwd: REPO_ROOT, env });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.on("error", reject);
        child.on("close", (code) => resolve({ code, out }));
    });
}

describe("docs: moving from the Helm chart, as written (e2e)", function () {
    this.timeout(1_500_000);
    let dir: string;
    let env: NodeJS.ProcessEnv;

    before(function () {
        const kube = findKubeBinaries({ kwok: true });
        const engine = findEngine();
        const helm = findHelm();
        if (!kube.binaries || !engine || !helm.helm) {
            console.log(
                `      skipped: ${kube.reason ?? helm.reason ?? "no Pulumi engine: run scripts/build-engine.sh"}`,
            );
            this.skip();
        }
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-adopt-readme-"));
        env = { ...process.env, BACKLINE_LOCAL_DIR: dir, PULUMI_NODEJS_TRANSPILE_ONLY: "true" };
        for (const k of ["KUBECONFIG", "PULUMI_HOME", "PULUMI_BACKEND_URL", "PULUMI_CONFIG_PASSPHRASE"]) {
            delete env[k];
        }
    });

    after(async function () {
        this.timeout(120_000);
        if (dir) {
            await bash("npm run --silent local:down -- --purge", env);
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("adopts the release, leaves no Helm release, changes nothing the second time, and rolls back", async () => {
        const page = fs.readFileSync(path.join(REPO_ROOT, WALKTHROUGH_PAGE), "utf8");
        const local = (block: string) => block.split(".cache/local").join(dir);
        const report = path.join(dir, "report");
        const script = [
            local(pageBlock(page, "adopt-local-release", WALKTHROUGH_PAGE)),
            local(pageBlock(page, "adopt-walkthrough", WALKTHROUGH_PAGE)),
            `mkdir -p ${report}`,
            `helm list -n backline-helm -a -o json > ${report}/adopted.json`,
            `kubectl get deploy,pvc,cronjob -n backline-helm -o json > ${report}/objects-adopted.json`,
            local(pageBlock(page, "adopt-rollback", WALKTHROUGH_PAGE)),
            `helm list -n backline-helm -a -o json > ${report}/rolled-back.json`,
            `kubectl get deploy,pvc,cronjob -n backline-helm -o json > ${report}/objects-rolled-back.json`,
        ].join("\n");
        const r = await bash(script, env);
        assert.equal(r.code, 0, r.out.slice(-6000));
        assert.match(r.out, /Adopting Helm release `backline` \(revision 1, chart backline 0\.1\.0\)/);
        assert.ok(!r.out.includes("demo-access-key"), "the access key was printed");

        const read = (f: string) => JSON.parse(fs.readFileSync(path.join(report, f), "utf8"));
        assert.deepEqual(read("adopted.json"), []);
        const rolledBack = read("rolled-back.json");
        assert.equal(rolledBack.length, 1);
        assert.equal(rolledBack[0].status, "deployed");
        assert.equal(rolledBack[0].revision, "2");
        const uid = (f: string) =>
            Object.fromEntries(
                read(f).items.map((o: { kind: string; metadata: { name: string; uid: string } }) => [
                    `${o.kind}/${o.metadata.name}`,
                    o.metadata.uid,
                ]),
            );
        assert.deepEqual(uid("objects-rolled-back.json"), uid("objects-adopted.json"), "the rollback replaced objects");
    });
});

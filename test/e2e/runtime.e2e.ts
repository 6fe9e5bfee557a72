/**
 * At deploy time the program is transpiled, not type-checked (issue 10; README "How long a preview
 * takes"), for every way it runs: `pulumi preview` in the project folder and the Automation API.
 * A copy of the project gets a deliberate type error in index.ts: it previews under the real
 * engine and through the Automation API, while `tsc` (what `npm run typecheck` runs) rejects that
 * very copy — so the type error is real and only the check is skipped at deploy time.
 *
 * Needs the engine (scripts/build-engine.sh); skips with the reason otherwise.
 * Run: npx mocha --config .mocharc.e2e.json test/e2e/runtime.e2e.ts
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { preview } from "../../automation";
import {
    Engine,
    EngineEnv,
    REPO_ROOT,
    describeRun,
    engineEnv,
    findEngine,
    pulumiHomeWithPlugins,
    runPulumi,
} from "./support/engine";
import { ProjectCopy, copyProject } from "./support/project";

/** Valid JavaScript, invalid TypeScript (TS2322); the program prints it, so a run shows it ran. */
const typeErrorSource = '\nconst typeError: number = "not a number";\nconsole.log(`typeError = ${typeError}`);\n';

describe("the program at deploy time: transpiled, not type-checked", function () {
    this.timeout(900_000);

    let engine: Engine;
    let project: ProjectCopy;
    let env: EngineEnv;
    let tmp: string;

    before(async function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        project = copyProject();
        fs.appendFileSync(path.join(project.dir, "index.ts"), typeErrorSource);
        env = engineEnv(engine, { passphrase: "runtime-e2e" });
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "runtime-e2e-"));
        for (const args of [
            ["stack", "init", "cli", "--secrets-provider", "passphrase"],
            ["config", "set", "--secret", "accessKey", "bk_runtime_e2e_key"],
            ["config", "set", "baseUrl", "https://app.backline.ai"],
            ["config", "set", "--path", "worker.otel.enabled", "false"],
            ["config", "set", "--path", "kubernetes.renderYamlToDirectory", path.join(tmp, "cli")],
        ]) {
            const r = await runPulumi(args, { cwd: project.dir, env: env.env, pulumi: engine.pulumi });
            assert.equal(r.code, 0, describeRun(args, r));
        }
    });

    after(() => {
        project?.cleanup();
        env?.cleanup();
        if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("`pulumi preview` in the project folder runs a program with a type error", async () => {
        const r = await runPulumi(["preview", "--refresh=false"], {
            cwd: project.dir,
            env: env.env,
            pulumi: engine.pulumi,
            timeoutMs: 600_000,
        });
        assert.equal(r.code, 0, describeRun(["preview"], r));
        assert.match(r.stdout, /typeError = not a number/);
    });

    it("`npm run typecheck`'s check rejects the same copy (TS2322), so only the deploy-time check is skipped", () => {
        const tsc = path.join(REPO_ROOT, "node_modules", ".bin", "tsc");
        const r = spawnSync(tsc, ["--noEmit", "-p", path.join(project.dir, "tsconfig.json")], {
            encoding: "utf8",
            timeout: 600_000,
        });
        assert.notEqual(r.status, 0, "tsc accepted the type error");
        assert.match(r.stdout, /index\.ts\(\d+,\d+\): error TS2322/);
    });

    it("the Automation API runs the same program without the check", async () => {
        const result = await preview({
            stackName: "automation",
            workDir: project.dir,
            stateDir: path.join(tmp, "state"),
            pulumiHome: pulumiHomeWithPlugins(path.join(tmp, "home")),
            passphrase: "runtime-e2e",
            engineBinDir: engine.binDir,
            env: { PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true" },
            config: {
                baseUrl: "https://app.backline.ai",
                accessKey: "bk_runtime_e2e_key",
                worker: { otel: { enabled: false } },
            },
            kubernetes: { renderToDirectory: path.join(tmp, "automation") },
        });
        assert.ok(result.summary.created > 10, JSON.stringify(result.summary));
    });
});

/**
 * A clean `pulumi preview` and `pulumi up` of the dev stack in render mode print no warning at all,
 * on stdout or stderr: a warning users learn to ignore hides the ones that matter. In particular the
 * engine finds every plugin where a standard install has it (the kubernetes plugin in the plugin
 * cache, the language host next to `pulumi`), never on PATH, where it would say
 * `warning: using pulumi-resource-kubernetes from $PATH …` on every run (docs/engine.md).
 *
 * One warning is the truth and stays: the kubernetes provider says that the rendered Secret
 * `backline-access-key` holds the access key in plaintext (render mode writes every object's data to
 * files). It is allowed here by its exact text, for that Secret only.
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { which } from "../../automation/paths";
import { Engine, EngineEnv, RunResult, describeRun, engineEnv, findEngine, runPulumi } from "./support/engine";
import { ProjectCopy, copyProject } from "./support/project";

/** The dev stack's documented passphrase (docs/get-started/your-cluster.md). */
const devPassphrase = "backline-dev";

describe("a clean preview and up of the dev stack (render mode) print no warning", function () {
    this.timeout(900_000);

    let engine: Engine;
    let project: ProjectCopy;
    let env: EngineEnv;
    let renderDir: string;

    const run = async (args: string[]): Promise<RunResult> => {
        const r = await runPulumi(args, { cwd: project.dir, env: env.env, pulumi: engine.pulumi, timeoutMs: 600_000 });
        assert.equal(r.code, 0, describeRun(args, r));
        return r;
    };
    const renderedSecret =
        /warning: rendered (YAML will contain|file \S+\/v1-secret-backline-backline-access-key\.yaml contains) a secret value in plaintext$/;
    /**
     * Every line that warns, but the provider's about the rendered access-key Secret: on its progress
     * line, or under its heading in "Diagnostics".
     */
    const warnings = (r: RunResult) => {
        let heading = "";
        return `${r.stdout}\n${r.stderr}`.split("\n").filter((line) => {
            if (/^ {2}\S.*:$/.test(line)) heading = line;
            if (!/warn|deprecat/i.test(line)) return false;
            // A diagnostic's own line starts with "warning:"; its resource is in the heading above.
            const about = /^\s+warning:/.test(line) ? heading : line;
            const aboutSecret = /Secret \(?backline-namespace-access-key\)?/.test(about);
            return !(aboutSecret && renderedSecret.test(line.trim()));
        });
    };

    before(async function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        project = copyProject(["Pulumi.dev.yaml"]);
        env = engineEnv(engine, { passphrase: devPassphrase });
        renderDir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-quiet-"));
        await run(["stack", "init", "dev"]);
        await run(["config", "set", "--path", "kubernetes.renderYamlToDirectory", renderDir]);
    });

    after(() => {
        project?.cleanup();
        env?.cleanup();
        if (renderDir) fs.rmSync(renderDir, { recursive: true, force: true });
    });

    it("no plugin of the engine is on PATH but the ones bundled next to pulumi", () => {
        const k8s = which("pulumi-resource-kubernetes", env.env.PATH);
        assert.equal(k8s, null, `the kubernetes plugin is on PATH: ${k8s}`);
        const host = which("pulumi-language-nodejs", env.env.PATH);
        assert.equal(host && path.dirname(host), engine.binDir);
    });

    it("preview", async () => {
        const r = await run(["preview", "--refresh=false"]);
        assert.match(r.stdout, /\+ \d+ to create/);
        assert.deepEqual(warnings(r), []);
    });

    it("up, then the same preview again", async () => {
        const up = await run(["up", "--yes", "--skip-preview", "--refresh=false"]);
        assert.match(up.stdout, /\+ \d+ created/);
        assert.deepEqual(warnings(up), []);
        assert.ok(fs.readdirSync(renderDir).length > 0, "nothing rendered");
        const again = await run(["preview", "--refresh=false"]);
        assert.match(again.stdout, /\d+ unchanged/);
        assert.doesNotMatch(again.stdout, /to create|to update|to delete/);
        assert.deepEqual(warnings(again), []);
    });
});

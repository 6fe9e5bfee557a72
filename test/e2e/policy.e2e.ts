/**
 * Backline's policy pack under the real engine, in render mode: `pulumi preview --policy-pack` on
 * the chart's four examples and the no-AWS stack (they pass), and on a customer's wrapper of
 * `BacklineStack` (test/fixtures/policy-program.ts) that makes the worker privileged through a
 * transform or adds a ClusterRole (the preview fails with the policy's message).
 *
 * The pack runs as `policy/analyzer`, the executable form the engine starts directly: this
 * repository's Node.js language host (v3.68.0) cannot start a pack given as a directory (checked
 * below). Needs the engine (scripts/build-engine.sh) and policy/'s dependencies (scripts/setup.sh).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { which } from "../../automation/paths";
import { Engine, EngineEnv, RunResult, describeRun, engineEnv, findEngine, runPulumi } from "./support/engine";
import { assertPackInstalled, copyWrapperProject, packAnalyzer as analyzer, packDir } from "./support/policy";
import type { ProjectCopy } from "./support/project";
import * as examples from "../fixtures/examples";
import type { StackConfig } from "../support/mocks";

const stackName = "policy";
/** The policy pack is versioned with the package: `backline@v<version>`. */
const packId = `backline@v${JSON.parse(fs.readFileSync(path.join(packDir, "package.json"), "utf8")).version}`;

describe("Backline's policy pack under the real engine (render mode)", function () {
    this.timeout(1_800_000);

    let engine: Engine;
    let project: ProjectCopy;
    let env: EngineEnv;
    let renderDir: string;
    const timings: string[] = [];

    const pulumi = (args: string[]) =>
        runPulumi(args, { cwd: project.dir, env: env.env, pulumi: engine.pulumi, timeoutMs: 900_000 });
    const ok = async (args: string[]) => {
        const r = await pulumi(args);
        assert.equal(r.code, 0, describeRun(args, r));
        return r;
    };
    /** Render mode has no cluster to refresh from (docs/get-started/render-mode.md). */
    const preview = (pack?: string) => pulumi(["preview", "--refresh=false", ...(pack ? ["--policy-pack", pack] : [])]);

    /** Replaces the stack's settings (the encrypted access key stays) and the wrapper's change. */
    function configure(config: StackConfig, change?: string): void {
        const file = path.join(project.dir, `Pulumi.${stackName}.yaml`);
        const doc = parse(fs.readFileSync(file, "utf8"));
        const settings: Record<string, unknown> = { "backline:accessKey": doc.config["backline:accessKey"] };
        for (const [k, v] of Object.entries(config)) {
            if (k !== "accessKey") settings[`backline:${k}`] = v;
        }
        settings["backline:kubernetes"] = { renderYamlToDirectory: renderDir };
        if (change) settings["policytest:change"] = change;
        fs.writeFileSync(file, stringify({ ...doc, config: settings }));
    }

    const text = (r: RunResult) => `${r.stdout}\n${r.stderr}`;

    before(async function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        assertPackInstalled();
        project = copyWrapperProject();
        // The program is type-checked by `npm run typecheck`; here ts-node only transpiles (faster).
        env = engineEnv(engine, { passphrase: "e2e-passphrase", extra: { PULUMI_NODEJS_TRANSPILE_ONLY: "true" } });
        renderDir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-policy-rendered-"));
        await ok(["stack", "init", stackName, "--secrets-provider", "passphrase"]);
        await ok(["config", "set", "--secret", "accessKey", String(examples.minimal.accessKey)]);
    });

    after(() => {
        if (timings.length > 0) console.log(`      preview timings: ${timings.join("; ")}`);
        project?.cleanup();
        env?.cleanup();
        if (renderDir) fs.rmSync(renderDir, { recursive: true, force: true });
    });

    const clean: [string, StackConfig, string[]][] = [
        ["minimal", examples.minimal, []],
        ["production", examples.production, ["pdb-for-replicated-workloads"]],
        ["customWorkerImage", examples.customWorkerImage, []],
        ["disableObservability", examples.disableObservability, []],
        ["noAwsStorage", examples.noAwsStorage, []],
    ];
    for (const [title, config, advisories] of clean) {
        it(`${title}: previews with the pack, no mandatory violation`, async () => {
            configure(config);
            const r = await preview(analyzer);
            timings.push(`${title} with the pack ${r.durationMs} ms`);
            assert.equal(r.code, 0, describeRun(["preview", "--policy-pack", analyzer], r));
            const out = text(r);
            assert.ok(out.includes(packId), `the pack did not run: no ${packId}`);
            assert.doesNotMatch(out, /\[mandatory\]/);
            for (const a of ["images-pinned-by-digest", ...advisories]) {
                assert.match(out, new RegExp(`\\[advisory\\]\\s+${a}`), `advisory ${a} missing`);
            }
            if (advisories.length === 0) assert.doesNotMatch(out, /pdb-for-replicated-workloads/);
            assert.equal(fs.readdirSync(renderDir).length, 0, "a preview rendered files");
        });
    }

    it("measures a preview of the minimal example without and with the pack (printed, not asserted)", async () => {
        configure(examples.minimal);
        const without = await preview();
        assert.equal(without.code, 0, describeRun(["preview"], without));
        const withPack = await preview(analyzer);
        assert.equal(withPack.code, 0, describeRun(["preview", "--policy-pack", analyzer], withPack));
        timings.push(`minimal without the pack ${without.durationMs} ms, with it ${withPack.durationMs} ms`);
    });

    it("fails a wrapper whose transform makes the worker privileged, with the policy's message", async () => {
        configure(examples.noAwsStorage, "privileged-worker");
        const plain = await preview();
        assert.equal(plain.code, 0, `without the pack the change goes through: ${describeRun(["preview"], plain)}`);
        const r = await preview(analyzer);
        assert.notEqual(r.code, 0, "the preview passed a privileged worker");
        const out = text(r);
        assert.match(out, /\[mandatory\]\s+pod-security-restricted/);
        assert.match(
            out,
            /Deployment "worker": container worker sets securityContext\.privileged: remove it or set it to false/,
        );
        assert.doesNotMatch(out, new RegExp(String(examples.noAwsStorage.accessKey)));
    });

    it("fails a wrapper that adds a ClusterRole, with the policy's message", async () => {
        configure(examples.noAwsStorage, "cluster-role");
        const r = await preview(analyzer);
        assert.notEqual(r.code, 0, "the preview passed a ClusterRole");
        const out = text(r);
        assert.match(out, /\[mandatory\]\s+no-cluster-rbac/);
        assert.match(out, /ClusterRole "backline-node-reader": cluster-wide RBAC is not allowed in a Backline stack/);
    });

    it("the directory form: this engine's language host cannot start it, a standard install can", async () => {
        configure(examples.noAwsStorage);
        const r = await preview(packDir);
        if (engine.source === "cache") {
            // The engine built by scripts/build-engine.sh comes with the v3.68.0 language host,
            // which answers RunPlugin with "not supported" (docs/engine.md).
            assert.notEqual(r.code, 0);
            assert.match(text(r), /could not read plugin \[.*policy\]: not supported/);
        } else {
            assert.equal(r.code, 0, describeRun(["preview", "--policy-pack", packDir], r));
        }
    });

    it("everything on AWS (EFS, collector role): needs the AWS provider plugin", async function () {
        if (!which("pulumi-resource-aws", env.env.PATH)) {
            console.log(
                "      skipped: no pulumi-resource-aws here; the AWS policies are proven on the program by test/policies.spec.ts",
            );
            this.skip();
        }
        configure(examples.fullAws);
        const r = await preview(analyzer);
        assert.equal(r.code, 0, describeRun(["preview", "--policy-pack", analyzer], r));
        assert.doesNotMatch(text(r), /\[mandatory\]/);
    });
});

/**
 * Smoke test of the real Pulumi engine (scripts/build-engine.sh, docs/engine.md)
 * with the local file backend and the passphrase secrets provider, offline.
 *
 *   scripts/build-engine.sh &&
 *     npx mocha --no-config -r ts-node/register/transpile-only --timeout 600000 test/e2e/engine-smoke.e2e.ts
 *   (or all e2e suites: npm run test:e2e)
 *
 * Two ways of running a TypeScript program:
 *  - "CLI project": a project on disk (Pulumi.yaml, index.ts, package.json,
 *    node_modules -> this repo's node_modules) run by `pulumi preview/up/...`.
 *    Needs the pulumi-language-nodejs plugin (built by scripts/build-engine.sh
 *    from sdk/v3 v3.68.0, see docs/engine.md); skipped, saying why, without it.
 *  - "Automation API": the same programs inline, in this process, through
 *    @pulumi/pulumi/automation, which serves the program itself and passes
 *    `--client` to the CLI: no language host is needed.
 * Each does: stack init, config set --secret, preview, up, stack output,
 * destroy; and a kubernetes ConfigMap through an explicit Provider with
 * renderYamlToDirectory (no cluster), which proves that the kubernetes plugin
 * built here serves the npm @pulumi/kubernetes SDK from the plugin cache, without the warning the
 * engine prints for a plugin taken from PATH; and the plugin cache as scripts/engine-plugins.sh
 * installs it (a component provider's plugin the same way), as `pulumi plugin ls` reads it.
 */
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import {
    describeRun,
    Engine,
    EngineEnv,
    engineEnv,
    findEngine,
    pluginStore,
    pulumiHomeWithPlugins,
    REPO_ROOT,
    runPulumi,
    RunResult,
} from "./support/engine";

const PASSPHRASE = "e2e-smoke-passphrase";
/**
 * The version @pulumi/kubernetes asks for, under which the build installs its kubernetes plugin: the
 * exact pin our own tests run (a peer dependency of the package, pinned among its devDependencies).
 */
const k8sVersion: string = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).devDependencies[
    "@pulumi/kubernetes"
];
const SECRET_VALUE = "s3cr3t-value";

/** Files under dir (recursively). */
function listFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) {
        return [];
    }
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? listFiles(p) : [p];
    });
}

/** The rendered manifest of ConfigMap `name`, or undefined. */
function findConfigMapManifest(dir: string, name: string): { file: string; text: string } | undefined {
    for (const file of listFiles(dir)) {
        const text = fs.readFileSync(file, "utf8");
        if (/^kind: ConfigMap$/m.test(text) && new RegExp(`^\\s+name: ${name}$`, "m").test(text)) {
            return { file, text };
        }
    }
    return undefined;
}

/** The "using pulumi-resource-kubernetes from $PATH at ..." line the engine prints, if any. */
function ambientPluginLine(output: string): string | undefined {
    return output.split("\n").find((l) => l.includes("using pulumi-resource-kubernetes from $PATH"));
}

describe("Pulumi engine smoke (e2e)", function () {
    let engine: Engine;
    let tmp: string;

    before(function () {
        const found = findEngine((reason) => {
            throw new Error(`Pulumi engine not found: ${reason}`);
        });
        engine = found as Engine;
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "engine-smoke-"));
        console.log(
            `      pulumi ${engine.version} (${engine.source}) at ${engine.pulumi}\n` +
                `      pulumi-language-nodejs: ${engine.languageNodejs ?? "none"}\n` +
                `      pulumi-resource-kubernetes: ${engine.kubernetesPlugin ?? "none"}`,
        );
    });

    after(function () {
        if (tmp && !process.env.E2E_KEEP_TMP) {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    describe("CLI project (pulumi-language-nodejs)", function () {
        let ee: EngineEnv;
        let project: string;

        before(function () {
            if (engine.languageNodejs === null) {
                console.log(
                    "      skipped: pulumi-language-nodejs is not next to pulumi nor on PATH " +
                        "(scripts/build-engine.sh builds it; see docs/engine.md)",
                );
                this.skip();
            }
            ee = engineEnv(engine, { passphrase: PASSPHRASE, tmpRoot: tmp });
            project = path.join(tmp, "cli-project");
        });

        after(function () {
            ee?.cleanup();
        });

        async function pulumiOk(args: string[], cwd = project): Promise<RunResult> {
            const r = await runPulumi(args, { cwd, env: ee.env, timeoutMs: 540_000 });
            assert.strictEqual(r.code, 0, describeRun(args, r));
            return r;
        }

        function writeProject(dir: string, name: string, indexTs: string): void {
            fs.mkdirSync(dir, { recursive: true });
            fs.writeFileSync(
                path.join(dir, "Pulumi.yaml"),
                [
                    `name: ${name}`,
                    "description: e2e smoke test project",
                    "runtime:",
                    "  name: nodejs",
                    "  options:",
                    "    typescript: true",
                    "",
                ].join("\n"),
            );
            fs.writeFileSync(
                path.join(dir, "package.json"),
                JSON.stringify({ name, private: true, main: "index.ts" }, null, 2) + "\n",
            );
            fs.writeFileSync(path.join(dir, "index.ts"), indexTs);
            // The language host runs the program with ts-node and @pulumi/pulumi
            // from the project's node_modules: reuse this repo's.
            fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
        }

        it("reads the plugin cache as engine-plugins.sh installs it: kubernetes and a component provider", async function () {
            const k8s = engine.kubernetesPlugin;
            if (k8s === null || !k8s.startsWith(pluginStore())) {
                console.log(`      skipped: no kubernetes plugin in ${pluginStore()} (scripts/build-engine.sh)`);
                this.skip();
            }
            // A store of its own, so the build's is not touched: the built kubernetes plugin and a
            // stand-in for a component provider's executable.
            const engineDir = path.join(tmp, "plugin-store-engine");
            const component = path.join(tmp, "pulumi-resource-backline-smoke");
            fs.writeFileSync(component, "#!/bin/sh\nexit 1\n", { mode: 0o755 });
            const home = path.join(tmp, "plugin-store-home");
            const script = path.join(REPO_ROOT, "scripts", "engine-plugins.sh");
            for (const args of [
                ["add", "resource", "kubernetes", k8sVersion, k8s as string],
                ["add", "resource", "backline-smoke", "0.0.1", component],
                ["link", home],
            ]) {
                const r = spawnSync("bash", [script, ...args], {
                    encoding: "utf8",
                    env: { ...process.env, PULUMI_ENGINE_DIR: engineDir },
                });
                assert.strictEqual(r.status, 0, r.stderr);
            }
            const plugins = async (pulumiHome: string) => {
                const r = await runPulumi(["plugin", "ls", "--json"], {
                    cwd: tmp,
                    env: { ...ee.env, PULUMI_HOME: pulumiHome },
                    timeoutMs: 120_000,
                });
                assert.strictEqual(r.code, 0, describeRun(["plugin", "ls"], r));
                return (JSON.parse(r.stdout) as { name: string; kind: string; version: string }[])
                    .map((p) => `${p.kind} ${p.name} ${p.version}`)
                    .sort();
            };
            // Every test's home (engineEnv) has the build's; this one has both of its own store.
            assert.deepStrictEqual(await plugins(pulumiHomeWithPlugins(path.join(tmp, "plain-home"))), [
                "resource kubernetes 4.24.1",
            ]);
            assert.deepStrictEqual(await plugins(home), [
                "resource backline-smoke 0.0.1",
                "resource kubernetes 4.24.1",
            ]);
        });

        it("runs an empty program: stack init, config set --secret, preview, up, stack output, destroy", async function () {
            writeProject(
                project,
                "engine-smoke",
                [
                    'import * as pulumi from "@pulumi/pulumi";',
                    "const config = new pulumi.Config();",
                    'export const greeting = "hello";',
                    'export const x = config.requireSecret("x");',
                    "",
                ].join("\n"),
            );
            await pulumiOk(["stack", "init", "dev", "--secrets-provider", "passphrase"]);
            await pulumiOk(["config", "set", "--secret", "x", SECRET_VALUE]);
            const stackYaml = fs.readFileSync(path.join(project, "Pulumi.dev.yaml"), "utf8");
            assert.match(stackYaml, /encryptionsalt:/);
            assert.match(stackYaml, /secure:/);
            assert.ok(!stackYaml.includes(SECRET_VALUE), "the secret is stored in plain text");

            const preview = await pulumiOk(["preview", "--diff"]);
            assert.match(preview.stdout, /pulumi:pulumi:Stack/);

            const up = await pulumiOk(["up", "--yes", "--skip-preview"]);
            assert.match(up.stdout, /Resources:[\s\S]*1 created/);

            const out = await pulumiOk(["stack", "output", "--json"]);
            assert.deepStrictEqual(JSON.parse(out.stdout), { greeting: "hello", x: "[secret]" });
            const shown = await pulumiOk(["stack", "output", "--json", "--show-secrets"]);
            assert.deepStrictEqual(JSON.parse(shown.stdout), { greeting: "hello", x: SECRET_VALUE });

            const destroy = await pulumiOk(["destroy", "--yes", "--skip-preview"]);
            assert.match(destroy.stdout, /1 deleted/);
            await pulumiOk(["stack", "rm", "--yes", "dev"]);
        });

        it("renders a kubernetes ConfigMap to a directory through an explicit provider (no cluster)", async function () {
            const dir = path.join(tmp, "cli-k8s");
            const rendered = path.join(tmp, "cli-rendered");
            writeProject(
                dir,
                "engine-smoke-k8s",
                [
                    'import * as k8s from "@pulumi/kubernetes";',
                    `const provider = new k8s.Provider("render", { renderYamlToDirectory: ${JSON.stringify(rendered)} });`,
                    'const cm = new k8s.core.v1.ConfigMap("smoke", {',
                    '    metadata: { name: "engine-smoke", namespace: "default" },',
                    '    data: { hello: "world" },',
                    "}, { provider });",
                    "export const name = cm.metadata.name;",
                    "",
                ].join("\n"),
            );
            await pulumiOk(["stack", "init", "dev", "--secrets-provider", "passphrase"], dir);
            const up = await pulumiOk(["up", "--yes", "--skip-preview"], dir);
            assert.strictEqual(ambientPluginLine(up.stdout + up.stderr), undefined);
            const manifest = findConfigMapManifest(rendered, "engine-smoke");
            assert.ok(manifest, `no ConfigMap manifest under ${rendered}: ${JSON.stringify(listFiles(rendered))}`);
            assert.match(manifest.text, /hello: world/);
            const out = await pulumiOk(["stack", "output", "name"], dir);
            assert.strictEqual(out.stdout.trim(), "engine-smoke");
            await pulumiOk(["destroy", "--yes", "--skip-preview"], dir);
            assert.strictEqual(findConfigMapManifest(rendered, "engine-smoke"), undefined, "destroy left the manifest");
            await pulumiOk(["stack", "rm", "--yes", "dev"], dir);
        });
    });

    describe("Automation API inline programs (no language host)", function () {
        let ee: EngineEnv;
        let cmd: PulumiCommand;

        before(async function () {
            ee = engineEnv(engine, { passphrase: PASSPHRASE, tmpRoot: tmp });
            // PulumiCommand.get({root}) runs <root>/bin/pulumi.
            cmd =
                path.basename(engine.binDir) === "bin"
                    ? await PulumiCommand.get({ root: path.dirname(engine.binDir) })
                    : await PulumiCommand.get();
        });

        after(function () {
            ee?.cleanup();
        });

        async function newStack(
            projectName: string,
            program: () => Promise<Record<string, unknown> | void>,
        ): Promise<Stack> {
            const workDir = fs.mkdtempSync(path.join(tmp, `${projectName}-`));
            const ws = await LocalWorkspace.create({
                workDir,
                program,
                pulumiCommand: cmd,
                pulumiHome: ee.pulumiHome,
                envVars: ee.env as Record<string, string>,
                secretsProvider: "passphrase",
                projectSettings: {
                    name: projectName,
                    runtime: "nodejs",
                    backend: { url: `file://${ee.backendDir}` },
                },
            });
            return Stack.create("dev", ws);
        }

        it("runs an empty program: stack init, config set --secret, preview, up, stack output, destroy", async function () {
            const stack = await newStack("engine-smoke-inline", async () => {
                const config = new pulumi.Config();
                return { greeting: "hello", x: config.requireSecret("x") };
            });
            await stack.setConfig("x", { value: SECRET_VALUE, secret: true });
            const stackYaml = fs.readFileSync(path.join(stack.workspace.workDir, "Pulumi.dev.yaml"), "utf8");
            assert.match(stackYaml, /secure:/);
            assert.ok(!stackYaml.includes(SECRET_VALUE), "the secret is stored in plain text");

            const preview = await stack.preview();
            assert.strictEqual(preview.changeSummary.create, 1);

            const up = await stack.up();
            assert.strictEqual(up.summary.result, "succeeded");
            assert.deepStrictEqual(up.outputs.greeting, { value: "hello", secret: false });
            assert.deepStrictEqual(up.outputs.x, { value: SECRET_VALUE, secret: true });

            const outputs = await stack.outputs();
            assert.strictEqual(outputs.x.value, SECRET_VALUE);
            assert.strictEqual(outputs.x.secret, true);

            const destroy = await stack.destroy();
            assert.strictEqual(destroy.summary.result, "succeeded");
            assert.strictEqual(destroy.summary.resourceChanges?.delete, 1);
            await stack.workspace.removeStack("dev");
        });

        it("renders a kubernetes ConfigMap to a directory through an explicit provider (no cluster)", async function () {
            const rendered = path.join(tmp, "inline-rendered");
            const stack = await newStack("engine-smoke-inline-k8s", async () => {
                const provider = new k8s.Provider("render", { renderYamlToDirectory: rendered });
                const cm = new k8s.core.v1.ConfigMap(
                    "smoke",
                    { metadata: { name: "engine-smoke", namespace: "default" }, data: { hello: "world" } },
                    { provider },
                );
                return { name: cm.metadata.name };
            });
            let output = "";
            const up = await stack.up({ onOutput: (s) => (output += s) });
            assert.strictEqual(up.summary.result, "succeeded", output);
            assert.strictEqual(ambientPluginLine(output), undefined);
            const manifest = findConfigMapManifest(rendered, "engine-smoke");
            assert.ok(manifest, `no ConfigMap manifest under ${rendered}: ${JSON.stringify(listFiles(rendered))}`);
            assert.match(manifest.text, /hello: world/);
            assert.strictEqual(up.outputs.name.value, "engine-smoke");

            const destroy = await stack.destroy();
            assert.strictEqual(destroy.summary.result, "succeeded");
            assert.strictEqual(findConfigMapManifest(rendered, "engine-smoke"), undefined, "destroy left the manifest");
            await stack.workspace.removeStack("dev");
        });
    });
});

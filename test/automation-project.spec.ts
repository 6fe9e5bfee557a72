/**
 * Where the Automation API keeps a tool's stacks (never in `node_modules`), without an engine: the package's own
 * files found from sources and from `dist/`, the generated project's `Pulumi.yaml`, the folders an
 * operation asks for, what it refuses (a folder in node_modules, the repository's committed stacks),
 * and the errors users meet first (wrong passphrase, no engine). test/e2e/consumer.e2e.ts runs the
 * installed package on the real engine; test/e2e/example.e2e.ts runs examples/deploy.ts.
 */
import * as assert from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse } from "yaml";
import {
    DeployOptions,
    InvalidConfigError,
    PassphraseError,
    WorkspaceRequest,
    classifyEngineError,
    committedStacks,
    defaultDataDir,
    packageRoot,
    preview,
    programPath,
    stackConfigFile,
} from "../automation";
import { engineInstallHint } from "../automation/errors";
import { projectFileText, workDirProblems, writeProject } from "../automation/project";
import { compiled } from "../components/package-root";
import { janitorScriptPath } from "../components/specs/janitor";

const repo = path.resolve(__dirname, "..");
const tempDirs: string[] = [];

function tempDir(prefix: string): string {
    const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    tempDirs.push(d);
    return d;
}

after(() => {
    for (const d of tempDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

describe("Automation API: the package's files and the tool's project folder", () => {
    it("finds the package's own files from its sources (dist/ is one level deeper)", () => {
        assert.strictEqual(compiled, false);
        assert.strictEqual(packageRoot, repo);
        assert.strictEqual(programPath(), path.join(repo, "index.ts"));
        assert.strictEqual(janitorScriptPath(), path.join(repo, "janitor", "janitor.sh"));
        assert.ok(fs.existsSync(janitorScriptPath()));
        assert.strictEqual(defaultDataDir("/home/u"), "/home/u/.backline");
    });

    describe("the generated Pulumi.yaml", () => {
        const source = fs.readFileSync(path.join(repo, "Pulumi.yaml"), "utf8");
        const rows: { name: string; source: string; program: string; typescript: boolean }[] = [
            {
                name: "compiled program",
                source,
                program: "/opt/x/node_modules/@backline/pulumi/dist/index.js",
                typescript: false,
            },
            { name: "TypeScript program (a checkout)", source, program: path.join(repo, "index.ts"), typescript: true },
            {
                name: "runtime given as a plain name",
                source: "name: backline\nruntime: nodejs\n",
                program: "/p/dist/index.js",
                typescript: false,
            },
        ];
        for (const row of rows) {
            it(`${row.name}: main is the program's absolute path, the rest is the package's`, () => {
                const text = projectFileText(row.source, row.program);
                const generated = parse(text);
                const original = parse(row.source);
                assert.strictEqual(generated.main, row.program);
                assert.strictEqual(generated.runtime.name, "nodejs");
                assert.strictEqual(generated.runtime.options?.typescript ?? true, row.typescript);
                assert.deepStrictEqual(generated.config, original.config, "the config declarations are the package's");
                assert.strictEqual(generated.name, "backline");
                assert.match(text, /^# Written by @backline\/pulumi's Automation API/);
            });
        }

        it("is written once, replaced whole when it changes, never half-written", () => {
            const dir = path.join(tempDir("backline-project-"), "project");
            writeProject(dir, "name: backline\n");
            const file = path.join(dir, "Pulumi.yaml");
            const first = fs.statSync(file);
            writeProject(dir, "name: backline\n");
            assert.strictEqual(fs.statSync(file).ino, first.ino, "an unchanged file was rewritten");
            writeProject(dir, "name: backline\nmain: /x/index.js\n");
            assert.strictEqual(fs.readFileSync(file, "utf8"), "name: backline\nmain: /x/index.js\n");
            assert.deepStrictEqual(fs.readdirSync(dir), ["Pulumi.yaml"], "a temporary file was left");
        });
    });

    describe("which folder a stack may use", () => {
        const elsewhere = "/srv/tool/stacks";
        const rows: { workDir: string; stack: string; keys: string[] }[] = [
            { workDir: "/app/node_modules/@backline/pulumi", stack: "customer-a", keys: ["workDir"] },
            { workDir: "/app/node_modules/@backline/pulumi/dist", stack: "customer-a", keys: ["workDir"] },
            { workDir: repo, stack: "dev", keys: ["stackName"] },
            { workDir: repo, stack: "prod", keys: ["stackName"] },
            { workDir: repo, stack: "customer-a", keys: [] },
            { workDir: elsewhere, stack: "dev", keys: [] },
        ];
        for (const row of rows) {
            it(`${row.workDir === repo ? "the repository" : row.workDir} with stack ${row.stack}: ${row.keys.length ? `refused (${row.keys})` : "accepted"}`, () => {
                const problems = workDirProblems(row.workDir, row.stack);
                assert.deepStrictEqual(
                    problems.map((p) => p.key),
                    row.keys,
                );
            });
        }

        it("says why and what to do", () => {
            const [mod] = workDirProblems("/app/node_modules/@backline/pulumi", "a");
            assert.match(mod.message, /inside node_modules: .*deleted by the next npm install.*Leave `workDir` unset/);
            const [dev] = workDirProblems(repo, "dev");
            assert.ok(dev.message.includes(path.join(repo, "Pulumi.dev.yaml")), dev.message);
            assert.match(dev.message, /committed stacks.*encryption salt.*Pick another `stackName`/);
        });

        it("committedStacks are the stack files git tracks in the repository", function () {
            let tracked: string;
            try {
                tracked = execFileSync("git", ["ls-files", "Pulumi.*.yaml"], { cwd: repo, encoding: "utf8" });
            } catch {
                this.skip();
            }
            const names = tracked
                .split("\n")
                .filter((l) => l !== "")
                .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1]);
            assert.deepStrictEqual([...committedStacks].sort(), names.sort());
        });
    });

    describe("an operation's folders", () => {
        function capture(): { requests: WorkspaceRequest[]; opts: Partial<DeployOptions> } {
            const requests: WorkspaceRequest[] = [];
            return {
                requests,
                opts: {
                    workspaceFactory: async (r) => {
                        requests.push(r);
                        throw new Error("stop here");
                    },
                },
            };
        }
        const deploy = (extra: Partial<DeployOptions>): DeployOptions => ({
            stackName: "dev",
            passphrase: "any passphrase at all",
            config: {
                baseUrl: "https://app.backline.ai",
                accessKey: "bk_0123456789",
                worker: { otel: { enabled: false } },
            },
            kubernetes: { renderToDirectory: "/tmp/backline-rendered" },
            ...extra,
        });

        it("by default: the project and the state under dataDir; the project is generated", async () => {
            const dataDir = tempDir("backline-data-");
            const { requests, opts } = capture();
            await preview(deploy({ ...opts, dataDir })).catch(() => undefined);
            assert.strictEqual(requests.length, 1);
            assert.strictEqual(requests[0].workDir, path.join(dataDir, "project"));
            assert.strictEqual(requests[0].generateProject, true);
            assert.strictEqual(requests[0].backendUrl, `file://${path.join(dataDir, "state")}`);
        });

        it("`workDir`: used as it is", async () => {
            const workDir = tempDir("backline-own-project-");
            fs.writeFileSync(path.join(workDir, "Pulumi.yaml"), "name: backline\nruntime: nodejs\n");
            const { requests, opts } = capture();
            await preview(deploy({ ...opts, workDir, stateDir: tempDir("backline-state-") })).catch(() => undefined);
            assert.strictEqual(requests[0].workDir, workDir);
            assert.strictEqual(requests[0].generateProject, false);
        });

        it("the repository's `dev` stack: refused before the workspace is opened", async () => {
            const { requests, opts } = capture();
            const err = await preview(deploy({ ...opts, workDir: repo, stateDir: tempDir("backline-state-") })).then(
                () => assert.fail("accepted"),
                (e: unknown) => e,
            );
            assert.ok(err instanceof InvalidConfigError, String(err));
            assert.deepStrictEqual(
                err.problems.map((p) => p.key),
                ["stackName"],
            );
            assert.strictEqual(requests.length, 0);
        });
    });

    describe("errors users meet first", () => {
        const messages = [
            "error: could not create secrets manager for new stack: incorrect passphrase",
            "error: getting stack configuration: get stack secrets manager: incorrect passphrase",
            "error: failed to decrypt: incorrect passphrase, please set PULUMI_CONFIG_PASSPHRASE to the correct passphrase",
        ];
        for (const stderr of messages) {
            it(`wrong passphrase: PassphraseError naming the stack and its file (${stderr.slice(7, 50)}…)`, () => {
                const stackFile = "/home/u/.backline/project/Pulumi.customer-a.yaml";
                const result = { stdout: "", stderr, code: 255 };
                const err = classifyEngineError(Object.assign(new Error(stderr), { commandResult: result }), {
                    operation: "up",
                    stackName: "customer-a",
                    secrets: ["any passphrase at all"],
                    stackFile,
                });
                assert.ok(err instanceof PassphraseError, `${err.name}: ${err.message}`);
                assert.strictEqual(err.kind, "wrong-passphrase");
                assert.strictEqual(err.stackName, "customer-a");
                assert.strictEqual(err.stackFile, stackFile);
                assert.ok(err.message.includes(stackFile), err.message);
                assert.match(err.message, /stack "customer-a".*Pass that passphrase.*new `stackName`/s);
            });
        }

        it("wrong passphrase: the message says where the salt is, the stack file or (when it is lost) the state", () => {
            const dir = tempDir("backline-salt-");
            const file = path.join(dir, "Pulumi.a.yaml");
            assert.match(
                new PassphraseError("a", file).message,
                /is missing; the next run with the right passphrase writes it again/,
            );
            fs.writeFileSync(file, "encryptionsalt: v1:abc\n");
            assert.ok(new PassphraseError("a", file).message.includes(`the \`encryptionsalt\` in ${file}`));
        });

        it("an unrelated failure is not a passphrase error", () => {
            const err = classifyEngineError(new Error("error: program failed"), {
                operation: "up",
                stackName: "a",
                secrets: [],
            });
            assert.ok(!(err instanceof PassphraseError));
        });

        it("no engine: a checkout is told to build it, an installed package to install Pulumi", () => {
            assert.match(engineInstallHint(repo), /scripts\/build-engine\.sh.*install Pulumi/s);
            const installed = tempDir("backline-installed-");
            const hint = engineInstallHint(installed);
            assert.match(hint, /^Install Pulumi \(https:\/\/www\.pulumi\.com\/docs\/install\/\).*`engineBinDir`/);
            assert.doesNotMatch(hint, /build-engine/);
        });

        it("the stack file is the one the CLI reads", () => {
            const dir = tempDir("backline-stackfile-");
            assert.strictEqual(stackConfigFile(dir, "a"), path.join(dir, "Pulumi.a.yaml"));
            fs.writeFileSync(path.join(dir, "Pulumi.a.yml"), "config: {}\n");
            assert.strictEqual(stackConfigFile(dir, "a"), path.join(dir, "Pulumi.a.yml"));
        });
    });
});

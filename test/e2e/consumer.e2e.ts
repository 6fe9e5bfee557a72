/**
 * The package as another tool installs it: `npm pack` (which builds dist/), then
 * `npm install <tarball>` into a fresh project that has no ts-node (dependencies from the npm cache,
 * `--prefer-offline`), with the Pulumi SDKs the package expects as peers at the versions we test, as
 * the consumer's own dependencies: one copy of each, shared with the package. From plain JavaScript (CommonJS and ESM) and from TypeScript (`tsc --noEmit`
 * against the package's declarations, with both module resolutions Pulumi projects use) the
 * components and the Automation API import; `preview` (with Backline's policy pack, shipped in the
 * package) and `up` run in render mode on the real engine through the installed package, with the
 * stacks under the tool's `dataDir`; nothing is written inside node_modules. A second project's own
 * program builds `BacklineStack` from the installed package and `pulumi preview` runs it.
 *
 * Needs the engine (scripts/build-engine.sh) and the npm registry or a warm npm cache.
 */
import { strict as assert } from "assert";
import { execFile, spawn } from "child_process";
import { builtinModules } from "module";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { parse } from "yaml";
import {
    Engine,
    REPO_ROOT,
    describeRun,
    engineEnv,
    findEngine,
    pulumiHomeWithPlugins,
    runPulumi,
} from "./support/engine";
import { tarballProblems } from "../../scripts/release-files";
import { readRendered } from "./support/project";

const run = promisify(execFile);
const fixtures = path.join(REPO_ROOT, "test", "fixtures", "consumer");
const accessKey = "bk_e2e_consumer_0123456789abcdefSECRET";
const passphrase = "a consumer's own passphrase";
const pkgJson = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8"));
/** The policy pack is versioned with the package: `backline@v<version>`. */
const policyPackId = `backline@v${JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "policy", "package.json"), "utf8")).version}`;

/** path → size and mtime of every file under `dir` (symlinks as links). */
function manifest(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string): void => {
        for (const e of fs.readdirSync(d, { withFileTypes: true })) {
            const p = path.join(d, e.name);
            if (e.isDirectory()) {
                walk(p);
            } else {
                const s = fs.lstatSync(p);
                out.set(path.relative(dir, p), `${s.size}:${s.mtimeMs}`);
            }
        }
    };
    walk(dir);
    return out;
}

function changed(before: Map<string, string>, after: Map<string, string>): string[] {
    const names = new Set([...before.keys(), ...after.keys()]);
    return [...names].filter((n) => before.get(n) !== after.get(n)).sort();
}

/** Runs a command; on failure the error says what it printed. */
async function sh(file: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeout?: number }) {
    try {
        return await run(file, args, { maxBuffer: 64 * 1024 * 1024, timeout: 600_000, ...opts });
    } catch (err) {
        const e = err as { message: string; stdout?: string; stderr?: string };
        throw new Error(`${file} ${args.join(" ")} failed: ${e.message}\n${e.stdout ?? ""}\n${e.stderr ?? ""}`);
    }
}

interface PackResult {
    readonly filename: string;
    readonly files: readonly { readonly path: string }[];
    readonly size: number;
    readonly unpackedSize: number;
    readonly entryCount: number;
}

describe("the installed package (e2e: npm pack, npm install, the real engine)", function () {
    this.timeout(900_000);

    let engine: Engine;
    let tmp: string;
    let app: string;
    let pack: PackResult;
    let installed: Map<string, string>;
    const timings: string[] = [];
    let started = Date.now();
    const lap = (what: string, since: number) => timings.push(`${what} ${((Date.now() - since) / 1000).toFixed(1)} s`);

    before(async function () {
        started = Date.now();
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "backline-consumer-"));

        let t = Date.now();
        const packed = await sh("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: REPO_ROOT });
        pack = (JSON.parse(packed.stdout) as PackResult[])[0];
        lap("npm pack (build included)", t);

        app = path.join(tmp, "app");
        fs.mkdirSync(app);
        fs.writeFileSync(
            path.join(app, "package.json"),
            JSON.stringify({ name: "consumer-app", version: "1.0.0", private: true }, null, 2),
        );
        t = Date.now();
        // The peers at our pins: a newer @pulumi/kubernetes would need a plugin the engine build lacks.
        const pins = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")).devDependencies;
        const peers = Object.keys(pkgJson.peerDependencies as Record<string, string>).map((n) => `${n}@${pins[n]}`);
        await sh(
            "npm",
            ["install", "--prefer-offline", "--no-audit", "--no-fund", path.join(tmp, pack.filename), ...peers],
            { cwd: app },
        );
        lap("npm install of the tarball", t);
        installed = manifest(path.join(app, "node_modules"));
    });

    after(function () {
        if (timings.length > 0)
            console.log(`      timings: ${timings.join(", ")}; total ${((Date.now() - started) / 1000).toFixed(1)} s`);
        if (tmp && !process.env.E2E_KEEP_TMP) fs.rmSync(tmp, { recursive: true, force: true });
    });

    it("the tarball holds what a consumer needs and nothing else", () => {
        const files = pack.files.map((f) => f.path).sort();
        assert.deepEqual(tarballProblems(pkgJson, files), [], "the tarball lacks or holds too much");
        const pkg = pkgJson;
        // What the declarations import must be installed with the package: itself (the examples in
        // the documentation comments), its dependencies, its peers or Node's own.
        const pkgDir = path.join(app, "node_modules", "@backline/pulumi");
        const allowedModules = new Set([
            pkg.name,
            ...Object.keys(pkg.dependencies),
            ...Object.keys(pkg.peerDependencies),
            ...builtinModules,
        ]);
        const imported = new Set<string>();
        for (const f of files.filter((f) => f.endsWith(".d.ts"))) {
            const text = fs.readFileSync(path.join(pkgDir, f), "utf8");
            for (const m of text.matchAll(/(?:from |import\()"([^".][^"]*)"|reference types="([^"]+)"/g)) {
                const spec = m[1] ?? `@types/${m[2]}`;
                imported.add(spec.startsWith("@") ? spec.split("/").slice(0, 2).join("/") : spec.split("/")[0]);
            }
        }
        assert.deepEqual(
            [...imported].filter((m) => !allowedModules.has(m)),
            [],
            "declarations import what a consumer does not get",
        );
        console.log(
            `      tarball: ${pack.entryCount} files, ${(pack.size / 1000).toFixed(1)} kB (${(pack.unpackedSize / 1000).toFixed(1)} kB unpacked)`,
        );
    });

    it("one copy of each Pulumi SDK: the package uses the consumer's (peer dependencies)", () => {
        const peers = Object.keys(pkgJson.peerDependencies as Record<string, string>);
        const copies = [...installed.keys()].filter((f) =>
            peers.some((n) => f === `${n}/package.json` || f.endsWith(`/node_modules/${n}/package.json`)),
        );
        assert.deepEqual(copies.sort(), peers.map((n) => `${n}/package.json`).sort());
        for (const n of peers) {
            const version = JSON.parse(
                fs.readFileSync(path.join(app, "node_modules", n, "package.json"), "utf8"),
            ).version;
            assert.equal(version, pkgJson.devDependencies[n], n);
        }
    });

    it("the component provider starts from the installed package and prints its port", async () => {
        const dist = path.join(app, "node_modules", "@backline/pulumi", "dist");
        const launcher = path.join(dist, "provider", "pulumi-resource-backline");
        const compiled = await sh(launcher, ["--compile"], { cwd: app });
        assert.equal(compiled.stdout.trim(), dist);
        const child = spawn(launcher, ["127.0.0.1:1"], { cwd: app, stdio: ["ignore", "pipe", "pipe"] });
        const first = await new Promise<string>((resolve) => {
            let out = "";
            child.stdout.setEncoding("utf8").on("data", (d: string) => {
                out += d;
                if (out.includes("\n")) resolve(out);
            });
            child.on("close", () => resolve(out));
        });
        child.kill();
        assert.match(first, /^\d+\n$/);
    });

    it("plain JavaScript: CommonJS and ESM import the components and the Automation API", async () => {
        assert.ok(!fs.existsSync(path.join(app, "node_modules", "ts-node")), "ts-node is installed in the consumer");
        const cjs = await sh(
            "node",
            [
                "-e",
                'const a = require("@backline/pulumi/automation"); const c = require("@backline/pulumi/components"); ' +
                    'console.log([typeof a.up, typeof a.PassphraseError, typeof c.BacklineStack, require.resolve("@backline/pulumi")].join(" "))',
            ],
            { cwd: app },
        );
        assert.equal(
            cjs.stdout.trim(),
            `function function function ${path.join(app, "node_modules", "@backline/pulumi", "dist", "components", "index.js")}`,
        );
        const esm = await sh(
            "node",
            [
                "--input-type=module",
                "-e",
                'import { up, preview, PolicyViolationError } from "@backline/pulumi/automation"; import { BacklineStack } from "@backline/pulumi"; ' +
                    "console.log([up, preview, PolicyViolationError, BacklineStack].map((f) => typeof f).join(' '))",
            ],
            { cwd: app },
        );
        assert.equal(esm.stdout.trim(), "function function function function");
    });

    for (const resolution of ["node", "node16"] as const) {
        it(`TypeScript (moduleResolution ${resolution}): the declarations type a consumer's code, and refuse a wrong value`, async () => {
            const dir = path.join(app, `ts-${resolution}`);
            fs.mkdirSync(dir);
            fs.writeFileSync(
                path.join(dir, "tsconfig.json"),
                JSON.stringify({
                    compilerOptions: {
                        strict: true,
                        noEmit: true,
                        target: "es2020",
                        module: resolution === "node" ? "commonjs" : "node16",
                        moduleResolution: resolution,
                        types: ["node"],
                        // zod's declarations, which ours import, need `esModuleInterop` unless the
                        // libraries' declarations are skipped (docs/embed/index.md).
                        skipLibCheck: true,
                    },
                    files: ["good.ts", "wrong.ts"],
                }),
            );
            fs.writeFileSync(path.join(dir, "good.ts"), typedConsumer);
            fs.writeFileSync(
                path.join(dir, "wrong.ts"),
                'import type { BacklineSettings } from "@backline/pulumi/automation";\n' +
                    'export const wrong: BacklineSettings = { baseUrl: "https://app.backline.ai", accessKey: "k", worker: { replicaCount: "two" } };\n',
            );
            const tsc = path.join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
            const r = await run("node", [tsc, "-p", dir, "--pretty", "false"], { cwd: dir }).then(
                (ok) => ({ code: 0, out: ok.stdout }),
                (e: { code: number; stdout: string }) => ({ code: e.code, out: e.stdout }),
            );
            const errors = r.out.split("\n").filter((l) => /error TS\d+/.test(l));
            assert.equal(r.code, 2, `tsc should fail on wrong.ts only:\n${r.out}`);
            assert.equal(errors.length, 1, r.out);
            assert.match(
                errors[0],
                /^wrong\.ts\(2,\d+\): error TS2322: Type 'string' is not assignable to type 'number/,
            );
        });
    }

    it("preview (with Backline's policy pack) and up in render mode through the installed package; clear errors; nothing written in node_modules", async () => {
        const t = Date.now();
        const dataDir = path.join(tmp, "tool-data");
        const renderDir = path.join(tmp, "rendered");
        const empty = fs.mkdtempSync(path.join(tmp, "no-engine-"));
        fs.copyFileSync(path.join(fixtures, "deploy.js"), path.join(app, "deploy.js"));
        const options = {
            stackName: "customer-a",
            dataDir,
            passphrase,
            engineBinDir: engine.binDir,
            pulumiHome: pulumiHomeWithPlugins(path.join(tmp, "pulumi-home")),
            env: { PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true" },
            config: {
                baseUrl: "https://app.backline.ai",
                accessKey,
                worker: { otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-rwx" } } },
            },
            renderDir,
            emptyDir: empty,
        };
        const env: NodeJS.ProcessEnv = { ...process.env, CONSUMER_OPTIONS: JSON.stringify(options) };
        delete env.PULUMI_CONFIG_PASSPHRASE;
        delete env.PULUMI_BACKEND_URL;
        const { stdout } = await sh("node", ["deploy.js"], { cwd: app, env });
        lap("preview + up + error cases", t);
        const line = stdout.split("\n").find((l) => l.startsWith("CONSUMER-RESULT "));
        assert.ok(line, stdout);
        const out = JSON.parse(line.slice("CONSUMER-RESULT ".length));
        const pkgDir = path.join(app, "node_modules", "@backline/pulumi");

        assert.equal(out.resolved.automation, path.join(pkgDir, "dist", "automation", "index.js"));
        assert.equal(out.tsNode, null, "ts-node is resolvable from the consumer");
        assert.deepEqual(out.exports, { BacklineStack: "function", parseBacklineConfig: "function" });

        assert.ok(out.preview.summary.created >= 15, JSON.stringify(out.preview.summary));
        const levels = new Set(
            out.preview.policyViolations.map(
                (v: { policyPack: string; enforcementLevel: string }) => `${v.policyPack} ${v.enforcementLevel}`,
            ),
        );
        assert.deepEqual([...levels], [`${policyPackId} advisory`], "Backline's pack ran from the package");

        assert.equal(out.up.outputs.namespace, "backline");
        assert.equal(out.up.summary.created, out.preview.summary.created);
        const rendered = readRendered(renderDir);
        const script = rendered.find((o) => o.kind === "ConfigMap" && /janitor/.test(o.metadata?.name));
        assert.ok(script, "no janitor ConfigMap rendered");
        assert.equal(
            Object.values(script.data as Record<string, string>)[0],
            fs.readFileSync(path.join(REPO_ROOT, "janitor", "janitor.sh"), "utf8"),
            "the janitor script is the package's",
        );

        // The stack lives where the tool said, its secret encrypted with its own salt.
        const projectFile = parse(fs.readFileSync(path.join(dataDir, "project", "Pulumi.yaml"), "utf8"));
        assert.equal(projectFile.main, path.join(pkgDir, "dist", "index.js"));
        const stackFile = path.join(dataDir, "project", "Pulumi.customer-a.yaml");
        const stack = parse(fs.readFileSync(stackFile, "utf8"));
        assert.match(stack.encryptionsalt, /^v1:/);
        assert.ok(stack.config["backline:accessKey"].secure, "the access key is not encrypted");
        assert.ok(fs.existsSync(path.join(dataDir, "state", ".pulumi")), "no state under dataDir");

        assert.equal(out.wrongPassphrase?.isPassphraseError, true, JSON.stringify(out.wrongPassphrase));
        assert.equal(out.wrongPassphrase.stackFile, stackFile);
        assert.ok(out.wrongPassphrase.message.includes(stackFile), out.wrongPassphrase.message);
        assert.ok(!out.wrongPassphrase.message.includes(passphrase), "the passphrase leaked");

        assert.equal(out.noEngine?.isEngineMissingError, true, JSON.stringify(out.noEngine));
        assert.match(out.noEngine.message, /Install Pulumi/);
        assert.doesNotMatch(out.noEngine.message, /build-engine/, "an installed package has no build script");

        assert.equal(out.insidePackage?.kind, "invalid-config", JSON.stringify(out.insidePackage));
        assert.match(out.insidePackage.message, /`workDir`: got .*inside node_modules/);

        assert.ok(!JSON.stringify(out).includes(accessKey), "the access key leaked");
        assert.deepEqual(
            changed(installed, manifest(path.join(app, "node_modules"))),
            [],
            "files written in node_modules",
        );
    });

    it("a second project's own program builds BacklineStack from the installed package; pulumi preview runs it", async () => {
        const t = Date.now();
        const own = path.join(tmp, "own");
        fs.cpSync(path.join(fixtures, "program"), own, { recursive: true });
        // The same installed package and SDK as the first project (a second install would only repeat it).
        fs.symlinkSync(path.join(app, "node_modules"), path.join(own, "node_modules"), "dir");
        const e = engineEnv(engine, {
            passphrase,
            tmpRoot: tmp,
            extra: { CONSUMER_ACCESS_KEY: accessKey, CONSUMER_RENDER_DIR: path.join(tmp, "rendered-own") },
        });
        const pulumi = (args: string[]) =>
            runPulumi(args, { cwd: own, env: e.env, pulumi: engine.pulumi, timeoutMs: 600_000 });
        const init = await pulumi(["stack", "init", "own"]);
        assert.equal(init.code, 0, describeRun(["stack", "init"], init));
        const args = ["preview", "--refresh=false", "--json"];
        const r = await pulumi(args);
        lap("own program preview", t);
        assert.equal(r.code, 0, describeRun(args, r));
        const steps = (JSON.parse(r.stdout) as { steps: { op: string; urn: string }[] }).steps;
        const created = steps.filter((s) => s.op === "create").map((s) => s.urn.split("::").pop());
        assert.ok(created.includes("backline-worker-deployment"), created.join(", "));
        assert.ok(created.includes("backline-janitor-cronjob"), created.join(", "));
        assert.deepEqual(
            changed(installed, manifest(path.join(app, "node_modules"))),
            [],
            "files written in node_modules",
        );
    });
});

/** A TypeScript consumer: both entry points, the typed options, results and errors. */
const typedConsumer = `
import type * as pulumi from "@pulumi/pulumi";
import { BacklineStack, parseBacklineConfig } from "@backline/pulumi";
import type { BacklineStackOutputs } from "@backline/pulumi/components";
import {
    BacklineSettings,
    DeployOptions,
    PassphraseError,
    PolicyViolation,
    PolicyViolationError,
    UpResult,
    defaultDataDir,
    up,
} from "@backline/pulumi/automation";

const settings: BacklineSettings = {
    baseUrl: "https://app.backline.ai",
    accessKey: "k",
    worker: { replicaCount: 2, otel: { enabled: false } },
};
const options: DeployOptions = {
    stackName: "customer-a",
    config: settings,
    kubernetes: { renderToDirectory: "./rendered" },
    dataDir: defaultDataDir(),
    policies: { packs: ["./my-pack"] },
};

export async function deploy(): Promise<string> {
    try {
        const result: UpResult = await up(options);
        const advisories: readonly PolicyViolation[] = result.policyViolations;
        return \`\${result.outputs.namespace} \${result.summary.created} \${advisories.length}\`;
    } catch (err) {
        if (err instanceof PassphraseError) return err.stackFile;
        if (err instanceof PolicyViolationError) return err.violations.map((v) => v.policyName).join(",");
        throw err;
    }
}

export function program(): BacklineStackOutputs {
    const parsed = parseBacklineConfig({ baseUrl: "https://app.backline.ai", accessKey: "k" });
    if (!parsed.ok) throw new Error(parsed.problems.map((p) => p.key).join(", "));
    const namespace: pulumi.Output<string> = new BacklineStack("backline", { config: parsed.config }).outputs.namespace;
    void namespace;
    return new BacklineStack("other", { config: parsed.config }).outputs;
}
`;

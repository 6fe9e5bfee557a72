/**
 * How the pack starts: `policy/analyzer` runs compiled JavaScript, compiled from the sources it is
 * started next to (never a stale copy), and prints nothing but the port on stdout; `@pulumi/pulumi`'s
 * root is loaded only when something other than `asset` and `Output` is read from it.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const packDir = path.resolve(__dirname, "..");
// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JavaScript, no declarations
const { compilePack } = require("../compile.js") as { compilePack(dir: string): Map<string, string> };

/** `policy/analyzer --compile` of the pack in `dir`: the compiled folder it runs. */
function compiledDir(dir: string): string {
    const r = spawnSync(path.join(dir, "analyzer"), ["--compile"], { encoding: "utf8", timeout: 120_000 });
    assert.equal(r.status, 0, `analyzer --compile failed: ${r.stderr}`);
    assert.equal(r.stderr, "", "compiling printed something");
    return r.stdout.trim();
}

function filesUnder(dir: string, prefix = ""): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(prefix, e.name);
        return e.isDirectory() ? filesUnder(path.join(dir, e.name), rel) : [rel];
    });
}

/** A copy of the pack's sources in a temp folder, using policy/node_modules. */
function copyPack(): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-pack-"));
    for (const name of ["analyzer", "compile.js", "index.ts", "package.json", "tsconfig.json", "src"]) {
        fs.cpSync(path.join(packDir, name), path.join(dir, name), { recursive: true });
    }
    fs.symlinkSync(path.join(packDir, "node_modules"), path.join(dir, "node_modules"));
    return dir;
}

/** Starts the analyzer as the engine does; resolves with its first line of stdout and all of stderr. */
function firstLine(analyzer: string): Promise<{ line: string; stderr: string }> {
    return new Promise((resolve, reject) => {
        const child = spawn(analyzer, ["--logtostderr", "127.0.0.1:1"], { stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        let stderr = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
            out += d;
            if (out.includes("\n")) child.kill();
        });
        child.on("error", reject);
        child.on("close", () => {
            clearTimeout(timer);
            resolve({ line: out.split("\n")[0], stderr });
        });
    });
}

describe("the policy pack's start", function () {
    this.timeout(180_000);
    const temps: string[] = [];
    const tempPack = () => {
        const dir = copyPack();
        temps.push(dir);
        return dir;
    };
    after(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("runs the compiled copy of exactly the current sources", () => {
        const dir = compiledDir(packDir);
        assert.equal(path.dirname(dir), path.join(packDir, "bin"));
        const expected = compilePack(packDir);
        assert.ok(expected.has("index.js") && expected.has(path.join("src", "policies.js")));
        assert.deepEqual(filesUnder(dir).sort(), [...expected.keys()].sort());
        for (const [rel, js] of expected) {
            assert.equal(fs.readFileSync(path.join(dir, rel), "utf8"), js, `${rel} differs from its source`);
        }
        assert.doesNotMatch(expected.get("index.js") ?? "", /ts-node|typescript/);
    });

    it("compiles again after a source changed, and drops the stale copy", () => {
        const dir = tempPack();
        const before = compiledDir(dir);
        assert.equal(compiledDir(dir), before, "unchanged sources compiled again");
        fs.appendFileSync(path.join(dir, "src", "names.ts"), "\nexport const changedForTest = 42;\n");
        const after = compiledDir(dir);
        assert.notEqual(after, before);
        assert.match(fs.readFileSync(path.join(after, "src", "names.js"), "utf8"), /changedForTest = 42/);
        assert.deepEqual(fs.readdirSync(path.join(dir, "bin")), [path.basename(after)]);
    });

    it("prints only the port on stdout, also when it compiles first", async () => {
        const dir = tempPack();
        const { line, stderr } = await firstLine(path.join(dir, "analyzer"));
        assert.match(line, /^\d+$/, `first line of stdout: ${JSON.stringify(line)}; stderr: ${stderr}`);
        assert.ok(fs.existsSync(path.join(compiledDir(dir), "index.js")));
    });

    it("says to run npm ci when the pack's dependencies are missing", () => {
        const dir = tempPack();
        fs.unlinkSync(path.join(dir, "node_modules"));
        const r = spawnSync(path.join(dir, "analyzer"), ["127.0.0.1:1"], { encoding: "utf8", timeout: 60_000 });
        assert.equal(r.status, 1);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /dependencies are not installed: run `npm ci` in /);
    });
});

describe("@pulumi/pulumi's root and runtime/rpc, deferred for @pulumi/policy", () => {
    /** Runs `script` in a fresh Node.js in the compiled pack's folder; returns what it prints as JSON. */
    function probe(script: string): Record<string, unknown> {
        const dir = compiledDir(packDir);
        const r = spawnSync(process.execPath, ["-e", script, path.join(dir, "src", "lazy-sdk.js")], {
            cwd: packDir,
            encoding: "utf8",
            timeout: 60_000,
        });
        assert.equal(r.status, 0, r.stderr);
        return JSON.parse(r.stdout) as Record<string, unknown>;
    }
    const prelude = `
        const path = require("path");
        require(process.argv[1]);
        const policyDir = path.dirname(require.resolve("@pulumi/policy"));
        const rootFile = require.resolve("@pulumi/pulumi", { paths: [policyDir] });
        const sdkDir = path.dirname(rootFile);
        const loaded = (part) => Object.keys(require.cache).some((f) => f.startsWith(path.join(sdkDir, part) + path.sep));
        const loadedFile = (file) => require.cache[path.join(sdkDir, file)] !== undefined;
        const sdk = require(rootFile);
    `;

    it("hands out asset and Output without loading the Automation API", () => {
        const r = probe(`${prelude}
            const policy = require("@pulumi/policy");
            // What the pack's start loads: neither the SDK's runtime nor the providers' protocol.
            const runtime = loadedFile("runtime/resource.js");
            const providerProtocol = loadedFile("proto/provider_pb.js");
            const same = sdk.asset === require(path.join(sdkDir, "asset")) &&
                sdk.Output === require(path.join(sdkDir, "output")).Output;
            process.stdout.write(JSON.stringify({
                same, policy: typeof policy.PolicyPack, automation: loaded("automation"), runtime, providerProtocol,
            }));
        `);
        assert.deepEqual(r, {
            same: true,
            policy: "function",
            automation: false,
            runtime: false,
            providerProtocol: false,
        });
    });

    it("loads runtime/rpc when @pulumi/policy first reads from it, the real module", () => {
        const r = probe(`${prelude}
            require("@pulumi/policy");
            const rpc = require(path.join(sdkDir, "runtime", "rpc.js"));
            const before = loadedFile("runtime/resource.js");
            const key = rpc.specialSigKey;
            const real = require(path.join(sdkDir, "runtime", "rpc.js"));
            process.stdout.write(JSON.stringify({
                before, after: loadedFile("runtime/resource.js"), key, same: real.specialSigKey === key && real !== rpc,
                serialize: typeof real.serializeProperties,
            }));
        `);
        assert.deepEqual(r, {
            before: false,
            after: true,
            key: "4dabf18193072939515e22adb298388d",
            same: true,
            serialize: "function",
        });
    });

    it("loads the real root for anything else, with the same asset and Output", () => {
        const r = probe(`${prelude}
            const asset = sdk.asset;
            const runtime = typeof sdk.runtime;
            const real = require(path.join(sdkDir, "index.js"));
            process.stdout.write(JSON.stringify({
                runtime, automation: loaded("automation"), sameAsset: real.asset === asset && sdk.asset === asset,
                sameOutput: real.Output === sdk.Output, keys: Object.keys(sdk).includes("automation"),
            }));
        `);
        assert.deepEqual(r, { runtime: "object", automation: true, sameAsset: true, sameOutput: true, keys: true });
    });
});

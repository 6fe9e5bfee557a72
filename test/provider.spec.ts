/**
 * The component provider (provider/): its launcher runs a compiled copy of exactly the current
 * sources and answers the engine's first questions (port on stdout, version, schema); the package
 * schema has every configuration key as an input and every stack output as an output; and the
 * component it constructs from the configuration's keys is the one the program builds from the same
 * values in a stack's configuration, under Pulumi's mocks.
 */
import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { topLevelKeys } from "../components/config";
import { configJsonSchema } from "../components/config/reference";
import { stackOutputs } from "../components/outputs";
import { constructStack, resolveInputs } from "../provider/construct-stack";
import { stackResourceToken } from "../provider/names";
import { packageSchemaFile, repoRoot } from "../scripts/gen";
import { packageSchema } from "../scripts/package-schema";
import * as examples from "./fixtures/examples";
import {
    RecordingMocks,
    promiseOf,
    runProgram,
    runProgramExpectingError,
    settle,
    testAccessKey,
} from "./support/mocks";

// eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JavaScript, no declarations
const { compileProvider } = require("../provider/compile.js") as { compileProvider(root: string): Map<string, string> };
const launcher = path.join(repoRoot, "provider", "pulumi-resource-backline");
const version = JSON.parse(fs.readFileSync(path.join(repoRoot, "package.json"), "utf8")).version as string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

function filesUnder(dir: string, prefix = ""): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(prefix, e.name);
        return e.isDirectory() ? filesUnder(path.join(dir, e.name), rel) : [rel];
    });
}

describe("the component provider's launcher", function () {
    this.timeout(120_000);

    it("runs the compiled copy of exactly the current sources", () => {
        const r = spawnSync(launcher, ["--compile"], { encoding: "utf8", timeout: 120_000 });
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr, "", "compiling printed something");
        const dir = r.stdout.trim();
        assert.equal(path.dirname(dir), path.join(repoRoot, "provider", "bin"));
        const expected = compileProvider(repoRoot);
        assert.ok(expected.has(path.join("provider", "main.js")) && expected.has(path.join("components", "index.js")));
        assert.deepEqual(filesUnder(dir).sort(), [...expected.keys()].sort());
        for (const [rel, js] of expected) {
            assert.equal(fs.readFileSync(path.join(dir, rel), "utf8"), js, `${rel} differs from its source`);
        }
    });

    it("compiles again after a source changed, wherever it is started (the engine starts it in the project)", () => {
        // A copy of what the launcher compiles, with the repository's node_modules.
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "backline-provider-"));
        try {
            for (const f of ["package.json", "tsconfig.json", "provider", "components", "policy/compile.js"]) {
                fs.cpSync(path.join(repoRoot, f), path.join(root, f), {
                    recursive: true,
                    filter: (src) => !src.includes(`${path.sep}bin${path.sep}`) && !src.endsWith(`${path.sep}bin`),
                });
            }
            fs.symlinkSync(path.join(repoRoot, "node_modules"), path.join(root, "node_modules"));
            const compiled = () => {
                const r = spawnSync(path.join(root, "provider", "pulumi-resource-backline"), ["--compile"], {
                    cwd: os.tmpdir(),
                    encoding: "utf8",
                    timeout: 120_000,
                });
                assert.equal(r.status, 0, r.stderr);
                return r.stdout.trim();
            };
            const before = compiled();
            fs.appendFileSync(
                path.join(root, "components", "model", "names.ts"),
                "\nexport const changedForTest = 42;\n",
            );
            const after = compiled();
            assert.notEqual(after, before, "a changed component did not change the compiled copy");
            assert.match(
                fs.readFileSync(path.join(after, "components", "model", "names.js"), "utf8"),
                /changedForTest = 42/,
            );
            assert.deepEqual(fs.readdirSync(path.join(root, "provider", "bin")), [path.basename(after)]);
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("prints only its port, then answers with package.json's version and the generated schema", async () => {
        const child = spawn(launcher, ["--logtostderr", "-v=1", "127.0.0.1:1"], { stdio: ["ignore", "pipe", "pipe"] });
        try {
            const port = await new Promise<string>((resolve, reject) => {
                let out = "";
                child.stdout.setEncoding("utf8").on("data", (d: string) => {
                    out += d;
                    if (out.includes("\n")) resolve(out);
                });
                child.on("error", reject);
                child.on("close", (code) => reject(new Error(`exited ${code} before printing a port`)));
            });
            assert.match(port, /^\d+\n$/);
            /* eslint-disable @typescript-eslint/no-require-imports -- the SDK's generated gRPC stubs */
            const grpc = require("@grpc/grpc-js");
            const services = require("@pulumi/pulumi/proto/provider_grpc_pb");
            const messages = require("@pulumi/pulumi/proto/provider_pb");
            const empty = require("google-protobuf/google/protobuf/empty_pb");
            /* eslint-enable @typescript-eslint/no-require-imports */
            const client = new services.ResourceProviderClient(
                `127.0.0.1:${port.trim()}`,
                grpc.credentials.createInsecure(),
            );
            const ask = <T>(method: string, request: unknown): Promise<T> =>
                new Promise((resolve, reject) =>
                    client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))),
                );
            const info = await ask<Any>("getPluginInfo", new empty.Empty());
            assert.equal(info.getVersion(), version);
            const schema = await ask<Any>("getSchema", new messages.GetSchemaRequest());
            assert.equal(schema.getSchema(), fs.readFileSync(path.join(repoRoot, packageSchemaFile), "utf8"));
            client.close();
        } finally {
            child.kill();
        }
    });
});

describe("the package schema", () => {
    const schema = JSON.parse(fs.readFileSync(path.join(repoRoot, packageSchemaFile), "utf8"));
    const resource = schema.resources[stackResourceToken];

    it("is the package `backline` at package.json's version, with the component BacklineStack", () => {
        assert.equal(schema.name, "backline");
        assert.equal(schema.version, version);
        assert.deepEqual(Object.keys(schema.resources), [stackResourceToken]);
        assert.equal(resource.isComponent, true);
    });

    it("takes every configuration key as an input, the required ones required, the access key secret", () => {
        assert.deepEqual(Object.keys(resource.inputProperties), topLevelKeys);
        assert.deepEqual(resource.requiredInputs, ["baseUrl", "accessKey"]);
        assert.equal(resource.inputProperties.accessKey.secret, true);
        const secrets = Object.entries(resource.inputProperties).filter(([, p]) => (p as Any).secret);
        assert.deepEqual(
            secrets.map(([k]) => k),
            ["accessKey"],
        );
    });

    it("describes every key and refers only to types it declares", () => {
        const refs = JSON.stringify(schema).match(/"#\/types\/[^"]+"/g) ?? [];
        for (const ref of refs) assert.ok(schema.types[ref.slice(9, -1)], `${ref} is not declared`);
        for (const [key, p] of Object.entries(resource.inputProperties)) {
            assert.ok((p as Any).description, `\`${key}\` has no description`);
        }
        assert.deepEqual(
            Object.keys(schema.types["backline:index:WorkerStoragePvc"].properties),
            Object.keys(configJsonSchema().properties?.worker.properties?.storage.properties?.pvc.properties ?? {}),
        );
    });

    it("has no defaults: an SDK would send them as given, and rules between keys ask what was given", () => {
        assert.doesNotMatch(JSON.stringify(schema), /"default":/);
        assert.match(resource.inputProperties.namespaceOverride.description, /Default: `backline`\./);
    });

    it("has every stack output as an output, the optional ones optional", () => {
        assert.deepEqual(Object.keys(resource.properties), Object.keys(stackOutputs));
        assert.deepEqual(
            resource.required,
            Object.entries(stackOutputs)
                .filter(([, o]) => !o.optional)
                .map(([k]) => k),
        );
    });

    it("refuses two objects that would make the same type", () => {
        const clash = {
            type: "object",
            properties: {
                a: { type: "object", properties: { b: { type: "object", properties: { c: { type: "string" } } } } },
                aB: { type: "object", properties: { d: { type: "string" } } },
            },
        } as const;
        assert.throws(
            () => packageSchema(clash, { version }),
            /two different objects would be the type backline:index:AB/,
        );
    });
});

describe("constructing the component from the configuration's keys", function () {
    this.timeout(30_000);

    /** Registers the component as `construct` does, under fresh mocks; returns what was registered. */
    async function construct(inputs: pulumi.Inputs): Promise<{ mocks: RecordingMocks; outputs: Any }> {
        const mocks = new RecordingMocks();
        await pulumi.runtime.setMocks(mocks, "backline", "test", false);
        const stack = await constructStack("backline", inputs, {});
        const outputs: Any = {};
        for (const [k, v] of Object.entries(stack.outputs)) outputs[k] = await promiseOf(v as pulumi.Output<unknown>);
        await settle();
        return { mocks, outputs };
    }

    /** A secret as one marker around its value, however often it was wrapped (the engine stores it once). */
    const secretSig = "4dabf18193072939515e22adb298388d";
    const oneSecret = (v: unknown, inSecret = false): unknown => {
        if (Array.isArray(v)) return v.map((x) => oneSecret(x, inSecret));
        if (v && typeof v === "object") {
            const o = v as Record<string, unknown>;
            if (secretSig in o) return inSecret ? oneSecret(o.value, true) : { secret: oneSecret(o.value, true) };
            return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, oneSecret(x, inSecret)]));
        }
        return v;
    };
    const objects = (mocks: RecordingMocks) =>
        mocks
            .kubernetesObjects()
            .map((r) => ({ type: r.type, name: r.name, inputs: oneSecret(r.inputs) }))
            .sort((a, b) => `${a.type}/${a.name}`.localeCompare(`${b.type}/${b.name}`));

    for (const name of ["minimal", "noAwsStorage"] as const) {
        it(`declares the objects the program declares for the same stack configuration (${name})`, async () => {
            const values = { ...examples[name], accessKey: pulumi.secret(testAccessKey) };
            const constructed = await construct(values);
            const program = await runProgram(examples[name]);
            assert.deepEqual(objects(constructed.mocks), objects(program.mocks));
            assert.deepEqual(constructed.outputs, program.outputs);
        });
    }

    it("refuses bad values with the program's problems, naming every key", async () => {
        const bad = { ...examples.minimal, worker: { replicaCount: -1 }, logging: { region: "mars" } };
        const expected = (await runProgramExpectingError(bad)) as Error & { problems: unknown };
        await assert.rejects(construct(bad), (err: Error & { problems: unknown }) => {
            assert.deepEqual(err.problems, expected.problems);
            assert.match(err.message, /`worker\.replicaCount`/);
            return true;
        });
    });

    it("takes another resource's output where a key takes one: the same objects as the plain value", async () => {
        const values = { ...examples.minimal, accessKey: pulumi.secret(testAccessKey) } as Any;
        const late = { ...values, logging: { ...values.logging, roleArn: pulumi.output(values.logging.roleArn) } };
        const constructed = await construct(late);
        const program = await runProgram(examples.minimal);
        assert.deepEqual(objects(constructed.mocks), objects(program.mocks));
    });

    it("refuses a key that decides which objects exist when it is not known yet, by key", async () => {
        // An Output the engine has no value for yet (during a preview): the SDK's own constructor, not in its typings.
        const OutputImpl = pulumi.Output as unknown as new (...args: unknown[]) => pulumi.Output<unknown>;
        const unknown = new OutputImpl(
            new Set(),
            Promise.resolve(undefined),
            Promise.resolve(false),
            Promise.resolve(false),
            Promise.resolve(new Set()),
        );
        await assert.rejects(
            construct({ ...examples.minimal, namespaceOverride: unknown }),
            /^Error: `namespaceOverride` is not known yet \(another resource's output, during a preview\); these keys decide which objects exist/,
        );
        await assert.rejects(
            construct({ ...examples.minimal, kubernetes: { kubeconfig: unknown } }),
            /^Error: `kubernetes\.kubeconfig` is not known yet .*the Kubernetes provider's settings/,
        );
    });

    it("refuses an Output at a key that takes a plain value, with the component's message", async () => {
        await assert.rejects(
            construct({ ...examples.minimal, worker: { replicaCount: pulumi.output(2) } }),
            /`worker\.replicaCount`: got an Output; this key takes a plain value/,
        );
    });

    it("reads nested outputs and secrets, and leaves out keys given as null", async () => {
        const r = await resolveInputs({
            baseUrl: pulumi.output("https://x"),
            accessKey: pulumi.secret("k"),
            worker: { env: [{ name: "A", value: pulumi.output("1") }] },
            imageRegistry: null,
        });
        assert.deepEqual(r.values, {
            baseUrl: "https://x",
            accessKey: "k",
            worker: { env: [{ name: "A", value: "1" }] },
        });
        assert.deepEqual([...r.secret], ["accessKey"]);
        assert.deepEqual(r.unknown, []);
    });
});

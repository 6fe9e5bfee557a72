/**
 * The `backline` package from other Pulumi languages, on the real engine and a control plane with
 * simulated nodes: the YAML program (examples/yaml) and the Python program (examples/python, with
 * the Python SDK generated from provider/schema.json and installed as a user installs it) each
 * `up` the stack through the component provider (provider/pulumi-resource-backline); the
 * Kubernetes objects they register are those the TypeScript program registers for the same values
 * given as stack configuration (their inputs in `pulumi stack export`, past the stack and project
 * names in the URNs); the export holds the access key only encrypted; `destroy` removes them. A
 * role ARN that is another resource's output, and no ARN, fails the YAML program's `up` by its key.
 *
 * Needs the engine with its YAML and Python language hosts (scripts/build-engine.sh), the control
 * plane (scripts/build-kube.sh) and the Python environment (scripts/python-env.sh). Run alone with
 * `npx mocha --no-config -r ts-node/register/transpile-only --extension ts --timeout 900000 test/e2e/languages.e2e.ts`.
 */
import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { useApiServer } from "../support/apiserver";
import { Engine, EngineEnv, REPO_ROOT, describeRun, engineEnv, findEngine, runPulumi } from "./support/engine";
import { copyProject } from "./support/project";

const accessKey = "bk_languages_0123456789abcdefSECRET";
/** The dev stack's values (Pulumi.dev.yaml), which both examples declare. */
const devValues: [string, string][] = [
    ["baseUrl", "https://staging-app.backline.ai"],
    ["logging.region", "us-west-1"],
    ["logging.roleArn", "arn:aws:iam::123456789012:role/YourOtelRole"],
];
const secretSig = "4dabf18193072939515e22adb298388d";
const pythonEnv = process.env.BACKLINE_PYTHON_ENV || path.join(REPO_ROOT, ".cache", "python");

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Any = any;

/** A secret as the export holds it (ciphertext of the stack's own key), made comparable. */
function normalized(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(normalized);
    if (value && typeof value === "object") {
        const o = value as Record<string, unknown>;
        if (secretSig in o) return "[secret]";
        return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, normalized(v)]));
    }
    return value;
}

/** The Kubernetes objects of an export, by URN without its stack and project: their registered inputs. */
function kubernetesObjects(deployment: Any): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const r of deployment.resources as Any[]) {
        if (!String(r.type).startsWith("kubernetes:")) continue;
        out.set(String(r.urn).split("::").slice(2).join("::"), normalized(r.inputs));
    }
    return out;
}

describe("the backline package from Pulumi YAML and Python (e2e, real engine, simulated nodes)", function () {
    this.timeout(900_000);

    const kube = useApiServer({ kwok: {} });
    let engine: Engine;
    let env: EngineEnv;
    let tmp: string;
    let genSdkPython: string;
    const timings: string[] = [];
    let reference: Map<string, unknown>;

    const pulumi = async (cwd: string, args: string[], childEnv: NodeJS.ProcessEnv = env.env) => {
        const t0 = Date.now();
        const r = await runPulumi(args, { cwd, env: childEnv, pulumi: engine.pulumi, timeoutMs: 600_000 });
        assert.equal(r.code, 0, describeRun(args, r));
        if (["preview", "up", "destroy"].includes(args[0]))
            timings.push(`${path.basename(cwd)} ${args[0]} ${(Date.now() - t0) / 1000} s`);
        return r;
    };

    /** A copy of an example in the temp folder, its plugin path made absolute (the checkout's provider). */
    function copyExample(name: string): string {
        const dir = path.join(tmp, name);
        fs.cpSync(path.join(REPO_ROOT, "examples", name), dir, { recursive: true });
        const project = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
        assert.equal(project.plugins.providers[0].path, "../../provider");
        project.plugins.providers[0].path = path.join(REPO_ROOT, "provider");
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify(project));
        return dir;
    }

    /**
     * `up` of a program in `dir` on the cluster, its export checked against the reference, then
     * `destroy`, also when a check failed (the next program deploys the same objects).
     */
    async function deployAndCompare(dir: string): Promise<void> {
        await pulumi(dir, ["stack", "init", "test"]);
        await pulumi(dir, ["config", "set", "--secret", "accessKey", accessKey]);
        try {
            const preview = await pulumi(dir, ["preview"]);
            assert.match(preview.stdout, /\+ +backline:index:BacklineStack +backline +create/);
            assert.match(preview.stdout, /\+ +kubernetes:apps\/v1:Deployment +backline-worker-deployment +create/);
            await pulumi(dir, ["up", "--yes", "--skip-preview"]);
            const outputs = JSON.parse((await pulumi(dir, ["stack", "output", "--json"])).stdout);
            assert.deepEqual(outputs, { namespace: "backline", workerDeployment: "worker" });
            const worker = kube().run(["get", "deployment", "worker", "-n", "backline", "-o", "json"]);
            assert.equal(JSON.parse(worker.stdout).status.availableReplicas, 1, worker.stdout);

            const text = (await pulumi(dir, ["stack", "export"])).stdout;
            assert.ok(!text.includes(accessKey), "the export holds the access key in plaintext");
            const base64 = Buffer.from(accessKey).toString("base64");
            assert.ok(!text.includes(base64), "the export holds the access key in base64");
            const exported = JSON.parse(text).deployment;
            const secret = (exported.resources as Any[]).find(
                (r) => r.type === "kubernetes:core/v1:Secret" && r.inputs?.metadata?.name === "backline-access-key",
            );
            assert.ok(
                secret?.inputs?.data?.[secretSig],
                `the Secret's data is not encrypted: ${JSON.stringify(secret)}`,
            );

            const objects = kubernetesObjects(exported);
            assert.deepEqual([...objects.keys()].sort(), [...reference.keys()].sort());
            for (const [urn, inputs] of reference) assert.deepEqual(objects.get(urn), inputs, urn);
        } finally {
            await pulumi(dir, ["destroy", "--yes", "--skip-preview"]);
        }
        const left = kube().run(["get", "deployment", "worker", "-n", "backline"]);
        assert.notEqual(left.status, 0, "destroy left the worker");
        await pulumi(dir, ["stack", "rm", "--yes"]);
    }

    before(async function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        const missing = ["pulumi-language-yaml", "pulumi-language-python", "pulumi-language-python-exec"].filter(
            (f) => !fs.existsSync(path.join(engine.binDir, f)),
        );
        genSdkPython = path.join(engine.binDir, "..", "libexec", "gen-sdk-python");
        if (!fs.existsSync(genSdkPython)) missing.push(genSdkPython);
        if (missing.length > 0) {
            console.log(`      skipped: ${missing.join(", ")} not built: run scripts/build-engine.sh`);
            this.skip();
        }
        if (!fs.existsSync(path.join(pythonEnv, "bin", "python"))) {
            console.log(`      skipped: no Python environment in ${pythonEnv}: run scripts/python-env.sh`);
            this.skip();
        }
        env = engineEnv(engine, {
            passphrase: "languages-e2e",
            extra: { KUBECONFIG: kube().kubeconfig, PULUMI_NODEJS_TRANSPILE_ONLY: "true" },
        });
        tmp = path.dirname(env.pulumiHome);
        // As `source .cache/python/bin/activate`: the language host runs `python3` from PATH.
        env.env.PATH = `${path.join(pythonEnv, "bin")}:${env.env.PATH}`;
        env.env.VIRTUAL_ENV = pythonEnv;

        // The same values as a stack's configuration, through the TypeScript program, in render mode:
        // the objects' inputs do not depend on where they are applied.
        // (The Kubernetes provider takes $KUBECONFIG for its kubeconfig, which render mode refuses.)
        const project = copyProject();
        const renderEnv = { ...env.env, KUBECONFIG: undefined };
        const run = (args: string[]) => pulumi(project.dir, args, renderEnv);
        try {
            await run(["stack", "init", "reference"]);
            await run(["config", "set", "--secret", "accessKey", accessKey]);
            for (const [key, value] of devValues) await run(["config", "set", "--path", key, value]);
            await run(["config", "set", "--path", "kubernetes.renderYamlToDirectory", path.join(tmp, "rendered")]);
            await run(["up", "--yes", "--skip-preview"]);
            reference = kubernetesObjects(JSON.parse((await run(["stack", "export"])).stdout).deployment);
            assert.ok(reference.size >= 10, `only ${reference.size} objects in the reference`);
            for (const [urn, inputs] of reference) assert.ok((inputs as Any)?.metadata?.name, `${urn}: no inputs`);
        } finally {
            project.cleanup();
        }
    });

    after(() => {
        if (timings.length > 0) console.log(`      timings: ${timings.join("; ")}`);
        env?.cleanup();
    });

    it("deploys the YAML program: the same objects as the stack configuration, the key only encrypted, then destroys it", async () => {
        await deployAndCompare(copyExample("yaml"));
    });

    it("deploys the Python program with the generated SDK: the same objects, the key only encrypted, then destroys it", async () => {
        const dir = copyExample("python");
        const sdk = path.join(tmp, "sdk");
        const gen = spawnSync(genSdkPython, [path.join(REPO_ROOT, "provider", "schema.json"), sdk], {
            encoding: "utf8",
        });
        assert.equal(gen.status, 0, gen.stderr);
        // `pip install ./sdk/python`, into a folder of this test's rather than the shared environment.
        const site = path.join(tmp, "site");
        const pip = spawnSync(
            path.join(pythonEnv, "bin", "pip"),
            [
                "install",
                "--quiet",
                "--no-index",
                "--no-deps",
                "--no-build-isolation",
                "--target",
                site,
                path.join(sdk, "python"),
            ],
            { encoding: "utf8", env: env.env },
        );
        assert.equal(pip.status, 0, pip.stderr);
        env.env.PYTHONPATH = site;
        await deployAndCompare(dir);
    });
    it("fails `up` of a YAML program whose role ARN, another resource's output, is no ARN: naming the key, with no worker", async () => {
        const dir = copyExample("yaml");
        const project = parse(fs.readFileSync(path.join(dir, "Pulumi.yaml"), "utf8"));
        project.resources = {
            platform: {
                type: "kubernetes:core/v1:ConfigMap",
                properties: { metadata: { namespace: "default" }, data: { roleArn: "not-an-arn" } },
            },
            ...project.resources,
        };
        project.resources.backline.properties.logging.roleArn = "${platform.data.roleArn}";
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), stringify(project));
        await pulumi(dir, ["stack", "init", "late"]);
        await pulumi(dir, ["config", "set", "--secret", "accessKey", accessKey]);
        try {
            const r = await runPulumi(["up", "--yes", "--skip-preview"], {
                cwd: dir,
                env: env.env,
                pulumi: engine.pulumi,
                timeoutMs: 600_000,
            });
            assert.notEqual(r.code, 0, describeRun(["up"], r));
            assert.match(r.stdout, /`logging\.roleArn`: got "not-an-arn"/);
            assert.doesNotMatch(r.stdout, new RegExp(accessKey));
            const worker = kube().run(["get", "deployment", "worker", "-n", "backline"]);
            assert.notEqual(worker.status, 0, "the worker exists, with a role ARN that is no ARN");
        } finally {
            await pulumi(dir, ["destroy", "--yes", "--skip-preview"]);
        }
    });
});

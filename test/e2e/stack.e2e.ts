/**
 * The real engine runs the real program, the way a user does: `pulumi stack init`,
 * `config set --secret`, `config set --path`, `preview`, `up`, `destroy`, in render mode (the
 * Kubernetes provider writes manifests to a folder, no cluster needed), with a local file backend
 * and the passphrase secrets provider in temporary folders.
 *
 * Needs the engine from scripts/build-engine.sh (or a pulumi on PATH); skips with the reason
 * otherwise. Run: npm run test:e2e
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { Engine, EngineEnv, REPO_ROOT, describeRun, engineEnv, findEngine, runPulumi } from "./support/engine";
import { ProjectCopy, changedFiles, copyProject, kindsAndNames, readRendered, snapshot } from "./support/project";

const accessKey = "bk_e2e_0123456789abcdefSECRET";

/** The passphrase of the committed dev stack (docs/get-started/your-cluster.md, "The committed stacks"): it is a dev placeholder, not a secret. */
export const devPassphrase = "backline-dev";

describe("the program under the real engine (render mode)", function () {
    this.timeout(900_000);

    let engine: Engine;
    let project: ProjectCopy;
    let env: EngineEnv;
    let renderDir: string;

    // Render mode talks to no cluster, so the refresh Pulumi.yaml asks for cannot read anything:
    // docs/get-started/render-mode.md tells users to pass --refresh=false, as here.
    const noRefresh = ["preview", "up", "destroy"];
    const pulumi = async (cmd: string[], opts: { input?: string; expectFailure?: boolean } = {}) => {
        const args = noRefresh.includes(cmd[0]) ? [...cmd, "--refresh=false"] : cmd;
        const r = await runPulumi(args, {
            cwd: project.dir,
            env: env.env,
            input: opts.input,
            pulumi: engine.pulumi,
            timeoutMs: 600_000,
        });
        if (!opts.expectFailure) {
            assert.equal(r.code, 0, describeRun(args, r));
        }
        return r;
    };

    before(function () {
        const found = findEngine((reason) => {
            console.log(`      skipped: ${reason}`);
        });
        if (!found) this.skip();
        engine = found as Engine;
        project = copyProject();
        env = engineEnv(engine, { passphrase: "e2e-passphrase" });
        renderDir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-rendered-"));
    });

    after(() => {
        project?.cleanup();
        env?.cleanup();
        if (renderDir) fs.rmSync(renderDir, { recursive: true, force: true });
    });

    it("creates a stack and stores the access key encrypted", async () => {
        await pulumi(["stack", "init", "e2e", "--secrets-provider", "passphrase"]);
        await pulumi(["config", "set", "--secret", "accessKey", accessKey]);
        await pulumi(["config", "set", "baseUrl", "https://app.backline.ai"]);
        await pulumi(["config", "set", "--path", "worker.replicaCount", "2"]);
        await pulumi(["config", "set", "--path", "worker.otel.enabled", "false"]);
        await pulumi(["config", "set", "--path", "worker.storage.pvc.storageClassName", "nfs-client"]);
        await pulumi(["config", "set", "--path", "kubernetes.renderYamlToDirectory", renderDir]);

        const stackFile = fs.readFileSync(path.join(project.dir, "Pulumi.e2e.yaml"), "utf8");
        assert.ok(!stackFile.includes(accessKey), "the access key is in plaintext in the stack file");
        const config = parse(stackFile).config;
        assert.match(config["backline:accessKey"].secure, /^v1:/);
        assert.deepEqual(config["backline:worker"], {
            replicaCount: 2,
            otel: { enabled: false },
            storage: { pvc: { storageClassName: "nfs-client" } },
        });
        const shown = await pulumi(["config", "get", "accessKey"]);
        assert.equal(shown.stdout.trim(), accessKey, "the passphrase decrypts what the CLI encrypted");
    });

    it("previews the objects to create, then renders them with `up`", async () => {
        const preview = await pulumi(["preview", "--json"]);
        const plan = JSON.parse(preview.stdout);
        assert.ok(plan.changeSummary.create >= 15, JSON.stringify(plan.changeSummary));
        assert.ok(!preview.stdout.includes(accessKey), "preview printed the access key");

        const up = await pulumi(["up", "--yes", "--skip-preview"]);
        assert.ok(!up.stdout.includes(accessKey) && !up.stderr.includes(accessKey), "up printed the access key");

        const objects = readRendered(renderDir);
        const names = kindsAndNames(objects).map((n) =>
            n.replace(/janitor-install-[0-9a-f]{10}$/, "janitor-install-<hash>"),
        );
        assert.deepEqual(names, [
            "ConfigMap/janitor-script",
            "CronJob/janitor",
            "Deployment/worker",
            "Job/janitor-install-<hash>",
            "Namespace/backline",
            "PersistentVolumeClaim/worker-storage",
            "Role/janitor",
            "Role/worker",
            "RoleBinding/janitor",
            "RoleBinding/worker",
            "Secret/backline-access-key",
            "Service/worker",
            "ServiceAccount/backline-jobs",
            "ServiceAccount/janitor",
            "ServiceAccount/worker",
            "ValidatingAdmissionPolicy/backline-worker-jobs-backline",
            "ValidatingAdmissionPolicyBinding/backline-worker-jobs-backline",
        ]);
        const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
        const deployment = byKind("Deployment")[0];
        assert.equal(deployment.spec.replicas, 2);
        assert.deepEqual(
            deployment.spec.template.spec.containers.map((c: { name: string }) => c.name),
            ["worker"],
        );
        assert.equal(byKind("PersistentVolumeClaim")[0].spec.storageClassName, "nfs-client");
        assert.equal(byKind("CronJob")[0].spec.schedule, "* * * * *");
        assert.equal(byKind("Namespace")[0].metadata.labels["pod-security.kubernetes.io/enforce"], "restricted");
        // Documented: rendered Secrets hold the plaintext key (base64 is an encoding, not
        // encryption). Only that one file has it, in either form.
        const encoded = Buffer.from(accessKey).toString("base64");
        const withKey = [...snapshot(renderDir)]
            .filter(([, text]) => text.includes(accessKey) || text.includes(encoded))
            .map(([f]) => f);
        assert.deepEqual(withKey, [byKind("Secret")[0].file]);
        const secret = byKind("Secret")[0];
        const stored = secret.stringData?.accessKey ?? Buffer.from(secret.data.accessKey, "base64").toString();
        assert.equal(stored, accessKey);
    });

    it("changes only the affected object when one value changes, and the preview says so", async () => {
        await pulumi(["config", "set", "--path", "worker.replicaCount", "3"]);
        const preview = await pulumi(["preview", "--json", "--diff"]);
        const plan = JSON.parse(preview.stdout);
        // Components record no configuration, so nothing but the Deployment changes: no component,
        // no other object, not the provider.
        const changed = plan.steps
            .filter((s: { op: string; urn: string }) => s.op !== "same")
            .map((s: { op: string; urn: string }) => `${s.op} ${s.urn.split("$").pop()}`);
        assert.deepEqual(changed, ["update kubernetes:apps/v1:Deployment::backline-worker-deployment"]);
        assert.equal(plan.changeSummary.update, 1, JSON.stringify(plan.changeSummary));
        assert.deepEqual(
            Object.keys(plan.changeSummary).sort(),
            ["same", "update"],
            JSON.stringify(plan.changeSummary),
        );

        const before = snapshot(renderDir);
        await pulumi(["up", "--yes", "--skip-preview"]);
        const after = snapshot(renderDir);
        const files = changedFiles(before, after);
        assert.equal(files.length, 1, files.join(", "));
        const deployment = readRendered(renderDir).find((o) => o.kind === "Deployment");
        assert.equal(deployment?.spec.replicas, 3);
    });

    it("refuses an invalid value with our validation message and changes nothing", async () => {
        const state = async () => JSON.parse((await pulumi(["stack", "export"])).stdout).deployment.resources.length;
        const resourcesBefore = await state();
        const before = snapshot(renderDir);
        await pulumi(["config", "set", "--path", "janitor.schedule", "every minute"]);
        const r = await pulumi(["preview"], { expectFailure: true });
        assert.notEqual(r.code, 0);
        const out = r.stdout + r.stderr;
        assert.match(out, /Invalid Backline configuration \(1 problem\)/);
        assert.match(out, /`janitor.schedule`: got "every minute"; expected five cron fields/);
        assert.ok(!out.includes(accessKey));
        const upAttempt = await pulumi(["up", "--yes"], { expectFailure: true });
        assert.notEqual(upAttempt.code, 0);
        assert.deepEqual(changedFiles(before, snapshot(renderDir)), []);
        assert.equal(await state(), resourcesBefore);
        await pulumi(["config", "rm", "--path", "janitor.schedule"]);
    });

    it("keeps the claim and the namespace on destroy, removes the rest", async () => {
        await pulumi(["destroy", "--yes", "--skip-preview"]);
        assert.deepEqual(kindsAndNames(readRendered(renderDir)), [
            "Namespace/backline",
            "PersistentVolumeClaim/worker-storage",
        ]);
        await pulumi(["stack", "rm", "--yes"]);
    });
});

describe("the committed stack files", function () {
    this.timeout(300_000);

    let engine: Engine;
    let project: ProjectCopy;

    before(function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        project = copyProject(["Pulumi.dev.yaml", "Pulumi.prod.yaml"]);
    });

    after(() => project?.cleanup());

    async function configGet(stack: string, passphrase: string): Promise<{ code: number | null; out: string }> {
        const e = engineEnv(engine, { passphrase });
        try {
            const run = (args: string[]) => runPulumi(args, { cwd: project.dir, env: e.env, pulumi: engine.pulumi });
            // With the file's encryptionsalt, `stack init` already checks the passphrase.
            const init = await run(["stack", "init", stack]);
            if (init.code !== 0) return { code: init.code, out: init.stdout + init.stderr };
            const r = await run(["config", "get", "accessKey", "--stack", stack]);
            return { code: r.code, out: r.stdout.trim() + r.stderr };
        } finally {
            e.cleanup();
        }
    }

    it("Pulumi.dev.yaml decrypts with the documented dev passphrase", async () => {
        const file = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.dev.yaml"), "utf8"));
        assert.match(file.encryptionsalt, /^v1:/);
        assert.match(file.config["backline:accessKey"].secure, /^v1:/);
        const r = await configGet("dev", devPassphrase);
        assert.equal(r.code, 0, r.out);
        assert.equal(r.out, "your-secret-key");
    });

    it("Pulumi.prod.yaml holds genuine ciphertext that the dev passphrase cannot open", async () => {
        const file = parse(fs.readFileSync(path.join(REPO_ROOT, "Pulumi.prod.yaml"), "utf8"));
        assert.match(file.encryptionsalt, /^v1:[A-Za-z0-9+/=]+:v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
        assert.match(file.config["backline:accessKey"].secure, /^v1:[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$/);
        const r = await configGet("prod", devPassphrase);
        assert.notEqual(r.code, 0, "the dev passphrase opened the prod stack");
        assert.match(r.out, /incorrect passphrase/);
    });
});

describe("an embedder's program under the real engine (render mode)", function () {
    this.timeout(900_000);

    let engine: Engine;
    let project: ProjectCopy;
    let env: EngineEnv;
    let renderDir: string;
    const embeddedKey = "bk_embedded_0123456789abcdefPLAIN";

    before(function () {
        const found = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!found) this.skip();
        engine = found as Engine;
        project = copyProject();
        env = engineEnv(engine, { passphrase: "e2e-passphrase" });
        renderDir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-embedded-"));
        // Its own project, without the stack configuration `index.ts` reads: the program builds
        // the configuration itself and hands the access key over as a plain string.
        const projectFile = parse(fs.readFileSync(path.join(project.dir, "Pulumi.yaml"), "utf8"));
        fs.writeFileSync(
            path.join(project.dir, "Pulumi.yaml"),
            stringify({ name: "backline-embedder", runtime: projectFile.runtime }),
        );
        fs.writeFileSync(
            path.join(project.dir, "index.ts"),
            [
                'import * as k8s from "@pulumi/kubernetes";',
                'import { BacklineStack, kubernetesProviderArgs, parseBacklineConfig } from "./components";',
                "const parsed = parseBacklineConfig({",
                '    baseUrl: "https://app.backline.ai",',
                `    accessKey: ${JSON.stringify(embeddedKey)},`,
                '    worker: { otel: { enabled: false }, storage: { pvc: { storageClassName: "nfs-client" } } },',
                `    kubernetes: { renderYamlToDirectory: ${JSON.stringify(renderDir)} },`,
                "});",
                "if (!parsed.ok) throw new Error(JSON.stringify(parsed.problems));",
                'const provider = new k8s.Provider("kubernetes", kubernetesProviderArgs(parsed.config.kubernetes));',
                'export = new BacklineStack("backline", { config: parsed.config }, { providers: [provider] }).outputs;',
                "",
            ].join("\n"),
        );
    });

    after(() => {
        project?.cleanup();
        env?.cleanup();
        if (renderDir) fs.rmSync(renderDir, { recursive: true, force: true });
    });

    it("stores a plain-string access key in the state only as a secret", async () => {
        const run = (args: string[]) =>
            runPulumi(args, { cwd: project.dir, env: env.env, pulumi: engine.pulumi, timeoutMs: 600_000 });
        for (const args of [
            ["stack", "init", "embedded"],
            ["up", "--yes", "--skip-preview", "--refresh=false"],
        ]) {
            const r = await run(args);
            assert.equal(r.code, 0, describeRun(args, r));
            assert.ok(!r.stdout.includes(embeddedKey) && !r.stderr.includes(embeddedKey), `${args[0]} printed the key`);
        }
        const exported = await run(["stack", "export"]);
        assert.equal(exported.code, 0, describeRun(["stack", "export"], exported));
        assert.ok(!exported.stdout.includes(embeddedKey), "the state holds the access key in plaintext");
        const resources: { type: string; urn: string; inputs?: Record<string, unknown> }[] = JSON.parse(exported.stdout)
            .deployment.resources;
        const secret = resources.find((r) => r.type === "kubernetes:core/v1:Secret");
        // The provider turns `stringData` into `data`; either way the value is a secret.
        const data = (secret?.inputs?.data ?? secret?.inputs?.stringData) as Record<string, unknown> | undefined;
        assert.equal(data?.["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
        // Components record no inputs at all.
        for (const r of resources.filter((x) => x.type.startsWith("backline:"))) {
            assert.deepEqual(r.inputs ?? {}, {}, r.urn);
        }
        const destroyed = await run(["destroy", "--yes", "--skip-preview", "--refresh=false"]);
        assert.equal(destroyed.code, 0, describeRun(["destroy"], destroyed));
    });
});

describe("a plain preview of the dev stack", function () {
    this.timeout(600_000);

    it("warns about no undefined stack output", async function () {
        const engine = findEngine((reason) => console.log(`      skipped: ${reason}`));
        if (!engine) this.skip();
        const project = copyProject(["Pulumi.dev.yaml"]);
        const env = engineEnv(engine as Engine, { passphrase: devPassphrase });
        const renderDir = fs.mkdtempSync(path.join(os.tmpdir(), "backline-dev-"));
        try {
            const run = (args: string[]) =>
                runPulumi(args, {
                    cwd: project.dir,
                    env: env.env,
                    pulumi: (engine as Engine).pulumi,
                    timeoutMs: 600_000,
                });
            // No cluster here: the dev stack's objects are rendered instead of applied.
            for (const args of [
                ["stack", "init", "dev"],
                ["config", "set", "--path", "kubernetes.renderYamlToDirectory", renderDir],
            ]) {
                const r = await run(args);
                assert.equal(r.code, 0, describeRun(args, r));
            }
            const preview = await run(["preview", "--refresh=false"]);
            assert.equal(preview.code, 0, describeRun(["preview"], preview));
            const out = preview.stdout + preview.stderr;
            assert.ok(!/Undefined value/.test(out), out);
            assert.match(out, /collectorRoleArn/);
        } finally {
            project.cleanup();
            env.cleanup();
            fs.rmSync(renderDir, { recursive: true, force: true });
        }
    });
});

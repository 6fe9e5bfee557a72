/**
 * End-to-end tests of the Automation API (automation/) with the real Pulumi engine, the real
 * program (index.ts, through a LocalWorkspace on the project the API generates under `dataDir`,
 * whose Pulumi.yaml points at this repository's program) and the kubernetes provider in
 * render mode (`kubernetes.renderYamlToDirectory`: manifests are written to a folder, no cluster).
 * Local file backend and passphrase in a temp folder; otel off and an existing storage class, so
 * nothing touches AWS.
 *
 *   scripts/build-engine.sh
 *   npx mocha --config .mocharc.e2e.json test/e2e/automation.e2e.ts
 *   # or: npx mocha --no-config -r ts-node/register/transpile-only --timeout 900000 test/e2e/automation.e2e.ts
 *
 * Skips (saying why) when there is no engine or no kubernetes plugin. The engine's
 * pulumi-language-nodejs (built by scripts/build-engine.sh) runs the program.
 *
 * The stacks are named `e2e-auto-<pid>-…`; their `Pulumi.<stack>.yaml` files live in
 * `<tmp>/project` (the API's `dataDir` is the suite's temp folder) and are removed with the stacks.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    BacklineSettings,
    ConcurrentUpdateError,
    DeployOptions,
    InvalidConfigError,
    StackOptions,
    WorkspaceFactory,
    destroy,
    outputs,
    preview,
    up,
} from "../../automation";
import { Engine, findEngine, pulumiHomeWithPlugins } from "./support/engine";

const ACCESS_KEY = "bk_e2e_0123456789abcdefSECRET";
const PASSPHRASE = "e2e automation passphrase";

function listFiles(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const p = path.join(dir, e.name);
        return e.isDirectory() ? listFiles(p) : [p];
    });
}

/** The rendered manifest of a `kind` named `name`, or undefined. */
function manifest(dir: string, kind: string, name: string): string | undefined {
    for (const file of listFiles(dir)) {
        const text = fs.readFileSync(file, "utf8");
        if (new RegExp(`^kind: ${kind}$`, "m").test(text) && new RegExp(`^  name: ${name}$`, "m").test(text)) {
            return text;
        }
    }
    return undefined;
}

function config(
    overrides: { namespaceOverride?: string; replicaCount?: number; janitor?: BacklineSettings["janitor"] } = {},
): BacklineSettings {
    return {
        baseUrl: "https://app.backline.ai",
        accessKey: ACCESS_KEY,
        namespaceOverride: overrides.namespaceOverride,
        janitor: overrides.janitor,
        worker: {
            replicaCount: overrides.replicaCount,
            otel: { enabled: false },
            storage: { pvc: { storageClassName: "nfs-rwx" } },
        },
    };
}

describe("Automation API (e2e, real engine, render mode)", function () {
    this.timeout(900_000);
    this.slow(120_000);

    let engine: Engine;
    let tmp: string;
    const created = new Set<string>();
    const prefix = `e2e-auto-${process.pid}`;

    function stackFile(stackName: string): string {
        return path.join(tmp, "project", `Pulumi.${stackName}.yaml`);
    }

    before(function () {
        const found = findEngine((reason) => console.log(`      skipped: Pulumi engine not found: ${reason}`));
        if (found === null) {
            this.skip();
        }
        engine = found as Engine;
        if (engine.kubernetesPlugin === null) {
            console.log(
                "      skipped: no pulumi-resource-kubernetes next to pulumi, on PATH or in .cache/engine/bin (scripts/build-engine.sh)",
            );
            this.skip();
        }
        console.log(
            `      pulumi ${engine.version} (${engine.source}) at ${engine.pulumi}\n` +
                `      pulumi-resource-kubernetes: ${engine.kubernetesPlugin}\n` +
                `      pulumi-language-nodejs: ${engine.languageNodejs ?? "none"}`,
        );
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "automation-e2e-"));
    });

    after(async function () {
        // Whatever a failed test left: destroy and remove its stacks (and their config files).
        for (const stackName of created) {
            await destroy({ ...base(stackName), removeStack: true }).catch(() => undefined);
            fs.rmSync(stackFile(stackName), { force: true });
        }
        if (tmp && !process.env.E2E_KEEP_TMP) {
            fs.rmSync(tmp, { recursive: true, force: true });
        }
    });

    /** Options shared by every call: temp backend and PULUMI_HOME, this engine. */
    function base(stackName: string): StackOptions {
        return {
            stackName,
            dataDir: tmp,
            stateDir: path.join(tmp, "state"),
            passphrase: PASSPHRASE,
            pulumiHome: pulumiHomeWithPlugins(path.join(tmp, "home")),
            engineBinDir: engine.binDir,
            env: { PULUMI_DIY_BACKEND_NO_LEGACY_WARNING: "true" },
        };
    }

    function deployOpts(
        stackName: string,
        rendered: string,
        cfg: BacklineSettings,
        extra: Partial<DeployOptions> = {},
    ): DeployOptions {
        created.add(stackName);
        return { ...base(stackName), config: cfg, kubernetes: { renderToDirectory: rendered }, ...extra };
    }

    it("up → preview → outputs → up with a change → destroy", async function () {
        const stackName = `${prefix}-a`;
        const rendered = path.join(tmp, "rendered-a");
        const lines: string[] = [];
        const eventKinds = new Set<string>();
        const t0 = Date.now();

        // 1. First deployment.
        const first = await up(
            deployOpts(stackName, rendered, config({ janitor: { schedule: "*/5 * * * *" } }), {
                onOutput: (l) => lines.push(l),
                onEvent: (e) =>
                    Object.keys(e)
                        .filter((k) => k.endsWith("Event"))
                        .forEach((k) => eventKinds.add(k)),
            }),
        );
        const t1 = Date.now();
        console.log(`      up #1: ${JSON.stringify(first.summary)} (${t1 - t0} ms wall)`);
        assert.ok(first.summary.created >= 10, `created ${first.summary.created}`);
        assert.deepStrictEqual(first.outputs, {
            namespace: "backline",
            workerDeployment: "worker",
            workerService: "worker",
            janitorCronJob: "janitor",
            claimName: "worker-storage",
            storageClassName: "nfs-rwx",
            workerImageUpdates: "janitor",
            jobAdmissionPolicy: "backline-worker-jobs-backline",
        });
        assert.ok(lines.length > 0 && lines.some((l) => /Resources:/.test(l)), "no stdout lines");
        assert.ok(!lines.some((l) => l.includes(ACCESS_KEY)), "the access key was printed");
        assert.ok(eventKinds.has("resourcePreEvent") && eventKinds.has("summaryEvent"), [...eventKinds].join(", "));

        const deployment1 = manifest(rendered, "Deployment", "worker");
        assert.ok(deployment1, `no Deployment manifest in ${JSON.stringify(listFiles(rendered))}`);
        assert.match(deployment1, /^ {2}replicas: 1$/m);
        assert.match(manifest(rendered, "CronJob", "janitor") ?? "", /schedule: ["']?\*\/5 \* \* \* \*["']?$/m);

        // The stack config: access key encrypted, objects as YAML maps.
        const yaml1 = fs.readFileSync(stackFile(stackName), "utf8");
        assert.match(yaml1, /backline:accessKey:\n\s+secure: /);
        assert.ok(!yaml1.includes(ACCESS_KEY), "the access key is stored in plaintext");
        assert.match(yaml1, /backline:worker:\n\s+otel:\n\s+enabled: false/);
        assert.match(yaml1, /backline:janitor:\n\s+schedule:/);

        // 2. A preview with the same configuration changes nothing.
        const p = await preview(deployOpts(stackName, rendered, config({ janitor: { schedule: "*/5 * * * *" } })));
        const t2 = Date.now();
        console.log(`      preview: ${JSON.stringify(p.summary)} (${t2 - t1} ms wall)`);
        assert.strictEqual(
            p.summary.created + p.summary.updated + p.summary.deleted + p.summary.replaced,
            0,
            JSON.stringify(p.summary),
        );
        assert.deepStrictEqual(p.outputs, first.outputs);

        // 3. Outputs.
        assert.deepStrictEqual(await outputs(base(stackName)), first.outputs);
        const t3 = Date.now();

        // 4. A change: 3 replicas; `janitor` no longer set, so its schedule goes back to the default.
        const second = await up(deployOpts(stackName, rendered, config({ replicaCount: 3 })));
        const t4 = Date.now();
        console.log(`      outputs: ${t3 - t2} ms; up #2: ${JSON.stringify(second.summary)} (${t4 - t3} ms wall)`);
        assert.ok(second.summary.updated >= 1, JSON.stringify(second.summary));
        const deployment2 = manifest(rendered, "Deployment", "worker");
        assert.ok(deployment2);
        assert.notStrictEqual(deployment2, deployment1, "the rendered Deployment did not change");
        assert.match(deployment2, /^ {2}replicas: 3$/m);
        assert.match(manifest(rendered, "CronJob", "janitor") ?? "", /schedule: ["']?\* \* \* \* \*["']?$/m);
        const yaml2 = fs.readFileSync(stackFile(stackName), "utf8");
        assert.ok(!/backline:janitor:/.test(yaml2), `backline:janitor lingers in the stack config:\n${yaml2}`);
        assert.match(yaml2, /replicaCount: 3/);

        // 5. Destroy, and the stack with it.
        const gone = await destroy({ ...base(stackName), removeStack: true });
        const t5 = Date.now();
        console.log(`      destroy: ${JSON.stringify(gone.summary)} (${t5 - t4} ms wall)`);
        assert.ok(gone.summary.deleted >= 10, JSON.stringify(gone.summary));
        assert.strictEqual(
            manifest(rendered, "Deployment", "worker"),
            undefined,
            "the Deployment manifest is still there",
        );
        assert.ok(!fs.existsSync(stackFile(stackName)), "Pulumi.<stack>.yaml is still there");
        created.delete(stackName);
    });

    it("deploys two different stacks at once from one process", async function () {
        const names = [`${prefix}-b`, `${prefix}-c`];
        const t0 = Date.now();
        const results = await Promise.all(
            names.map((stackName, i) =>
                up(
                    deployOpts(
                        stackName,
                        path.join(tmp, `rendered-${stackName}`),
                        config({ namespaceOverride: `backline-${i}`, replicaCount: i + 1 }),
                    ),
                ),
            ),
        );
        const t1 = Date.now();
        console.log(
            `      two ups at once: ${t1 - t0} ms wall (${results.map((r) => r.summary.durationMs).join(" ms, ")} ms each)`,
        );
        results.forEach((r, i) => {
            assert.strictEqual(r.stackName, names[i]);
            assert.strictEqual(r.outputs.namespace, `backline-${i}`);
            const d = manifest(path.join(tmp, `rendered-${names[i]}`), "Deployment", "worker");
            assert.ok(d, `no Deployment rendered for ${names[i]}`);
            assert.match(d, new RegExp(`namespace: backline-${i}`));
            assert.match(d, new RegExp(`^ {2}replicas: ${i + 1}$`, "m"));
        });
        await Promise.all(names.map((stackName) => destroy({ ...base(stackName), removeStack: true })));
        console.log(`      two destroys at once: ${Date.now() - t1} ms`);
        names.forEach((n) => created.delete(n));
    });

    it("refuses a second up on a stack that is being updated: in this process, and when the engine's lock is held elsewhere", async function () {
        const stackName = `${prefix}-d`;
        const rendered = path.join(tmp, "rendered-d");

        // In this process: the second call is refused at once, the first one completes.
        const first = up(deployOpts(stackName, rendered, config()));
        const err = await up(deployOpts(stackName, rendered, config({ replicaCount: 5 }))).then(
            () => assert.fail("the second up was not refused"),
            (e: Error) => e,
        );
        assert.ok(err instanceof ConcurrentUpdateError, `got ${err.name}: ${err.message}`);
        const done = await first;
        assert.ok(done.summary.created >= 10);
        assert.match(manifest(rendered, "Deployment", "worker") ?? "", /^ {2}replicas: 1$/m);

        // Another process holds the stack: a lock in the file backend, as the engine writes it for
        // a running update (`.pulumi/locks/<org>/<project>/<stack>/<id>.json`). The engine refuses,
        // the SDK says ConcurrentUpdateError, and the stack config is left as it was.
        const lockDir = path.join(tmp, "state", ".pulumi", "locks", "organization", "backline", stackName);
        fs.mkdirSync(lockDir, { recursive: true });
        const lockFile = path.join(lockDir, "00000000-0000-0000-0000-000000000000.json");
        fs.writeFileSync(
            lockFile,
            JSON.stringify({ pid: 1, username: "other", hostname: "elsewhere", timestamp: new Date().toISOString() }),
        );
        const configBefore = fs.readFileSync(stackFile(stackName), "utf8");
        try {
            const locked = await up(deployOpts(stackName, rendered, config({ replicaCount: 7 }))).then(
                () => assert.fail("the engine did not refuse the locked stack"),
                (e: Error) => e,
            );
            assert.ok(locked instanceof ConcurrentUpdateError, `got ${locked.name}: ${locked.message}`);
            assert.match(locked.detail, /locked by 1 lock/);
            assert.strictEqual(
                fs.readFileSync(stackFile(stackName), "utf8"),
                configBefore,
                "the refused update's config was left behind",
            );
            assert.match(manifest(rendered, "Deployment", "worker") ?? "", /^ {2}replicas: 1$/m);
        } finally {
            fs.rmSync(lockFile, { force: true });
        }
        await destroy({ ...base(stackName), removeStack: true });
        created.delete(stackName);
    });

    it("never starts the engine for an invalid configuration", async function () {
        const stackName = `${prefix}-invalid`;
        let opened = 0;
        const spy: WorkspaceFactory = async () => {
            opened++;
            throw new Error("must not be called");
        };
        const bad = { ...config(), baseUrl: "http://example.com", worker: { replicaCount: -2 } } as BacklineSettings;
        const t0 = Date.now();
        const err = await up({
            ...deployOpts(stackName, path.join(tmp, "rendered-invalid"), bad),
            workspaceFactory: spy,
        }).then(
            () => assert.fail("accepted"),
            (e: Error) => e,
        );
        assert.ok(err instanceof InvalidConfigError, `got ${err.name}: ${err.message}`);
        assert.deepStrictEqual(err.problems.map((p) => p.key).sort(), [
            "baseUrl",
            "logging.region",
            "logging.roleArn",
            "worker.replicaCount",
        ]);
        // And with the real engine factory: nothing is created either.
        const err2 = await up(deployOpts(stackName, path.join(tmp, "rendered-invalid"), bad)).then(
            () => assert.fail("accepted"),
            (e: Error) => e,
        );
        assert.ok(err2 instanceof InvalidConfigError);
        console.log(`      refused in ${Date.now() - t0} ms`);
        assert.strictEqual(opened, 0);
        assert.ok(!fs.existsSync(stackFile(stackName)), "a stack config file was written");
        const stacks = path.join(tmp, "state", ".pulumi", "stacks", "backline");
        assert.ok(!fs.existsSync(path.join(stacks, `${stackName}.json`)), "a stack was created");
        created.delete(stackName);
    });
});

/**
 * Unit tests of the Automation API (automation/) up to the engine: the typed configuration → stack
 * configuration mapping, and validation before the engine. No engine: stacks are fakes injected
 * through `workspaceFactory` (test/support/automation-fakes.ts; test/e2e/automation.e2e.ts runs the
 * real one). Operations are in automation-operations.spec.ts, engine errors in
 * automation-errors.spec.ts.
 */
import * as assert from "assert";
import {
    BacklineSettings,
    InvalidConfigError,
    KubernetesTarget,
    planStackConfig,
    preview,
    toStackConfigValues,
    up,
    validateDeployment,
} from "../automation";
import { parseBacklineConfig } from "../components/config";
import {
    ACCESS_KEY,
    deploy,
    everythingIn,
    fakeFactory,
    minimal,
    neverCalled,
    rejection,
    removedUnlessSet,
    render,
} from "./support/automation-fakes";

describe("automation: typed config → stack config", function () {
    const ctx = { cwd: "/work/here", home: "/home/op" };

    it("stores the access key only as a secret, and scalars and objects as plaintext values", function () {
        const plan = planStackConfig({ config: minimal, kubernetes: render, pathContext: ctx });
        assert.deepStrictEqual(plan.secrets, [{ key: "backline:accessKey", path: false, value: ACCESS_KEY }]);
        assert.ok(!JSON.stringify(plan.plain).includes(ACCESS_KEY), "the access key is among the plaintext values");
        assert.deepStrictEqual(plan.plain["backline:baseUrl"], { value: "https://app.backline.ai", secret: false });
        assert.deepStrictEqual(plan.plain["backline:worker"], {
            value: JSON.stringify(minimal.worker),
            objectValue: minimal.worker,
            secret: false,
        });
        assert.deepStrictEqual(Object.keys(plan.plain).sort(), [
            "backline:baseUrl",
            "backline:kubernetes",
            "backline:worker",
        ]);
    });

    it("keeps structured values exactly: string-looking numbers, empty lists and maps, keys with dots", function () {
        const config: BacklineSettings = {
            ...minimal,
            namespaceOverride: "backline-a",
            janitor: { image: { tag: "0123" }, schedule: "*/5 * * * *", runOnInstall: false },
            worker: {
                replicaCount: 2,
                image: { tag: "1.10", autoUpdate: true },
                env: [],
                tolerations: [],
                nodeSelector: { "kubernetes.io/os": "linux", "node.example.com/pool": "true" },
                affinity: {},
                otel: { enabled: false },
            },
        };
        const plan = planStackConfig({ config, kubernetes: render, pathContext: ctx });
        assert.deepStrictEqual(plan.plain["backline:namespaceOverride"], { value: "backline-a", secret: false });
        for (const section of ["janitor", "worker"] as const) {
            const v = plan.plain[`backline:${section}`];
            assert.deepStrictEqual(v.objectValue, config[section]);
            // The program reads `getConfig("backline:<section>")` (the JSON text) and parses it.
            assert.deepStrictEqual(JSON.parse(v.value), config[section]);
        }
        const worker = plan.plain["backline:worker"].objectValue as {
            image: { tag: unknown };
            nodeSelector: Record<string, unknown>;
        };
        assert.strictEqual(worker.image.tag, "1.10");
        assert.strictEqual(worker.nodeSelector["node.example.com/pool"], "true");
    });

    it("drops undefined members, as the stack file cannot hold them", function () {
        const config = {
            ...minimal,
            worker: { replicaCount: 1, image: undefined, otel: { enabled: false } },
        } as BacklineSettings;
        const plan = planStackConfig({ config, kubernetes: render });
        assert.deepStrictEqual(plan.plain["backline:worker"].objectValue, {
            replicaCount: 1,
            otel: { enabled: false },
        });
    });

    it("what it writes is what the program accepts: parseBacklineConfig on the stored values", function () {
        const plan = planStackConfig({ config: minimal, kubernetes: render, pathContext: ctx });
        // The program reads `getConfig("backline:<key>")`: text, or JSON for objects.
        const values: Record<string, unknown> = Object.fromEntries(
            Object.entries(plan.plain).map(([k, v]) => [
                k.replace(/^backline:/, ""),
                v.objectValue !== undefined ? JSON.parse(v.value) : v.value,
            ]),
        );
        values.accessKey = plan.secrets[0].value;
        const result = parseBacklineConfig(values);
        assert.ok(result.ok, JSON.stringify(result.problems));
        assert.deepStrictEqual(result.config.storage.claim, {
            kind: "storageClass",
            name: "worker-storage",
            size: "10Gi",
            storageClassName: "nfs-rwx",
        });
        assert.strictEqual(result.config.kubernetes.renderYamlToDirectory, "/tmp/backline-rendered");
        assert.strictEqual(result.config.observability, undefined);
    });

    it("removes every managed key the caller did not set, including unknown backline keys found in the stack", function () {
        const plan = planStackConfig({
            config: minimal,
            kubernetes: render,
            currentKeys: [
                "backline:baseUrl",
                "backline:janitor",
                "backline:workers",
                "aws:region",
                "kubernetes:context",
                "other:key",
            ],
        });
        assert.deepStrictEqual(plan.remove, removedUnlessSet("backline:workers"));
        for (const k of Object.keys(plan.plain)) assert.ok(!plan.remove.includes(k), `${k} is both set and removed`);
        assert.ok(!plan.remove.includes("backline:accessKey"));
        assert.ok(
            !plan.remove.includes("kubernetes:context") && !plan.remove.includes("other:key"),
            "keys of other namespaces are not ours",
        );
    });

    it("sets aws:region and aws:profile when given, and removes them otherwise", function () {
        const plan = planStackConfig({
            config: minimal,
            kubernetes: render,
            aws: { region: "us-west-1", profile: "ops" },
        });
        assert.deepStrictEqual(plan.plain["aws:region"], { value: "us-west-1", secret: false });
        assert.deepStrictEqual(plan.plain["aws:profile"], { value: "ops", secret: false });
        assert.ok(!plan.remove.includes("aws:region"));
    });

    describe("Kubernetes target", function () {
        const kube = (target: KubernetesTarget) =>
            planStackConfig({ config: minimal, kubernetes: target, pathContext: ctx });

        it("{ renderToDirectory } → renderYamlToDirectory, resolved against the current directory", function () {
            assert.deepStrictEqual(
                kube({ renderToDirectory: "out/manifests" }).plain["backline:kubernetes"].objectValue,
                {
                    renderYamlToDirectory: "/work/here/out/manifests",
                },
            );
        });

        it("{ kubeconfig } path → kubeconfig, with ~ expanded; plus context and skipAwait", function () {
            assert.deepStrictEqual(
                kube({ kubeconfig: "~/.kube/customer-a", context: "admin@a", skipAwait: true }).plain[
                    "backline:kubernetes"
                ].objectValue,
                {
                    kubeconfig: "/home/op/.kube/customer-a",
                    context: "admin@a",
                    skipAwait: true,
                },
            );
        });

        it("{ context } → context only", function () {
            const plan = kube({ context: "prod" });
            assert.deepStrictEqual(plan.plain["backline:kubernetes"].objectValue, { context: "prod" });
            assert.strictEqual(plan.secrets.length, 1);
        });

        it("an inline kubeconfig is a secret leaf inside the kubernetes object, never plaintext", function () {
            const contents =
                "apiVersion: v1\nkind: Config\nusers:\n- name: a\n  user:\n    token: sha256~SECRETTOKEN0123456789\n";
            const plan = kube({ kubeconfig: contents, context: "a" });
            assert.deepStrictEqual(plan.plain["backline:kubernetes"].objectValue, { context: "a" });
            assert.deepStrictEqual(plan.secrets[1], {
                key: "backline:kubernetes.kubeconfig",
                path: true,
                value: contents,
            });
            assert.ok(!JSON.stringify(plan.plain).includes("SECRETTOKEN"));
        });
    });
});

describe("automation: validation before the engine", function () {
    const broken = {
        baseUrl: "ftp://example.com",
        accessKey: `${ACCESS_KEY} with spaces`,
        janitor: { schedule: "*/3 * * *" },
        workers: { replicaCount: 2 },
        worker: { replicaCount: -1, otel: { enabled: false } },
    } as unknown as BacklineSettings;

    it("rejects with InvalidConfigError listing every problem, with the stack's own messages, and never opens a workspace", async function () {
        const err = await rejection(up(deploy({ config: broken, workspaceFactory: neverCalled() })));
        assert.ok(err instanceof InvalidConfigError, `got ${err.name}: ${err.message}`);
        const expected = parseBacklineConfig(toStackConfigValues(broken, render));
        assert.ok(!expected.ok);
        assert.deepStrictEqual(err.problems, expected.problems);
        const keys = err.problems.map((p) => p.key);
        for (const k of ["workers", "baseUrl", "accessKey", "janitor.schedule", "worker.replicaCount"]) {
            assert.ok(keys.includes(k), `no problem for ${k}: ${keys.join(", ")}`);
        }
        assert.match(err.message, /Invalid Backline configuration \(5 problems\)/);
        assert.match(err.message, /did you mean `worker`/);
        assert.ok(!everythingIn(err).includes(ACCESS_KEY), "the access key appears in the error");
    });

    it("preview rejects the same way", async function () {
        const err = await rejection(preview(deploy({ config: broken, workspaceFactory: neverCalled() })));
        assert.ok(err instanceof InvalidConfigError);
    });

    it("refuses a missing target, kubernetes inside config, render mode with a context, a bad stack name", async function () {
        const problems = validateDeployment({
            stackName: "bad name!",
            config: { ...minimal, kubernetes: { context: "x" } } as unknown as BacklineSettings,
            kubernetes: { renderToDirectory: "/tmp/x", context: "prod" } as unknown as KubernetesTarget,
        });
        const keys = problems.map((p) => p.key);
        assert.deepStrictEqual(keys.sort(), ["kubernetes", "kubernetes.renderToDirectory", "stackName"]);
        assert.match(problems.find((p) => p.key === "kubernetes")!.message, /not part of `config`/);

        const err = await rejection(
            up({
                ...deploy({ workspaceFactory: neverCalled() }),
                kubernetes: undefined as unknown as KubernetesTarget,
            }),
        );
        assert.ok(err instanceof InvalidConfigError);
        assert.deepStrictEqual(
            err.problems.map((p) => p.key),
            ["kubernetes"],
        );
    });

    it("asks for a passphrase when the passphrase provider has none", async function () {
        const saved = { p: process.env.PULUMI_CONFIG_PASSPHRASE, f: process.env.PULUMI_CONFIG_PASSPHRASE_FILE };
        delete process.env.PULUMI_CONFIG_PASSPHRASE;
        delete process.env.PULUMI_CONFIG_PASSPHRASE_FILE;
        try {
            const err = await rejection(up({ ...deploy({ workspaceFactory: neverCalled() }), passphrase: undefined }));
            assert.ok(err instanceof InvalidConfigError);
            assert.deepStrictEqual(
                err.problems.map((p) => p.key),
                ["passphrase"],
            );
            // Another provider needs none.
            const { factory } = fakeFactory();
            await up({
                ...deploy({ workspaceFactory: factory }),
                passphrase: undefined,
                secretsProvider: "awskms://alias/backline",
            });
        } finally {
            if (saved.p !== undefined) process.env.PULUMI_CONFIG_PASSPHRASE = saved.p;
            if (saved.f !== undefined) process.env.PULUMI_CONFIG_PASSPHRASE_FILE = saved.f;
        }
    });
});

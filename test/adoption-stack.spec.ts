/**
 * The stack's side of an adoption, under mocks: the `adopt.*` keys, the objects the
 * planner believes the program declares (checked against what the program registers, so that the
 * planner never removes or misses one), and BacklineStack wired with a plan.
 */
import { testCaPem } from "./fixtures/enterprise-examples";
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { BacklineStack, HelmTakeover } from "../components";
import { parseBacklineConfig } from "../components/config";
import { declaredObjects, planAdoption } from "../components/adoption/plan";
import { handoverProvider, releaseRemovalProvider } from "../components/adoption/providers";
import { minimal } from "./fixtures/examples";
import { minimalInstall, preparedAdoption, selector, stackConfig, workerImage } from "./fixtures/adoption";
import { promiseOf, RecordingMocks, runProgram, settle } from "./support/mocks";

describe("the `adopt` keys", () => {
    const problems = (values: Record<string, unknown>) => {
        const r = parseBacklineConfig({ ...minimal, ...values });
        return r.ok ? [] : r.problems.map((p) => `${p.key}: ${p.message}`);
    };
    const table: [string, Record<string, unknown>, RegExp | undefined][] = [
        ["a release name Helm accepts", { adopt: { helmRelease: "backline-2" } }, undefined],
        [
            "a release name Helm refuses",
            { adopt: { helmRelease: "Backline_2" } },
            /^adopt\.helmRelease: got "Backline_2"; expected a Helm release name/,
        ],
        [
            "a keep entry that is not Kind/name",
            { adopt: { helmRelease: "b", keep: ["role/x"] } },
            /^adopt\.keep\[0\]: got "role\/x"; expected `Kind\/name`/,
        ],
        [
            "a remove entry that is not Kind/name",
            { adopt: { helmRelease: "b", remove: ["Secret/"] } },
            /^adopt\.remove\[0\]: got "Secret\/"; expected `Kind\/name`/,
        ],
        [
            "remove without helmRelease",
            { adopt: { remove: ["Secret/backline-access"] } },
            /^adopt\.remove: got \["Secret\/backline-access"\] without `adopt\.helmRelease`/,
        ],
        [
            "an entry both kept and removed",
            { adopt: { helmRelease: "b", keep: ["Secret/a", "Secret/b"], remove: ["Secret/b"] } },
            /^adopt\.remove\[0\]: got "Secret\/b", which `adopt\.keep` lists too; an object is either kept or removed/,
        ],
        [
            "different entries kept and removed",
            { adopt: { helmRelease: "b", keep: ["Secret/a"], remove: ["Secret/b"] } },
            undefined,
        ],
        [
            "releaseNamespace without helmRelease",
            { adopt: { releaseNamespace: "x" } },
            /^adopt\.releaseNamespace: got "x" without `adopt\.helmRelease`/,
        ],
        [
            "adoption with render mode",
            { adopt: { helmRelease: "b" }, kubernetes: { renderYamlToDirectory: "/tmp/x" } },
            /^adopt\.helmRelease: set together with `kubernetes\.renderYamlToDirectory`/,
        ],
        [
            "adoption with EFS",
            {
                adopt: { helmRelease: "b" },
                efs: {
                    vpcId: "vpc-0123456789abcdef0",
                    subnetIds: ["subnet-0123456789abcdef0"],
                    allowedCidrBlocks: ["10.0.0.0/16"],
                },
            },
            /^adopt\.helmRelease: set together with `efs`/,
        ],
    ];
    for (const [name, values, expected] of table) {
        it(name, () => {
            const got = problems(values);
            if (expected) {
                assert.equal(got.length, 1, got.join("\n"));
                assert.match(got[0], expected);
            } else {
                assert.deepEqual(got, []);
            }
        });
    }
    it("resolves to the release, its record's namespace (namespaceOverride by default) and the kept and removed objects", () => {
        const r = parseBacklineConfig({ ...minimal, namespaceOverride: "prod", adopt: { helmRelease: "b" } });
        assert.ok(r.ok);
        assert.deepEqual(r.config.adoption, { release: "b", releaseNamespace: "prod", keep: [], remove: [] });
        const none = parseBacklineConfig(minimal);
        assert.ok(none.ok);
        assert.equal(none.config.adoption, undefined);
    });
});

describe("declaredObjects", () => {
    // What the program registers under mocks, for configurations that change the set of objects.
    const variants: [string, Record<string, unknown>][] = [
        ["Minimal", {}],
        ["no collector, no install Job", { worker: { otel: { enabled: false } }, janitor: { runOnInstall: false } }],
        ["an existing claim", { worker: { storage: { pvc: { create: false } } } }],
        [
            "the enterprise-cluster objects",
            {
                proxy: { httpsProxy: "http://proxy.example.com:3128" },
                caBundle: { pem: testCaPem },
                worker: { replicaCount: 2, podDisruptionBudget: { minAvailable: 1 } },
                networkPolicy: { enabled: true, egressCidrs: ["10.0.0.0/8"], apiServerCidrs: ["10.96.0.1/32"] },
            },
        ],
    ];
    for (const [name, values] of variants) {
        it(`is every namespaced object the program declares (${name})`, async function () {
            this.timeout(60_000);
            const run = await runProgram({ ...minimal, ...values });
            const registered = run.mocks
                .kubernetesObjects()
                // Namespaced objects only: the Namespace and the job admission policy are cluster-scoped.
                .filter((r) => r.type !== "kubernetes:core/v1:Namespace" && !r.type.includes("admissionregistration"))
                .map((r) =>
                    `${r.type.split(":").pop()}/${r.inputs.metadata.name}`.replace(
                        /janitor-install-\w+$/,
                        "janitor-install-…",
                    ),
                );
            assert.deepEqual(declaredObjects(stackConfig(values)).sort(), registered.sort());
        });
    }
});

describe("BacklineStack with an adoption (mocks)", () => {
    it("applies every Kubernetes object as the handed-over manager, keeps the live selector and claim, adds the two steps", async function () {
        this.timeout(60_000); // the dynamic providers are serialized with what they use
        const mocks = new RecordingMocks();
        await pulumi.runtime.setMocks(mocks, "backline", "adopt", false);
        const r = parseBacklineConfig({ ...minimal, adopt: { helmRelease: "backline" } });
        assert.ok(r.ok);
        const plan = planAdoption(stackConfig(), minimalInstall());
        assert.ok(plan.kind === "plan");
        new BacklineStack("backline", {
            config: r.config,
            adoption: { steps: plan, connection: { context: "prod" }, recordPresent: true, changes: [] },
        });
        await settle();

        const k8s = mocks.kubernetesObjects();
        assert.ok(k8s.length >= 15);
        for (const o of k8s) {
            // The cluster-scoped admission policy was never Helm's: it keeps the default manager.
            const expected = o.type.startsWith("kubernetes:admissionregistration") ? undefined : "pulumi-backline";
            assert.equal(o.inputs.metadata.annotations?.["pulumi.com/patchFieldManager"], expected, o.name);
        }
        const deploy = mocks.one("kubernetes:apps/v1:Deployment").inputs;
        assert.deepEqual(deploy.spec.selector.matchLabels, selector);
        assert.deepEqual(deploy.spec.template.metadata.labels, {
            "app.kubernetes.io/name": "backline-worker",
            "app.kubernetes.io/component": "worker",
            "app.kubernetes.io/part-of": "backline",
            "app.kubernetes.io/managed-by": "pulumi",
            "app.kubernetes.io/instance": "backline",
        });
        assert.equal(deploy.spec.template.spec.containers[0].image, workerImage);
        assert.deepEqual(deploy.spec.strategy, {
            type: "RollingUpdate",
            rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
        });
        assert.deepEqual(mocks.one("kubernetes:core/v1:Service").inputs.spec.selector, selector);
        const claim = mocks.one("kubernetes:core/v1:PersistentVolumeClaim").inputs.spec;
        assert.equal(claim.storageClassName, "standard-rwx");
        assert.deepEqual(claim.accessModes, ["ReadWriteMany"]);

        const handover = mocks.one("pulumi-nodejs:dynamic/backline:HelmFieldOwnership").inputs;
        assert.equal(handover.fieldManager, "pulumi-backline");
        assert.equal(handover.objects.length, 9);
        assert.deepEqual(handover.connection, { context: "prod" });
        const removal = mocks.one("pulumi-nodejs:dynamic/backline:HelmReleaseRecord").inputs;
        assert.deepEqual(
            {
                release: removal.release,
                ns: removal.releaseNamespace,
                present: removal.recordPresent,
                remove: removal.remove.length,
            },
            { release: "backline", ns: "backline", present: true, remove: 4 },
        );
    });
});

describe("BacklineStack with `adopt.remove` (mocks)", () => {
    it("hands the listed objects to the removal, and only those", async function () {
        this.timeout(60_000);
        const mocks = new RecordingMocks();
        await pulumi.runtime.setMocks(mocks, "backline", "adopt", false);
        const adopt = { helmRelease: "backline", remove: ["Role/backline-worker"] };
        const r = parseBacklineConfig({ ...minimal, adopt });
        assert.ok(r.ok);
        new BacklineStack("backline", { config: r.config, adoption: preparedAdoption({ adopt }) });
        await settle();
        const removal = mocks.one("pulumi-nodejs:dynamic/backline:HelmReleaseRecord").inputs;
        assert.deepEqual(
            removal.discard.map((o: { kind: string; name: string }) => `${o.kind}/${o.name}`),
            ["Role/backline-worker"],
        );
        assert.ok(
            !removal.remove.some(
                (o: { kind: string; name: string }) => o.name === "backline-worker" && o.kind === "Role",
            ),
        );
    });
});

describe("HelmTakeover (mocks)", () => {
    it("records what it handed over: the field-ownership resource's output, registered as the takeover's", async function () {
        this.timeout(60_000);
        const handedOver = ["Deployment/worker", "Secret/backline-access-key"];
        class HandingOver extends RecordingMocks {
            newResource(args: pulumi.runtime.MockResourceArgs) {
                const r = super.newResource(args);
                return args.type.endsWith(":HelmFieldOwnership") ? { ...r, state: { ...r.state, handedOver } } : r;
            }
        }
        await pulumi.runtime.setMocks(new HandingOver(), "backline", "adopt", false);
        const takeover = new HelmTakeover("t", {
            connection: { context: "prod" },
            fieldManager: "pulumi-backline",
            handover: [{ apiVersion: "apps/v1", kind: "Deployment", name: "worker", namespace: "backline" }],
        });
        await settle();
        const urn = await promiseOf(takeover.urn);
        const monitor = pulumi.runtime.getMonitor() as unknown as {
            resources: Map<string, { state: { toJavaScript(): Record<string, unknown> } }>;
        };
        assert.deepEqual(monitor.resources.get(urn)?.state.toJavaScript(), { handedOver });
    });
});

describe("the adoption's dynamic providers", () => {
    // The engine runs them from their serialized text. Modules compiled by swc (tsconfig.json's
    // `ts-node.swc`) copy namespace imports, and a copied `path` made the serializer walk into Node's
    // own functions: an error on the engine and a silent hang under mocks. Named imports fix it.
    for (const [name, provider] of Object.entries({ handoverProvider, releaseRemovalProvider })) {
        it(`${name} serializes, and requires Node's modules rather than copying them`, async () => {
            const closure = await pulumi.runtime.serializeFunction(() => provider, { isFactoryFunction: true });
            assert.match(closure.text, /require\("child_process"\)/);
            assert.doesNotMatch(closure.text, /validateString/);
        });
    }
});

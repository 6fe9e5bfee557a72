/**
 * Resource options the program sets: what survives `pulumi destroy`, and who owns the worker
 * image. Built directly from `BacklineStack` with a transformation that records every child's
 * options (the mocks see inputs only).
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { BacklineStack } from "../components";
import { BacklineConfig, parseBacklineConfig } from "../components/config";
import { workerIgnoreChanges, workerImagePath } from "../components/specs/worker";
import { RecordingMocks, promiseOf, settle, testAccessKey } from "./support/mocks";

interface Recorded {
    readonly type: string;
    readonly name: string;
    readonly opts: pulumi.CustomResourceOptions;
}

type StackValues = Record<string, unknown>;

function configOf(raw: StackValues): BacklineConfig {
    const result = parseBacklineConfig(raw);
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    // The access key stays a plain string, as an embedder may pass it: BacklineNamespace wraps it.
    return result.config;
}

async function build(raw: StackValues): Promise<Recorded[]> {
    await pulumi.runtime.setMocks(new RecordingMocks(), "backline", "options");
    const recorded: Recorded[] = [];
    const stack = new BacklineStack(
        "backline",
        { config: configOf(raw) },
        {
            transformations: [
                (args) => {
                    recorded.push({ type: args.type, name: args.name, opts: args.opts });
                    return undefined;
                },
            ],
        },
    );
    await promiseOf(stack.outputs.namespace);
    await settle();
    return recorded;
}

const base: StackValues = {
    baseUrl: "https://app.backline.ai",
    accessKey: testAccessKey,
    worker: { otel: { enabled: false } },
};

const efs = {
    vpcId: "vpc-0123456789abcdef0",
    subnetIds: ["subnet-0123456789abcdef0"],
    allowedCidrBlocks: ["10.0.0.0/16"],
};

function optsOf(recorded: Recorded[], type: string): pulumi.CustomResourceOptions {
    const found = recorded.filter((r) => r.type === type);
    assert.equal(found.length, 1, `expected one ${type}, got ${found.length}`);
    return found[0].opts;
}

describe("resource options", function () {
    this.timeout(30_000);

    it("keeps the claim, the namespace and the EFS filesystem on destroy by default", async () => {
        const recorded = await build({ ...base, efs });
        assert.equal(optsOf(recorded, "kubernetes:core/v1:PersistentVolumeClaim").retainOnDelete, true);
        assert.equal(optsOf(recorded, "kubernetes:core/v1:Namespace").retainOnDelete, true);
        assert.equal(optsOf(recorded, "aws:efs/fileSystem:FileSystem").retainOnDelete, true);
        // Everything else goes away with the stack.
        assert.ok(!optsOf(recorded, "kubernetes:batch/v1:CronJob").retainOnDelete);
        assert.ok(!optsOf(recorded, "kubernetes:apps/v1:Deployment").retainOnDelete);
    });

    it("deletes them only when `worker.storage.deleteOnDestroy` is true", async () => {
        const recorded = await build({
            ...base,
            efs,
            worker: { otel: { enabled: false }, storage: { deleteOnDestroy: true } },
        });
        assert.equal(optsOf(recorded, "kubernetes:core/v1:PersistentVolumeClaim").retainOnDelete, false);
        assert.equal(optsOf(recorded, "kubernetes:core/v1:Namespace").retainOnDelete, false);
        assert.equal(optsOf(recorded, "aws:efs/fileSystem:FileSystem").retainOnDelete, false);
    });

    it("ignores the worker image when the janitor keeps it fresh", async () => {
        const recorded = await build(base);
        assert.deepEqual(optsOf(recorded, "kubernetes:apps/v1:Deployment").ignoreChanges, [workerImagePath]);
        assert.equal(workerImagePath, "spec.template.spec.containers[0].image");
    });

    it("owns the worker image when it is pinned", async () => {
        const recorded = await build({ ...base, worker: { otel: { enabled: false }, image: { tag: "v2" } } });
        assert.deepEqual(optsOf(recorded, "kubernetes:apps/v1:Deployment").ignoreChanges, []);
        assert.deepEqual(
            workerIgnoreChanges(
                configOf({ ...base, worker: { image: { tag: "v2" }, otel: { enabled: false } } }).worker.image,
            ),
            [],
        );
    });

    it("starts the worker only after the janitor's install run and the RBAC it needs", async () => {
        const recorded = await build(base);
        const deps = (optsOf(recorded, "kubernetes:apps/v1:Deployment").dependsOn ?? []) as pulumi.Resource[];
        const urns = await Promise.all(deps.map((d) => promiseOf(d.urn)));
        assert.ok(
            urns.some((u) => u.endsWith("kubernetes:batch/v1:Job::backline-janitor-install")),
            urns.join("\n"),
        );
        assert.ok(
            urns.some((u) => u.endsWith("::backline-worker-rolebinding")),
            urns.join("\n"),
        );
    });

    it("skips the install run when `janitor.runOnInstall` is false", async () => {
        const recorded = await build({ ...base, janitor: { runOnInstall: false } });
        assert.equal(recorded.filter((r) => r.type === "kubernetes:batch/v1:Job").length, 0);
    });
});

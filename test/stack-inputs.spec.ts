/**
 * `BacklineStack` given the configuration's keys with Outputs: the same objects as the same values
 * given plainly; values known now checked at construction exactly as the stack configuration is
 * (every bad-input row), a value given as an Output checked when it resolves (every row about a key
 * that takes one), and an Output where a key needs a plain value refused by name.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import {
    checkResolvedValues,
    ConfigValidationError,
    keysTakingOutputs,
    parseBacklineConfig,
    prepareStackValues,
    takesOutput,
} from "../components/config";
import { BacklineStack } from "../components";
import type { BacklineStackValues } from "../components/config";
import { RecordingMocks, settle, testAccessKey } from "./support/mocks";
import { badCases } from "./fixtures/config-bad-cases";
import { testCaPem } from "./fixtures/enterprise-examples";

/** The values every case starts from: one of each kind of key that takes an Output. */
const plain = {
    baseUrl: "https://app.backline.ai/",
    accessKey: testAccessKey,
    imageRegistry: "mirror.corp.example:5000",
    caBundle: { pem: testCaPem },
    commonLabels: { team: "platform" },
    worker: {
        image: { registry: "registry.corp.example", name: "backline-worker" },
        storage: { pvc: { storageClassName: "efs-rwx" } },
        serviceAccount: { annotations: { "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/w" } },
    },
    logging: { region: "us-west-1", roleArn: "arn:aws:iam::123456789012:role/otel" },
} as const;

/** The same values, every key that takes an Output given as one (the access key a secret). */
function asOutputs(): BacklineStackValues {
    const o = <T>(v: T) => pulumi.output(v);
    return {
        ...plain,
        baseUrl: o(plain.baseUrl),
        accessKey: pulumi.secret(plain.accessKey),
        imageRegistry: o(plain.imageRegistry),
        caBundle: { pem: o(plain.caBundle.pem) },
        commonLabels: { team: o("platform") },
        worker: {
            image: { registry: o(plain.worker.image.registry), name: o(plain.worker.image.name) },
            storage: { pvc: { storageClassName: o("efs-rwx") } },
            serviceAccount: { annotations: { "eks.amazonaws.com/role-arn": o("arn:aws:iam::123456789012:role/w") } },
        },
        logging: { region: o("us-west-1"), roleArn: o("arn:aws:iam::123456789012:role/otel") },
    };
}

async function record(build: () => BacklineStack): Promise<{ mocks: RecordingMocks; outputs: unknown }> {
    const mocks = new RecordingMocks();
    await pulumi.runtime.setMocks(mocks, "backline", "inputs", false);
    const stack = build();
    const outputs = await new Promise((resolve) => pulumi.output(stack.outputs).apply(resolve));
    await settle();
    return { mocks, outputs };
}

/** What each resource was registered with, by type and name, secrets unwrapped. */
function registered(mocks: RecordingMocks): Record<string, unknown> {
    const unwrap = (v: unknown): unknown => {
        if (Array.isArray(v)) return v.map(unwrap);
        if (v && typeof v === "object") {
            const o = v as Record<string, unknown>;
            if (o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return unwrap(o.value);
            return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrap(x)]));
        }
        return v;
    };
    return Object.fromEntries(mocks.resources.map((r) => [`${r.type}::${r.name}`, unwrap(r.inputs)]));
}

/** `a.b[0]["c.d"]` into its steps. */
function pathOf(key: string): PropertyKey[] {
    return [...key.matchAll(/([^.[\]"]+)|\[(\d+)\]|\["([^"]+)"\]/g)].map((m) =>
        m[2] !== undefined ? Number(m[2]) : (m[3] ?? m[1]),
    );
}

function at(value: unknown, path: readonly PropertyKey[]): unknown {
    return path.reduce<unknown>((v, k) => (v as Record<PropertyKey, unknown> | undefined)?.[k], value);
}

function withOutputAt(value: unknown, path: readonly PropertyKey[]): unknown {
    if (path.length === 0) return pulumi.output(value);
    const [head, ...rest] = path;
    const copy = (Array.isArray(value) ? [...value] : { ...(value as object) }) as Record<PropertyKey, unknown>;
    copy[head] = withOutputAt(copy[head], rest);
    return copy;
}

describe("BacklineStack given values with Outputs", function () {
    this.timeout(30_000);

    it("registers the same objects, inputs and outputs as the same values given plainly", async () => {
        const expected = await record(() => new BacklineStack("backline", plain));
        const actual = await record(() => new BacklineStack("backline", asOutputs()));
        assert.deepEqual(registered(actual.mocks), registered(expected.mocks));
        assert.deepEqual(actual.outputs, expected.outputs);
        // The trailing `/` of baseUrl goes, as it does from the stack configuration.
        const worker = actual.mocks.one("kubernetes:apps/v1:Deployment");
        const env = worker.inputs.spec.template.spec.containers[0].env as { name: string; value?: string }[];
        assert.ok(env.some((e) => e.value === "https://app.backline.ai"));
        assert.ok(!JSON.stringify(registered(actual.mocks)).includes("\u27e6backline:"), "a token reached an object");
    });

    it("keeps the access key a secret when given as a plain Output", async () => {
        const run = await record(
            () => new BacklineStack("backline", { ...plain, accessKey: pulumi.output(testAccessKey) }),
        );
        const secret = run.mocks
            .ofType("kubernetes:core/v1:Secret")
            .find((s) => s.inputs.metadata.name === "backline-access-key");
        assert.ok(secret);
        assert.equal(secret.inputs.stringData["4dabf18193072939515e22adb298388d"], "1b47061264138c4ac30d75fd1eb44270");
    });

    it("refuses an Output where a key needs a plain value, naming the key and the keys that take one", () => {
        const prepared = prepareStackValues({ ...plain, worker: { replicaCount: pulumi.output(2) } });
        assert.equal(prepared.ok, false);
        const problem = !prepared.ok && prepared.problems.find((p) => p.key === "worker.replicaCount");
        assert.ok(problem, JSON.stringify(prepared));
        assert.match(problem.message, /got an Output; this key takes a plain value.*`logging\.roleArn`/);
        assert.throws(
            () =>
                new BacklineStack("backline", { ...plain, namespaceOverride: pulumi.output("x") as unknown as string }),
            (e: unknown) => e instanceof ConfigValidationError && /`namespaceOverride`: got an Output/.test(e.message),
        );
    });

    it("refuses the provider's and the adoption's keys, which belong to the program", () => {
        const prepared = prepareStackValues({
            ...plain,
            kubernetes: { kubeconfig: "/tmp/k" },
            adopt: { helmRelease: "b" },
        });
        assert.deepEqual(!prepared.ok && prepared.problems.map((p) => p.key), [
            "kubernetes.kubeconfig",
            "adopt.helmRelease",
        ]);
        assert.equal(prepareStackValues({ ...plain, kubernetes: { skipAwait: true } }).ok, true);
    });

    it("lists the keys that take Outputs from the schema", () => {
        const keys = keysTakingOutputs();
        for (const k of [
            "accessKey",
            "baseUrl",
            "logging.roleArn",
            "worker.storage.pvc.storageClassName",
            "commonLabels.*",
        ]) {
            assert.ok(keys.includes(k), `${k} missing from ${keys.join(", ")}`);
        }
        for (const k of ["namespaceOverride", "worker.replicaCount", "proxy.httpsProxy", "worker.image.tag"]) {
            assert.ok(!keys.includes(k), `${k} must take a plain value`);
        }
    });

    describe("every bad-input row, given plainly, is refused at construction with the same problems", () => {
        for (const c of badCases.filter((b) => !b.plaintext && b.options?.proxyIsSecret !== false)) {
            it(c.name, () => {
                const expected = parseBacklineConfig(c.raw, { accessKeyIsSecret: true, ...c.options });
                const prepared = prepareStackValues(c.raw);
                assert.equal(prepared.ok, false);
                assert.equal(expected.ok, false);
                for (const p of expected.problems) {
                    assert.ok(
                        !prepared.ok && prepared.problems.some((q) => q.key === p.key && q.message === p.message),
                        p.key,
                    );
                }
            });
        }
    });

    describe("every bad-input row about a key that takes an Output, given as one, is refused with the same problem", () => {
        const rows = badCases.filter((c) => {
            const path = pathOf(c.key);
            return !c.plaintext && typeof at(c.raw, path) === "string" && at(c.raw, path) !== "" && takesOutput(path);
        });
        let late = 0;
        after(() => assert.ok(late >= 8, `only ${late} rows checked when the value resolves`));
        for (const c of rows) {
            it(c.name, () => {
                const path = pathOf(c.key);
                const prepared = prepareStackValues(withOutputAt(c.raw, path));
                // A map's key is known now whatever its value: such a problem is found at construction.
                const problems = prepared.ok
                    ? (() => {
                          late++;
                          const result = checkResolvedValues(prepared.tokenized, prepared.pending, [at(c.raw, path)]);
                          return result.ok ? [] : result.problems;
                      })()
                    : prepared.problems;
                const problem = problems.find((p) => p.key === c.key);
                assert.ok(problem, JSON.stringify(problems));
                assert.match(problem.message, c.message);
            });
        }
    });
});

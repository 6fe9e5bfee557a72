/**
 * The stack outputs are declared once (components/outputs.ts): what the stack exports and what the
 * Automation API returns both derive from the declaration. Under mocks, stacks that together turn on
 * every feature export exactly the declared keys (each optional one absent from some stack, each
 * required one in all), and every value they export parses back to itself.
 */
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { BacklineStack } from "../components";
import { planAdoption } from "../components/adoption/plan";
import { parseBacklineConfig } from "../components/config";
import { parseStackOutputs, stackOutputKeys, stackOutputs } from "../components/outputs";
import { minimalInstall, stackConfig } from "./fixtures/adoption";
import { fullAws, minimal, noAwsStorage } from "./fixtures/examples";
import { RecordingMocks, promiseOf, runProgram, settle } from "./support/mocks";

/** The adoption's record under mocks: what the removal reports once it ran. */
class AdoptionMocks extends RecordingMocks {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        const result = super.newResource(args);
        if (args.type === "pulumi-nodejs:dynamic/backline:HelmReleaseRecord") {
            Object.assign(result.state, {
                revisions: [1, 2],
                backups: ["backline-helm-backup.backline.v2"],
                removed: ["ServiceAccount/backline-worker"],
                kept: [],
            });
        }
        return result;
    }
}

/** What an adopting stack exports: the program needs a cluster to plan an adoption, so the component alone. */
async function adoptingStackOutputs(): Promise<Record<string, unknown>> {
    await pulumi.runtime.setMocks(new AdoptionMocks(), "backline", "adopt", false);
    const r = parseBacklineConfig({ ...minimal, adopt: { helmRelease: "backline" } });
    assert.ok(r.ok);
    const plan = planAdoption(stackConfig(), minimalInstall());
    assert.ok(plan.kind === "plan");
    const stack = new BacklineStack("backline", {
        config: r.config,
        adoption: { steps: plan, connection: { context: "prod" }, recordPresent: true, changes: [] },
    });
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(stack.outputs)) values[k] = await promiseOf(v as pulumi.Output<unknown>);
    await settle();
    return values;
}

describe("the stack outputs: one declaration for the stack and the Automation API", function () {
    this.timeout(120_000);
    let exported: Record<string, unknown>[];

    before(async function () {
        exported = [];
        for (const config of [minimal, fullAws, { ...noAwsStorage, security: { jobAdmissionPolicy: false } }]) {
            exported.push((await runProgram(config)).outputs);
        }
        exported.push(await adoptingStackOutputs());
    });

    it("every key a stack exports is declared, and every declared key is exported by one of them", function () {
        const seen = new Set(exported.flatMap((o) => Object.keys(o)));
        for (const k of seen) assert.ok(stackOutputKeys.includes(k as never), `the stack exports undeclared \`${k}\``);
        assert.deepEqual([...seen].sort(), [...stackOutputKeys].sort());
    });

    it("a key is optional exactly when some stack leaves it out", function () {
        for (const k of stackOutputKeys) {
            const everywhere = exported.every((o) => k in o);
            assert.equal(
                stackOutputs[k].optional,
                !everywhere,
                `\`${k}\` is declared optional: ${stackOutputs[k].optional}`,
            );
        }
    });

    it("what each stack exports parses back to itself (helmAdoption included)", function () {
        for (const values of exported) {
            assert.deepEqual(parseStackOutputs(values), values);
        }
        assert.deepEqual(parseStackOutputs(exported[3])?.helmAdoption, {
            revisions: [1, 2],
            backups: ["backline-helm-backup.backline.v2"],
            removed: ["ServiceAccount/backline-worker"],
            kept: [],
        });
    });

    it("no namespace: no outputs; a missing or malformed required one is named; a malformed optional one is left out", function () {
        const [values] = exported;
        assert.equal(parseStackOutputs(undefined), undefined);
        assert.equal(parseStackOutputs({ ...values, namespace: "" }), undefined);
        assert.throws(
            () => parseStackOutputs({ ...values, claimName: undefined, workerImageUpdates: "sometimes" }),
            /the stack's outputs lack claimName, workerImageUpdates; was it deployed by this program\?/,
        );
        const parsed = parseStackOutputs({ ...values, helmAdoption: { revisions: "1" }, storageClassName: 3 });
        assert.ok(parsed && !("helmAdoption" in parsed) && !("storageClassName" in parsed));
    });
});

/**
 * The access key under Pulumi mocks, for every example configuration: a secret wherever it flows
 * (components record their args in state) and present in no object but its Secret, nor in any
 * stack output.
 */
import { strict as assert } from "assert";
import { runProgram, testAccessKey } from "./support/mocks";
import * as examples from "./fixtures/examples";

describe("BacklineStack program", function () {
    this.timeout(30_000);

    describe("the access key", () => {
        /** Every place the plaintext key appears in recorded inputs, and whether it is wrapped as a secret. */
        function findKey(
            value: unknown,
            where: string,
            secret: boolean,
            out: { where: string; secret: boolean }[],
        ): void {
            if (typeof value === "string") {
                if (value.includes(testAccessKey)) out.push({ where, secret });
                return;
            }
            if (Array.isArray(value)) {
                value.forEach((v, i) => findKey(v, `${where}[${i}]`, secret, out));
                return;
            }
            if (value && typeof value === "object") {
                const o = value as Record<string, unknown>;
                const isSecret = o["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270";
                for (const [k, v] of Object.entries(o)) findKey(v, `${where}.${k}`, secret || isSecret, out);
            }
        }

        for (const [name, config] of Object.entries(examples)) {
            it(`is a secret wherever it flows, and in no object but the Secret (${name})`, async () => {
                const run = await runProgram(config);
                const hits: { where: string; secret: boolean }[] = [];
                for (const r of run.mocks.resources) findKey(r.inputs, `${r.type}::${r.name}`, false, hits);
                // Components record their args (encrypted in state); every copy must be a secret.
                assert.deepEqual(
                    hits.filter((h) => !h.secret),
                    [],
                    "plaintext copies of the access key",
                );
                const inObjects = hits.filter((h) => !h.where.startsWith("backline:"));
                assert.deepEqual(inObjects, [
                    {
                        where: "kubernetes:core/v1:Secret::backline-namespace-access-key.stringData.value.accessKey",
                        secret: true,
                    },
                ]);
                for (const [k, v] of Object.entries(run.outputs)) {
                    assert.ok(!JSON.stringify(v ?? null).includes(testAccessKey), `stack output ${k} leaks the key`);
                }
            });
        }
    });
});

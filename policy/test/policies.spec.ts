/**
 * Every policy of the pack on a resource that passes and on ones that fail, through the harness that
 * calls the policies as the analyzer server does. One table row per case; the tables are in
 * policy/test/cases/, one file per group of policies, in the pack's order.
 */
import { strict as assert } from "assert";
import { accessKeyOnlyInSecret, podSecurityRestricted } from "../src/kubernetes";
import { backlinePolicies } from "../src/policies";
import { runPolicies, unknownValue } from "./harness";
import * as f from "./fixtures";
import { PolicyCases } from "./cases/case";
import { advisoryCases } from "./cases/advisory";
import { awsCases } from "./cases/aws";
import { kubernetesCases } from "./cases/kubernetes";

const table: PolicyCases[] = [...kubernetesCases, ...awsCases, ...advisoryCases];

describe("the Backline policy pack", () => {
    it("serves every policy tested here, mandatory ones first", () => {
        assert.deepEqual(
            backlinePolicies.map((p) => p.name),
            table.map(([p]) => p.name),
        );
        const levels = backlinePolicies.map((p) => p.enforcementLevel);
        assert.deepEqual(levels.slice(0, 14), Array(14).fill("mandatory"));
        assert.deepEqual(levels.slice(14), Array(5).fill("advisory"));
    });

    for (const [policy, cases] of table) {
        describe(`${policy.name} (${policy.enforcementLevel})`, () => {
            assert.ok(
                cases.some((c) => c.expect === null) && cases.some((c) => c.expect !== null),
                `${policy.name} needs a passing and a failing case`,
            );
            for (const c of cases) {
                it(`${c.expect === null ? "passes" : "fails"}: ${c.title}`, async () => {
                    const run = await runPolicies([policy], c.resources);
                    assert.deepEqual(run.skipped, []);
                    const messages = run.violations.map((v) => v.message);
                    if (c.expect === null) {
                        assert.deepEqual(messages, []);
                        return;
                    }
                    assert.equal(messages.length, c.expect.length, messages.join("\n"));
                    c.expect.forEach((re, i) => assert.match(messages[i], re));
                    for (const v of run.violations) {
                        assert.equal(v.level, policy.enforcementLevel);
                        assert.ok(!v.message.includes(f.accessKey), "a message shows the access key");
                        assert.ok(
                            !v.message.includes(Buffer.from(f.accessKey).toString("base64")),
                            "a message shows the access key",
                        );
                    }
                });
            }
        });
    }

    it("reports a policy that meets an unknown value as skipped, not passed", async () => {
        const d = f.deployment();
        d.props.spec.template.spec.containers = unknownValue;
        const run = await runPolicies([podSecurityRestricted], [d]);
        assert.deepEqual(run.violations, []);
        assert.equal(run.skipped.length, 1);
        assert.match(
            run.skipped[0],
            /^pod-security-restricted: .*spec.template.spec.containers can't be known during preview/,
        );
    });

    it("names the resource a stack policy's violation belongs to", async () => {
        const run = await runPolicies(
            [accessKeyOnlyInSecret],
            [f.accessKeySecret(), f.configMap({ key: f.accessKey })],
        );
        assert.deepEqual(
            run.violations.map((v) => v.urn),
            ["urn:pulumi:test::backline::kubernetes:core/v1:ConfigMap::configmap"],
        );
    });
});

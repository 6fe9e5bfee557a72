/**
 * With none of the enterprise-cluster keys set (proxy, CA bundle, registry mirror, pull secrets, labels and
 * annotations, volumes, disruption budget, priority, topology spread, network policy), every
 * example stack registers exactly what it registered before: the same resources with the same
 * inputs, byte for byte once keys are sorted. The fixture was rendered by `renderedResources` from
 * main before the change; only the janitor script (its text, hash and the install Job's name
 * derived from it) is a placeholder, because those keys change the script (see
 * test/support/manifests.ts).
 *
 * Two deliberate changes since, added to the fixture by hand as the only differences: every worker
 * Deployment rolls with `maxUnavailable: 0, maxSurge: 1` (a Helm takeover, like any update,
 * never drops below `worker.replicaCount`), and carries the `pulumi.com/waitFor` conditions of
 * `workerRolloutWait` (`pulumi up` waits for the new generation's rollout, components/specs/worker.ts).
 */
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { canonicalJson } from "../components/specs/common";
import * as examples from "./fixtures/examples";
import { renderedResources } from "./support/manifests";

const fixture = JSON.parse(
    fs.readFileSync(path.join(__dirname, "fixtures", "manifests-before-issue-12.json"), "utf8"),
) as Record<string, Record<string, unknown>>;

describe("today's stacks render byte for byte as before the enterprise-cluster keys", function () {
    this.timeout(60_000);

    it("the fixture covers every example configuration", () => {
        assert.deepEqual(Object.keys(fixture).sort(), Object.keys(examples).sort());
    });

    for (const [name, config] of Object.entries(examples)) {
        it(`${name}: the same resources with the same inputs`, async () => {
            const now = await renderedResources(config);
            const before = fixture[name];
            assert.deepEqual(Object.keys(now), Object.keys(before), "the set of resources changed");
            for (const key of Object.keys(before)) {
                assert.equal(canonicalJson(now[key]), canonicalJson(before[key]), `${key} changed`);
            }
        });
    }
});

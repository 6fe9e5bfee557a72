/**
 * How `pulumi up` waits for the worker's rollout (`workerRolloutWait`): JSONPath conditions, which
 * pulumi-kubernetes checks only once the new generation is observed, instead of its own Deployment
 * wait, which can take the previous rollout's status for the new one's (components/specs/worker.ts).
 */
import { strict as assert } from "assert";
import { workerRolloutWait } from "../components/specs/worker";

describe("the worker's rollout wait", () => {
    const table: [string, number, boolean | undefined, Record<string, string>][] = [
        [
            "one replica: updated, available, and no old pod left",
            1,
            undefined,
            {
                "pulumi.com/waitFor":
                    '["jsonpath={.status.updatedReplicas}=1","jsonpath={.status.availableReplicas}=1","jsonpath={.status.replicas}=1"]',
            },
        ],
        [
            "the count follows worker.replicaCount",
            3,
            false,
            {
                "pulumi.com/waitFor":
                    '["jsonpath={.status.updatedReplicas}=3","jsonpath={.status.availableReplicas}=3","jsonpath={.status.replicas}=3"]',
            },
        ],
        ["kubernetes.skipAwait: no wait at all", 3, true, { "pulumi.com/skipAwait": "true" }],
        ["no replicas: the status has no counts to wait for; the provider's own wait", 0, undefined, {}],
    ];
    for (const [title, replicas, skipAwait, expected] of table) {
        it(title, () => {
            assert.deepEqual(workerRolloutWait(replicas, skipAwait), expected);
        });
    }

    it("each condition is one the provider parses: `jsonpath=` prefix, a path in braces, a value", () => {
        const conditions = JSON.parse(workerRolloutWait(2, false)["pulumi.com/waitFor"]) as string[];
        assert.equal(conditions.length, 3);
        for (const c of conditions) {
            assert.match(c, /^jsonpath=\{\.status\.[a-zA-Z]+\}=2$/);
        }
    });
});

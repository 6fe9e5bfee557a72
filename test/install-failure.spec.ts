/**
 * The pointer to the janitor install Job's log that `pulumi up` prints with the Job
 * (components/install-job-hint.ts; test/e2e/cluster.e2e.ts sees it in a real failed `pulumi up`).
 */
import { strict as assert } from "assert";
import { installJobFailureMessage } from "../components/specs/install-failure";

describe("the install Job's failure message", () => {
    const cases: [string, string, string][] = [
        ["backline", "janitor-install-0123456789", "kubectl logs -n backline job/janitor-install-0123456789"],
        ["team-a", "janitor-install-abcdef0123", "kubectl logs -n team-a job/janitor-install-abcdef0123"],
    ];
    for (const [ns, job, command] of cases) {
        it(`points to \`${command}\``, () => {
            const text = installJobFailureMessage(ns, job);
            assert.ok(text.includes(command), text);
            assert.ok(text.includes(`Job ${job}`), text);
            assert.ok(!text.includes("kubectl logs -n backline") || ns === "backline", `wrong namespace: ${text}`);
        });
    }

    it("says what did not change and how to go on", () => {
        const text = installJobFailureMessage("backline", "janitor-install-x");
        assert.match(text, /stops there and leaves the worker as it was/);
        assert.match(text, /pulumi config set --path janitor\.runOnInstall false/);
    });
});
